"""Load the labelled praise corpus (tests/data/praise_corpus.txt) and score a detector on it.

    python bench/praise_corpus.py            # precision, recall and F1, overall and per group, and every miss
    python bench/praise_corpus.py --writers  # precision, recall and F1 per writer of tests/data/praise_writers
    python bench/praise_corpus.py --writers PATH...  # the same for the given writer files (wNN.tsv), e.g. a
                                                     # fresh set of writers: per writer, then all of them
    python bench/praise_corpus.py --write-misses     # rewrite tests/data/praise_known_misses.tsv

It also scores the held-out file (tests/data/praise_heldout.txt), messages
written after the rules were settled, as a check that the rules were not
simply fitted to the corpus.

The writers' files (tests/data/praise_writers/wNN.tsv) are "label<TAB>message"
lines, label praise, not or ambiguous; SPLIT.md there says which writers are
train, dev and test.  Ambiguous messages are loaded (their count is reported)
but left out of precision and recall.

A section header "[group praise]" or "[group not]" labels the messages below
it; "\\n" in a message stands for a line break.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "tests" / "data" / "praise_corpus.txt"
HELD_OUT = ROOT / "tests" / "data" / "praise_heldout.txt"
WRITERS = ROOT / "tests" / "data" / "praise_writers"
WRITER_LABELS = ("praise", "not", "ambiguous")
KNOWN_MISSES = ROOT / "tests" / "data" / "praise_known_misses.tsv"


@dataclass(frozen=True)
class Case:
    text: str
    praise: bool
    group: str
    line: int


def load_corpus(path: Path = CORPUS) -> list[Case]:
    """Return the labelled messages of the corpus file, in order."""
    cases: list[Case] = []
    group, praise = None, None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("# "):
            continue
        if line.startswith("[") and line.endswith("]"):
            group, label = line[1:-1].split()
            if label not in ("praise", "not"):
                raise ValueError(f"{path}:{number}: label must be 'praise' or 'not', not {label!r}")
            praise = label == "praise"
            continue
        if group is None:
            raise ValueError(f"{path}:{number}: message before any [group label] header")
        cases.append(Case(line.replace("\\n", "\n"), praise, group, number))
    return cases


def load_split(folder: Path = WRITERS) -> dict[str, list[str]]:
    """The writers of each split ("train", "dev", "test"), read from the table in SPLIT.md."""
    split: dict[str, list[str]] = {}
    for line in (folder / "SPLIT.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 2 and cells[0] in ("train", "dev", "test"):
            split[cells[0]] = cells[1].split()
    return split


def load_writer(writer: str, folder: Path = WRITERS) -> tuple[list[Case], int]:
    """The labelled messages of one writer (group = the writer), and how many were labelled ambiguous."""
    cases: list[Case] = []
    ambiguous = 0
    path = folder / f"{writer}.tsv"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("# "):
            continue
        label, _, message = line.partition("\t")
        if label not in WRITER_LABELS or not message:
            raise ValueError(f"{path}:{number}: expected 'label<TAB>message' with label in {WRITER_LABELS}")
        if label == "ambiguous":
            ambiguous += 1
            continue
        cases.append(Case(message.replace("\\n", "\n"), label == "praise", writer, number))
    return cases, ambiguous


def load_writers(*splits: str, folder: Path = WRITERS) -> tuple[list[Case], int]:
    """The labelled messages of every writer in *splits*, in writer order, and the ambiguous count."""
    split = load_split(folder)
    cases: list[Case] = []
    ambiguous = 0
    for name in splits:
        for writer in split[name]:
            found, skipped = load_writer(writer, folder)
            cases += found
            ambiguous += skipped
    return cases, ambiguous


@dataclass
class Score:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    true_negative: int = 0

    @property
    def precision(self) -> float:
        called = self.true_positive + self.false_positive
        return self.true_positive / called if called else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positive + self.false_negative
        return self.true_positive / actual if actual else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        total = self.true_positive + self.false_positive + self.false_negative + self.true_negative
        return (self.true_positive + self.true_negative) / total if total else 1.0

    def add(self, expected: bool, got: bool) -> None:
        if expected and got:
            self.true_positive += 1
        elif got:
            self.false_positive += 1
        elif expected:
            self.false_negative += 1
        else:
            self.true_negative += 1


def evaluate(detector: Callable[[str], bool], cases: list[Case]) -> tuple[Score, dict[str, Score], list[Case]]:
    """Score *detector*: overall, per group, and the cases it got wrong."""
    overall, groups, wrong = Score(), {}, []
    for case in cases:
        got = bool(detector(case.text))
        overall.add(case.praise, got)
        groups.setdefault(case.group, Score()).add(case.praise, got)
        if got != case.praise:
            wrong.append(case)
    return overall, groups, wrong


def all_labelled() -> list[tuple[str, Case]]:
    """Every labelled message of every file, with the file's short name: the old corpus, the held-out batches,
    then each writer (all splits: use only after the scorer is final)."""
    found = [("corpus", case) for case in load_corpus(CORPUS)] + [("heldout", case) for case in load_corpus(HELD_OUT)]
    for name in ("train", "dev", "test"):
        for writer in load_split()[name]:
            found += [(writer, case) for case in load_writer(writer)[0]]
    return found


def misses_text(detector: Callable[[str], bool]) -> str:
    """The known-misses file: one line per labelled message *detector* gets wrong, in file order.

    Columns: file, line, label (what the message is), group, message (line breaks as \\n).
    """
    lines = ["# Messages the detector gets wrong today, one a line: file, line, label, group, message.",
             "# Regenerate: python bench/praise_corpus.py --write-misses (tests/test_praise.py compares it exactly)."]
    for source, case in all_labelled():
        if bool(detector(case.text)) != case.praise:
            label = "praise" if case.praise else "not"
            lines.append("\t".join((source, str(case.line), label, case.group, case.text.replace("\n", "\\n"))))
    return "\n".join(lines) + "\n"


def main() -> None:
    import argparse

    import fine_tuning_capture as ftc

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", nargs="*", metavar="PATH",
                        help="score writer files (label<TAB>message) instead; none given: all of " + WRITERS.name)
    parser.add_argument("--write-misses", action="store_true", help=f"rewrite {KNOWN_MISSES.name}")
    args = parser.parse_args()
    if args.write_misses:
        KNOWN_MISSES.write_text(misses_text(ftc.is_praise), encoding="utf-8")
        print(f"wrote {KNOWN_MISSES}")
        return
    if args.writers is None:
        for title, path in (("corpus", CORPUS), ("held-out", HELD_OUT)):
            report(title, load_corpus(path), ftc.is_praise)
            print()
        return
    paths = [Path(path) for path in args.writers] or sorted(WRITERS.glob("w*.tsv"))
    score_writers(paths, ftc.is_praise)


def score_writers(paths: list[Path], detector: Callable[[str], bool]) -> Score:
    """Print precision, recall and F1 of *detector* for each writer file and for all of them (ambiguous
    messages counted, then left out); return the total."""
    print(f"{'writer':10} {'n':>4} {'ambig':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7} {'F1':>6}")
    total, total_ambiguous = Score(), 0
    for path in paths:
        cases, ambiguous = load_writer(path.stem, path.parent)
        score, _, _ = evaluate(detector, cases)
        for case in cases:
            total.add(case.praise, bool(detector(case.text)))
        total_ambiguous += ambiguous
        print(_score_row(path.stem, len(cases), ambiguous, score))
    counted = total.true_positive + total.false_positive + total.false_negative + total.true_negative
    print(_score_row("all", counted, total_ambiguous, total))
    return total


def _score_row(name: str, count: int, ambiguous: int, score: Score) -> str:
    return (f"{name:10} {count:4} {ambiguous:5} {score.true_positive:4} {score.false_positive:4} "
            f"{score.false_negative:4} {score.precision:9.3f} {score.recall:7.3f} {score.f1:6.3f}")


def report(title: str, cases: list[Case], detector: Callable[[str], bool]) -> None:
    """Print the scores of *detector* on *cases* and every message it got wrong."""
    overall, groups, wrong = evaluate(detector, cases)
    praise = sum(case.praise for case in cases)
    print(f"{title}: {len(cases)} messages, {praise} praise, {len(cases) - praise} not praise")
    print(f"overall: precision {overall.precision:.3f}  recall {overall.recall:.3f}  F1 {overall.f1:.3f}")
    print(f"{'group':18} {'n':>4} {'label':>6} {'precision':>9} {'recall':>7} {'F1':>6} {'accuracy':>8}")
    for name, score in groups.items():
        label = "praise" if score.true_positive + score.false_negative else "not"
        n = score.true_positive + score.false_positive + score.false_negative + score.true_negative
        print(f"{name:18} {n:4} {label:>6} {score.precision:9.3f} {score.recall:7.3f} {score.f1:6.3f} "
              f"{score.accuracy:8.3f}")
    for kind, want in (("false positives", False), ("false negatives", True)):
        misses = [case for case in wrong if case.praise == want]
        print(f"\n{kind} ({len(misses)}):")
        for case in misses:
            print(f"  line {case.line:4} [{case.group}] {case.text!r}")


if __name__ == "__main__":
    main()
