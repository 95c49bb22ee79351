"""The block reader gives exactly the line parser's answers: the same examples, spans and damage reports."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from conftest import DATA
from hypothesis import given, settings
from hypothesis import strategies as st

import fine_tuning_capture as ftc


def _block(user: str = "q", system: str = "s", reply: str = "a", praise: str = "great", metadata=None,
           rejected: tuple[str, ...] = (), at: dt.datetime = dt.datetime(2025, 11, 19, 20, 10, 46)) -> str:
    example = ftc._make_example(user, system, reply, praise, metadata, at, rejected)
    return ftc.render_example(example, with_metadata=bool(example.metadata) or metadata is not None)


def every_kind_of_block() -> bytes:
    """Blocks as capture writes them, as older files hold them, laid out by hand, and damaged ones."""
    written = [
        _block(),
        _block("```python\nprint(1)\n```", "````\n```\n````", "a ````` b", "Good one, Timmy!", {"n": 1}),
        _block("Example Captured", "## Example Captured: 2025-01-01T00:00:00", "Example\u200b Captured",
               "Example Captured", {"k": "Example Captured", "code": "```"}),
        _block(f"{ftc.RULE}\n## Example Captured: x\n**Praise:** y\n{ftc.RULE}", "### Metadata:\n```json\n{}\n```",
               "### Rejected Response 1 (replaced by a retry):", "nice", {"session_id": "s1"}),
        _block("line one\r\nline two\rthree\r", "\r", "\r\n", "perfect\r\nreally", {"session_id": "s1"}),
        _block("", "\n\n", "   ", "", None),
        _block("q", "s", "chosen", "great", {"n": 2}, rejected=("first", "second ```try```", "")),
        _block("q", "s", "chosen", "great", None, rejected=("only",)),
        _block("Zoë 🐈 مرحبا \u2028 \x85 \x00", "s", "a", "great 👏", {"name": "Zoë 🐱"}),
        _block("same", "s", "a", "great"),
        _block("same", "s", "a", "perfect"),
    ]
    by_hand = [
        # Extra blank lines, trailing spaces and a \r after headings, fences with an info string,
        # longer or space-padded closing fences, no metadata, fractional seconds.
        f"{ftc.RULE}\n## Example Captured: 2025-11-20 08:01:02,25  \n**Praise:** hand made\n{ftc.RULE}\n\n\n"
        "### User Message (n-3):   \n\n```text\nq\n`````\n\n"
        "### System Prompt with Memories (n-2):\r\n````\ns\n```\n````  \t\n"
        "### Assistant Response (n-1):\n```\na\n```\n\n\n"
        "### Metadata:\n```json\n{\"n\": 3}\n```\n",
        # A line of backticks and \r is content, so this block is damaged though it looks whole.
        f"{ftc.RULE}\n## Example Captured: 2025-11-20T08:01:03\n**Praise:** x\n{ftc.RULE}\n\n"
        "### User Message (n-3):\n```\nq\n```\r\n\n### System Prompt with Memories (n-2):\n```\ns\n```\n\n"
        "### Assistant Response (n-1):\n```\na\n```\n\n",
        # No blank line before a heading, and a block with no blank line before the next.
        f"{ftc.RULE}\n## Example Captured: 2025-11-20T08:01:02\n**Praise:**\n{ftc.RULE}\n"
        "### User Message (n-3):\n```\nq\n```\n### System Prompt with Memories (n-2):\n```\ns\n```\n"
        "### Assistant Response (n-1):\n```\na\n```\n",
        # A fence does not close on a line with text, a \r or a form feed after the backticks.
        f"{ftc.RULE}\n## Example Captured: 2025-11-20T08:01:03\n**Praise:** x\n{ftc.RULE}\n\n"
        "### User Message (n-3):\n```\n```python\nq\n```\r\n```\x0c\n```\n\n"
        "### System Prompt with Memories (n-2):\n```\ns\n```\n\n"
        "### Assistant Response (n-1):\n```\na\n```\n\n### Rejected Response 1 (replaced by a retry):  \n```\nr\n```\n",
        "<!-- a comment between blocks -->\n\n",
        "   \n\t\n",
        # A metadata heading after the rejected ones' place, with trailing spaces.
        f"{ftc.RULE}\n## Example Captured: 2025-11-20T08:01:04\n**Praise:** x\n{ftc.RULE}\n\n"
        "### User Message (n-3):\n```\nq\n```\n\n### System Prompt with Memories (n-2):\n```\ns\n```\n\n"
        "### Assistant Response (n-1):\n```\na\n```\n\n  \n### Metadata: \n```json\n{\"n\": 4}\n```\n\n",
        # A rule line on its own, then text after a block's last fence.
        f"{ftc.RULE}\nnot a header\n\n",
        _block("before stray text") + "stray text\n",
    ]
    parts = [ftc.FILE_BANNER, "\n", *written, *by_hand]
    data = "".join(parts).encode("utf-8")
    for path in sorted([DATA / "original_system.md", *(DATA / "invalid").glob("*.md")]):
        data += path.read_bytes()
    # A block cut off in the middle of a line at the very end of the file.
    return data + _block("cut at the end", "s", "a").encode()[:300]


def _items(parser, data: bytes) -> list:
    """What a reader gives, with errors as (line, message) so they compare."""
    return [(item.lineno, item.msg) if isinstance(item, ftc.FormatError) else item
            for item in parser(io.BytesIO(data))]


def test_every_kind_of_block_reads_as_the_line_parser_reads_it():
    data = every_kind_of_block()
    expected = _items(ftc._line_parser, data)
    assert _items(ftc._blocks_of, data) == expected
    blocks = [item for item in expected if isinstance(item, ftc._Block)]
    errors = [item for item in expected if not isinstance(item, ftc._Block)]
    assert len(blocks) >= 30 and len(errors) >= 13  # the file holds what it says it holds


def test_the_duplicate_key_from_the_files_bytes_is_the_examples_key():
    blocks = [item for item in ftc._blocks_of(io.BytesIO(every_kind_of_block())) if isinstance(item, ftc._Block)]
    assert sum(block.encoded is not None for block in blocks) >= 20
    assert [ftc._block_key(block) for block in blocks] == [ftc._content_key(block.example) for block in blocks]


@pytest.mark.parametrize("fmt", ftc.EXPORT_FORMATS)
def test_export_of_every_kind_of_block_is_byte_identical_to_the_line_parsers(
        fmt: str, tmp_path: Path, monkeypatch, capsys):
    source = tmp_path / "examples.md"
    source.write_bytes(every_kind_of_block())
    results = []
    for parser in (ftc._blocks_of, ftc._line_parser):
        monkeypatch.setattr(ftc, "_blocks_of", parser)
        out, validation = tmp_path / f"{parser.__name__}.jsonl", tmp_path / f"{parser.__name__}-val.jsonl"
        status = ftc.main(["export", "--file", str(source), "--format", fmt, "-o", str(out),
                           "--val-fraction", "0.3", "--val-out", str(validation)])
        results.append((status, out.read_bytes(), validation.read_bytes(), capsys.readouterr()))
    assert results[0] == results[1]
    status, train, validation, captured = results[0]
    assert status == 1 and train and captured.err.count("skipped a damaged example") >= 13
    assert validation or fmt == "dpo"  # the file's one block with alternatives falls in the training split


def test_a_block_longer_than_a_read_and_blocks_across_reads(monkeypatch):
    monkeypatch.setattr(ftc, "_READ_SIZE", 64)
    data = every_kind_of_block() + _block("x" * 1000, "y" * 300).encode()
    assert _items(ftc._blocks_of, data) == _items(ftc._line_parser, data)


# --- property: the readers agree on any edit of a file ------------------------------------------

LINES = st.sampled_from([
    b"\n", b"  \n", b"\r\n", b"```\n", b"````\n", b"```json\n", b"``` \n", b"```\r\n", b"text\n", b"<!-- c -->\n",
    ftc._RULE_LINE, ftc._HEADER_BYTES + b"2025-11-19T20:10:46\n", b"**Praise:** x\n",
    *(f"{heading}\n".encode() for heading in ftc.SECTION_HEADINGS.values()),
    f"{ftc.REJECTED_HEADING.format(number=1)}\n".encode(), f"{ftc.METADATA_HEADING}\n".encode(), b"{}\n", b"\xff\n",
])
EDITS = st.lists(st.tuples(st.sampled_from(["delete", "insert", "replace"]), st.integers(0, 10_000), LINES),
                 max_size=4)
BASE = b"".join(_block(f"q{n}", "s", "a", "great", {"n": n} if n % 2 else None,
                       rejected=("r",) * (n % 3)).encode() for n in range(4))


@settings(max_examples=300, deadline=None)
@given(edits=EDITS, cut=st.integers(0, len(BASE) + 1))
def test_property_the_readers_agree_on_any_edit(edits, cut):
    lines = BASE.splitlines(keepends=True)
    for kind, where, line in edits:
        where %= len(lines) + 1
        if kind == "insert":
            lines.insert(where, line)
        elif lines:
            where = min(where, len(lines) - 1)
            lines[where:where + 1] = [] if kind == "delete" else [line]
    data = b"".join(lines)[:cut]
    assert _items(ftc._blocks_of, data) == _items(ftc._line_parser, data)
