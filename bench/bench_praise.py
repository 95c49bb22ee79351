"""Time praise detection per message, beside a straightforward version of the spec's rules.

    python bench/bench_praise.py [--repeat N]

Prints the median and p99 time per message on the labelled corpus for
detect_praise and for the spec's literal rules (substring search over the
spec's phrases plus the three-word short-affirmative rule), measured in the
same run, then the time for 1 KB, 100 KB and 1 MB messages and for inputs
built to make a careless matcher backtrack or go quadratic.
"""

from __future__ import annotations

import argparse
import statistics
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from praise_corpus import load_corpus  # noqa: E402

import fine_tuning_capture as ftc  # noqa: E402

SPEC_PHRASES = [
    "good one timmy", "good one, timmy", "great response", "excellent response", "that was great",
    "that was excellent", "that was amazing", "perfect response", "nice one", "well done", "good job",
    "that's good", "that's great", "i like that", "that's perfect",
]
SPEC_SHORT = {"good", "nice", "perfect", "excellent", "great", "amazing"}


def spec_is_praise(text: str) -> bool:
    """The spec's rules, taken literally and written plainly: the baseline to beat."""
    lower = text.lower()
    for phrase in SPEC_PHRASES:
        if phrase in lower:
            return True
    words = lower.split()
    if len(words) <= 3:
        for word in words:
            if word.strip(string.punctuation) in SPEC_SHORT:
                return True
    return False


def per_message_times(detector: Callable[[str], object], messages: list[str], repeat: int) -> list[float]:
    """Best-of-*repeat* seconds per message, each timed over a batch of calls."""
    times = []
    for message in messages:
        batch = max(1, 20_000 // (len(message) + 20))
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(batch):
                detector(message)
            best = min(best, (time.perf_counter() - start) / batch)
        times.append(best)
    return times


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)]


def time_once(detector: Callable[[str], object], text: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        detector(text)
        best = min(best, time.perf_counter() - start)
    return best


def sized(size: int) -> dict[str, str]:
    """Messages of *size* characters: ordinary text, and inputs meant to be slow."""
    prose = "I asked about the vet appointment and you remembered the date, which helps a lot. "
    return {
        "prose, praise at the end": (prose * (size // len(prose) + 1))[: size - 20] + " Great response!",
        "'good ' repeated": ("nice weather " * (size // 13 + 1))[:size],
        "'not ' then praise": ("not " * (size // 4 + 1))[: size - 5] + " good",
        "commas and quotes": ('"good", ' * (size // 8 + 1))[:size],
        "one long word": "g" * size,
        "praise emoji with a negative": ("👏 broken " * (size // 10 + 1))[:size],
        "sentences of vetoed praise": ("Was that good? " * (size // 15 + 1))[:size],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    messages = [case.text for case in load_corpus()]
    ours = per_message_times(ftc.detect_praise, messages, args.repeat)
    spec = per_message_times(spec_is_praise, messages, args.repeat)
    print(f"corpus: {len(messages)} messages, best of {args.repeat} runs each, one process")
    print(f"{'detector':28} {'median µs':>10} {'p99 µs':>8} {'mean µs':>8}")
    for name, times in (("detect_praise", ours), ("spec rules (baseline)", spec)):
        print(f"{name:28} {statistics.median(times) * 1e6:10.2f} {p99(times) * 1e6:8.2f} "
              f"{statistics.fmean(times) * 1e6:8.2f}")
    print(f"ratio detect_praise / baseline: median {statistics.median(ours) / statistics.median(spec):.2f}, "
          f"mean {statistics.fmean(ours) / statistics.fmean(spec):.2f}")
    # Messages with no praise word at all are answered by the first look alone; the rest are analysed.
    rules = ftc._current_rules()
    words = [set(message.lower().translate(ftc._TABLE).split()) for message in messages]
    for name, keep in (("no praise word (first look only)", False), ("holding a praise word (analysed)", True)):
        picked = [k for k, present in enumerate(words) if (not rules.triggers.isdisjoint(present)) == keep]
        mine, base = [ours[k] for k in picked], [spec[k] for k in picked]
        mine_median, base_median = statistics.median(mine), statistics.median(base)
        print(f"  {name:34} {len(picked):4} messages: median {mine_median * 1e6:6.2f} µs "
              f"vs {base_median * 1e6:5.2f} µs, ratio {mine_median / base_median:.2f}")

    print("\nlong and adversarial messages (ms; best of 3):")
    print(f"{'input':32} {'1 KB':>8} {'100 KB':>8} {'1 MB':>8} {'1 MB / 100 KB':>14}")
    sizes = (1_000, 100_000, 1_000_000)
    by_size = {size: sized(size) for size in sizes}
    for name in by_size[sizes[0]]:
        ms = [time_once(ftc.detect_praise, by_size[size][name]) * 1e3 for size in sizes]
        print(f"{name:32} {ms[0]:8.3f} {ms[1]:8.2f} {ms[2]:8.1f} {ms[2] / ms[1]:14.1f}")


if __name__ == "__main__":
    main()
