"""Export formats, the refusal of empty training text, and LLaMA-Factory's dataset_info.json.

The expected JSON Lines in tests/data/export/ were written by hand from examples.md: three examples
with code fences and non-ASCII text, the last two the same exchange with different replies a
/retry replaced.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import DATA
from hypothesis import given, settings
from hypothesis import strategies as st

import fine_tuning_capture as ftc

EXPORT_DATA = DATA / "export"
EXAMPLES = EXPORT_DATA / "examples.md"


def run(*argv: str, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    status = ftc.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write_examples(path: Path, rows: list[dict]) -> None:
    with open(path, "a", encoding="utf-8", newline="") as stream:
        for number, row in enumerate(rows):
            example = ftc._make_example(row.get("user", "q"), row.get("system", "s"), row.get("reply", "a"),
                                        "great", row.get("metadata"), dt.datetime(2025, 11, 19, 20, 10, number),
                                        row.get("rejected", ()))
            stream.write(ftc.render_example(example))


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- the formats, line for line ----------------------------------------------------------------

@pytest.mark.parametrize("fmt", ftc.EXPORT_FORMATS)
def test_every_format_matches_its_fixture_exactly(fmt: str, tmp_path: Path, capsys):
    out = tmp_path / "out.jsonl"
    status, _, _ = run("export", "--file", str(EXAMPLES), "--format", fmt, "-o", str(out), capsys=capsys)
    assert status == 0
    assert out.read_bytes() == (EXPORT_DATA / f"{fmt}.jsonl").read_bytes()


def test_every_format_has_a_fixture():
    assert sorted(p.stem for p in EXPORT_DATA.glob("*.jsonl")) == sorted(ftc.EXPORT_FORMATS)


@pytest.mark.parametrize(("fmt", "summary"), [
    ("openai", "exported 2 training and 0 validation examples as openai (1 duplicates and 0 outside the dates"
               " left out, 0 damaged blocks skipped, 0 with empty text skipped)\n"),
    ("dpo", "exported 3 training and 0 validation pairs as dpo (1 duplicates and 0 outside the dates left out,"
            " 0 damaged blocks skipped, 0 with empty text skipped)\n"
            "1 praised examples without a reply a /retry replaced give no pair\n"),
    ("kto", "exported 5 training and 0 validation examples as kto (2 duplicates and 0 outside the dates left out,"
            " 0 damaged blocks skipped, 0 with empty text skipped)\n"
            "kto labels in the training file: 2 desirable, 3 undesirable:"
            " use desirable_weight=1.72 (undesirable_weight=1.0)\n"),
])
def test_the_report_counts_pairs_duplicates_and_labels(fmt: str, summary: str, tmp_path: Path, capsys):
    status, _, err = run("export", "--file", str(EXAMPLES), "--format", fmt, "-o", str(tmp_path / "o"),
                         capsys=capsys)
    assert (status, err) == (0, summary)


def test_records_of_one_example_with_and_without_alternatives():
    plain = ftc._make_example("q", "s", "a", "great", None, dt.datetime(2025, 1, 1))
    retried = ftc._make_example("q", "s", "a", "great", None, dt.datetime(2025, 1, 1), ["r1", "r2"])
    prompt = [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]
    assert ftc.training_records(plain, "dpo") == []
    assert ftc.training_records(retried, "dpo") == [
        {"prompt": prompt, "chosen": [{"role": "assistant", "content": "a"}],
         "rejected": [{"role": "assistant", "content": "r1"}]},
        {"prompt": prompt, "chosen": [{"role": "assistant", "content": "a"}],
         "rejected": [{"role": "assistant", "content": "r2"}]},
    ]
    assert ftc.training_records(plain, "kto") == [
        {"prompt": prompt, "completion": [{"role": "assistant", "content": "a"}], "label": True}]
    assert [(r["completion"][0]["content"], r["label"]) for r in ftc.training_records(retried, "kto")] == [
        ("a", True), ("r1", False), ("r2", False)]
    for fmt in ("openai", "sharegpt", "alpaca", "prompt-completion"):  # the alternatives never enter them
        assert ftc.training_records(retried, fmt) == ftc.training_records(plain, fmt)


def test_an_unknown_format_names_the_known_ones():
    example = ftc._make_example("q", "s", "a", "great", None, dt.datetime(2025, 1, 1))
    with pytest.raises(ValueError, match=r"^unknown export format 'csv'; choose from openai, sharegpt, alpaca, "
                                         r"prompt-completion, dpo, kto$"):
        ftc.training_records(example, "csv")


def test_every_line_of_an_example_lands_on_the_same_side_of_the_split(output_file: Path, tmp_path: Path, capsys):
    write_examples(output_file, [{"user": f"q{n}", "rejected": (f"r{n}a", f"r{n}b"),
                                 "metadata": {"session_id": f"s{n}"}} for n in range(30)])
    val = tmp_path / "val.jsonl"
    status, _, _ = run("export", "--format", "kto", "-o", str(tmp_path / "train.jsonl"), "--val-fraction", "0.3",
                       "--val-out", str(val), capsys=capsys)
    assert status == 0
    train = lines(tmp_path / "train.jsonl")
    prompts = lambda records: {r["prompt"][1]["content"] for r in records}  # noqa: E731
    assert not prompts(train) & prompts(lines(val))
    assert len(train) + len(lines(val)) == 90 and lines(val)


# --- empty training text ----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ftc.EXPORT_FORMATS)
def test_examples_with_empty_text_are_skipped_reported_and_exit_1(fmt: str, output_file: Path, tmp_path: Path,
                                                                  capsys):
    write_examples(output_file, [{"user": "kept", "rejected": ("other",)}, {"reply": ""}, {"user": " \n\t"},
                                 {"system": ""}, {"reply": "\u3000", "user": ""}])
    out = tmp_path / "out.jsonl"
    status, _, err = run("export", "--format", fmt, "-o", str(out), capsys=capsys)
    assert status == 1
    assert "kept" in out.read_text(encoding="utf-8")
    problems = [line.split(": ", 1)[1] for line in err.splitlines() if "skipped, a trainer" in line]
    assert [problem.split(" ", 2)[2] for problem in problems] == [
        "has an empty reply: skipped, a trainer would learn to answer with nothing",
        "has an empty user message: skipped, a trainer would learn to answer with nothing",
        "has an empty system prompt: skipped, a trainer would learn to answer with nothing",
        "has an empty reply and user message: skipped, a trainer would learn to answer with nothing",
    ]
    assert "4 with empty text skipped" in err


@pytest.mark.parametrize(("fmt", "expected"), [("dpo", ["good"]), ("kto", ["a", "good"])])
def test_rejected_replies_that_are_empty_or_the_reply_itself_are_left_out(fmt: str, expected: list[str],
                                                                          output_file: Path, tmp_path: Path, capsys):
    write_examples(output_file, [{"rejected": ("", "a", "good", " ")}])
    out = tmp_path / "out.jsonl"
    status, _, err = run("export", "--format", fmt, "-o", str(out), capsys=capsys)
    assert status == 1
    assert "3 rejected replies left out: empty, or the same as the praised reply (see `check`)" in err
    texts = [(r.get("rejected") or r["completion"])[0]["content"] for r in lines(out)]
    assert texts == expected


def test_formats_without_alternatives_ignore_odd_ones(output_file: Path, tmp_path: Path, capsys):
    write_examples(output_file, [{"rejected": ("", "a")}])
    status, _, err = run("export", "--format", "openai", "-o", str(tmp_path / "o"), capsys=capsys)
    assert status == 0 and "rejected" not in err


@pytest.mark.parametrize(("desirable", "undesirable", "advice"), [
    (10, 4, "use desirable_weight=0.46 (undesirable_weight=1.0)"),
    (2, 3, "use desirable_weight=1.72 (undesirable_weight=1.0)"),
    (5, 5, "balanced: keep desirable_weight=1.0"),
    (7, 0, "KTO needs both labels: replies a /retry replaced are the undesirable ones"),
])
def test_kto_weight_advice_is_inside_the_range_trl_asks_for(desirable: int, undesirable: int, advice: str):
    assert ftc.kto_weight_advice(desirable, undesirable) == advice
    if "=" in advice and desirable != undesirable:
        weight = float(advice.split("=")[1].split()[0])
        # TRL 1.16 KTOTrainer: desirable_weight in [round(u/d, 2), round(1.33 * u/d, 2)] with undesirable_weight 1
        assert round(undesirable / desirable, 2) <= weight <= round(1.33 * undesirable / desirable, 2)


# --- LLaMA-Factory's dataset_info.json --------------------------------------------------------

SHAREGPT_ENTRY = {"formatting": "sharegpt", "columns": {"messages": "conversations"},
                  "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human",
                           "assistant_tag": "gpt", "system_tag": "system"}}
EXPECTED_ENTRIES = {
    "openai": {"formatting": "sharegpt", "columns": {"messages": "messages"},
               "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                        "assistant_tag": "assistant", "system_tag": "system"}},
    "sharegpt": SHAREGPT_ENTRY,
    "alpaca": {"formatting": "alpaca", "columns": {"prompt": "instruction", "query": "input",
                                                   "response": "output", "system": "system"}},
}


@pytest.mark.parametrize("fmt", sorted(EXPECTED_ENTRIES))
def test_dataset_info_entry_keeps_the_system_prompt(fmt: str, tmp_path: Path, capsys):
    info = tmp_path / "data" / "dataset_info.json"
    out = tmp_path / "data" / "timmy.jsonl"
    status, _, err = run("export", "--file", str(EXAMPLES), "--format", fmt, "-o", str(out),
                         "--dataset-info", str(info), capsys=capsys)
    assert status == 0
    assert json.loads(info.read_text(encoding="utf-8")) == {"timmy": {"file_name": "timmy.jsonl",
                                                                      **EXPECTED_ENTRIES[fmt]}}
    assert err.endswith(f"LLaMA-Factory: dataset timmy in {info}\n")


def test_dataset_info_lists_exactly_the_formats_llamafactory_reads():
    assert ftc.DATASET_INFO_FORMATS == ("openai", "sharegpt", "alpaca")


def test_dataset_info_merges_and_keeps_other_entries(tmp_path: Path, capsys):
    info = tmp_path / "dataset_info.json"
    others = {"identity": {"file_name": "identity.json"}, "timmy": {"file_name": "old.json"},
              "c4_demo": {"file_name": "c4_demo.jsonl", "columns": {"prompt": "text"}, "note": "ünïcode"}}
    info.write_text(json.dumps(others), encoding="utf-8")
    out, val = tmp_path / "timmy.jsonl", tmp_path / "elsewhere" / "timmy_val.jsonl"
    status, _, _ = run("export", "--file", str(EXAMPLES), "--format", "sharegpt", "-o", str(out),
                       "--val-fraction", "0.5", "--val-out", str(val), "--dataset-info", str(info), capsys=capsys)
    assert status == 0
    merged = json.loads(info.read_text(encoding="utf-8"))
    assert list(merged) == ["identity", "timmy", "c4_demo", "timmy_val"]
    assert merged["identity"] == others["identity"] and merged["c4_demo"] == others["c4_demo"]
    assert merged["timmy"] == {"file_name": "timmy.jsonl", **SHAREGPT_ENTRY}
    assert merged["timmy_val"] == {"file_name": "elsewhere/timmy_val.jsonl", **SHAREGPT_ENTRY}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_dataset_info_points_outside_its_folder_by_absolute_path(tmp_path: Path, capsys):
    info, out = tmp_path / "lf" / "dataset_info.json", tmp_path / "exports" / "train.jsonl"
    run("export", "--file", str(EXAMPLES), "--format", "alpaca", "-o", str(out), "--dataset-info", str(info),
        capsys=capsys)
    assert json.loads(info.read_text(encoding="utf-8"))["train"]["file_name"] == str(out)


@pytest.mark.parametrize(("fmt", "extra", "message"), [
    ("dpo", (), "error: LLaMA-Factory reads no dpo export (train it with TRL: docs/training.md);"
                " dataset_info.json takes openai, sharegpt, alpaca\n"),
    ("kto", (), "error: LLaMA-Factory reads no kto export"),
    ("prompt-completion", (), "error: LLaMA-Factory reads no prompt-completion export"),
    ("openai", ("-o", "-"), "error: --dataset-info needs the export in files, not on stdout\n"),
])
def test_dataset_info_refusals_write_nothing(fmt: str, extra: tuple[str, ...], message: str, tmp_path: Path,
                                            capsys):
    info, out = tmp_path / "dataset_info.json", tmp_path / "out.jsonl"
    status, _, err = run("export", "--file", str(EXAMPLES), "--format", fmt, "-o", str(out), *extra,
                         "--dataset-info", str(info), capsys=capsys)
    assert status == 2 and err.startswith(message)
    assert not info.exists() and not out.exists()


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_an_unreadable_dataset_info_stops_the_export_before_it_starts(content: str, tmp_path: Path, capsys):
    info, out = tmp_path / "dataset_info.json", tmp_path / "out.jsonl"
    info.write_text(content, encoding="utf-8")
    status, _, err = run("export", "--file", str(EXAMPLES), "--format", "openai", "-o", str(out),
                         "--dataset-info", str(info), capsys=capsys)
    assert status == 2 and err.startswith("error: ") and err.count("\n") == 1
    assert info.read_text(encoding="utf-8") == content and not out.exists()


# --- the examples file behind the fixtures -----------------------------------------------------

def test_fixture_blocks_with_rejected_alternatives_round_trip():
    examples = list(ftc.read_examples(EXAMPLES))
    assert [e.rejected_responses for e in examples] == [
        (), ("Des pâtes.", "Je ne sais pas."), ("Des pâtes.", "Une soupe ````\nchaude.")]
    rendered = ftc.FILE_BANNER + "".join(ftc.render_example(e) for e in examples)
    assert rendered.encode("utf-8") == EXAMPLES.read_bytes()


# --- lines from templates: json.dumps's bytes, without json.dumps ------------------------------

TEXTS = st.text(st.characters(codec="utf-8") | st.sampled_from('"\\\n\r\t\x00\x1f\x7f\u2028`'), max_size=20)


@settings(max_examples=300, deadline=None)
@given(text=TEXTS)
def test_property_escaping_the_utf8_bytes_is_json_dumps(text: str):
    assert b'"' + ftc._json_escaped(text.encode()) + b'"' == json.dumps(text, ensure_ascii=False).encode()


def test_every_format_has_templates():
    assert all(ftc._line_templates(spec.records) is not None for spec in ftc.EXPORT_TABLE.values())


@settings(max_examples=200, deadline=None)
@given(system=TEXTS, user=TEXTS, reply=TEXTS, rejected=st.lists(TEXTS, max_size=3))
def test_property_lines_from_templates_are_the_records_json(system: str, user: str, reply: str, rejected: list[str]):
    example = ftc._make_example(user, system, reply, "great", None, dt.datetime(2025, 1, 1), rejected)
    for spec in ftc.EXPORT_TABLE.values():
        expected = [(json.dumps(record, ensure_ascii=False).encode(), record.get("label"))
                    for record in spec.records(example)]
        assert ftc._filled_lines(ftc._line_templates(spec.records), None, example) == expected


def test_a_format_that_does_not_fit_a_template_is_exported_with_json_dumps(tmp_path: Path, monkeypatch, capsys):
    def with_praise(example: ftc.Example) -> list[dict]:
        return [{"text": example.assistant_response, "praise": example.praise_message}]

    assert ftc._line_templates(with_praise) is None
    assert ftc._line_templates(lambda example: [{"n": 1 / 0}]) is None  # fails on the stand-ins
    monkeypatch.setitem(ftc.EXPORT_TABLE, "praise", ftc.ExportFormat(with_praise, "", "examples"))
    out = tmp_path / "out.jsonl"
    with open(out, "w", encoding="utf-8") as stream:
        ftc.export_examples("praise", stream, path=EXAMPLES)
    expected = [json.dumps(record, ensure_ascii=False) for example in ftc.read_examples(EXAMPLES)
                for record in with_praise(example)]
    assert out.read_text(encoding="utf-8").splitlines() == list(dict.fromkeys(expected))
