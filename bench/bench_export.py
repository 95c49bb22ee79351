"""Export speed and memory on large examples files: MB/s, examples/s and peak memory.

    python bench/bench_export.py [--sizes 50 500] [--format openai] [--dir DIR]

Writes examples files of the given sizes (MB) with ~5 KB examples, then times
`python -m fine_tuning_capture export` on each in a child process and reads
the child's peak resident memory.  Flat memory shows as the same peak for
every size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fine_tuning_capture as ftc  # noqa: E402

SYSTEM = "You are Little Timmy, a sarcastic but helpful assistant.\nMemories:\n" + "".join(
    f"• [Personal Data, Importance: {1 + n % 5}] User ({n}h ago) - remembered fact number {n}\n" for n in range(40))


def write_file(path: Path, megabytes: int) -> int:
    """Write about *megabytes* MB of distinct examples; return how many."""
    target, count = megabytes * 1_000_000, 0
    start = dt.datetime(2025, 1, 1)
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(ftc.FILE_BANNER + "\n")
        while stream.tell() < target:
            example = ftc._make_example(
                f"Question {count}: what did I say about the vet?\n```\ncode {count}\n```", SYSTEM,
                f"Reply {count}: " + "Winston, of course - the feline overlord who demands treats. " * 40,
                "Good one, Timmy!", {"session_id": f"s{count // 7}", "n": count},
                start + dt.timedelta(minutes=count))
            stream.write(ftc.render_example(example))
            count += 1
    return count


def export(path: Path, fmt: str, out: Path) -> tuple[float, float]:
    """Seconds taken and peak resident MB of a child process that exports *path*."""
    code = (f"import sys, resource; sys.path.insert(0, {str(ROOT)!r}); import fine_tuning_capture as f; "
            f"status = f.main(['export', '--file', {str(path)!r}, '--format', {fmt!r}, '-o', {str(out)!r}]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(status)")
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    return seconds, int(result.stdout.split()[-1]) / 1024  # ru_maxrss is in KB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500], metavar="MB")
    parser.add_argument("--format", default="openai", choices=ftc.EXPORT_FORMATS)
    parser.add_argument("--dir", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    print(f"{'file MB':>8} {'examples':>9} {'seconds':>8} {'MB/s':>6} {'examples/s':>10} {'peak MB':>8}")
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        for megabytes in args.sizes:
            path = Path(folder) / f"examples-{megabytes}.md"
            count = write_file(path, megabytes)
            size = path.stat().st_size / 1_000_000
            seconds, peak = export(path, args.format, Path(folder) / "out.jsonl")
            print(f"{size:8.0f} {count:9} {seconds:8.1f} {size / seconds:6.1f} {count / seconds:10.0f} {peak:8.1f}")
            path.unlink()


if __name__ == "__main__":
    main()
