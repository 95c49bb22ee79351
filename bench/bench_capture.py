"""Capture time beside a raw locked append + fsync of the same bytes: a ~4 KB example and a 10 MB message.

    python bench/bench_capture.py [--runs N] [--big-runs N] [--dir DIR] [--reference OLD.py]

For each size, the runs alternate: a capture by this checkout's module, a
capture by the --reference version of fine_tuning_capture.py if given (e.g.
one saved by `git show HEAD~5:fine_tuning_capture.py > /tmp/old.py`), and the
raw write: open with O_APPEND, flock, write the example's rendered bytes,
fsync, close; and "encode+raw", the same raw write after encoding the user
message to UTF-8 (what any capture of a str must add).  Every timed write appends to a
new file that holds only the banner.  The 10 MB message is plain ASCII with a
code fence on every line (as in the tests), then text with accents and emoji.
Also prints render time alone and captures/s from 8 threads.  The files go in
a temporary folder under DIR (default: this folder, on the project's own disk
rather than a RAM-backed /tmp).
"""

from __future__ import annotations

import argparse
import fcntl
import importlib.util
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fine_tuning_capture as ftc

USER = "What's my cat's name, and what did I say about the vet last week?"
SYSTEM = (
    "You are Little Timmy, a sarcastic but helpful assistant.\nCurrent time: 2025-11-19 20:10:46\nMemories:\n"
    + "".join(f"• [Personal Data, Importance: {1 + n % 5}] User ({n}h ago) - remembered fact number {n} about the "
              "user's cat, the vet, and the treats.\n" for n in range(22))
)
REPLY = "Winston, of course - the feline overlord who demands treats. " * 12
METADATA = {"session_id": "abc123", "timestamp": "2025-11-19 20:10:46", "model": "llama3.2"}
BIG_MESSAGES = {
    "10 MB ASCII": ("All work and no play makes Timmy a dull boy. ```\n" * 210_000)[:10_000_000],
    "10 MB accents+emoji": ("Zoë's cat 🐈 wants treats, as ever. ```\n" * 280_000)[:10_000_000],
}


def raw_append(path: Path, data: bytes) -> None:
    """What any durable append must do: open, lock, write it all, fsync."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def load_reference(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_fine_tuning_capture", path)
    assert spec is not None and spec.loader is not None
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)  # dataclasses look it up there
    spec.loader.exec_module(module)
    return module


def alternate(runs: int, folder: Path, contenders: dict[str, Callable[[Path], object]]) -> dict[str, list[float]]:
    """Seconds per run of each contender, taking turns (in a rotating order), each run into a new file."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for number in range(runs):
        for name in names[number % len(names) :] + names[: number % len(names)]:  # each goes first in turn
            run = contenders[name]
            path = folder / f"{name.replace(' ', '-')}-{number}.md"
            path.write_text(ftc.FILE_BANNER + "\n")  # as most captures find it: the file already there
            start = time.perf_counter()
            run(path)
            times[name].append(time.perf_counter() - start)
            path.unlink()
    return times


def report(title: str, times: dict[str, list[float]], unit: str, scale: float) -> None:
    raw = statistics.median(times["raw write"])
    print(title)
    for name, values in times.items():
        ordered = sorted(values)
        median = statistics.median(ordered)
        print(f"  {name:>10}: median {median * scale:8.1f} {unit} (range {ordered[0] * scale:.1f}-"
              f"{ordered[-1] * scale:.1f}), {median / raw:.2f}x the raw write")


def contenders(modules: dict[str, ModuleType], user: str, block: str) -> dict[str, Callable[[Path], object]]:
    runs: dict[str, Callable[[Path], object]] = {
        name: (lambda path, module=module: module.capture_fine_tuning_example(
            user, SYSTEM, REPLY, "Good one, Timmy!", METADATA, path=path))
        for name, module in modules.items()}
    encoded = block.encode("utf-8")
    runs["raw write"] = lambda path: raw_append(path, encoded)
    # The least a capture of a str must add: encoding the message (into new memory, at its own width).
    runs["encode+raw"] = lambda path: (user.encode("utf-8"), raw_append(path, encoded))
    return runs


def threaded(path: Path, threads: int, per_thread: int) -> float:
    def work() -> None:
        for _ in range(per_thread):
            ftc.capture_fine_tuning_example(USER, SYSTEM, REPLY, "Good one, Timmy!", METADATA, path=path)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return threads * per_thread / (time.perf_counter() - start)


def timeit_render(example: ftc.Example, n: int = 1000) -> float:
    start = time.perf_counter()
    for _ in range(n):
        ftc.render_example(example)
    return (time.perf_counter() - start) / n


def rendered(user: str) -> str:
    """The block a capture of *user* appends (the banner aside): the raw write writes its bytes."""
    example = ftc._make_example(user, SYSTEM, REPLY, "Good one, Timmy!", METADATA, ftc._dt.datetime.now())
    return ftc.render_example(example)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500, help="runs of the 4 KB example (default 500)")
    parser.add_argument("--big-runs", type=int, default=15, help="runs of each 10 MB message (default 15)")
    parser.add_argument("--dir", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--reference", type=Path, metavar="OLD.py", help="another version of fine_tuning_capture.py")
    args = parser.parse_args()
    modules = {"capture": ftc}
    if args.reference:
        modules["reference"] = load_reference(args.reference)
    with tempfile.TemporaryDirectory(dir=args.dir) as temp:
        folder = Path(temp)
        block = rendered(USER)
        print(f"folder: {args.dir}; the ~4 KB example block is {len(block.encode())} bytes")
        alternate(20, folder, contenders(modules, USER, block))  # warm up
        report(f"one ~4 KB capture (render + locked append + fsync), {args.runs} runs:",
               alternate(args.runs, folder, contenders(modules, USER, block)), "µs", 1e6)
        for title, message in BIG_MESSAGES.items():
            report(f"a {title} message, {args.big_runs} runs:",
                   alternate(args.big_runs, folder, contenders(modules, message, rendered(message))), "ms", 1e3)
        example = ftc._make_example(USER, SYSTEM, REPLY, "Good one, Timmy!", METADATA, ftc._dt.datetime.now())
        print(f"render alone (~4 KB): {min(timeit_render(example) for _ in range(5)) * 1e6:.1f} µs")
        print(f"8 threads: {threaded(folder / 'threads.md', 8, max(8, args.runs // 8)):.0f} captures/s")


if __name__ == "__main__":
    main()
