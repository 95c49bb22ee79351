"""Writing: where the file goes, and that every example lands whole under concurrency, crashes and faults."""

from __future__ import annotations

import datetime
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT
from writer_process import content

import fine_tuning_capture as ftc

WRITER = Path(__file__).resolve().parent / "writer_process.py"


# --- where it writes ----------------------------------------------------------------------------

def test_path_argument_wins_over_environment(tmp_path: Path, output_file: Path):
    target = tmp_path / "chosen.md"
    ftc.capture_fine_tuning_example("q", "s", "a", "great", path=target)
    assert target.exists() and not output_file.exists()


def test_environment_variable_is_used(output_file: Path):
    ftc.capture_fine_tuning_example("q", "s", "a", "great")
    assert output_file.exists()


def test_default_is_beside_the_module_whatever_the_current_directory(monkeypatch, tmp_path: Path):
    monkeypatch.delenv(ftc.OUTPUT_ENV_VAR)
    monkeypatch.chdir(tmp_path)
    assert ftc.resolve_path() == ROOT / "fine_tuning_best_case_interchanges.md"
    assert ftc.DEFAULT_OUTPUT_PATH.is_absolute()


def test_relative_path_is_made_absolute(monkeypatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    assert ftc.resolve_path("x/y.md") == tmp_path / "x" / "y.md"


def test_missing_parent_folders_are_created(tmp_path: Path):
    target = tmp_path / "a" / "b" / "examples.md"
    written = ftc.capture_fine_tuning_example("q", "s", "a", "great", path=target)
    assert list(ftc.read_examples(target)) == [written]


def test_new_file_starts_with_the_banner_comment(output_file: Path):
    ftc.capture_fine_tuning_example("q", "s", "a", "great")
    assert output_file.read_text().startswith(ftc.FILE_BANNER)


def test_repository_output_file_has_only_the_banner():
    committed = (ROOT / "fine_tuning_best_case_interchanges.md").read_text()
    assert committed.startswith("<!--") and "Example Captured" not in committed
    assert list(ftc.read_examples(ROOT / "fine_tuning_best_case_interchanges.md")) == []


# --- concurrency ------------------------------------------------------------------------------

def test_threads_and_processes_lose_and_garble_nothing(output_file: Path):
    processes, threads, count = 4, 8, 70  # 2,240 blocks
    children = [
        subprocess.Popen([sys.executable, str(WRITER), "threads", str(output_file), str(p), str(threads), str(count)])
        for p in range(processes)
    ]
    assert [child.wait(timeout=300) for child in children] == [0] * processes
    examples = list(ftc.read_examples())  # strict: any damage raises
    assert len(examples) == processes * threads * count
    assert output_file.read_bytes().count(b"Example Captured") == len(examples)
    keys = set()
    for example in examples:
        key = example.metadata["key"]
        keys.add(key)
        assert (example.user_message, example.system_prompt, example.assistant_response) == content(key)
    assert len(keys) == len(examples)


@pytest.mark.skipif(ftc.fcntl is None, reason="needs fcntl")
def test_capture_waits_for_a_lock_held_by_another_process(output_file: Path):
    output_file.write_text(ftc.FILE_BANNER)
    with open(output_file, "rb") as holder:
        ftc.fcntl.flock(holder, ftc.fcntl.LOCK_EX)
        child = subprocess.Popen([sys.executable, str(WRITER), "threads", str(output_file), "0", "1", "1"])
        time.sleep(1.0)
        assert child.poll() is None, "capture did not wait for the lock"
        assert output_file.read_text() == ftc.FILE_BANNER
        ftc.fcntl.flock(holder, ftc.fcntl.LOCK_UN)
        assert child.wait(timeout=30) == 0
    assert [e.metadata["key"] for e in ftc.read_examples()] == ["p0-t0-n0"]


def test_threads_in_one_process(output_file: Path):
    def work(t: int) -> None:
        for n in range(25):
            ftc.capture_fine_tuning_example(*content(f"{t}-{n}"), "great", {"key": f"{t}-{n}"})

    workers = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(e.metadata["key"] for e in ftc.read_examples()) == sorted(
        f"{t}-{n}" for t in range(8) for n in range(25))


# --- crashes ---------------------------------------------------------------------------------

def test_writer_killed_at_random_moments_loses_nothing_it_finished(output_file: Path):
    rng = random.Random(20251119)
    finished: set[str] = set()
    for _ in range(15):
        child = subprocess.Popen([sys.executable, str(WRITER), "forever", str(output_file), "3000000"],
                                 stdout=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.15, 0.6))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        finished.update(out.split())
    # However the kills fell, force one block cut off mid-write before the next capture.  It starts on a
    # line of its own, as capture starts a block after a cut-off one: glued to a block cut off mid-line,
    # it could close that block's last fence and make it read as a whole example without metadata.
    cut = ftc._make_example(*content("cut", 5000), "great", {"key": "cut"}, datetime.datetime.now())
    with open(output_file, "ab+") as stream:
        if os.pread(stream.fileno(), 1, os.fstat(stream.fileno()).st_size - 1) != b"\n":
            stream.write(b"\n")
        stream.write(ftc.render_example(cut).encode()[:7000])
    errors: list[ftc.FormatError] = []
    read = list(ftc.read_examples(strict=False, on_error=errors.append))
    keys = [e.metadata["key"] for e in read]
    assert finished <= set(keys), "an example the writer finished was lost"
    for example in read:
        assert (example.user_message, example.system_prompt, example.assistant_response) == content(
            example.metadata["key"], 3000000)
    assert 1 <= len(errors) <= 16
    after = ftc.capture_fine_tuning_example("after the crash", "s", "a", "great", {"key": "after"})
    assert list(ftc.read_examples(strict=False, on_error=lambda e: None))[-1] == after


# --- faults: capture never breaks the chat -------------------------------------------------------

SESSION = [ftc.Exchange("What's my cat's name?", "You are Little Timmy...", "Winston, obviously.")]


def _assert_failure_logged(caplog: pytest.LogCaptureFixture, reason: str) -> None:
    assert "fine-tuning capture failed" in caplog.text
    assert reason in caplog.text


def test_folder_where_the_file_should_be(tmp_path: Path, caplog):
    folder = tmp_path / "examples.md"
    folder.mkdir()
    history = [ftc.Exchange(*vars(SESSION[0]).values())]
    assert ftc.on_user_message(history, "Good one, Timmy!", path=folder) is None
    _assert_failure_logged(caplog, "IsADirectoryError")
    assert history[0].captured is False


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_disk(caplog):
    history = [ftc.Exchange(*vars(SESSION[0]).values())]
    assert ftc.on_user_message(history, "perfect", path="/dev/full") is None
    _assert_failure_logged(caplog, "No space left on device")


def _drop_root_file_powers() -> None:
    """In the child: give up root's right to ignore file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone from the exec'd program
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _hook_in_child(target: Path) -> subprocess.CompletedProcess:
    """Call the chat hook in a child process that is bound by file permissions, even when we are root."""
    code = f"""
import json, logging, sys
sys.path.insert(0, {str(ROOT)!r})
import fine_tuning_capture as ftc
logging.basicConfig(stream=sys.stderr)
print(json.dumps(ftc.on_user_message([ftc.Exchange("q", "s", "a")], "great response", path={str(target)!r}) is None))
"""
    preexec = _drop_root_file_powers if os.geteuid() == 0 else None
    return subprocess.run([sys.executable, "-c", code], preexec_fn=preexec, capture_output=True, text=True, timeout=60)


def test_permission_denied_on_the_folder(tmp_path: Path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    result = _hook_in_child(locked / "examples.md")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) is True
    assert "PermissionError" in result.stderr and "fine-tuning capture failed" in result.stderr
    assert not (locked / "examples.md").exists()


def test_read_only_file(tmp_path: Path):
    target = tmp_path / "examples.md"
    target.write_text(ftc.FILE_BANNER)
    target.chmod(0o444)
    result = _hook_in_child(target)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) is True
    assert "PermissionError" in result.stderr
    assert target.read_text() == ftc.FILE_BANNER


def test_write_failing_part_way_is_truncated_back(tmp_path: Path):
    """A file-size limit makes the second write fail after a partial write: nothing of it may remain."""
    target = tmp_path / "examples.md"
    code = f"""
import json, os, resource, signal, sys
sys.path.insert(0, {str(ROOT)!r})
import fine_tuning_capture as ftc
first = ftc.capture_fine_tuning_example("q", "s", "a", "great", path={str(target)!r})
size = os.path.getsize({str(target)!r})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 1000, resource.RLIM_INFINITY))
history = [ftc.Exchange("big " * 50000, "s", "a")]
print(json.dumps([ftc.on_user_message(history, "perfect", path={str(target)!r}) is None, size]))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    failed, size = json.loads(result.stdout)
    assert failed is True
    assert "File too large" in result.stderr
    assert target.stat().st_size == size
    assert [e.user_message for e in ftc.read_examples(target)] == ["q"]


@pytest.mark.parametrize("rejected", [0, 300])  # 300 rejected replies: more parts than one writev takes
def test_writes_that_take_part_of_the_block_still_append_all_of_it(rejected: int, output_file: Path, monkeypatch):
    calls = []

    def short_writev(fd: int, buffers: list) -> int:
        calls.append(len(buffers))
        return os.write(fd, bytes(buffers[0])[:7])  # as a system call interrupted early may

    monkeypatch.setattr(os, "writev", short_writev)
    monkeypatch.setattr(os, "write", lambda fd, data, write=os.write: write(fd, bytes(data)[:7]))
    example = ftc.capture_fine_tuning_example("q " * 40_000, "s", "a", "great", {"n": 1},  # large: writev
                                              rejected_responses=[f"r{n}" for n in range(rejected)])
    assert list(ftc.read_examples(output_file)) == [example]
    assert output_file.read_text(encoding="utf-8") == ftc.FILE_BANNER + "\n" + ftc.render_example(example)
    assert bool(calls) == (rejected == 0)


# --- the chat hook ----------------------------------------------------------------------------

def _history() -> list[ftc.Exchange]:
    return [
        ftc.Exchange("My cat is Winston", "prompt 1 at 20:09", "Noted. Riveting."),
        ftc.Exchange("What's my cat's name?", "prompt 2 at 20:10 with memory of Winston", "Winston, of course."),
    ]


def test_first_message_of_a_session_captures_nothing(output_file: Path):
    assert ftc.on_user_message([], "Good one, Timmy!") is None
    assert not output_file.exists()


def test_plain_message_captures_nothing(output_file: Path):
    assert ftc.on_user_message(_history(), "What time is it?") is None
    assert not output_file.exists()


def test_praise_captures_the_previous_exchange_with_its_own_prompt(output_file: Path):
    history = _history()
    example = ftc.on_user_message(history, "Good one, Timmy!", {"session_id": "abc123"})
    assert example is not None
    assert (example.user_message, example.system_prompt, example.assistant_response) == (
        "What's my cat's name?", "prompt 2 at 20:10 with memory of Winston", "Winston, of course.")
    assert example.praise_message == "Good one, Timmy!"
    assert example.metadata["session_id"] == "abc123"
    assert len(example.metadata["timestamp"]) == len("2025-11-19 20:10:46")
    assert list(ftc.read_examples()) == [example]
    assert history[1].captured


def test_praised_twice_in_a_row_is_captured_once(output_file: Path):
    history = _history()
    assert ftc.on_user_message(history, "Great!") is not None
    history.append(ftc.Exchange("Great!", "prompt 3", "I know."))
    assert ftc.on_user_message(history, "Perfect!") is None
    assert len(list(ftc.read_examples())) == 1


def test_praise_of_a_later_exchange_is_captured_too(output_file: Path):
    history = _history()
    ftc.on_user_message(history, "Great!")
    history += [ftc.Exchange("Great!", "p3", "I know."), ftc.Exchange("And my dog?", "p4", "Rex.")]
    assert ftc.on_user_message(history, "nice one").user_message == "And my dog?"
