"""Export speed and memory on large examples files: MB/s, the ratio to reading + json.dumps, peak memory.

    python bench/bench_export.py [--sizes 200 500] [--format openai] [--rounds 3] [--dir DIR]
                                 [--reference OLD.py] [--keep] [--retries]

Writes an examples file of each size (MB) of ~6 KB examples, then runs, in
rounds and each in a child process of its own, one after the other on the
same file:

* floor: read the file's lines, then json.dumps the same training records
  (built beforehand, untimed): what any export must at least do;
* export: `export --format FORMAT` with this checkout's module, timed inside
  the child, with the child's peak memory;
* reference, with --reference: the same export by another version of the
  module, e.g. one saved by `git show HEAD~5:fine_tuning_capture.py > /tmp/old.py`.
  Its output must be byte-identical to the export's.

The ratio is export time / floor time within one round, so both ran under
the same load; on a shared machine, read the ranges, not one run.  Peak
memory is the child's own high-water mark (VmHWM in /proc/self/status):
ru_maxrss would also count the parent, whose size a child started by vfork
inherits.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fine_tuning_capture as ftc

ROOT = Path(ftc.__file__).resolve().parent

SYSTEM = "You are Little Timmy, a sarcastic but helpful assistant.\nMemories:\n" + "".join(
    f"• [Personal Data, Importance: {1 + n % 5}] User ({n}h ago) - remembered fact number {n}\n" for n in range(40))

# Run in every child: the child's own peak resident memory in MB.
PEAK_MB = """
def peak_mb():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

EXPORT = PEAK_MB + """
import sys, time
sys.path.insert(0, {folder!r})
import fine_tuning_capture
started = time.perf_counter()
status = fine_tuning_capture.main(["export", "--file", {path!r}, "--format", {fmt!r}, "-o", {out!r}])
print(time.perf_counter() - started, peak_mb(), status)
"""

FLOOR = PEAK_MB + """
import json, sys, time
sys.path.insert(0, {folder!r})
import fine_tuning_capture
records = [record for example in fine_tuning_capture.read_examples({path!r})
           for record in fine_tuning_capture.training_records(example, {fmt!r})]
started = time.perf_counter()
with open({path!r}, "rb") as stream:
    for line in stream:
        pass
read = time.perf_counter() - started
started = time.perf_counter()
for record in records:
    json.dumps(record, ensure_ascii=False)
print(read + time.perf_counter() - started, peak_mb(), 0)
"""


def write_file(path: Path, megabytes: int, retries: bool = False) -> int:
    """Write about *megabytes* MB of examples, distinct unless *retries*; return how many.

    With *retries*, every 4th example holds a reply a retry replaced (so dpo and kto have pairs) and
    every 50th repeats the texts of the one before it (a duplicate).
    """
    target, count = megabytes * 1_000_000, 0
    start = dt.datetime(2025, 1, 1)
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(ftc.FILE_BANNER + "\n")
        while stream.tell() < target:
            number = count - 1 if retries and count % 50 == 49 else count
            example = ftc._make_example(
                f"Question {number}: what did I say about the vet?\n```\ncode {number}\n```", SYSTEM,
                f"Reply {number}: " + "Winston, of course - the feline overlord who demands treats. " * 40,
                "Good one, Timmy!", {"session_id": f"s{count // 7}", "n": count},
                start + dt.timedelta(minutes=count),
                [f"Rejected {number}: " + "I don't know your cat's name. " * 40] if retries and number % 4 == 0 else [])
            stream.write(ftc.render_example(example))
            count += 1
    return count


def run_child(template: str, folder: Path, path: Path, fmt: str, out: Path) -> tuple[float, float, str]:
    """Seconds, peak MB and the report on stderr of one child running *template*."""
    code = template.format(folder=str(folder), path=str(path), fmt=fmt, out=str(out))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, peak, _ = result.stdout.split()
    return float(seconds), float(peak), result.stderr


def digest(path: Path) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest() if hasattr(hashlib, "file_digest") else (
            hashlib.sha256(stream.read()).hexdigest())


def span(values: list[float], form: str) -> str:
    return f"{min(values):{form}}-{max(values):{form}}" if len(values) > 1 else f"{values[0]:{form}}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 500], metavar="MB")
    parser.add_argument("--format", default="openai", choices=ftc.EXPORT_FORMATS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--reference", type=Path, metavar="OLD.py", help="another version of fine_tuning_capture.py")
    parser.add_argument("--keep", action="store_true", help="reuse examples-MB.md files in --dir if present")
    parser.add_argument("--retries", action="store_true",
                        help="every 4th example with a reply a retry replaced, every 50th a duplicate")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as temp:
        folder = Path(temp)
        runs = {"floor": (FLOOR, ROOT), "export": (EXPORT, ROOT)}
        if args.reference:
            (folder / "reference").mkdir()
            shutil.copy(args.reference, folder / "reference" / "fine_tuning_capture.py")
            runs["reference"] = (EXPORT, folder / "reference")
        print(f"{'file MB':>8} {'examples':>9} {'round':>5} {'run':>9} {'seconds':>8} {'MB/s':>6} {'ratio':>6}"
              f" {'peak MB':>8}")
        for megabytes in args.sizes:
            name = f"examples-{megabytes}{'-retries' if args.retries else ''}.md"
            path = args.dir / name if args.keep else folder / name
            if not path.exists():
                write_file(path, megabytes, args.retries)
            count = sum(1 for _ in ftc.read_examples(path))
            size = path.stat().st_size / 1_000_000
            results: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
            ratios: dict[str, list[float]] = {name: [] for name in runs}
            for number in range(args.rounds):
                names = list(runs)[number % len(runs):] + list(runs)[: number % len(runs)]  # vary the order
                seconds: dict[str, float] = {}
                reports: dict[str, str] = {}
                for name in names:
                    template, module_folder = runs[name]
                    seconds[name], peak, reports[name] = run_child(template, module_folder, path, args.format,
                                                                   folder / f"{name}.jsonl")
                    results[name].append((seconds[name], peak))
                for name in names:
                    ratios[name].append(seconds[name] / seconds["floor"])
                    print(f"{size:8.0f} {count:9} {number + 1:5} {name:>9} {seconds[name]:8.2f}"
                          f" {size / seconds[name]:6.1f} {ratios[name][-1]:6.2f} {results[name][-1][1]:8.1f}")
            if args.reference:
                same = digest(folder / "export.jsonl") == digest(folder / "reference.jsonl")
                print(f"export output byte-identical to the reference's: {'yes' if same else 'NO'};"
                      f" report the same: {'yes' if reports['export'] == reports['reference'] else 'NO'}")
                print(f"  {reports['export'].strip()}")
            for name in runs:
                speeds = [size / seconds for seconds, _ in results[name]]
                print(f"{size:.0f} MB, {name}: {span(speeds, '.1f')} MB/s, ratio to floor {span(ratios[name], '.2f')},"
                      f" peak {span([peak for _, peak in results[name]], '.0f')} MB")
            if not args.keep:
                path.unlink()


if __name__ == "__main__":
    main()
