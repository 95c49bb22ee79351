"""Time praise detection per message, beside a straightforward version of the spec's rules.

    python bench/bench_praise.py [--repeat N]

Prints the median and p99 time per message on the labelled corpus for
detect_praise and for the spec's literal rules (substring search over the
spec's phrases plus the three-word short-affirmative rule), each message timed
with every detector in turn so that both see the same machine.  Two reference
rows show the floor any detector with detect_praise's normalisation pays:
normalising alone, and normalising plus one pass over the words.  Then the
time for 1 KB, 10 KB, 100 KB and 1 MB messages, including inputs built to
make a careless matcher backtrack or go quadratic, as µs per KB (flat means
linear).
"""

from __future__ import annotations

import argparse
import statistics
import string
import sys
import time
import unicodedata
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


def normalise_only(text: str) -> list[str]:
    """Reference: the normalisation detect_praise does before any rule (NFKC, case, punctuation to marks)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.lower().translate(ftc._TABLE).split()


def normalise_and_read(text: str) -> list[str]:
    """Reference: normalising, then one look at each word (restoring missing apostrophes)."""
    restore = ftc._APOSTROPHES.get
    return [restore(token, token) for token in normalise_only(text)]


DETECTORS: dict[str, Callable[[str], object]] = {
    "detect_praise": ftc.detect_praise,
    "spec rules (baseline)": spec_is_praise,
    "ref: normalising only": normalise_only,
    "ref: normalise + read words": normalise_and_read,
}


def per_message_times(detectors: dict[str, Callable[[str], object]], messages: list[str],
                      repeat: int) -> dict[str, list[float]]:
    """Best-of-*repeat* seconds per message for each detector, each timed over a batch of calls.

    The detectors take turns on each message, so a slower or busier stretch of
    the run falls on all of them alike.
    """
    times: dict[str, list[float]] = {name: [] for name in detectors}
    for message in messages:
        batch = max(1, 20_000 // (len(message) + 20))
        best = dict.fromkeys(detectors, float("inf"))
        for _ in range(repeat):
            for name, detector in detectors.items():
                start = time.perf_counter()
                for _ in range(batch):
                    detector(message)
                best[name] = min(best[name], (time.perf_counter() - start) / batch)
        for name in detectors:
            times[name].append(best[name])
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
    times = per_message_times(DETECTORS, messages, args.repeat)
    ours, spec = times["detect_praise"], times["spec rules (baseline)"]
    print(f"corpus: {len(messages)} messages, best of {args.repeat} batches each, detectors interleaved")
    print(f"{'detector':28} {'median µs':>10} {'p99 µs':>8} {'mean µs':>8} {'median / baseline':>18}")
    for name, measured in times.items():
        print(f"{name:28} {statistics.median(measured) * 1e6:10.2f} {p99(measured) * 1e6:8.2f} "
              f"{statistics.fmean(measured) * 1e6:8.2f} {statistics.median(measured) / statistics.median(spec):18.2f}")
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

    sizes = (1_000, 10_000, 100_000, 1_000_000)
    print("\nlong and adversarial messages, detect_praise, best of 3 (the same µs per KB at every size is linear):")
    print(f"{'input':32} {'1 MB, ms':>9}   " + " ".join(f"{f'µs/KB {size // 1000}K':>12}" for size in sizes))
    by_size = {size: sized(size) for size in sizes}
    for name in by_size[sizes[0]]:
        seconds = {size: time_once(ftc.detect_praise, by_size[size][name]) for size in sizes}
        per_kb = " ".join(f"{seconds[size] * 1e6 / (size / 1000):12.1f}" for size in sizes)
        print(f"{name:32} {seconds[sizes[-1]] * 1e3:9.1f}   {per_kb}")


if __name__ == "__main__":
    main()
