"""The command line: stats, check, list, remove, export and backfill, on real files."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DATA, ROOT

import fine_tuning_capture as ftc

SAMPLE_LOG = ROOT / "examples" / "sample_chat_log.jsonl"
WRITER = Path(__file__).resolve().parent / "writer_process.py"


def run(*argv: str, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    status = ftc.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write_examples(path: Path, rows: list[dict]) -> list[ftc.Example]:
    """Write examples with chosen capture times, as capture would render them."""
    examples = []
    with open(path, "a", encoding="utf-8") as stream:
        for row in rows:
            example = ftc._make_example(row.get("user", "q"), row.get("system", "s"), row.get("reply", "a"),
                                        row.get("praise", "great"), row.get("metadata"),
                                        row.get("at", dt.datetime(2025, 11, 19, 20, 10, 46)),
                                        row.get("rejected", ()))
            stream.write(ftc.render_example(example))
            examples.append(example)
    return examples


# --- stats, check, list ---------------------------------------------------------------------

def test_stats(output_file: Path, capsys):
    write_examples(output_file, [
        {"user": "hello", "metadata": {"session_id": "a"}, "at": dt.datetime(2025, 1, 2, 3, 4, 5)},
        {"user": "hello", "metadata": {"session_id": "b"}},
        {"user": "other", "reply": "long reply here"},
    ])
    status, out, _ = run("stats", capsys=capsys)
    assert status == 0
    assert "examples: 3" in out
    assert "captured: 2025-01-02 03:04:05 to 2025-11-19 20:10:46" in out
    assert "sessions: 2 (and 1 examples without a session_id)" in out
    assert "median characters: user message 5, system prompt 1, reply 1" in out
    assert "duplicates: 1" in out
    assert "damaged blocks: 0" in out


@pytest.mark.parametrize("name", sorted(p.name for p in (DATA / "invalid").glob("*.md")))
def test_check_reports_each_damaged_block_with_its_line(name: str, capsys):
    expected = json.loads((DATA / "invalid" / name).with_suffix(".json").read_text())
    status, out, _ = run("check", "--file", str(DATA / "invalid" / name), capsys=capsys)
    assert status == 1
    assert f"{name}:{expected['line']}: {expected['message']}" in out


def test_check_finds_an_empty_reply_and_passes_a_clean_file(output_file: Path, capsys):
    write_examples(output_file, [{"user": "fine"}])
    assert run("check", capsys=capsys)[0] == 0
    write_examples(output_file, [{"user": "q2", "reply": "  \n"}])
    status, out, _ = run("check", capsys=capsys)
    assert status == 1
    line = output_file.read_text().splitlines().index(ftc.RULE, 5) + 1  # the second block's first line
    assert f":{line}: example " in out and "has an empty reply" in out


def test_check_finds_empty_or_duplicate_rejected_responses(output_file: Path, capsys):
    (good,) = write_examples(output_file, [{"user": "fine", "rejected": ["another reply"]}])
    assert run("check", capsys=capsys)[0] == 0
    empty, same = write_examples(output_file, [{"user": "q2", "rejected": ["ok", " "]},
                                               {"user": "q3", "reply": "same", "rejected": ["same"]}])
    status, out, _ = run("check", capsys=capsys)
    assert status == 1
    assert f"example {ftc.example_id(empty)} has an empty rejected response 2" in out
    assert f"example {ftc.example_id(same)} has rejected response 1 equal to its reply" in out
    assert out.endswith("3 examples read, 2 problems\n")


def test_list_shows_id_time_praise_and_message(output_file: Path, capsys):
    (example,) = write_examples(output_file, [{"user": "What's my\ncat's name?", "praise": "Good one, Timmy!"}])
    status, out, _ = run("list", capsys=capsys)
    assert status == 0
    assert out == f"{ftc.example_id(example)}  2025-11-19 20:10  Good one, Timmy!          What's my cat's name?\n"


def test_ids_are_stable_and_distinct(output_file: Path):
    write_examples(output_file, [{"user": f"q{n}"} for n in range(50)])
    first = [ftc.example_id(e) for e in ftc.read_examples()]
    second = [ftc.example_id(e) for e in ftc.read_examples()]
    assert first == second and len(set(first)) == 50


def test_damaged_input_is_reported_and_the_rest_still_counted(capsys):
    path = DATA / "invalid" / "cut_off_mid_file.md"
    status, out, err = run("stats", "--file", str(path), capsys=capsys)
    assert status == 1
    assert "examples: 3" in out and "damaged blocks: 1" in out
    assert f"{path}:48: skipped a damaged example" in err


# --- remove -------------------------------------------------------------------------------------

def test_remove_deletes_only_the_named_examples(output_file: Path, capsys):
    ftc.capture_fine_tuning_example("keep 1", "s", "a", "great")
    gone = ftc.capture_fine_tuning_example("remove me", "s", "a", "great")
    ftc.capture_fine_tuning_example("keep 2", "s", "a", "great")
    before = output_file.read_text()
    status, out, _ = run("remove", ftc.example_id(gone), capsys=capsys)
    assert status == 0 and ftc.example_id(gone) in out
    assert [e.user_message for e in ftc.read_examples()] == ["keep 1", "keep 2"]
    assert output_file.read_text() == before.replace(ftc.render_example(gone, with_metadata=False), "")


def test_remove_with_an_unknown_id_changes_nothing(output_file: Path, capsys):
    ftc.capture_fine_tuning_example("q", "s", "a", "great")
    before = output_file.read_bytes()
    status, _, err = run("remove", "0123456789", capsys=capsys)
    assert status == 2
    assert err == "error: no example with id 0123456789; nothing was removed (see `list`)\n"
    assert output_file.read_bytes() == before


def test_remove_keeps_damaged_blocks_byte_for_byte(tmp_path: Path, capsys):
    path = tmp_path / "damaged.md"
    path.write_bytes((DATA / "invalid" / "cut_off_mid_file.md").read_bytes())
    first = next(ftc.read_examples(path, strict=False, on_error=lambda e: None))
    run("remove", "--file", str(path), ftc.example_id(first), capsys=capsys)
    assert "question 1" in path.read_text()  # the cut-off block is still there
    assert len(list(ftc.read_examples(path, strict=False, on_error=lambda e: None))) == 2


def test_remove_racing_concurrent_captures_loses_nothing(output_file: Path, capsys):
    doomed = [ftc.capture_fine_tuning_example(f"doomed {n}", "s", "a", "great") for n in range(20)]
    writer = subprocess.Popen([sys.executable, str(WRITER), "threads", str(output_file), "9", "2", "150"])
    for example in doomed:
        assert run("remove", ftc.example_id(example), capsys=capsys)[0] == 0
        time.sleep(0.01)
    assert writer.wait(timeout=120) == 0
    examples = list(ftc.read_examples())  # strict: nothing damaged
    keys = sorted(e.metadata["key"] for e in examples)
    assert keys == sorted(f"p9-t{t}-n{n}" for t in range(2) for n in range(150))
    assert not any(e.user_message.startswith("doomed") for e in examples)


# --- export -------------------------------------------------------------------------------------

TRICKY = "Here:\n```python\nprint('Example Captured')\n```\r\nZoë 🐈 مرحبا"


def export(fmt: str, output_file: Path, tmp_path: Path, capsys, *extra: str) -> list[dict]:
    out = tmp_path / f"{fmt}.jsonl"
    status, _, _ = run("export", "--format", fmt, "-o", str(out), *extra, capsys=capsys)
    assert status == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _two_examples(output_file: Path) -> None:
    write_examples(output_file, [
        {"user": TRICKY, "system": "persona\nMemories:\n• x", "reply": "reply one", "praise": "PRAISE-TEXT",
         "metadata": {"session_id": "METADATA-TEXT"}},
        {"user": "second", "system": "persona", "reply": TRICKY, "praise": "PRAISE-TEXT"},
    ])


def test_export_openai(output_file: Path, tmp_path: Path, capsys):
    _two_examples(output_file)
    records = export("openai", output_file, tmp_path, capsys)
    assert records[0] == {"messages": [
        {"role": "system", "content": "persona\nMemories:\n• x"},
        {"role": "user", "content": TRICKY},
        {"role": "assistant", "content": "reply one"},
    ]}
    for record in records:
        assert list(record) == ["messages"]
        assert [m["role"] for m in record["messages"]] == ["system", "user", "assistant"]
        assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) for m in record["messages"])


def test_export_sharegpt(output_file: Path, tmp_path: Path, capsys):
    _two_examples(output_file)
    records = export("sharegpt", output_file, tmp_path, capsys)
    assert records[1] == {"conversations": [
        {"from": "system", "value": "persona"},
        {"from": "human", "value": "second"},
        {"from": "gpt", "value": TRICKY},
    ]}
    for record in records:
        assert list(record) == ["conversations"]
        assert all(set(turn) == {"from", "value"} for turn in record["conversations"])  # no extra keys


def test_export_alpaca(output_file: Path, tmp_path: Path, capsys):
    _two_examples(output_file)
    records = export("alpaca", output_file, tmp_path, capsys)
    assert records[0] == {
        "instruction": TRICKY, "input": "", "output": "reply one", "system": "persona\nMemories:\n• x"}
    assert all(set(r) == {"instruction", "input", "output", "system"} for r in records)


@pytest.mark.parametrize("fmt", ftc.EXPORT_FORMATS)
def test_praise_and_metadata_never_enter_training_text(fmt: str, output_file: Path, tmp_path: Path, capsys):
    _two_examples(output_file)
    text = json.dumps(export(fmt, output_file, tmp_path, capsys))
    assert "PRAISE-TEXT" not in text and "METADATA-TEXT" not in text


def test_round_trip_from_capture_to_export(output_file: Path, tmp_path: Path, capsys):
    history = [ftc.Exchange(TRICKY, "system " + TRICKY, "reply " + TRICKY)]
    ftc.on_user_message(history, "Good one, Timmy!", {"session_id": "s"})
    (record,) = export("openai", output_file, tmp_path, capsys)
    assert [m["content"] for m in record["messages"]] == ["system " + TRICKY, TRICKY, "reply " + TRICKY]


def test_duplicates_are_exported_once(output_file: Path, tmp_path: Path, capsys):
    write_examples(output_file, [{"user": "same", "praise": "great"}, {"user": "same", "praise": "perfect"},
                                 {"user": "other"}])
    assert [r["instruction"] for r in export("alpaca", output_file, tmp_path, capsys)] == ["same", "other"]


def test_since_and_until_are_inclusive_days(output_file: Path, tmp_path: Path, capsys):
    write_examples(output_file, [{"user": f"day {d}", "at": dt.datetime(2025, 11, d, 12)} for d in (18, 19, 20, 21)])
    records = export("alpaca", output_file, tmp_path, capsys, "--since", "2025-11-19", "--until", "2025-11-20")
    assert [r["instruction"] for r in records] == ["day 19", "day 20"]


def test_validation_split_is_by_session_and_deterministic(output_file: Path, tmp_path: Path, capsys):
    write_examples(output_file, [{"user": f"s{s} e{e}", "metadata": {"session_id": f"s{s}"}}
                                 for s in range(40) for e in range(3)])
    args = ("--val-fraction", "0.25", "--val-out", str(tmp_path / "val.jsonl"))
    train = export("alpaca", output_file, tmp_path, capsys, *args)
    val = [json.loads(line) for line in (tmp_path / "val.jsonl").read_text().splitlines()]
    assert len(train) + len(val) == 120
    sessions = lambda records: {r["instruction"].split()[0] for r in records}  # noqa: E731
    assert not sessions(train) & sessions(val)
    assert 4 <= len(sessions(val)) <= 18
    assert export("alpaca", output_file, tmp_path, capsys, *args) == train


def test_export_to_stdout_and_source_untouched(output_file: Path, capsys):
    _two_examples(output_file)
    before = output_file.read_bytes()
    status, out, err = run("export", "--format", "openai", "-o", "-", capsys=capsys)
    assert status == 0 and len(out.splitlines()) == 2
    assert "exported 2 training and 0 validation examples" in err
    assert output_file.read_bytes() == before


def test_export_of_a_damaged_file_keeps_the_intact_examples(tmp_path: Path, capsys):
    out = tmp_path / "out.jsonl"
    path = DATA / "invalid" / "cut_off_mid_file.md"
    status, _, err = run("export", "--file", str(path), "--format", "openai", "-o", str(out), capsys=capsys)
    assert status == 1
    assert len(out.read_text().splitlines()) == 3
    assert ":48: skipped a damaged example" in err


def test_export_leaves_no_partial_output_when_it_fails(output_file: Path, tmp_path: Path, capsys, monkeypatch):
    _two_examples(output_file)
    out = tmp_path / "out.jsonl"
    out.write_text("old contents\n")

    def full_disk(batches):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ftc._LineBatches, "flush", full_disk)
    status, _, err = run("export", "--format", "openai", "-o", str(out), capsys=capsys)
    assert status == 2 and "No space left on device" in err
    assert out.read_text() == "old contents\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(("argv", "message"), [
    (["export", "--format", "openai", "-o", "x", "--val-fraction", "0.2"], "--val-fraction needs --val-out"),
    (["export", "--format", "openai", "-o", "x", "--val-fraction", "1.5", "--val-out", "y"], "below 1"),
    (["export", "--format", "openai", "-o", "x", "--since", "last tuesday"], "--since takes a date"),
    (["stats", "--file", "/nonexistent/examples.md"], "no such file: /nonexistent/examples.md"),
    (["export", "--format", "openai", "-o", "-", "--file", "/nonexistent.md"], "no such file: /nonexistent.md"),
    (["remove", "--file", "/nonexistent.md", "0123456789"], "no such file: /nonexistent.md"),
    (["backfill", "--file", "/tmp", str(SAMPLE_LOG)], "a folder, not an examples file"),
])
def test_errors_are_one_line_and_status_2(argv: list[str], message: str, output_file: Path, capsys):
    write_examples(output_file, [{}])
    status, _, err = run(*argv, capsys=capsys)
    assert status == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_module_runs_as_a_program(output_file: Path):
    write_examples(output_file, [{}])
    result = subprocess.run([sys.executable, "-m", "fine_tuning_capture", "stats"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "examples: 1" in result.stdout


# --- backfill -----------------------------------------------------------------------------------

def test_backfill_captures_praised_exchanges_with_the_prompt_before_the_reply(output_file: Path, capsys):
    status, out, _ = run("backfill", str(SAMPLE_LOG), capsys=capsys)
    assert status == 0
    assert "captured 2 examples" in out
    first, second = ftc.read_examples()
    assert first.user_message == "What's my cat's name?"
    assert "Current time: 2025-11-19 20:09:12" in first.system_prompt  # not the prompt built for the praise
    assert first.praise_message == "Good one, Timmy!"
    assert first.metadata["source"] == str(SAMPLE_LOG) and first.metadata["line"] == 1
    assert first.metadata["praise_match"]["matched"] == "good one timmy"
    assert second.user_message == "Suggest a quick dinner." and second.metadata["line"] == 3


def test_backfill_twice_captures_nothing_new(output_file: Path, capsys):
    run("backfill", str(SAMPLE_LOG), capsys=capsys)
    before = output_file.read_bytes()
    status, out, _ = run("backfill", str(SAMPLE_LOG), capsys=capsys)
    assert status == 0 and "captured 0 examples (2 already in the file)" in out
    assert output_file.read_bytes() == before


def test_backfill_reports_bad_lines_and_goes_on(tmp_path: Path, output_file: Path, capsys):
    log = tmp_path / "log.jsonl"
    good = {"messages": [{"role": "user", "content": [{"type": "text", "text": "Joke?"}]},
                         {"role": "assistant", "content": "No."}, {"role": "user", "content": "nailed it"}]}
    log.write_text("{not json\n" + json.dumps({"messages": "nope"}) + "\n" + json.dumps(good) + "\n")
    status, out, err = run("backfill", str(log), str(tmp_path / "missing.jsonl"), capsys=capsys)
    assert status == 1
    assert f"{log}:1: " in err and f"{log}:2: " in err and "missing.jsonl: cannot read" in err
    assert "captured 1 examples" in out
    assert next(ftc.read_examples()).user_message == "Joke?"


# The peak resident memory, in MB, of the child process that runs this code.  Not ru_maxrss: a child
# started by vfork (as subprocess does) inherits the parent's figure, so the test's own size leaked in.
PEAK_MB = """
try:
    with open("/proc/self/status") as status:
        print(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024)
except (OSError, StopIteration):
    import resource
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _peak_mb(code: str) -> float:
    result = subprocess.run([sys.executable, "-c", f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n{code}\n{PEAK_MB}"],
                            capture_output=True, text=True, timeout=300, check=True)
    return float(result.stdout.split()[-1])


def _write_megabytes(path: Path, megabytes: int) -> None:
    """About *megabytes* MB of distinct ~6 KB examples."""
    reply = "Winston, of course - the feline overlord who demands treats. " * 80
    with open(path, "w", encoding="utf-8") as stream:
        for n in range(megabytes * 1_000_000 // 6_000):
            example = ftc._make_example(f"question {n}\n```\ncode\n```", "persona\n• memory", f"{n} {reply}", "great",
                                        {"session_id": f"s{n // 7}"}, dt.datetime(2025, 1, 1))
            stream.write(ftc.render_example(example))


def test_export_memory_stays_flat_as_the_file_grows(tmp_path: Path):
    """Peak memory of exports of a 2 MB and a 40 MB file, each in a child, beside a child that only imports."""
    baseline = _peak_mb("import fine_tuning_capture")
    peaks = {}
    for megabytes in (2, 40):
        path = tmp_path / f"{megabytes}.md"
        _write_megabytes(path, megabytes)
        peaks[megabytes] = _peak_mb(f"import fine_tuning_capture as ftc\nftc.main(['export', '--file', {str(path)!r},"
                                    f" '--format', 'openai', '-o', {str(tmp_path / 'out.jsonl')!r}])")
    # An export that held the file, or its records, would grow by 40 MB or more.
    assert peaks[40] - peaks[2] < 10, (baseline, peaks)
    assert peaks[40] - baseline < 25, (baseline, peaks)


def test_rewrites_keep_permissions_and_new_exports_are_not_private(output_file: Path, tmp_path: Path, capsys):
    gone = ftc.capture_fine_tuning_example("remove me", "s", "a", "great")
    ftc.capture_fine_tuning_example("keep", "s", "a", "great")
    output_file.chmod(0o640)
    run("remove", ftc.example_id(gone), capsys=capsys)
    assert output_file.stat().st_mode & 0o777 == 0o640
    out = tmp_path / "train.jsonl"
    run("export", "--format", "openai", "-o", str(out), capsys=capsys)
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
