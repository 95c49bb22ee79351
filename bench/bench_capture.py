"""Time one capture (render + locked append + fsync) of a ~4 KB example, and captures/s from 8 threads.

    python bench/bench_capture.py [--runs N] [--dir DIR]

The file goes in a temporary folder under DIR (default: this folder, on the
project's own disk rather than a RAM-backed /tmp).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fine_tuning_capture as ftc  # noqa: E402

USER = "What's my cat's name, and what did I say about the vet last week?"
SYSTEM = (
    "You are Little Timmy, a sarcastic but helpful assistant.\nCurrent time: 2025-11-19 20:10:46\nMemories:\n"
    + "".join(f"• [Personal Data, Importance: {1 + n % 5}] User ({n}h ago) - remembered fact number {n} about the "
              "user's cat, the vet, and the treats.\n" for n in range(22))
)
REPLY = "Winston, of course - the feline overlord who demands treats. " * 12
METADATA = {"session_id": "abc123", "timestamp": "2025-11-19 20:10:46", "model": "llama3.2"}


def single(path: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        ftc.capture_fine_tuning_example(USER, SYSTEM, REPLY, "Good one, Timmy!", METADATA, path=path)
        times.append(time.perf_counter() - start)
    return times


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        path = Path(folder) / "examples.md"
        example = ftc._make_example(USER, SYSTEM, REPLY, "Good one, Timmy!", METADATA, ftc._dt.datetime.now())
        size = len(ftc.render_example(example).encode())
        single(path, 50)  # warm up
        times = sorted(single(path, args.runs))
        median = statistics.median(times) * 1e6
        p99 = times[int(len(times) * 0.99) - 1] * 1e6
        render = min(timeit_render(example) for _ in range(5)) * 1e6
        rate = threaded(Path(folder) / "threads.md", 8, args.runs // 8)
    print(f"example block: {size} bytes; runs: {args.runs}; folder: {args.dir}")
    print(f"one capture (render + locked append + fsync): median {median:.0f} µs, p99 {p99:.0f} µs")
    print(f"render alone: {render:.1f} µs")
    print(f"8 threads: {rate:.0f} captures/s")


def timeit_render(example: ftc.Example, n: int = 1000) -> float:
    start = time.perf_counter()
    for _ in range(n):
        ftc.render_example(example)
    return (time.perf_counter() - start) / n


if __name__ == "__main__":
    main()
