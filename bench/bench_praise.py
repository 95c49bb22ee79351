"""Time praise detection per message, beside a plain substring detector, on a realistic set of messages.

    python bench/bench_praise.py [--repeat N]

The realistic set is everyday messages in many voices, most without praise,
some long: every not-praise and ambiguous message of the train and dev
writers (tests/data/praise_writers), one praise message in four, and voice
transcripts of 1-4 KB made by running a writer's consecutive messages
together.  Each message is timed with every detector in turn (interleaved),
so a busier stretch of the run falls on all of them alike.  The baseline is
the original-style detector: any(phrase in text.lower() for the spec's
phrases).  Then the time for 1 KB to 1 MB messages, including inputs built to
make a careless matcher backtrack or go quadratic, as µs per KB (flat means
linear).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import string
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from praise_corpus import load_split, load_writer

import fine_tuning_capture as ftc

SPEC_PHRASES = [
    "good one timmy", "good one, timmy", "great response", "excellent response", "that was great",
    "that was excellent", "that was amazing", "perfect response", "nice one", "well done", "good job",
    "that's good", "that's great", "i like that", "that's perfect",
]
SPEC_SHORT = {"good", "nice", "perfect", "excellent", "great", "amazing"}
PRAISE_KEPT = 4  # one praise message in this many goes into the realistic set
LONG_SIZES = (1_000, 2_000, 4_000)  # characters of the long voice transcripts
LONG_PER_WRITER = 4  # long transcripts made from each writer


def substring_is_praise(text: str) -> bool:
    """The original-style detector, the baseline for speed: a spec phrase anywhere in the lowered text."""
    lower = text.lower()
    return any(phrase in lower for phrase in SPEC_PHRASES)


def spec_is_praise(text: str) -> bool:
    """The spec's rules, taken literally and written plainly (phrases, then the three-word rule)."""
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
    "substring (baseline)": substring_is_praise,
    "spec rules": spec_is_praise,
}


def realistic_messages() -> tuple[list[str], list[str]]:
    """The realistic set: (everyday messages, long voice transcripts), from the train and dev writers."""
    split = load_split()
    messages: list[str] = []
    long: list[str] = []
    for writer in split["train"] + split["dev"]:
        cases, _ = load_writer(writer)
        praise_seen = 0
        for case in cases:
            if case.praise:
                praise_seen += 1
                if praise_seen % PRAISE_KEPT:
                    continue
            messages.append(case.text)
        texts = [case.text.replace("\n", " ") for case in cases]
        for k in range(LONG_PER_WRITER):
            size = LONG_SIZES[k % len(LONG_SIZES)]
            start, run = k * 40, ""
            while len(run) < size:
                run += " " + texts[start % len(texts)]
                start += 1
            long.append(run[1:size])
    return messages, long


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
    """The 99th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.99 + 0.5) - 1)]


def time_once(detector: Callable[[str], object], text: str, repeat: int = 3) -> float:
    """Best-of-*repeat* seconds for one call."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        detector(text)
        best = min(best, time.perf_counter() - start)
    return best


def sized(size: int) -> dict[str, str]:
    """Messages of *size* characters: ordinary text, and inputs meant to be slow."""
    prose = "I asked about the vet appointment and you remembered the date, which helps a lot. "
    voice = "ok so um timmy can you add eggs to the list and uh the big bag of rice not the small one "
    return {
        "prose, praise at the end": (prose * (size // len(prose) + 1))[: size - 20] + " Great response!",
        "voice transcript, no praise": (voice * (size // len(voice) + 1))[:size],
        "'nice weather' repeated": ("nice weather " * (size // 13 + 1))[:size],
        "'not ' then praise": ("not " * (size // 4 + 1))[: size - 5] + " good",
        "commas and quotes": ('"good", ' * (size // 8 + 1))[:size],
        "one long word": "g" * size,
        "praise emoji with a negative": ("👏 broken " * (size // 10 + 1))[:size],
        "sentences of vetoed praise": ("Was that good? " * (size // 15 + 1))[:size],
    }


def report(name: str, measured: list[float], baseline: list[float]) -> str:
    """One table row: median, p99 and mean in µs, and the mean as a multiple of the baseline's."""
    return (f"{name:24} {statistics.median(measured) * 1e6:10.2f} {p99(measured) * 1e6:8.2f} "
            f"{statistics.fmean(measured) * 1e6:8.2f} {statistics.fmean(measured) / statistics.fmean(baseline):14.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}, scorer {'loaded' if ftc._current_scorer() else 'MISSING'}")
    messages, long = realistic_messages()
    praised = sum(ftc.is_praise(message) for message in messages + long)
    print(f"realistic set: {len(messages)} everyday messages + {len(long)} long transcripts "
          f"({', '.join(str(size) for size in LONG_SIZES)} characters); detect_praise calls {praised} praise")
    times = per_message_times(DETECTORS, messages + long, args.repeat)
    baseline = times["substring (baseline)"]
    print(f"best of {args.repeat} batches per message, detectors interleaved")
    print(f"{'detector':24} {'median µs':>10} {'p99 µs':>8} {'mean µs':>8} {'mean / baseline':>14}")
    for name, measured in times.items():
        print(report(name, measured, baseline))
    count = len(messages)
    print("everyday messages only:")
    for name, measured in times.items():
        print(report(name, measured[:count], baseline[:count]))
    print("long transcripts only, µs per KB:")
    for name, measured in times.items():
        per_kb = [seconds * 1e6 / (len(text) / 1000) for seconds, text in zip(measured[count:], long, strict=True)]
        print(f"{name:24} median {statistics.median(per_kb):6.1f}  max {max(per_kb):6.1f}")

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
