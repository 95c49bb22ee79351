"""Turn latency through POST /api/chat against a scripted model server: a praise turn beside a plain turn.

    python bench/bench_app.py [--turns N]
    python bench/bench_app.py --reference REV [--runs 3]   # this tree and git revision REV, alternately

Both servers run in one process on loopback ports.  Each round opens a new
session with a question, asks a second question (the plain turn), then sends
praise, which captures the second exchange (render, locked append, fsync into
a file on this disk).  The difference of the medians is what capture adds.
With --reference, the same measurement runs in child processes for this tree
and for REV's app.py and fine_tuning_capture.py, alternating, so both see
the same machine load.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def post(connection: http.client.HTTPConnection, body: dict) -> tuple[float, dict]:
    started = time.perf_counter()
    connection.request("POST", "/api/chat", body=json.dumps(body), headers={"Content-Type": "application/json"})
    data = json.loads(connection.getresponse().read())
    return time.perf_counter() - started, data


def measure(root: Path, turns: int) -> tuple[float, float]:
    """Median plain-turn and praise-turn milliseconds of the app in *root*."""
    sys.path[:0] = [str(root), str(ROOT / "tests")]
    from fake_model_server import FakeModelServer

    import app as timmy

    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent) as folder, FakeModelServer() as model:
        memory = timmy.MemoryStore(Path(folder) / "memory.sqlite3")
        client = timmy.ChatClient(model.base_url, "fake-model")
        app = timmy.ChatApp(client, memory, examples_path=Path(folder) / "examples.md")
        server = timmy.ChatServer(("127.0.0.1", 0), app)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1])
        plain, praise = [], []
        for n in range(turns + 20):
            # Questions are not stored as memories, so the two measured turns differ only by the capture.
            _, first = post(connection, {"message": f"What is my cat called, question {n}?"})
            session = first["session_id"]
            seconds, _ = post(connection, {"session_id": session, "message": f"And what does he eat, question {n}?"})
            praise_seconds, second = post(connection, {"session_id": session, "message": "Great response!"})
            assert second["captured"] is True
            if n >= 20:  # warm-up rounds are not counted
                plain.append(seconds)
                praise.append(praise_seconds)
        server.shutdown()
        server.server_close()
        memory.close()
    return statistics.median(plain) * 1e3, statistics.median(praise) * 1e3


def compare(reference: str, turns: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", reference, "app.py", "fine_tuning_capture.py"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        rows: dict[str, list[tuple[float, float]]] = {"this tree": [], reference: []}
        for _ in range(runs):
            for name, root in (("this tree", ROOT), (reference, Path(folder))):
                out = subprocess.run([sys.executable, __file__, "--turns", str(turns), "--root", str(root), "--json"],
                                     capture_output=True, text=True, check=True).stdout
                rows[name].append(tuple(json.loads(out)))
    print(f"{turns} rounds a run, {runs} runs each, alternating; medians in ms")
    print(f"{'app':>12} {'plain turn':>22} {'capture adds':>22}")
    for name, results in rows.items():
        plain = [p for p, _ in results]
        adds = [q - p for p, q in results]
        print(f"{name:>12} {min(plain):9.2f} to {max(plain):5.2f} {min(adds):13.2f} to {max(adds):5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--reference", metavar="REV", help="also measure this git revision, alternating")
    parser.add_argument("--runs", type=int, default=3, help="with --reference: runs of each (default 3)")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference:
        compare(args.reference, args.turns, args.runs)
        return
    p, q = measure(args.root, args.turns)
    if args.json:
        print(json.dumps([p, q]))
        return
    print(f"{args.turns} rounds, one client, keep-alive connection")
    print(f"plain turn:  median {p:.2f} ms")
    print(f"praise turn: median {q:.2f} ms (captures the previous exchange)")
    print(f"capture adds: {q - p:.2f} ms at the median")


if __name__ == "__main__":
    main()
