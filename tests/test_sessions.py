"""Conversations that survive: sessions in SQLite, /save /undo /retry, the terminal that never drops the chat.

Against real servers: the app's own on port 0 (in this process or as `python app.py serve`), the scripted
model server, and the terminal through a pipe or a pseudo-terminal.
"""

from __future__ import annotations

import http.client
import json
import os
import pty
import queue
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, make_app, request, run_app
from fake_model_server import FakeModelServer

import app as timmy
import fine_tuning_capture as ftc

WAIT = 30  # seconds any one expected output may take to appear before a test fails


def numbered_replies() -> Callable[[list[dict[str, str]]], str]:
    """Replies that differ on every call, as a sampling model's would: "reply 1 to: ...", "reply 2 to: ..."."""
    count = iter(range(1, 1_000_000))
    return lambda messages: f"reply {next(count)} to: {messages[-1]['content']}"


# --- the app's own server as a process: a restart loses nothing ------------------------------

def start_serve(model: FakeModelServer, tmp_path: Path, output_file: Path) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "serve", "--port", "0", "--base-url", model.base_url, "--model",
         "fake-model", "--db", str(tmp_path / "memory.sqlite3"), "--examples", str(output_file)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    banner = process.stdout.readline()
    assert "is serving on http://127.0.0.1:" in banner, banner
    return process, int(banner.split("http://127.0.0.1:")[1].split("/")[0])


def post(port: int, path: str, body: dict) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = json.loads(response.read())
    connection.close()
    return response.status, data


def test_praise_after_sigkill_and_restart_captures_the_prompt_sent_before(model, tmp_path: Path, output_file: Path):
    first, port = start_serve(model, tmp_path, output_file)
    try:
        _, answer = post(port, "/api/chat", {"message": "My cat is Winston"})
        session = answer["session_id"]
        post(port, "/api/chat", {"session_id": session, "message": "What's my cat's name?"})
        sent = model.requests[-1]["body"]["messages"]
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(WAIT)
    second, port = start_serve(model, tmp_path, output_file)
    try:
        status, praised = post(port, "/api/chat", {"session_id": session, "message": "Good one, Timmy!"})
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        connection.request("GET", f"/api/sessions/{session}")
        response = connection.getresponse()
        status_get, stored = response.status, json.loads(response.read())
        connection.close()
    finally:
        second.terminate()
        second.wait(WAIT)
    (example,) = ftc.read_examples(output_file)
    assert status == 200 and praised["captured"] is True and praised["captured_index"] == 1
    assert praised["example_id"] == ftc.example_id(example)
    assert [example.system_prompt, example.user_message] == [sent[0]["content"], sent[1]["content"]]
    assert status_get == 200
    assert [(e["index"], e["user"], e["example_id"]) for e in stored["exchanges"]] == [
        (0, "My cat is Winston", None), (1, "What's my cat's name?", praised["example_id"]),
        (2, "Good one, Timmy!", None)]


# --- retry: the identical request, the old reply kept as a rejected alternative ---------------

CRASH_SCRIPT = """
import os, sys
sys.path.insert(0, {root!r})
import app as timmy

class Client:
    model = "stub"
    def complete(self, messages, stream=False, on_token=None):
        return "Noted."

memory = timmy.MemoryStore({db!r})
app = timmy.ChatApp(Client(), memory, examples_path={examples!r})
session = app.session("s1")
app.turn(session, "My cat is Winston")
remember = memory.remember
def remember_then_die(*args, **kwargs):
    remember(*args, **kwargs)
    os._exit(3)  # killed after the memory's insert, before the turn's commit
memory.remember = remember_then_die
app.turn(session, "My dog is Biscuit")
"""


def test_a_turn_stores_its_exchange_and_its_memory_in_one_transaction(tmp_path: Path, output_file: Path):
    db = tmp_path / "memory.sqlite3"
    script = CRASH_SCRIPT.format(root=str(ROOT), db=str(db), examples=str(output_file))
    assert subprocess.run([sys.executable, "-c", script], timeout=WAIT).returncode == 3
    memory = timmy.MemoryStore(db)
    sessions = timmy.SessionStore(memory.database)
    try:
        assert [e.user_message for e in sessions.exchanges("s1")] == ["My cat is Winston"]
        assert [m.content for m in memory.memories()] == ["My cat is Winston"]
    finally:
        memory.close()


def test_a_memory_that_cannot_be_stored_does_not_lose_the_exchange(model, memory, output_file: Path,
                                                                  monkeypatch: pytest.MonkeyPatch):
    app = make_app(model, memory, output_file)
    session = app.session()
    app.turn(session, "My cat is Winston")

    def fail(*args, **kwargs):
        memory.add("I live in Leeds", "Personal Data", 4)  # a write of its own, undone with the failure
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(memory, "remember", fail)
    app.turn(session, "My dog is Biscuit")
    assert [e.user_message for e in app.sessions.exchanges(session.id)] == ["My cat is Winston", "My dog is Biscuit"]
    assert [m.content for m in memory.memories()] == ["My cat is Winston"]


def test_retry_resends_the_identical_request_and_praise_captures_the_rejected_reply(memory, output_file: Path):
    with FakeModelServer(numbered_replies()) as model:
        app = make_app(model, memory, output_file)
        session = app.session()
        app.turn(session, "Tell me a joke")
        retried = app.retry(session)
        again = app.retry(session)
        assert model.requests[1]["body"] == model.requests[0]["body"] == model.requests[2]["body"]
        assert (retried.index, retried.reply, again.reply) == (0, "reply 2 to: Tell me a joke",
                                                               "reply 3 to: Tell me a joke")
        result = app.turn(session, "Ha! Good one")
    (example,) = ftc.read_examples(output_file)
    assert result.saved == timmy.Saved(0, ftc.example_id(example))
    assert example.assistant_response == "reply 3 to: Tell me a joke"
    assert example.rejected_responses == ("reply 1 to: Tell me a joke", "reply 2 to: Tell me a joke")
    assert example.system_prompt == model.requests[0]["body"]["messages"][0]["content"]


def test_retry_over_http_whole_and_streamed(memory, output_file: Path, serve):
    with FakeModelServer(numbered_replies()) as model:
        server = serve(app=make_app(model, memory, output_file))
        _, first, _ = request(server, "POST", "/api/chat", {"message": "Name a colour"})
        session = first["session_id"]
        status, retried, _ = request(server, "POST", f"/api/sessions/{session}/retry")
        events = stream_events(server, f"/api/sessions/{session}/retry", {"stream": True})
        assert model.requests[2]["body"] == {**model.requests[0]["body"], "stream": True}
        assert model.requests[1]["body"] == model.requests[0]["body"]
    assert status == 200 and retried == {"session_id": session, "index": 0, "reply": "reply 2 to: Name a colour",
                                         "captured": False, "example_id": None, "captured_index": None}
    assert "".join(e.get("delta", "") for e in events) == "reply 3 to: Name a colour"
    assert events[-1] == {"done": True, "session_id": session, "index": 0, "reply": "reply 3 to: Name a colour",
                          "captured": False, "example_id": None, "captured_index": None}
    _, stored, _ = request(server, "GET", f"/api/sessions/{session}")
    assert stored == {"session_id": session, "exchanges": [
        {"index": 0, "user": "Name a colour", "reply": "reply 3 to: Name a colour", "example_id": None,
         "rejected": ["reply 1 to: Name a colour", "reply 2 to: Name a colour"]}]}


def test_retry_needs_a_reply_and_refuses_a_saved_one(model, memory, output_file: Path):
    app = make_app(model, memory, output_file)
    session = app.session()
    with pytest.raises(timmy.ChatError, match="there is no reply to retry yet"):
        app.retry(session)
    app.turn(session, "What's the capital of France?")
    saved = app.save(session)
    with pytest.raises(timmy.ChatError, match=f"that reply is saved as example {saved.example_id}; undo it first"):
        app.retry(session)
    assert len(model.requests) == 1


# --- save and undo: the human corrects the detector ------------------------------------------

def test_save_captures_the_exchange_with_its_own_prompt_and_says_so(model, memory, output_file: Path):
    app = make_app(model, memory, output_file)
    session = app.session()
    app.turn(session, "What's my cat's name?")
    app.turn(session, "And my dog's?")
    saved = app.save(session, 0)
    (example,) = ftc.read_examples(output_file)
    assert saved == timmy.Saved(0, ftc.example_id(example))
    assert example.praise_message == "/save"
    assert example.metadata["praise_match"] == {"rule": "command"}
    assert example.metadata["session_id"] == session.id and example.metadata["model"] == "fake-model"
    assert example.user_message == "What's my cat's name?"
    assert example.system_prompt == model.requests[0]["body"]["messages"][0]["content"]
    with pytest.raises(timmy.ChatError, match=f"already saved as example {saved.example_id}"):
        app.save(session, 0)
    with pytest.raises(timmy.ChatError, match="there is no exchange 5"):
        app.save(session, 5)


def test_undo_removes_exactly_the_last_example_of_its_own_session(model, memory, output_file: Path):
    app = make_app(model, memory, output_file)
    mine, other = app.session(), app.session()
    for session in (mine, other):
        app.turn(session, f"first question in {session.id}")
    mine_first = app.turn(mine, "perfect").saved
    other_first = app.turn(other, "perfect").saved
    app.turn(mine, "second question, mine")
    mine_second = app.save(mine)
    app.turn(other, "second question, other")
    other_second = app.save(other)
    blocks = {ftc.example_id(e): ftc.render_example(e) for e in ftc.read_examples(output_file)}
    assert list(blocks) == [mine_first.example_id, other_first.example_id, mine_second.example_id,
                            other_second.example_id]

    assert app.undo(mine) == mine_second.example_id
    remaining = [ftc.example_id(e) for e in ftc.read_examples(output_file)]
    assert remaining == [mine_first.example_id, other_first.example_id, other_second.example_id]
    assert output_file.read_text(encoding="utf-8") == ftc.FILE_BANNER + "\n" + "".join(
        blocks[identifier] for identifier in remaining)
    assert app.sessions.exchange(mine.id, 2).example_id is None  # the exchange can be saved again
    assert app.undo(mine) == mine_first.example_id
    with pytest.raises(timmy.ChatError, match="nothing saved in this conversation to undo"):
        app.undo(mine)
    assert [ftc.example_id(e) for e in ftc.read_examples(output_file)] == [other_first.example_id,
                                                                          other_second.example_id]


def test_http_save_delete_and_praise_whose_reply_fails(serve, model, output_file: Path):
    server = serve()
    _, first, _ = request(server, "POST", "/api/chat", {"message": "What's my cat's name?"})
    session = first["session_id"]
    request(server, "POST", "/api/chat", {"session_id": session, "message": "What's my dog's name?"})
    status, saved, _ = request(server, "POST", f"/api/sessions/{session}/save", {"index": 0})
    (example,) = ftc.read_examples(output_file)
    assert status == 200 and saved == {"session_id": session, "index": 0, "example_id": ftc.example_id(example)}
    assert request(server, "POST", f"/api/sessions/{session}/save", {"index": 0})[:2] == (
        409, {"error": f"that reply is already saved as example {saved['example_id']}"})
    assert request(server, "POST", f"/api/sessions/{session}/save", {"index": "0"})[:2] == (
        400, {"error": '"index" must be the number of an exchange'})
    assert request(server, "DELETE", f"/api/examples/{saved['example_id']}")[:2] == (
        200, {"removed": saved["example_id"]})
    assert list(ftc.read_examples(output_file)) == []
    assert request(server, "DELETE", f"/api/examples/{saved['example_id']}")[0] == 404

    model.failure = "500"  # the praise captures exchange 1, then its own reply fails
    status, failed, _ = request(server, "POST", "/api/chat", {"session_id": session, "message": "Great response!"})
    (captured,) = ftc.read_examples(output_file)
    assert status == 502
    assert failed == {"error": "the model server failed (HTTP 500): out of memory", "captured": True,
                      "example_id": ftc.example_id(captured), "captured_index": 1}
    assert captured.user_message == "What's my dog's name?"


# --- streaming over HTTP ------------------------------------------------------------------

def stream_events(server, path: str, body: dict) -> list[dict]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=WAIT)
    connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
    events = [json.loads(line[6:]) for line in response.read().decode().split("\n") if line.startswith("data: ")]
    connection.close()
    return events


def test_streamed_chat_sends_deltas_then_done(serve, model, output_file: Path):
    server = serve()
    events = stream_events(server, "/api/chat", {"message": "count to three please", "stream": True})
    session = events[-1]["session_id"]
    assert [e["delta"] for e in events[:-1]] == ["Reply ", "to: ", "count ", "to ", "three ", "please"]
    assert events[-1] == {"done": True, "session_id": session, "index": 0,
                          "reply": "Reply to: count to three please", "captured": False, "example_id": None,
                          "captured_index": None}
    model.failure = "500"
    events = stream_events(server, "/api/chat", {"session_id": session, "message": "nice one", "stream": True})
    (example,) = ftc.read_examples(output_file)
    assert events == [{"error": "the model server failed (HTTP 500): out of memory", "session_id": session,
                       "captured": True, "example_id": ftc.example_id(example), "captured_index": 0}]


def test_a_client_that_leaves_mid_stream_stores_nothing(serve, model, memory):
    server = serve()
    _, first, _ = request(server, "POST", "/api/chat", {"message": "hello there"})
    model.failure = "slow stream"
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=WAIT) as client:
        body = json.dumps({"session_id": first["session_id"], "message": "tell me a long story", "stream": True})
        client.sendall(f"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
        assert b'data: {"delta": "Reply "}' in read_until(client, b'"delta"')
    time.sleep(4 * 0.5)  # the server notices on its next writes
    model.failure = None
    _, stored, _ = request(server, "GET", f"/api/sessions/{first['session_id']}")
    assert [e["user"] for e in stored["exchanges"]] == ["hello there"]


def read_until(client: socket.socket, wanted: bytes) -> bytes:
    data = b""
    deadline = time.monotonic() + WAIT
    while wanted not in data and time.monotonic() < deadline:
        data += client.recv(4096)
    return data


# --- HTTP hygiene ---------------------------------------------------------------------------

def test_token_in_the_query_never_reaches_the_log(serve, caplog: pytest.LogCaptureFixture):
    server = serve(token="s3cret-token")
    with caplog.at_level("INFO", logger="timmy"):
        assert request(server, "GET", "/api/health?token=s3cret-token")[0] == 200
        assert request(server, "GET", "/api/health?x=1&token=s3cret-token&y=2")[0] == 200
    assert "s3cret-token" not in caplog.text
    assert "/api/health?token=[hidden]" in caplog.text and "?x=1&token=[hidden]&y=2" in caplog.text


def test_head_and_options_get_a_json_405(serve):
    server = serve()
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=WAIT)
    connection.request("HEAD", "/")
    response = connection.getresponse()
    assert (response.status, response.getheader("Allow"), response.getheader("Content-Type"), response.read()) == (
        405, "GET", "application/json; charset=utf-8", b"")
    connection.close()
    status, data, headers = request(server, "OPTIONS", "/api/sessions/abc/save")
    assert (status, data, headers["Allow"]) == (405, {"error": "OPTIONS is not allowed on /api/sessions/abc/save"},
                                                "POST")


@pytest.mark.parametrize("sent", [b"", b"POST /api/chat HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"mess"],
                         ids=["idle", "stalled mid-body"])
def test_a_stalled_or_idle_connection_is_closed_after_the_timeout(model, memory, output_file: Path, sent: bytes):
    server = timmy.ChatServer(("127.0.0.1", 0), make_app(model, memory, output_file), request_timeout=0.5)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=WAIT) as client:
            client.sendall(sent)
            assert client.recv(4096) == b""  # closed by the server, with nothing sent back
    finally:
        server.shutdown()
        server.server_close()


# --- the terminal ---------------------------------------------------------------------------

class Piped:
    """`python app.py` with its stdin and stdout as pipes, read line by line as they come."""

    def __init__(self, *args: str, tmp_path: Path) -> None:
        env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
        self.process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), *args], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stdout], daemon=True).start()

    def send(self, text: str) -> None:
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def expect(self, wanted: str) -> str:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if wanted in line:
                return line
        raise AssertionError(f"no line with {wanted!r} from the app")

    def finish(self) -> tuple[int, str]:
        self.process.stdin.close()
        status = self.process.wait(WAIT)
        return status, self.process.stderr.read()


def test_terminal_keeps_going_when_the_model_server_goes_away_and_comes_back(tmp_path: Path, output_file: Path):
    model = FakeModelServer().__enter__()
    port = model.server_address[1]
    chat = Piped("--base-url", model.base_url, "--examples", str(output_file), tmp_path=tmp_path)
    chat.send("hello one")
    chat.expect("timmy> Reply to: hello one")
    model.__exit__()
    chat.send("hello two")
    assert chat.expect("[error]") == (f"[error] no model server is answering at http://127.0.0.1:{port}/v1 "
                                      "([Errno 111] Connection refused). Start that server, or point --base-url "
                                      "(or OPENAI_BASE_URL) at another one.\n")
    with FakeModelServer(port=port) as again:
        chat.send("hello three")
        chat.expect("timmy> Reply to: hello three")
        chat.send("Good one, Timmy!")
        chat.expect("(saved as a fine-tuning example")
        status, stderr = chat.finish()
    assert status == 0, stderr
    (example,) = ftc.read_examples(output_file)
    assert example.user_message == "hello three"
    assert example.system_prompt == again.requests[0]["body"]["messages"][0]["content"]


def test_unknown_command_is_not_sent_to_the_model(model, tmp_path: Path, output_file: Path):
    result = run_app("--base-url", model.base_url, "--examples", str(output_file),
                     stdin="/history\n/Bogus now\n/etc/hosts is a file\n", tmp_path=tmp_path)
    assert result.returncode == 0
    assert "unknown command /history: /help lists the commands (nothing was sent to the model)" in result.stdout
    assert "unknown command /Bogus:" in result.stdout
    assert [r["body"]["messages"][1]["content"] for r in model.requests] == ["/etc/hosts is a file"]


def test_terminal_resumes_the_last_conversation_and_praise_captures_across_runs(model, tmp_path: Path,
                                                                              output_file: Path):
    common = ("--base-url", model.base_url, "--examples", str(output_file))
    run_app(*common, stdin="What's my cat's name?\n", tmp_path=tmp_path)
    second = run_app(*common, stdin="Good one, Timmy!\n/undo\n/undo\n/new\nperfect\n", tmp_path=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "Resuming conversation" in second.stdout and "  you> What's my cat's name?" in second.stdout
    saved = second.stdout.split("(saved as a fine-tuning example ")[1].split()[0]
    assert f"(removed example {saved} from {output_file.name})" in second.stdout
    assert "nothing saved in this conversation to undo" in second.stdout
    assert second.stdout.count("(saved as") == 1  # after /new, "perfect" has nothing to praise
    assert list(ftc.read_examples(output_file)) == []
    db = tmp_path / "data" / "little-timmy" / "memory.sqlite3"
    sessions = timmy.SessionStore(db)
    old = sessions.exchanges(sessions.latest("terminal"))
    assert [e.user_message for e in old] == ["perfect"]
    sessions.close()


def test_terminal_session_option_picks_a_conversation(model, tmp_path: Path, output_file: Path):
    common = ("--base-url", model.base_url, "--examples", str(output_file))
    run_app(*common, stdin="What's my cat's name?\n/new\nsomething else\n", tmp_path=tmp_path)
    sessions = timmy.SessionStore(tmp_path / "data" / "little-timmy" / "memory.sqlite3")
    first = next(sid for (sid,) in sessions._db.execute("SELECT id FROM sessions ORDER BY created_at LIMIT 1"))
    sessions.close()
    result = run_app(*common, "--session", first, stdin="/save\n", tmp_path=tmp_path)
    assert result.returncode == 0 and "(saved as a fine-tuning example" in result.stdout
    assert next(ftc.read_examples(output_file)).user_message == "What's my cat's name?"
    missing = run_app(*common, "--session", "nosuch", stdin="", tmp_path=tmp_path)
    assert missing.returncode == 1 and "there is no conversation 'nosuch'" in missing.stderr


def test_memories_and_forget(model, tmp_path: Path, output_file: Path):
    result = run_app("--base-url", model.base_url, "--examples", str(output_file),
                     stdin="My cat is Winston\nI live in Leeds now\n/memories\n/forget 1\n/forget 1\n/forget x\n"
                           "/memories\n", tmp_path=tmp_path)
    assert result.returncode == 0
    listing = result.stdout.split("/memories")[0]
    assert "      2  • [Personal Data, Importance: 4] User (just now) - I live in Leeds now\n" in result.stdout
    assert "      1  • [Personal Data, Importance: 5] User (just now) - My cat is Winston\n" in result.stdout
    assert "(forgot: My cat is Winston)" in result.stdout
    assert "no memory has the id 1" in result.stdout and "usage: /forget ID" in result.stdout
    assert result.stdout.count("My cat is Winston") == 3  # the message, the first listing, the forgetting
    assert listing


def test_start_up_warns_when_the_server_does_not_list_the_model(model, tmp_path: Path, output_file: Path):
    result = run_app("--base-url", model.base_url, "--model", "llama3.2", "--examples", str(output_file),
                     stdin="", tmp_path=tmp_path)
    assert result.returncode == 0
    assert result.stderr == (f"warning: the server at {model.base_url} does not list the model 'llama3.2'; it "
                             "lists fake-model. Choose one with --model.\n")


def test_start_up_tells_of_an_embedding_model_the_server_offers(model, tmp_path: Path, output_file: Path):
    model.listed = ["fake-model", "nomic-embed-text:latest", "mxbai-embed-large:latest"]
    result = run_app("--base-url", model.base_url, "--model", "fake-model", "--examples", str(output_file),
                     stdin="", tmp_path=tmp_path)
    assert result.returncode == 0
    assert result.stderr == ("tip: the server offers the embedding model nomic-embed-text:latest: with --embed-model "
                             "nomic-embed-text:latest, recall finds facts said in other words too\n")
    with_it = run_app("--base-url", model.base_url, "--model", "fake-model", "--embed-model", "nomic-embed-text:latest",
                      "--examples", str(output_file), stdin="", tmp_path=tmp_path)
    assert (with_it.returncode, with_it.stderr) == (0, "")  # chosen: nothing to tell
    model.listed = ["fake-model", "llama3.2:latest", "qwen2.5:7b"]
    chat_only = run_app("--base-url", model.base_url, "--model", "fake-model", "--examples", str(output_file),
                        stdin="", tmp_path=tmp_path)
    assert (chat_only.returncode, chat_only.stderr) == (0, "")


def test_the_terminal_recalls_by_meaning_with_an_embedding_model(model, tmp_path: Path, output_file: Path):
    model.meanings.update({"zorblat": "tool", "flumox": "tool"})
    result = run_app("--base-url", model.base_url, "--model", "fake-model", "--embed-model", "fake-embedder",
                     "--examples", str(output_file), stdin="I keep the zorblat in the shed\nWhere is the flumox?\n",
                     tmp_path=tmp_path)
    assert result.returncode == 0
    assert result.stderr == (f"warning: the server at {model.base_url} does not list the model 'fake-embedder'; "
                             "it lists fake-model. Choose one with --embed-model.\n")
    embeddings = [r["body"] for r in model.requests if "input" in r["body"]]
    assert embeddings[0] == {"model": "fake-embedder", "input": ["I keep the zorblat in the shed"]}
    assert embeddings[1] == {"model": "fake-embedder", "input": ["Where is the flumox?"]}
    prompt = [r["body"] for r in model.requests if "messages" in r["body"]][-1]["messages"][0]["content"]
    assert "User (just now) - I keep the zorblat in the shed" in prompt


def test_an_embedding_query_model_alone_is_refused(model, tmp_path: Path, output_file: Path):
    result = run_app("--base-url", model.base_url, "--model", "fake-model", "--embed-query-model", "e5-query",
                     stdin="", tmp_path=tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == ("--embed-query-model names how the embedding model embeds questions: "
                             "give --embed-model too\n")


@pytest.mark.parametrize(("key", "warning"), [(None, "wants a key, and OPENAI_API_KEY is not set"),
                                              ("sk-wrong", "refused the key in OPENAI_API_KEY")])
def test_start_up_says_plainly_when_the_key_is_missing_or_refused(model, tmp_path: Path, output_file: Path,
                                                                   key, warning):
    model.failure = "401"
    env = {"OPENAI_API_KEY": key} if key else {}
    result = run_app("--base-url", model.base_url, "--examples", str(output_file), stdin="", tmp_path=tmp_path,
                     env_extra=env, drop_env=() if key else ("OPENAI_API_KEY",))
    assert result.returncode == 0
    assert result.stderr == f"warning: the server at {model.base_url} {warning}\n"


def test_ctrl_c_during_a_streamed_reply_stops_it_and_keeps_the_session(model, tmp_path: Path, output_file: Path):
    """In a real pseudo-terminal, as a person types: Ctrl-C is the terminal's interrupt character."""
    model.failure = "slow stream"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app, with the pty as its controlling terminal
        os.environ["XDG_DATA_HOME"] = str(tmp_path / "data")
        os.execv(sys.executable, [sys.executable, str(ROOT / "app.py"), "--base-url", model.base_url,
                                  "--examples", str(output_file)])
    screen = PtyScreen(fd)
    try:
        screen.expect(b"you> ")
        os.write(fd, b"tell me a long story\n")
        screen.expect(b"timmy> Reply ")
        os.write(fd, b"\x03")
        screen.expect(b"(stopped: that reply was not kept)")
        model.failure = None
        screen.expect(b"you> ")
        os.write(fd, b"and now?\n")
        screen.expect(b"timmy> Reply to: and now?")
        screen.expect(b"you> ")
        os.write(fd, b"\x04")  # Ctrl-D at the prompt leaves
        screen.expect(b"\n")
        status = wait_child(pid)
    finally:
        os.close(fd)
    assert status == 0
    sessions = timmy.SessionStore(tmp_path / "data" / "little-timmy" / "memory.sqlite3")
    stored = sessions.exchanges(sessions.latest("terminal"))
    sessions.close()
    assert [(e.user_message, e.reply) for e in stored] == [("and now?", "Reply to: and now?")]


def wait_child(pid: int) -> int:
    """The child's exit status; killed and a failure if it has not exited within WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError("the app did not exit")


class PtyScreen:
    """What the app writes to its pseudo-terminal, read as it comes."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.seen = b""

    def expect(self, wanted: bytes) -> None:
        deadline = time.monotonic() + WAIT
        while wanted not in self.seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
                raise AssertionError(f"{wanted!r} never appeared; the screen shows {self.seen[-500:]!r}")
            self.seen += os.read(self.fd, 4096)
        self.seen = self.seen[self.seen.index(wanted) + len(wanted):]


# --- memory that stays flat ----------------------------------------------------------------

RSS_SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
import app as timmy

class Client:
    model = "stub"
    def complete(self, messages, stream=False, on_token=None):
        return "A reply of ordinary length, " * 8 + messages[-1]["content"]

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6

memory = timmy.MemoryStore({db!r})
app = timmy.ChatApp(Client(), memory, examples_path={examples!r})
def chat(sessions, turns, tag):
    for n in range(sessions):
        session = app.session()
        for t in range(turns):
            app.turn(session, f"Question {{t}} of conversation {{tag}}-{{n}}, with a few more words in it?")
chat(100, 10, "warm")
before = rss_mb()
chat(1000, 10, "measured")
print(before, rss_mb())
"""


def test_ten_thousand_exchanges_over_a_thousand_sessions_keep_memory_flat(tmp_path: Path):
    script = RSS_SCRIPT.format(root=str(ROOT), db=str(tmp_path / "m.sqlite3"), examples=str(tmp_path / "ex.md"))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    before, after = map(float, result.stdout.split())
    assert after - before < 20, (before, after)


# --- text that is not valid Unicode: stored with replacement characters, the chat goes on --------------------

def test_lone_surrogates_from_a_client_and_the_model_are_stored_not_fatal(serve, model, memory, output_file: Path):
    model.reply = lambda messages: "Winston \ud83d is a fine name"  # a high surrogate with no partner
    server = serve()
    status, body, _ = request(server, "POST", "/api/chat", body=b'{"message": "My cat is \\ud800 Winston"}')
    assert status == 200 and body["reply"] == "Winston \ufffd is a fine name"
    status, body, _ = request(server, "POST", "/api/chat",
                              body=f'{{"message": "great \\udcff job, Timmy", "session_id": "{body["session_id"]}"}}'
                              .encode())
    assert status == 200 and body["captured"] is True
    (example,) = ftc.read_examples(output_file)
    assert (example.user_message, example.assistant_response) == (
        "My cat is \ufffd Winston", "Winston \ufffd is a fine name")
    assert example.praise_message == "great \ufffd job, Timmy"
    assert [m.content for m in memory.recall("What's my cat called?", 5)] == ["My cat is \ufffd Winston"]


def test_terminal_reads_bytes_that_are_not_utf8_and_goes_on(model, tmp_path: Path, output_file: Path):
    result = run_app("--base-url", model.base_url, "--model", "fake-model", "--examples", str(output_file),
                     stdin=b"hello \xff there\nsecond message\n", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert "Traceback" not in result.stderr.decode(errors="replace")
    assert [request["body"]["messages"][1]["content"] for request in model.requests[-2:]] == [
        "hello \ufffd there", "second message"]
