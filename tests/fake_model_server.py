"""A small OpenAI Chat Completions server for tests and benchmarks: scripted replies, every request recorded.

It answers POST /v1/chat/completions (streaming or not), POST /v1/embeddings
and GET /v1/models on a loopback port of its own.  Its embeddings are bags of
meanings: each word counts in one of EMBEDDING_DIMENSIONS places chosen by
its meaning (the word itself, or what `meanings` maps it to), so that two
texts are near when they share meanings, whatever their words.  `failure` makes the next requests fail in one of
the ways real servers do.
"""

from __future__ import annotations

import http.server
import json
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

FAILURES = ("401", "unknown model", "500", "malformed json", "stream ends early", "no route", "slow", "slow stream")
SLOW_STREAM_PAUSE = 0.5  # seconds between streamed pieces with failure "slow stream"
EMBEDDING_DIMENSIONS = 96


def bag_of_meanings(text: str, meanings: dict[str, str]) -> list[float]:
    """*text*'s embedding: its words' meanings counted, each in a place of its own (crc32 picks it)."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in re.findall(r"\w+", text.lower()):
        vector[zlib.crc32(meanings.get(word, word).encode()) % EMBEDDING_DIMENSIONS] += 1.0
    return vector


def default_reply(messages: list[dict[str, str]]) -> str:
    return f"Reply to: {messages[-1]['content']}"


class FakeModelServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = socket.SOMAXCONN  # as the app's server: many clients at once must not overflow the backlog

    def __init__(self, reply: Callable[[list[dict[str, str]]], str] = default_reply, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        self.failure: str | None = None
        self.meanings: dict[str, str] = {}  # word -> meaning, for /v1/embeddings
        self.listed = ["fake-model"]  # the model ids GET /v1/models answers with
        self.stream_pause = SLOW_STREAM_PAUSE  # with failure "slow stream"; browser tests set a shorter one
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up (a killed app, a Ctrl-C) is normal here

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self) -> FakeModelServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: FakeModelServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.server.failure == "401":
            self._send(401, b'{"error": {"message": "Incorrect API key provided"}}')
        elif self.path == "/v1/models":
            self._send(200, json.dumps({"object": "list", "data": [{"id": n} for n in self.server.listed]}).encode())
        else:
            self._send(404, b'{"error": {"message": "not found"}}')

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.requests.append({"headers": dict(self.headers), "body": body})
        failure = self.server.failure
        if self.path not in ("/v1/chat/completions", "/v1/embeddings") or failure == "no route":
            self._send(404, b"404 page not found", "text/plain")
            return
        if failure == "401":
            self._send(401, b'{"error": {"message": "Incorrect API key provided"}}')
            return
        if failure == "unknown model":
            message = f'model "{body["model"]}" not found, try pulling it first'
            self._send(404, json.dumps({"error": {"message": message, "type": "api_error"}}).encode())
            return
        if failure == "500":
            self._send(500, b'{"error": {"message": "out of memory"}}')
            return
        if failure == "malformed json":
            self._send(200, b"<html>this is not json</html>", "text/html")
            return
        if failure == "slow":
            time.sleep(3)
        if self.path == "/v1/embeddings":
            texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
            data = [{"object": "embedding", "index": n, "embedding": bag_of_meanings(text, self.server.meanings)}
                    for n, text in enumerate(texts)]
            self._send(200, json.dumps({"object": "list", "data": data, "model": body["model"]}).encode())
            return
        reply = self.server.reply(body["messages"])
        if not body.get("stream"):
            self._send(200, json.dumps({"id": "x", "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}]}).encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        words = reply.split(" ")
        pieces = [word + (" " if n < len(words) - 1 else "") for n, word in enumerate(words)]
        if failure == "stream ends early":
            pieces = pieces[: max(1, len(pieces) // 2)]
        self.close_connection = True
        try:
            for piece in pieces:
                chunk = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                if failure == "slow stream":
                    time.sleep(self.server.stream_pause)
            if failure != "stream ends early":
                final = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (a Ctrl-C, a Stop button): as a real server, just stop
