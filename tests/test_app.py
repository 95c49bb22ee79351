"""app.py against a real HTTP model server of our own: capture, memory, model failures, HTTP and the terminal."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ROOT, free_port, make_app, request, run_app

import app as timmy
import fine_tuning_capture as ftc

# --- the captured prompt is the one the model saw ---------------------------------------------

def test_praise_captures_exactly_the_prompt_that_produced_the_reply(model, memory, output_file: Path):
    clock = iter(dt.datetime(2025, 11, 19, 20, 0) + dt.timedelta(minutes=n) for n in range(100))
    app = make_app(model, memory, output_file, clock=lambda: next(clock))
    session = app.session()
    app.turn(session, "My cat is Winston and he hates the vet")
    app.turn(session, "I work as a nurse at St Mary's")
    praised = app.turn(session, "What's my cat's name?")
    result = app.turn(session, "Good one, Timmy!")
    assert result.captured is not None

    praised_request = model.requests[2]["body"]
    assert praised_request["messages"][1] == {"role": "user", "content": "What's my cat's name?"}
    assert [m["role"] for m in praised_request["messages"]] == ["system", "user"]  # exactly [system, user]
    (example,) = ftc.read_examples(output_file)
    assert example.system_prompt == praised_request["messages"][0]["content"]
    assert example.system_prompt != model.requests[3]["body"]["messages"][0]["content"]  # not the praise's prompt
    assert "Current time: 2025-11-19 20:02:00" in example.system_prompt
    assert "• [Personal Data, Importance: 5] User (2m ago) - My cat is Winston and he hates the vet" in \
        example.system_prompt
    assert example.user_message == "What's my cat's name?"
    assert example.assistant_response == praised.reply == "Reply to: What's my cat's name?"
    assert example.metadata["session_id"] == session.id
    assert example.metadata["model"] == "fake-model"
    assert example.metadata["praise_match"]["matched"] == "good one timmy"
    assert "timestamp" in example.metadata
    assert result.reply == "Reply to: Good one, Timmy!"  # the praise is answered like any message


def test_prompt_holds_persona_time_memories_and_recent_turns(model, memory, output_file: Path):
    app = make_app(model, memory, output_file, persona="You are Test Persona.")
    session = app.session()
    app.turn(session, "My dog is called Rex")
    app.turn(session, "Tell me about my dog")
    prompt = model.requests[1]["body"]["messages"][0]["content"]
    assert prompt.startswith("You are Test Persona.\n\nCurrent time: ")
    assert "Memories:\n• [Personal Data, Importance: 5] User (just now) - My dog is called Rex" in prompt
    assert "Recent conversation:\nUser: My dog is called Rex\nTimmy: Reply to: My dog is called Rex" in prompt


def test_first_message_and_plain_messages_capture_nothing(model, memory, output_file: Path):
    app = make_app(model, memory, output_file)
    session = app.session()
    assert app.turn(session, "Perfect!").captured is None
    assert app.turn(session, "What time is it?").captured is None
    assert not output_file.exists()


def test_api_key_is_sent_as_bearer_token(model, memory, output_file: Path):
    app = make_app(model, memory, output_file, api_key="sk-test")
    app.turn(app.session(), "hello there")
    assert model.requests[0]["headers"]["Authorization"] == "Bearer sk-test"


def test_streamed_reply_arrives_piece_by_piece(model, memory, output_file: Path):
    app = make_app(model, memory, output_file)
    pieces: list[str] = []
    result = app.turn(app.session(), "count to three please", stream=True, on_token=pieces.append)
    assert len(pieces) > 1 and "".join(pieces) == result.reply == "Reply to: count to three please"
    assert model.requests[0]["body"]["stream"] is True


# --- model failures --------------------------------------------------------------------------

@pytest.mark.parametrize(("failure", "stream", "message"), [
    ("401", False, "refused the request (HTTP 401): check OPENAI_API_KEY"),
    ("unknown model", False, "does not know the model 'fake-model'"),
    ("500", False, "the model server failed (HTTP 500): out of memory"),
    ("malformed json", False, "not Chat Completions JSON"),
    ("stream ends early", True, "the reply stream ended early"),
    ("no route", False, "no /chat/completions endpoint"),
    ("slow", False, "did not answer within 2 s"),
])
def test_model_failures_are_clear_and_change_nothing(failure, stream, message, model, memory, output_file: Path):
    app = make_app(model, memory, output_file)
    session = app.session()
    app.turn(session, "What's my cat's name?")
    before = app.sessions.exchanges(session.id)
    model.failure = failure
    with pytest.raises(timmy.ModelError) as caught:
        app.turn(session, "My cat is Winston, remember that", stream=stream)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert app.sessions.exchanges(session.id) == before
    assert memory.recall("Winston") == []  # the failed turn stored no memory
    model.failure = None
    assert app.turn(session, "What time is it?").captured is None
    assert not output_file.exists()


def test_nothing_listening_names_the_url_and_how_to_point_elsewhere():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(timmy.ModelUnreachable) as caught:
        timmy.ChatClient(url, "llama3.2", timeout=2).complete([{"role": "user", "content": "hi"}])
    assert f"no model server is answering at {url} (" in str(caught.value)
    assert "--base-url" in str(caught.value) and "ollama" not in str(caught.value).lower()


def test_ollama_advice_only_for_ollamas_port():
    client = timmy.ChatClient("http://127.0.0.1:11434/v1", "llama3.2", timeout=2)
    assert client.is_ollama and "`ollama serve`" in str(client._unreachable("refused"))
    assert "`ollama pull llama3.2`" in str(client._unreachable("refused"))
    assert not timmy.ChatClient("http://127.0.0.1:4000/v1", "x").is_ollama


# --- memory ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("My cat is Winston", ("Personal Data", 5)),
    ("I'm allergic to peanuts", ("Personal Data", 5)),
    ("I live in Leeds now", ("Personal Data", 4)),
    ("My boss wants the report by Thursday", ("Work", 3)),
    ("I have a dentist appointment tomorrow", ("Plans", 4)),
    ("I really like spicy food", ("Preferences", 3)),
    ("The train was late again", ("Misc", 2)),
    ("What's my cat's name?", None),
    ("Do you remember my cat", None),
    ("Good morning Timmy", None),
    ("Good one, Timmy!", None),
    ("thanks a lot", None),
    ("ok", None),
    ("/help", None),
])
def test_classification_rules(text: str, expected):
    assert timmy.classify(text) == expected


def test_recall_ranks_by_relevance_importance_and_recency(memory):
    now = dt.datetime(2025, 11, 19, 20, 0)
    memory.add("My cat is Winston", "Personal Data", 5, created_at=now - dt.timedelta(days=30))
    memory.add("The cat next door is loud", "Misc", 2, created_at=now - dt.timedelta(days=30))
    memory.add("My cat Winston hates the vet", "Personal Data", 5, created_at=now - dt.timedelta(hours=1))
    memory.add("I like pizza", "Preferences", 3, created_at=now)
    found = [m.content for m in memory.recall("what is my cat called", 2, now=now)]
    assert found == ["My cat is Winston", "My cat Winston hates the vet"]  # the shorter is more about the cat
    assert [m.content for m in memory.recall("zebra", 1, now=now)] == ["My cat Winston hates the vet"]


def test_memory_text_with_fts_syntax_is_safe(memory):
    memory.add('He said "hello" AND NOT OR * (x)', "Misc", 2)
    assert memory.recall('"hello" AND NOT * (', 5)[0].content.startswith("He said")


def test_migrations_are_numbered_and_idempotent(tmp_path: Path):
    path = tmp_path / "m.sqlite3"
    first = timmy.MemoryStore(path)
    first.add("My cat is Winston", "Personal Data", 5)
    assert first.schema_version == len(timmy.MIGRATIONS)
    first.close()
    again = timmy.MemoryStore(path)
    assert again.schema_version == len(timmy.MIGRATIONS)
    assert [m.content for m in again.recall("cat")] == ["My cat is Winston"]
    assert again.add("My cat is Winston", "Personal Data", 5) is False  # stored once
    again.close()


def test_memory_line_format():
    now = dt.datetime(2025, 11, 19, 20, 10, 46)
    memory = timmy.Memory("My cat is Winston", "Personal Data", 5, "User", now - dt.timedelta(hours=1, minutes=5))
    assert timmy.format_memory(memory, now) == "• [Personal Data, Importance: 5] User (1h ago) - My cat is Winston"


def test_default_db_path_is_per_user_and_absolute(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("TIMMY_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert timmy.default_db_path() == tmp_path / "little-timmy" / "memory.sqlite3"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIMMY_DB", "rel/m.db")
    assert timmy.default_db_path() == tmp_path / "rel" / "m.db"


# --- HTTP ------------------------------------------------------------------------------------

def test_http_chat_then_praise(serve, output_file: Path):
    server = serve()
    status, first, _ = request(server, "POST", "/api/chat", {"message": "What's my cat's name?"})
    assert status == 200
    assert first == {"session_id": first["session_id"], "index": 0, "reply": "Reply to: What's my cat's name?",
                     "captured": False, "example_id": None, "captured_index": None}
    status, second, _ = request(server, "POST", "/api/chat", {"session_id": first["session_id"], "message": "perfect"})
    (example,) = ftc.read_examples(output_file)
    assert status == 200
    assert second == {"session_id": first["session_id"], "index": 1, "reply": "Reply to: perfect",
                      "captured": True, "example_id": ftc.example_id(example), "captured_index": 0}
    assert example.user_message == "What's my cat's name?"


def test_http_health_and_page(serve):
    server = serve()
    status, health, _ = request(server, "GET", "/api/health")
    assert status == 200 and health["status"] == "ok" and health["model"] == "fake-model"
    status, page, headers = request(server, "GET", "/")
    assert status == 200 and "<title>Little Timmy</title>" in page["text"]
    assert "textContent" in page["text"] and "innerHTML" not in page["text"]
    assert "http://" not in page["text"] and "https://" not in page["text"]  # no external assets


@pytest.mark.parametrize(("method", "path", "body", "status", "error"), [
    ("POST", "/api/chat", b"{not json", 400, "not valid JSON"),
    ("POST", "/api/chat", {"session_id": "x"}, 400, '"message" must be a non-empty string'),
    ("POST", "/api/chat", {"message": 5}, 400, '"message" must be a non-empty string'),
    ("POST", "/api/chat", ["message"], 400, "send a JSON object"),
    ("POST", "/api/chat", {"message": "hi", "stream": "yes"}, 400, '"stream" must be true or false'),
    ("GET", "/api/sessions/nosuch", None, 404, "no conversation nosuch"),
    ("POST", "/api/sessions/nosuch/retry", None, 404, "no conversation nosuch"),
    ("POST", "/api/sessions/nosuch/save", {}, 404, "no conversation nosuch"),
    ("DELETE", "/api/examples/0123456789", None, 404, "example 0123456789 is not in examples.md"),
    ("GET", "/api/sessions/a%2Fb", None, 404, "no such path"),
    ("OPTIONS", "/api/chat", None, 405, "OPTIONS is not allowed on /api/chat"),
    ("POST", "/api/chat", {"message": "hi", "session_id": "../etc"}, 400, '"session_id" must be'),
    ("GET", "/nope", None, 404, "no such path: /nope"),
    ("GET", "/api/chat", None, 405, "GET is not allowed on /api/chat"),
    ("DELETE", "/", None, 405, "DELETE is not allowed on /"),
])
def test_http_errors(serve, method, path, body, status, error):
    got_status, data, headers = request(serve(), method, path, body)
    assert got_status == status and error in data["error"]
    if status == 405:
        assert headers["Allow"] == ("POST" if path == "/api/chat" else "GET")


def test_http_body_cap(serve):
    server = serve(max_body=1000)
    status, data, _ = request(server, "POST", "/api/chat", {"message": "x" * 2000})
    assert status == 413 and "larger than 1000 bytes" in data["error"]


def test_http_model_failure_is_a_502_with_the_reason(serve, model):
    model.failure = "500"
    status, data, _ = request(serve(), "POST", "/api/chat", {"message": "hello there"})
    assert status == 502 and "HTTP 500" in data["error"]


def test_http_token_is_checked_on_every_request(serve):
    # Every API route, straight from the table: no token or a wrong one is a 401 before anything else is looked at.
    server = serve(token="s3cret")
    api = [(method, path.replace("{session_id}", "abc").replace("{example_id}", "abc"))
           for method, path, _, public in timmy.ROUTES if not public]
    assert len(api) == len(timmy.ROUTES) - 1
    for method, path in api:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            status, data, response_headers = request(server, method, path, {"message": "hi"}, headers)
            assert (status, response_headers["WWW-Authenticate"]) == (401, "Bearer"), (method, path, headers)
            assert "missing or wrong token" in data["error"]
    assert request(server, "POST", "/api/chat", {"message": "hi"}, {"Authorization": "Bearer s3cret"})[0] == 200
    assert request(server, "GET", "/api/health", None, {"Authorization": "Bearer s3cret"})[0] == 200
    assert request(server, "GET", "/api/health?token=s3cret")[0] == 200


def test_the_page_is_public_because_it_holds_no_data(serve):
    # The page is static: without the token it loads, then asks for the token before any /api call succeeds.
    server = serve(token="s3cret")
    status, page, headers = request(server, "GET", "/")
    assert status == 200 and "<title>Little Timmy</title>" in page["text"]
    assert headers["Content-Security-Policy"] == timmy.PAGE_SECURITY_POLICY
    assert page["text"] == timmy.PAGE and "s3cret" not in page["text"]


def test_refuses_to_serve_off_loopback_without_a_token():
    with pytest.raises(SystemExit) as caught:
        timmy.check_exposure("0.0.0.0", None)
    assert "without a token" in str(caught.value)
    timmy.check_exposure("0.0.0.0", "s3cret")
    timmy.check_exposure("127.0.0.1", None)
    timmy.check_exposure("::1", None)
    timmy.check_exposure("localhost", None)


def test_serve_command_refuses_without_a_token(tmp_path: Path):
    result = subprocess.run([sys.executable, str(ROOT / "app.py"), "serve", "--host", "0.0.0.0",
                             "--db", str(tmp_path / "m.db")], capture_output=True, text=True, timeout=60,
                            env={k: v for k, v in os.environ.items() if k != "TIMMY_API_TOKEN"})
    assert result.returncode == 1
    assert "Refusing to listen on 0.0.0.0 without a token" in result.stderr


def test_server_takes_a_burst_of_connections(model, memory, output_file: Path):
    # With socketserver's default backlog of 5, a burst of clients on a busy machine got connections dropped.
    # Before the server accepts anything, 50 clients connect at once: the kernel must queue every one of them.
    server = timmy.ChatServer(("127.0.0.1", 0), make_app(model, memory, output_file))
    port = server.server_address[1]
    clients = []
    try:
        for _ in range(50):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
            connection.connect()  # with a backlog of 5 the seventh of these times out
            clients.append(connection)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        for connection in clients:
            connection.request("GET", "/api/health")
            assert connection.getresponse().status == 200
        server.shutdown()
    finally:
        for connection in clients:
            connection.close()
        server.server_close()


def test_twenty_clients_ten_turns_each_every_praise_captured_once(serve, output_file: Path):
    server = serve()
    errors: list[str] = []

    def client(number: int) -> None:
        session_id = None
        for turn in range(10):
            message = f"client {number} question {turn}" if turn % 3 != 2 else "Great response!"
            body = {"message": message} if session_id is None else {"session_id": session_id, "message": message}
            status, data, _ = request(server, "POST", "/api/chat", body)
            if status != 200:
                errors.append(f"{number}/{turn}: {status} {data}")
                return
            session_id = data["session_id"]
            if data["captured"] != (turn % 3 == 2):
                errors.append(f"{number}/{turn}: captured={data['captured']}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    examples = list(ftc.read_examples(output_file))
    assert len(examples) == 20 * 3  # praise at turns 2, 5 and 8
    by_client: dict[str, set[str]] = {}
    for example in examples:
        number = example.user_message.split()[1]
        by_client.setdefault(number, set()).add(example.user_message)
        assert example.assistant_response == f"Reply to: {example.user_message}"
        # Memories are the one user's, shared by all sessions; the recent turns are the session's own.
        recent = example.system_prompt.split("Recent conversation:\n", 1)[1]
        assert f"User: client {number} question" in recent
        assert not any(f"client {n} question" in recent for n in range(20) if str(n) != number)
    assert {n: sorted(v) for n, v in by_client.items()} == {
        str(n): [f"client {n} question {t}" for t in (1, 4, 7)] for n in range(20)}


# --- the terminal ----------------------------------------------------------------------------

def test_terminal_chat_through_stdin(model, tmp_path: Path, output_file: Path):
    lines = "/help\nMy cat is Winston\nWhat's my cat's name?\nGood one, Timmy!\n/quit\nnever read\n"
    result = run_app("--base-url", model.base_url, "--model", "fake-model", "--examples", str(output_file),
                     stdin=lines, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\n  /quit             leave (Ctrl-D works too)" in result.stdout
    assert "timmy> Reply to: What's my cat's name?" in result.stdout
    assert "(saved as a fine-tuning example" in result.stdout
    assert "never read" not in json.dumps(model.requests)
    (example,) = ftc.read_examples(output_file)
    assert example.system_prompt == model.requests[1]["body"]["messages"][0]["content"]
    assert model.requests[1]["body"]["stream"] is True
    assert (tmp_path / "data" / "little-timmy" / "memory.sqlite3").exists()


def test_terminal_ends_cleanly_on_end_of_input(model, tmp_path: Path, output_file: Path):
    result = run_app("--base-url", model.base_url, stdin="hello there\n", tmp_path=tmp_path,
                     env_extra={ftc.OUTPUT_ENV_VAR: str(output_file)})
    assert result.returncode == 0 and "Reply to: hello there" in result.stdout


def test_terminal_without_a_model_server_explains_and_exits_non_zero(tmp_path: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_app("--base-url", f"http://127.0.0.1:{port}/v1", stdin="hi\n", tmp_path=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Little Timmy cannot start: no model server is answering at "
                                    f"http://127.0.0.1:{port}/v1 (")
    assert "--base-url" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_terminal_model_error_is_one_line_and_chat_goes_on(model, tmp_path: Path, output_file: Path):
    model.failure = "500"
    result = run_app("--base-url", model.base_url, "--examples", str(output_file), stdin="hello\n/quit\n",
                     tmp_path=tmp_path)
    assert result.returncode == 0
    assert "[error] the model server failed (HTTP 500): out of memory" in result.stdout


def test_persona_file(model, tmp_path: Path, output_file: Path):
    persona = tmp_path / "persona.txt"
    persona.write_text("You are Grumpy Gus.\n")
    first = run_app("--base-url", model.base_url, "--persona", str(persona), "--examples", str(output_file),
                    stdin="hello\n", tmp_path=tmp_path)
    assert first.returncode == 0 and "timmy> Reply to: hello" in first.stdout, first.stderr
    assert model.requests[0]["body"]["messages"][0]["content"].startswith("You are Grumpy Gus.\n\nCurrent time:")
    result = run_app("--persona", str(tmp_path / "missing.txt"), stdin="", tmp_path=tmp_path)
    assert result.returncode == 1 and "cannot read the persona file" in result.stderr
