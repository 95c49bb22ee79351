"""Turn latency through POST /api/chat against a scripted model server: a praise turn beside a plain turn.

    python bench/bench_app.py [--turns N]

Both servers run in this process on loopback ports.  Each round opens a new
session with a question, asks a second question (the plain turn), then sends
praise, which captures the second exchange (render, locked append, fsync into
a file on this disk).  The difference of the medians is what capture adds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fake_model_server import FakeModelServer  # noqa: E402

import app as timmy  # noqa: E402


def post(connection: http.client.HTTPConnection, body: dict) -> tuple[float, dict]:
    started = time.perf_counter()
    connection.request("POST", "/api/chat", body=json.dumps(body), headers={"Content-Type": "application/json"})
    data = json.loads(connection.getresponse().read())
    return time.perf_counter() - started, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent) as folder, FakeModelServer() as model:
        memory = timmy.MemoryStore(Path(folder) / "memory.sqlite3")
        client = timmy.ChatClient(model.base_url, "fake-model")
        app = timmy.ChatApp(client, memory, examples_path=Path(folder) / "examples.md")
        server = timmy.ChatServer(("127.0.0.1", 0), app)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1])
        plain, praise = [], []
        for n in range(args.turns + 20):
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
    p, q = statistics.median(plain) * 1e3, statistics.median(praise) * 1e3
    print(f"{args.turns} rounds, one client, keep-alive connection")
    print(f"plain turn:  median {p:.2f} ms")
    print(f"praise turn: median {q:.2f} ms (captures the previous exchange)")
    print(f"capture adds: {q - p:.2f} ms at the median")


if __name__ == "__main__":
    main()
