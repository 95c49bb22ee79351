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

    python bench/bench_praise.py --floor [--repeat N]

The floor of this design instead, on the everyday messages: the least work
each part of detect_praise must do, timed beside the substring detector in
the same run.  The scorer's part is its exact sum (checked against the
module's) with nothing else: words, pairs and signals looked up through
tables, no rules, no objects.  Then what the rules add where a message holds
a trigger word (their tokens and the look that says whether a candidate could
be accepted), and the vetoes where it could.  Their sum is what any
implementation of these features and these rules pays before its own
overhead.
"""

from __future__ import annotations

import argparse
import itertools
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


class LeastScorer:
    """The scorer's sum for a message with the least work this machine can do it in: the module's own tables
    and weights, the signals keyed by what they are made of, one C-level sum each for words and pairs.  A
    stripped copy of what _read and _Scorer do, so test_the_floor_sums_what_the_scorer_sums holds it to them."""

    def __init__(self, scorer: ftc._Scorer) -> None:
        units = scorer.units
        self.bias, self.get = scorer.bias_units, scorer.reading_units.get
        self.length = [units.get(ftc._length_signal(count), 0) for count in range(ftc._POSITION_WORDS + 1)]
        self.long = units.get(ftc._LENGTH_LONG, 0)
        self.first, self.last, first2 = ({name[len(prefix):]: value for name, value in units.items()
                                          if name.startswith(prefix)} for prefix in ("#first:", "#last:", "#first2:"))
        self.first2 = {tuple(name.split(" ")): value for name, value in first2.items()}
        self.classes = [sum(units.get(name, 0) for name in ftc._class_signals(key >> 1, bool(key & 1)))
                        for key in range(2 << len(ftc._WORD_CLASSES))]

    def units(self, text: str) -> int:
        """The bias and the weights of *text*'s features when no rule runs (an everyday message, not long)."""
        if text.isascii():
            words = text.encode("ascii").translate(ftc._ASCII_WORDS_TABLE, b"'").decode("ascii").split()
        else:
            text = unicodedata.normalize("NFKC", text)
            words = ftc._scorer_words(text.lower())
        present, pairs = set(words), set(zip(words, words[1:], strict=False))
        count, get, nothing = len(words), self.get, itertools.repeat(0)
        total = self.bias + sum(map(get, present, nothing)) + sum(map(get, pairs, nothing))
        if count <= ftc._POSITION_WORDS:
            total += self.length[count]
            if count:
                total += self.first.get(words[0], 0) + self.last.get(words[-1], 0)
                if count > 1:
                    total += self.first2.get((words[0], words[1]), 0)
        else:
            total += self.long
        mask = 0
        for word in ftc._CLASS_BITS.keys() & present:
            mask |= ftc._CLASS_BITS[word]
        return total + self.classes[mask << 1 | ("?" in text)]


def floor(messages: list[str], repeat: int) -> None:
    """Print the least each part of detect_praise costs on *messages*, beside the substring detector."""
    scorer = ftc._current_scorer()
    assert scorer is not None, "the floor needs the weights"
    rules = ftc._current_rules()
    least = LeastScorer(scorer)

    def look(text: str) -> tuple[list[str], list[str]] | None:
        """The rules' look at a (normalised) message, as _read takes it: its tokens and their restored forms if
        a candidate could be accepted, else None."""
        tokens = ftc._tokens(text.lower())
        if rules.triggers.isdisjoint(tokens):
            return None
        normal = ftc._restored(tokens)
        return (tokens, normal) if ftc._may_accept(normal, rules) else None

    # What each message needs: the rules' look where its words hold a trigger, the vetoes where a candidate
    # could be accepted (as _read decides them).
    entry: dict[str, str] = {}
    vetoed: dict[str, tuple[str, list[str], list[str]]] = {}
    for message in messages:
        reading = ftc._read(message)
        if reading.result is None:
            assert scorer.probability(least.units(message) / ftc.WEIGHT_SCALE) == scorer.score_reading(reading), \
                f"the least scorer sums differently from the module: {message!r}"
        if rules.may_hold_praise(reading.present):
            entry[message] = text = message if message.isascii() else unicodedata.normalize("NFKC", message)
            found = look(text)
            if found is not None:
                vetoed[message] = (text, *found)

    def rules_entry(message: str) -> object:
        text = entry.get(message)
        return None if text is None else look(text)

    def vetoes(message: str) -> object:
        found = vetoed.get(message)
        return None if found is None else ftc._apply_rules(found[0], found[1], found[2], rules)

    parts: dict[str, Callable[[str], object]] = {
        "substring (baseline)": substring_is_praise,
        "scorer, least work": least.units,
        "rules' look": rules_entry,
        "vetoes": vetoes,
        "detect_praise": ftc.detect_praise,
    }
    times = per_message_times(parts, messages, repeat)
    for name, runs in (("rules' look", entry), ("vetoes", vetoed)):  # a part that does not run costs nothing
        times[name] = [seconds if message in runs else 0.0 for seconds, message in zip(times[name], messages,
                                                                                          strict=True)]
    baseline = statistics.fmean(times["substring (baseline)"])
    print(f"{len(messages)} everyday messages: the rules look at {len(entry)}, the vetoes run on {len(vetoed)}; "
          f"best of {repeat} batches per message, parts interleaved; mean over all the messages")
    print(f"{'part':24} {'mean µs':>8} {'/ baseline':>10}")
    total = 0.0
    for name, measured in times.items():
        mean = statistics.fmean(measured)
        if name in ("scorer, least work", "rules' look", "vetoes"):
            total += mean
        print(f"{name:24} {mean * 1e6:8.2f} {mean / baseline:10.2f}")
    print(f"{'floor (the three parts)':24} {total * 1e6:8.2f} {total / baseline:10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--floor", action="store_true", help="the least each part costs, on the everyday messages")
    args = parser.parse_args()
    if args.floor:
        print(f"machine: {platform.processor() or platform.machine()}, {platform.system()} {platform.release()}, "
              f"Python {platform.python_version()}")
        floor(realistic_messages()[0], args.repeat)
        return

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
