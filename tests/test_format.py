"""The block format: byte for byte as the spec shows it, and read back exactly as written."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from conftest import DATA, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fine_tuning_capture as ftc

SPEC = ROOT.parent / "shared" / "spec" / "FINE_TUNING_CAPTURE_README.md"
SPEC_ARGS = dict(
    user_message="What's my cat's name?",
    system_prompt=(
        "You are Little Timmy...\nMemories:\n• [Personal Data, Importance: 5] User (1h ago) - My cat is Winston"
    ),
    assistant_response="Winston, of course - the feline overlord who demands treats.",
    praise_message="Good one, Timmy!",
    metadata={"session_id": "abc123", "timestamp": "2025-11-19 20:10:46"},
)
STAMP_RE = re.compile(r"^## Example Captured: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)$", re.M)


def test_spec_copy_matches_the_spec():
    if not SPEC.exists():
        pytest.skip("shared/spec is not beside this checkout")
    assert (DATA / "spec_block.md").read_text(encoding="utf-8") in SPEC.read_text(encoding="utf-8")


def test_spec_arguments_give_the_spec_block_byte_for_byte(output_file: Path):
    ftc.capture_fine_tuning_example(**SPEC_ARGS)
    written = output_file.read_text(encoding="utf-8")
    stamp = STAMP_RE.search(written).group(1)
    expected = (DATA / "spec_block.md").read_text(encoding="utf-8").replace("2025-11-19T20:10:46", stamp)
    assert written == ftc.FILE_BANNER + "\n" + expected + "\n"


def test_header_time_is_local_whole_seconds(output_file: Path):
    before = dt.datetime.now().replace(microsecond=0)
    example = ftc.capture_fine_tuning_example("q", "s", "a", "Great!")
    after = dt.datetime.now()
    assert before <= example.captured_at <= after
    assert example.captured_at.microsecond == 0
    assert f"## Example Captured: {example.captured_at:%Y-%m-%dT%H:%M:%S}\n" in output_file.read_text()


def test_grep_count_counts_examples(output_file: Path):
    for n in range(3):
        ftc.capture_fine_tuning_example(f"q{n}", "s", "a", "Perfect")
    assert output_file.read_text().count("Example Captured") == 3


def test_no_metadata_section_without_metadata(output_file: Path):
    ftc.capture_fine_tuning_example("q", "s", "a", "nice")
    assert "### Metadata:" not in output_file.read_text()
    assert next(ftc.read_examples()).metadata == {}


def test_metadata_is_indented_json_with_unicode_kept(output_file: Path):
    ftc.capture_fine_tuning_example("q", "s", "a", "nice", {"name": "Zoë 🐱", "n": 1})
    assert '```json\n{\n  "name": "Zoë 🐱",\n  "n": 1\n}\n```\n' in output_file.read_text(encoding="utf-8")


# --- content that could break the format --------------------------------------------------------

TRICKY_TEXTS = {
    "fence": "Here:\n```python\nprint('hi')\n```\nDone.",
    "long fence": "````\n```\n`````",
    "fence at end": "code\n```",
    "rule and header lines": f"{ftc.RULE}\n## Example Captured: 2025-01-01T00:00:00\n**Praise:** x\n{ftc.RULE}",
    "our section headings": "### User Message (n-3):\n```\nx\n```\n### Metadata:\n```json\n{}\n```",
    "escaped marker already there": "Example\u200b Captured and Example\u200b\u200b Captured",
    "carriage returns": "line one\r\nline two\rline three\r",
    "nul": "before\x00after",
    "emoji": "🐈‍⬛ 👍🏽 🇳🇿",
    "right to left": "مرحبا بالعالم \u202eevil\u202c עברית",
    "only newlines": "\n\n\n",
    "empty": "",
    "trailing spaces": "x   \n   ",
    "html comment": "<!-- not a comment of ours -->",
    "json-looking": '{"a": 1}\n```json\n{}\n```',
}


@pytest.mark.parametrize("name", sorted(TRICKY_TEXTS))
def test_tricky_text_reads_back_exactly_in_every_field(name: str):
    text = TRICKY_TEXTS[name]
    written = ftc.capture_fine_tuning_example(text, text, text, "great", {"note": text})
    (read,) = ftc.read_examples()
    assert read == written
    assert (read.user_message, read.system_prompt, read.assistant_response) == (text, text, text)
    assert read.metadata == {"note": text}


def test_fence_is_longer_than_any_backtick_run_and_plain_text_keeps_three(output_file: Path):
    ftc.capture_fine_tuning_example("a ````` b", "plain", "plain", "great")
    text = output_file.read_text()
    assert "\n``````\na ````` b\n``````\n" in text
    assert "\n```\nplain\n```\n" in text


def test_marker_in_content_does_not_count_as_an_example(output_file: Path):
    ftc.capture_fine_tuning_example("Example Captured", "## Example Captured: now", "x", "Example Captured", {
        "k": "Example Captured"})
    assert output_file.read_text(encoding="utf-8").count("Example Captured") == 1
    (read,) = ftc.read_examples()
    assert read.user_message == "Example Captured"
    assert read.praise_message == "Example Captured"
    assert read.metadata == {"k": "Example Captured"}


def test_multiline_praise_keeps_header_on_one_line_and_full_text(output_file: Path):
    praise = "Great!\nReally.\r\nLoved it"
    written = ftc.capture_fine_tuning_example("q", "s", "a", praise, {"session_id": "x"})
    assert "**Praise:** Great! Really.  Loved it\n" in output_file.read_text()
    (read,) = ftc.read_examples()
    assert read.praise_message == praise == written.praise_message
    assert read.metadata == {"session_id": "x", ftc.PRAISE_FULL_TEXT_KEY: praise}


def test_lone_surrogates_are_replaced_not_fatal():
    written = ftc.capture_fine_tuning_example("bad \ud800 text", "pair \ud83d\ude00 joined", "x", "good \udfff",
                                              {"k\udc80": "v\ud800"})
    assert written.user_message == "bad \ufffd text"
    assert written.system_prompt == "pair 😀 joined"
    assert written.praise_message == "good \ufffd"
    assert written.metadata == {"k\ufffd": "v\ufffd"}
    assert list(ftc.read_examples()) == [written]


def test_lone_surrogates_in_rejected_responses_given_as_a_generator():
    written = ftc.capture_fine_tuning_example("q", "s", "a", "great",
                                              rejected_responses=(text for text in ["ok", "bad \ud800"]))
    assert written.rejected_responses == ("ok", "bad \ufffd")
    assert list(ftc.read_examples()) == [written]


@pytest.mark.parametrize(("run", "fence"), [(0, 3), (2, 3), (3, 4), (4, 5), (7, 8), (8, 9), (9, 10), (100, 101)])
def test_the_fence_is_one_longer_than_the_longest_backtick_run(run: int, fence: int, output_file: Path):
    text = f"a ` b `` c\n{'`' * run}\nend ```"
    written = ftc.capture_fine_tuning_example(text, "s", "a", "great")
    assert f"\n{'`' * max(fence, 4)}\n{text}\n{'`' * max(fence, 4)}\n" in output_file.read_text()
    assert list(ftc.read_examples()) == [written]


def test_non_json_metadata_is_converted_not_fatal():
    class Thing:
        def __str__(self) -> str:
            return "a thing"

    circular: list = []
    circular.append(circular)
    metadata = {
        "when": dt.datetime(2025, 11, 19, 20, 10, 46),
        "tags": {"b", "a"},
        "mixed": {1, "x"},
        "obj": Thing(),
        "raw": b"bytes \xff",
        "path": Path("/tmp/x"),
        "nan": float("nan"),
        "tuple": (1, 2),
        "circular": circular,
        3: "int key",
    }
    written = ftc.capture_fine_tuning_example("q", "s", "a", "great", metadata)
    assert written.metadata["when"] == "2025-11-19T20:10:46"
    assert written.metadata["tags"] == ["a", "b"]
    assert written.metadata["obj"] == "a thing"
    assert written.metadata["raw"] == "bytes \ufffd"
    assert written.metadata["path"] == "/tmp/x"
    assert written.metadata["nan"] == "nan"
    assert written.metadata["3"] == "int key"
    assert written.metadata["circular"] == ["<circular reference>"]
    assert list(ftc.read_examples()) == [written]


def test_ten_megabyte_message(output_file: Path):
    big = ("All work and no play makes Timmy a dull boy. ```\n" * 210_000)[:10_000_000]
    written = ftc.capture_fine_tuning_example(big, "s", big, "great")
    assert output_file.stat().st_size > 20_000_000
    (read,) = ftc.read_examples()
    assert read == written


# --- rejected alternatives: sections of their own, only when there are any ----------------------

def test_rejected_responses_follow_the_reply_as_numbered_sections(output_file: Path):
    written = ftc.capture_fine_tuning_example("q", "s", "chosen", "great", {"n": 1},
                                              rejected_responses=["first try", "second ```try```"])
    text = output_file.read_text(encoding="utf-8")
    assert ("### Assistant Response (n-1):\n```\nchosen\n```\n"
            "\n### Rejected Response 1 (replaced by a retry):\n```\nfirst try\n```\n"
            "\n### Rejected Response 2 (replaced by a retry):\n````\nsecond ```try```\n````\n"
            "\n### Metadata:\n") in text
    (read,) = ftc.read_examples()
    assert read == written and read.rejected_responses == ("first try", "second ```try```")


def test_rejected_responses_without_metadata_and_before_the_next_block(output_file: Path):
    first = ftc.capture_fine_tuning_example("q1", "s", "a1", "great", rejected_responses=["r1"])
    second = ftc.capture_fine_tuning_example("q2", "s", "a2", "great")
    assert list(ftc.read_examples()) == [first, second]
    assert second.rejected_responses == ()


def test_rejected_section_out_of_order_is_a_format_error(output_file: Path):
    ftc.capture_fine_tuning_example("q", "s", "a", "great", rejected_responses=["r1", "r2"])
    damaged = output_file.read_text().replace("Rejected Response 2", "Rejected Response 3")
    output_file.write_text(damaged)
    with pytest.raises(ftc.FormatError) as caught:
        list(ftc.read_examples())
    assert caught.value.msg == "expected '### Rejected Response 2 (replaced by a retry):'"
    assert damaged.splitlines()[caught.value.lineno - 1] == "### Rejected Response 3 (replaced by a retry):"


# --- property: whatever goes in comes back out ------------------------------------------------

PIECES = st.sampled_from(
    ["```", "````", "`", "\n", "\r", "\r\n", "Example Captured", "Example\u200b Captured", "\u200b", ftc.RULE,
     "## Example Captured: ", "**Praise:** ", "### Metadata:", "<!--", "-->", " ", "\x00", "\u2028", "\x85"]
)
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=20)), max_size=12).map("".join)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=TEXT, system=TEXT, reply=TEXT, praise=TEXT, metadata=st.none() | st.dictionaries(TEXT, JSON_VALUES),
       rejected=st.lists(TEXT, max_size=3))
def test_property_every_field_reads_back_identical(output_file: Path, user, system, reply, praise, metadata,
                                                   rejected):
    output_file.unlink(missing_ok=True)
    first = ftc.capture_fine_tuning_example(user, system, reply, praise, metadata)
    second = ftc.capture_fine_tuning_example(reply, user, system, "nice", metadata, rejected_responses=rejected)
    read = list(ftc.read_examples())
    assert read == [first, second]
    assert read[1].rejected_responses == tuple(rejected)
    assert (read[0].user_message, read[0].system_prompt, read[0].assistant_response) == (user, system, reply)
    assert read[0].praise_message == praise
    # The rule as the format states it, not as the module implements it: a praise that str.splitlines()
    # would break is shown on one line in the header and kept whole in the metadata.
    expected_metadata = dict(metadata or {})
    if "".join(praise.splitlines()) != praise:
        expected_metadata[ftc.PRAISE_FULL_TEXT_KEY] = praise
    assert read[0].metadata == expected_metadata
    lines = output_file.read_text(encoding="utf-8").split("\n")
    headers = [number for number, line in enumerate(lines) if "Example Captured" in line]
    assert len(headers) == 2 and all(lines[number].startswith(ftc.HEADER_PREFIX) for number in headers)
    assert all(len(lines[number + 1].splitlines()) == 1 for number in headers)  # the praise line is one line


# --- reading files of the original system -----------------------------------------------------

def test_reads_the_original_systems_files():
    examples = list(ftc.read_examples(DATA / "original_system.md"))
    assert [e.praise_message for e in examples] == ["Good one, Timmy!", "perfect", "Great response"]
    first, second, third = examples
    assert first.captured_at == dt.datetime(2025, 11, 19, 20, 10, 46, 512345)
    assert first.metadata == {"session_id": "abc123", "timestamp": "2025-11-19 20:10:46"}
    assert second.metadata == {}
    assert second.system_prompt == (
        "You are Little Timmy...\n  Memories:\n    • [Work, Importance: 3] User (2d ago) - I fix bikes")
    assert third.metadata["memories"][0]["importance"] == 5
    assert third.user_message == "Tell me a joke"


# --- damaged files ------------------------------------------------------------------------------

def _damaged_file(path: Path) -> list[ftc.Example]:
    """Three good examples, with a block cut off mid-line (as by a crash) after the first."""
    good = [ftc.capture_fine_tuning_example("question 0", "prompt 0", "reply 0", "great", {"n": 0}, path=path)]
    lost = ftc.render_example(ftc._make_example("lost question", "lost prompt", "lost", "great", {}, dt.datetime.now()))
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(lost[: lost.index("lost prompt") + 4])
    good += [ftc.capture_fine_tuning_example(f"question {n}", f"prompt {n}", f"reply {n}", "great", {"n": n}, path=path)
             for n in (1, 2)]
    return good


def test_cut_off_block_raises_format_error_with_its_line(output_file: Path):
    _damaged_file(output_file)
    reader = ftc.read_examples()
    assert next(reader).user_message == "question 0"
    with pytest.raises(ftc.FormatError) as caught:
        next(reader)
    lines = output_file.read_text().splitlines()
    assert isinstance(caught.value, ValueError)
    assert "cut-off" in str(caught.value)
    assert 1 <= caught.value.lineno <= len(lines)
    assert str(caught.value).startswith(f"line {caught.value.lineno}: ")


def test_non_strict_skips_the_damaged_block_and_keeps_the_rest(output_file: Path):
    good = _damaged_file(output_file)
    errors: list[ftc.FormatError] = []
    read = list(ftc.read_examples(strict=False, on_error=errors.append))
    assert read == good
    assert len(errors) == 1


def test_non_strict_logs_by_default(output_file: Path, caplog: pytest.LogCaptureFixture):
    good = _damaged_file(output_file)
    assert list(ftc.read_examples(strict=False)) == good
    assert "skipped a damaged example" in caplog.text


INVALID = sorted(p.name for p in (DATA / "invalid").glob("*.md"))


@pytest.mark.parametrize("name", INVALID)
def test_invalid_files_raise_the_expected_error(name: str):
    path = DATA / "invalid" / name
    expected = json.loads(path.with_suffix(".json").read_text())
    with pytest.raises(ftc.FormatError) as caught:
        list(ftc.read_examples(path))
    assert (caught.value.lineno, caught.value.msg) == (expected["line"], expected["message"])
    # Not strict: the intact examples around the damage are still read.
    assert len(list(ftc.read_examples(path, strict=False, on_error=lambda e: None))) == expected["intact"]
