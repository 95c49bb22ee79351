"""Shared fixtures: every test writes into its own temporary examples file; app tests get a scripted model server."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(ROOT))

from fake_model_server import FakeModelServer  # noqa: E402

import app as timmy  # noqa: E402
import fine_tuning_capture as ftc  # noqa: E402


@pytest.fixture(autouse=True)
def output_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point capture at a file of the test's own, so no test touches the repository's file."""
    path = tmp_path / "examples.md"
    monkeypatch.setenv(ftc.OUTPUT_ENV_VAR, str(path))
    return path


@pytest.fixture
def model():
    with FakeModelServer() as server:
        yield server


@pytest.fixture
def memory(tmp_path: Path):
    store = timmy.MemoryStore(tmp_path / "memory.sqlite3")
    yield store
    store.close()


def make_app(model: FakeModelServer, memory: timmy.MemoryStore, output_file: Path, **kwargs) -> timmy.ChatApp:
    client = timmy.ChatClient(model.base_url, "fake-model", api_key=kwargs.pop("api_key", None), timeout=2)
    return timmy.ChatApp(client, memory, examples_path=output_file, **kwargs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def serve(model, memory, output_file: Path):
    servers = []

    def start(token: str | None = None, max_body: int = timmy.MAX_BODY_BYTES,
              app: timmy.ChatApp | None = None) -> timmy.ChatServer:
        server = timmy.ChatServer(("127.0.0.1", 0), app or make_app(model, memory, output_file), token=token,
                                  max_body=max_body)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def request(server, method: str, path: str, body=None, headers=None) -> tuple[int, dict, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    connection.request(method, path, body=raw, headers={"Content-Type": "application/json", **(headers or {})})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    content_type = response.getheader("Content-Type", "")
    return response.status, (json.loads(data) if "json" in content_type else {"text": data.decode()}), dict(
        response.getheaders())


def run_app(*args: str, stdin: str | bytes = "", env_extra=None, drop_env=("OPENAI_API_KEY",),
            tmp_path: Path) -> subprocess.CompletedProcess:
    """`python app.py ARGS` with *stdin*, its data under *tmp_path*, and no key from the caller's environment;
    bytes in, bytes out (for input that is not UTF-8)."""
    env = {name: value for name, value in os.environ.items() if name not in drop_env}
    env.update({"XDG_DATA_HOME": str(tmp_path / "data"), **(env_extra or {})})
    return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], input=stdin, capture_output=True,
                          text=isinstance(stdin, str), timeout=60, env=env)
