"""Recall quality and speed of MemoryStore among 1k, 10k and 100k memories.

    python bench/bench_recall.py                        # sizes 1000, 10000, 100000
    python bench/bench_recall.py --sizes 300000         # the growth figure's last point
    python bench/bench_recall.py --sizes 1000 --misses  # also list the TUNE questions whose fact was missed
    python bench/bench_recall.py --held-out-misses      # and the held-out ones: only once tuning is over
    python bench/bench_recall.py --extra-facts /path/fresh.py   # also score FRESH, a set written elsewhere

For each size, the facts of bench/recall_fixture.py (and the older facts some
of them replace) are stored among generated distractors, all in the order
they were said, with the classification remember() would give them.  Then
each question is asked with recall(question, 5): recall@1 and recall@5 are
the share of questions whose fact comes first, or among the five, reported
for the TUNE part, the HELD-OUT part and FRESH1 (bench/recall_fresh1.py)
separately (--misses lists TUNE's and FRESH1's, --held-out-misses the
held-out ones).  All three have been tuned on (held-out since round 1,
fresh1 since round 3): the honest figure is a fresh set, below.

--embed-model NAME also recalls by meaning, as the app does with that
option: every memory and question is embedded by the OpenAI-compatible
server at --base-url (--embed-query-model NAME for the questions, if the
server embeds them under another name), and the vectors are kept in
--embed-cache, so that the 100,000 distractors are embedded once, not on
every run.  The questions' vectors then come from the cache: the times below
leave the embedding call out, as they leave out the chat model's, except the
store turn's, which embeds a new statement through the server.

--extra-facts PATH loads a Python file that defines FRESH, a tuple of Fact
(imported from recall_fixture, which is on the path), stores its facts among
the others and reports them as a third part, "fresh": a set written by
someone who never saw the ranking.  Its misses are listed only with
--fresh-misses.

Times, all on one thread of this machine, each as wall-clock time and as the
thread's CPU time (which other processes on a shared machine do not inflate):
  recall   one recall(question, 5) call, every question asked REPEAT times after a warm-up pass;
  turn     ChatApp.turn for the same questions with an in-process model that answers at once, so that
           the time is all of the turn but the model call: capture hook, recall, prompt, history, remember;
  store    ChatApp.turn for new statements, which remember() stores (the exchange and its memory: one commit).
"""

from __future__ import annotations

import argparse
import array
import dataclasses
import datetime as dt
import importlib.util
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recall_fixture import HELD_OUT, NOW, TUNE, Fact, distractors
from recall_fresh1 import FRESH as FRESH1

import app as timmy

K = 5  # memories recalled per question, as in a turn
STATEMENT_TURNS = 200  # new statements stored per size for the "store" timing


class InstantModel:
    """A ChatClient stand-in that answers at once: what is left of a turn is the app's own work."""

    model = "instant"

    def complete(self, messages: list[dict[str, str]], *, stream: bool = False, on_token=None) -> str:
        return "Noted."


@dataclasses.dataclass
class Score:
    """Questions asked, and how many found their fact first or in the top K."""

    questions: int = 0
    first: int = 0
    top: int = 0
    misses: list[tuple[str, str, list[str]]] = dataclasses.field(default_factory=list)

    def line(self) -> str:
        return f"R@1 {self.first / self.questions:.3f}  R@{K} {self.top / self.questions:.3f}  (n={self.questions})"


def memory_of(text: str, age_days: float) -> timmy.Memory:
    """*text* as remember() would store it *age_days* before NOW."""
    topic, importance = timmy.classify(text) or ("Misc", 2)
    return timmy.Memory(text, topic, importance, "User", NOW - dt.timedelta(days=age_days))


def load_facts(path: Path) -> tuple[Fact, ...]:
    """FRESH from the Python file at *path*: a tuple of Fact, checked."""
    spec = importlib.util.spec_from_file_location("extra_facts", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"error: {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = getattr(module, "FRESH", None)
    if not isinstance(fresh, tuple) or not all(isinstance(fact, Fact) for fact in fresh):
        raise SystemExit(f"error: {path}: FRESH must be a tuple of recall_fixture.Fact")
    return fresh


def build(path: Path, size: int, extra: tuple[Fact, ...] = ()) -> tuple[timmy.MemoryStore, float]:
    """A store of *size* memories at *path*: every fact (*extra* too), the older facts, and distractors; and
    seconds taken.  A text said twice is stored once, at its first age."""
    every = TUNE + HELD_OUT + FRESH1 + extra
    said: dict[str, float] = {}
    for text, age in [(f.text, f.age_days) for f in every] + [(f.older, f.older_age_days) for f in every if f.older]:
        said.setdefault(text, age)
    facts = [memory_of(text, age) for text, age in said.items()]
    rows = facts + [memory_of(text, age) for text, age in distractors(size - len(facts), avoid=said)]
    rows.sort(key=lambda memory: memory.created_at)  # row ids grow with time, as in real use
    started = time.perf_counter()
    store = timmy.MemoryStore(path)
    stored = store.add_many(rows)
    assert stored == size, (stored, size)
    return store, time.perf_counter() - started


class CachedEmbedder:
    """An embedding client that keeps every vector it was given in a SQLite file, by model and text."""

    def __init__(self, client: timmy.ChatClient, path: Path) -> None:
        self.client, self.model = client, client.model
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors"
                        " (model TEXT, text TEXT, vector BLOB, PRIMARY KEY (model, text))")

    def embed(self, texts: list[str]) -> list[array.array[float]]:
        found = {text: timmy._vector_of(blob) for text, blob in self.db.execute(
            "SELECT text, vector FROM vectors WHERE model = ? AND text IN (SELECT value FROM json_each(?))",
            (self.model, json.dumps(texts)))}
        missing = [text for text in dict.fromkeys(texts) if text not in found]
        for start in range(0, len(missing), timmy.EMBED_BATCH):
            batch = missing[start:start + timmy.EMBED_BATCH]
            vectors = self.client.embed(batch)
            found.update(zip(batch, vectors, strict=True))
            self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", [
                (self.model, text, timmy._vector_bytes(v)) for text, v in zip(batch, vectors, strict=True)])
            self.db.commit()
        return [found[text] for text in texts]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


Samples = list[tuple[float, float]]  # (wall-clock seconds, this thread's CPU seconds) per call


def timed(call: Callable[[], object], samples: Samples) -> None:
    """Run *call*, adding its wall-clock and CPU time to *samples*."""
    wall, cpu = time.perf_counter(), time.thread_time()
    call()
    samples.append((time.perf_counter() - wall, time.thread_time() - cpu))


def timing(samples: Samples) -> str:
    """Median and p99 wall-clock time, and the same in CPU time, which other processes on the machine do not
    inflate (the fsync of a stored memory is wall-clock time only)."""
    walls, cpus = [wall for wall, _ in samples], [cpu for _, cpu in samples]
    return (f"median {statistics.median(walls) * 1e3:6.2f} ms  p99 {percentile(walls, 0.99) * 1e3:6.2f} ms  "
            f"(CPU: median {statistics.median(cpus) * 1e3:5.2f} ms  p99 {percentile(cpus, 0.99) * 1e3:6.2f} ms)")


def score(store: timmy.MemoryStore, facts: tuple[Fact, ...]) -> Score:
    """Ask every question of *facts*; count the hits."""
    result = Score()
    for fact in facts:
        for question in fact.questions:
            found = [m.content for m in store.recall(question, K, now=NOW)]
            result.questions += 1
            result.first += bool(found) and found[0] == fact.text
            result.top += fact.text in found
            if fact.text not in found:
                result.misses.append((question, fact.text, found))
    return result


def recall_times(store: timmy.MemoryStore, questions: list[str], repeat: int) -> Samples:
    for question in questions:  # warm-up: caches, the page cache, SQLite's statement cache
        store.recall(question, K, now=NOW)
    samples: Samples = []
    for _ in range(repeat):
        for question in questions:
            timed(lambda q=question: store.recall(q, K, now=NOW), samples)
    return samples


def turn_times(store: timmy.MemoryStore, messages: list[str], examples: Path) -> Samples:
    app = timmy.ChatApp(InstantModel(), store, examples_path=examples, clock=lambda: NOW)  # type: ignore[arg-type]
    session = app.session()
    samples: Samples = []
    for message in messages:
        timed(lambda m=message: app.turn(session, m), samples)
    return samples


def show(misses: list[tuple[str, str, list[str]]], label: str) -> None:
    for question, expected, found in misses:
        print(f"  {label} {question!r} -> want {expected!r}")
        for content in found:
            print(f"         got {content[:100]!r}")


def run_size(size: int, folder: Path, repeat: int, show_misses: bool, show_held_out: bool,
             fresh: tuple[Fact, ...] = (), show_fresh: bool = False,
             embedders: tuple[CachedEmbedder, CachedEmbedder] | None = None) -> dict[str, object]:
    store, seconds = build(folder / f"memory-{size}.sqlite3", size, fresh)
    print(f"\n{size:,} memories (built in {seconds:.1f} s)")
    if embedders:
        store.embedder, store.query_embedder = embedders
        started = time.perf_counter()
        store.embed_all()
        print(f"  embedded by {embedders[0].model} (questions by {embedders[1].model}) in "
              f"{time.perf_counter() - started:.1f} s")
    tune, held_out = score(store, TUNE), score(store, HELD_OUT)
    print(f"  tune      {tune.line()}")
    print(f"  held-out  {held_out.line()}")
    fresh1 = score(store, FRESH1)
    print(f"  fresh1    {fresh1.line()}  (a fresh set in round 2, tuned on since round 3)")
    fresh_score = score(store, fresh) if fresh else None
    if fresh_score:
        print(f"  fresh     {fresh_score.line()}")
    questions = [q for fact in TUNE + HELD_OUT for q in fact.questions]
    recall = recall_times(store, questions, repeat)
    print(f"  recall    {timing(recall)}")
    turn = turn_times(store, questions, folder / "examples.md")
    print(f"  turn      {timing(turn)}  (questions: nothing stored)")
    statements = [f"{text} (note {n})" for n, (text, _) in enumerate(distractors(STATEMENT_TURNS, seed=size + 1))]
    store_turn = turn_times(store, statements, folder / "examples.md")
    print(f"  store     {timing(store_turn)}  (statements: one memory stored each)")
    if show_misses:
        show(tune.misses, "MISS")
        show(fresh1.misses, "FRESH1 MISS")
    if show_held_out:
        show(held_out.misses, "HELD-OUT MISS")
    if fresh_score and show_fresh:
        show(fresh_score.misses, "FRESH MISS")
    store.close()
    return {"size": size, "recall": statistics.median(wall for wall, _ in recall),
            "cpu": statistics.median(cpu for _, cpu in recall)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1000,10000,100000"],
                        help="store sizes, comma- or space-separated")
    parser.add_argument("--repeat", type=int, default=3, help="times each question is timed")
    parser.add_argument("--misses", action="store_true", help="list the TUNE questions whose fact was missed")
    parser.add_argument("--held-out-misses", action="store_true",
                        help="list the held-out questions whose fact was missed (not while tuning)")
    parser.add_argument("--extra-facts", type=Path, metavar="PATH",
                        help="a Python file defining FRESH: tuple[Fact, ...], scored separately as 'fresh'")
    parser.add_argument("--fresh-misses", action="store_true", help="list the fresh questions whose fact was missed")
    parser.add_argument("--embed-model", metavar="NAME", help="recall by meaning too, with this embedding model")
    parser.add_argument("--embed-query-model", metavar="NAME", help="the model name that embeds the questions")
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL") or timmy.DEFAULT_BASE_URL,
                        help="the embedding server, as the app's --base-url (env OPENAI_BASE_URL)")
    parser.add_argument("--embed-cache", type=Path, default=Path.home() / ".cache" / "timmy-bench" / "vectors.sqlite3",
                        help="where vectors are kept between runs")
    args = parser.parse_args()
    embedders = None
    if args.embed_model:
        key = os.environ.get("OPENAI_API_KEY")
        memories = CachedEmbedder(timmy.ChatClient(args.base_url, args.embed_model, api_key=key), args.embed_cache)
        questions = (CachedEmbedder(timmy.ChatClient(args.base_url, args.embed_query_model, api_key=key),
                                    args.embed_cache) if args.embed_query_model else memories)
        embedders = (memories, questions)
    sizes = [int(size) for part in args.sizes for size in part.split(",") if size]
    fresh = load_facts(args.extra_facts.resolve()) if args.extra_facts else ()
    print(f"Python {sys.version.split()[0]}, SQLite {timmy.sqlite3.sqlite_version}, {os.cpu_count()} CPUs, load "
          f"average {os.getloadavg()[0]:.2f} at the start; {len(TUNE)} tune facts, {len(HELD_OUT)} held-out facts; "
          f"{len(FRESH1)} fresh1 facts; {len(fresh)} fresh facts; k = {K}")
    results = []
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent) as folder:  # on the disk in use
        for size in sizes:
            results.append(run_size(size, Path(folder), args.repeat, args.misses, args.held_out_misses,
                                    fresh, args.fresh_misses, embedders))
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    if len(results) > 1:
        print("\ngrowth of the median recall time (wall-clock, CPU):")
        first = results[0]
        for result in results[1:]:
            wall, cpu = (result[key] / first[key] for key in ("recall", "cpu"))  # type: ignore[operator]
            print(f"  {first['size']:,} -> {result['size']:,} memories: x{wall:.2f}, x{cpu:.2f}")


if __name__ == "__main__":
    main()
