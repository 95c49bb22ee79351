"""Little Timmy: a chat app with a memory that saves its best moments for fine-tuning.

    python app.py                 # chat in the terminal
    python app.py serve           # the same over HTTP, with a small web page

It talks to any server that speaks the OpenAI Chat Completions protocol
(Ollama, llama.cpp's server, vLLM, LM Studio, OpenAI), keeps facts from your
messages in SQLite, builds a fresh system prompt for every turn (persona,
current time, the memories most relevant to the message, the recent turns),
and calls fine_tuning_capture on every message, so that praise saves the
exchange it praised with the exact prompt the model saw.

Standard library only.  Sections: configuration, model client, memory,
prompt, chat sessions, terminal, HTTP server, command line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hmac
import http.server
import ipaddress
import json
import logging
import os
import re
import socket
import sqlite3
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fine_tuning_capture as ftc

logger = logging.getLogger("timmy")


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------

DEFAULT_BASE_URL = "http://localhost:11434/v1"  # Ollama's OpenAI-compatible endpoint
DEFAULT_MODEL = "llama3.2"
DEFAULT_TIMEOUT = 120.0  # seconds to wait for the model server
DEFAULT_MEMORIES = 5  # memories retrieved per turn
DEFAULT_RECENT_TURNS = 6  # earlier exchanges of the session shown in the prompt
RECENT_TURN_CHARS = 600  # each message in "Recent conversation" is cut to this length
MAX_SESSIONS = 1000  # sessions kept in memory by the server, least recently used dropped
MAX_BODY_BYTES = 1_000_000  # largest POST /api/chat body accepted
MAX_MESSAGE_CHARS = 100_000  # longest chat message accepted
SESSION_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")

DEFAULT_PERSONA = """You are Little Timmy, a sarcastic but genuinely helpful assistant.
You have a long memory and you use it: when a memory below answers the user, say so plainly.
Keep replies short, dry and witty. Never invent memories you were not given."""


def default_db_path() -> Path:
    """$TIMMY_DB, else $XDG_DATA_HOME/little-timmy/memory.sqlite3, else ~/.local/share/little-timmy/..."""
    if os.environ.get("TIMMY_DB"):
        return Path(os.path.abspath(os.environ["TIMMY_DB"]))
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(os.path.abspath(base)) / "little-timmy" / "memory.sqlite3"


# ---------------------------------------------------------------------------
# Model client: OpenAI Chat Completions over urllib
# ---------------------------------------------------------------------------


class ModelError(Exception):
    """The model server could not give a reply; the message is one line for the user."""


class ModelUnreachable(ModelError):
    """Nothing is listening at the base URL."""


class ChatClient:
    """A client for POST {base_url}/chat/completions, streaming or not."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout

    def _request(self, path: str, body: dict[str, Any] | None = None) -> urllib.request.Request:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = None if body is None else json.dumps(body).encode("utf-8")
        return urllib.request.Request(self.base_url + path, data=data, headers=headers,
                                      method="GET" if body is None else "POST")

    def _open(self, request: urllib.request.Request) -> Any:
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)  # noqa: S310 - the URL is the user's
        except urllib.error.HTTPError as error:
            raise self._http_error(error) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):  # socket.timeout is TimeoutError
                raise self._timed_out() from None
            raise ModelUnreachable(
                f"no model server is answering at {self.base_url} ({error.reason}). Start Ollama with "
                f"`ollama serve` and `ollama pull {self.model}`, or point --base-url (or OPENAI_BASE_URL) "
                "at another OpenAI-compatible server.") from None
        except TimeoutError:
            raise self._timed_out() from None
        except OSError as error:
            raise ModelUnreachable(f"cannot reach the model server at {self.base_url}: {error}") from None

    def _timed_out(self) -> ModelError:
        return ModelError(f"the model server at {self.base_url} did not answer within {self.timeout:g} s")

    def _http_error(self, error: urllib.error.HTTPError) -> ModelError:
        try:
            detail = error.read(4096).decode("utf-8", "replace")
        except OSError:
            detail = ""
        message = detail
        try:
            parsed = json.loads(detail)
            found = parsed.get("error", parsed) if isinstance(parsed, dict) else parsed
            message = found.get("message", str(found)) if isinstance(found, dict) else str(found)
        except ValueError:
            pass
        message = " ".join(message.split())[:300]
        if error.code in (401, 403):
            return ModelError(f"the model server refused the request (HTTP {error.code}): check OPENAI_API_KEY"
                              + (f" ({message})" if message else ""))
        if error.code == 404 and "model" in message.lower():
            return ModelError(f"the model server does not know the model {self.model!r} ({message}); "
                              f"with Ollama: `ollama pull {self.model}`, or choose another with --model")
        if error.code == 404:
            return ModelError(f"no chat completions endpoint at {self.base_url}/chat/completions (HTTP 404): "
                              "check --base-url, which usually ends in /v1")
        if error.code >= 500:
            return ModelError(f"the model server failed (HTTP {error.code})" + (f": {message}" if message else ""))
        return ModelError(f"the model server answered HTTP {error.code}" + (f": {message}" if message else ""))

    def check(self) -> None:
        """Raise ModelUnreachable if nothing listens at the base URL; any HTTP answer will do."""
        try:
            with self._open(self._request("/models")):
                pass
        except ModelUnreachable:
            raise
        except ModelError:
            pass

    def complete(self, messages: list[dict[str, str]], *, stream: bool = False,
                 on_token: Callable[[str], None] | None = None) -> str:
        """Send *messages*; return the whole reply.  With *stream*, each piece goes to *on_token* as it comes."""
        body = {"model": self.model, "messages": messages, "stream": stream}
        with self._open(self._request("/chat/completions", body)) as response:
            if stream:
                return self._read_stream(response, on_token)
            try:
                data = json.loads(response.read())
                reply = data["choices"][0]["message"]["content"]
            except (ValueError, KeyError, IndexError, TypeError):
                raise ModelError("the model server sent a reply that is not Chat Completions JSON") from None
            if not isinstance(reply, str):
                raise ModelError("the model server sent a reply with no text")
            return reply

    def _read_stream(self, response: Any, on_token: Callable[[str], None] | None) -> str:
        pieces: list[str] = []
        finished = False
        try:
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    finished = True
                    break
                try:
                    choice = json.loads(payload)["choices"][0]
                except (ValueError, KeyError, IndexError, TypeError):
                    raise ModelError("the model server sent a stream event that is not Chat Completions JSON") from None
                piece = (choice.get("delta") or {}).get("content") or ""
                if piece:
                    pieces.append(piece)
                    if on_token is not None:
                        on_token(piece)
                if choice.get("finish_reason"):
                    finished = True
        except TimeoutError:
            raise ModelError(f"the model server stopped sending for {self.timeout:g} s mid-reply") from None
        except OSError as error:
            raise ModelError(f"the reply stream broke off: {error}") from None
        if not finished:
            raise ModelError("the reply stream ended early, before the model finished")
        return "".join(pieces)


# ---------------------------------------------------------------------------
# Memory: facts from the user's messages, in SQLite with full-text search
# ---------------------------------------------------------------------------

# Numbered migrations: the database's user_version says how many have run.
MIGRATIONS = [
    """
    CREATE TABLE memories (
        id INTEGER PRIMARY KEY,
        content TEXT NOT NULL,
        topic TEXT NOT NULL,
        importance INTEGER NOT NULL CHECK (importance BETWEEN 1 AND 5),
        role TEXT NOT NULL,
        created_at REAL NOT NULL,
        session_id TEXT
    );
    CREATE VIRTUAL TABLE memories_fts USING fts5(content, content='memories', content_rowid='id');
    CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
        INSERT INTO memories_fts(rowid, content) VALUES (new.id, new.content);
    END;
    CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
        INSERT INTO memories_fts(memories_fts, rowid, content) VALUES ('delete', old.id, old.content);
    END;
    """,
    """
    CREATE INDEX memories_created_at ON memories(created_at);
    CREATE UNIQUE INDEX memories_content ON memories(content);
    """,
    # 3: conversations, so that a restart loses nothing and praise can still capture the exact prompt.
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,  -- 'terminal' or 'http': `python app.py` resumes the latest terminal one
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX sessions_latest ON sessions(kind, updated_at);
    CREATE TABLE exchanges (
        session_id TEXT NOT NULL REFERENCES sessions(id),
        idx INTEGER NOT NULL,
        user_message TEXT NOT NULL,
        system_prompt TEXT NOT NULL,  -- exactly what the model was sent
        reply TEXT NOT NULL,
        model TEXT NOT NULL,
        created_at REAL NOT NULL,
        example_id TEXT,  -- the example it was captured as, if any
        captured_at REAL,
        rejected TEXT NOT NULL DEFAULT '[]',  -- JSON list of the replies /retry replaced, oldest first
        PRIMARY KEY (session_id, idx)
    ) WITHOUT ROWID;
    CREATE INDEX exchanges_example ON exchanges(example_id) WHERE example_id IS NOT NULL;
    """,
]

# Classification rules, first match wins: (topic, importance, pattern).
TOPIC_RULES: list[tuple[str, int, re.Pattern[str]]] = [
    ("Personal Data", 5, re.compile(r"\b(my name is|call me|i'?m allergic|allergic to|my birthday|i was born)\b")),
    ("Personal Data", 5, re.compile(r"\bmy (cat|dog|pet|wife|husband|partner|son|daughter|kids?|children|mum|mom|"
                                    r"dad|father|mother|brother|sister|family|boyfriend|girlfriend)\b")),
    ("Personal Data", 4, re.compile(r"\b(i live|i'?m from|i moved|i'?m moving|my address|my phone|i'?m \d+|"
                                    r"years old)\b")),
    ("Work", 3, re.compile(r"\b(work|job|boss|office|colleague|meeting|project|deadline|client|shift|"
                            r"i'?m an? \w+ at)\b")),
    ("Plans", 4, re.compile(r"\b(tomorrow|tonight|next (week|month|year)|on (monday|tuesday|wednesday|thursday|"
                             r"friday|saturday|sunday)|appointment|remind me|i'?m going to|i will|i'll)\b")),
    ("Preferences", 3, re.compile(r"\b(i (really )?(like|love|hate|prefer|enjoy|dislike|can'?t stand)|"
                                   r"my favou?rite|i'?m (vegetarian|vegan))\b")),
]
FACT_MIN_WORDS = 3  # shorter messages are not stored
GREETING_RE = re.compile(r"^(hi|hello|hey|yo|good (morning|afternoon|evening|night)|thanks|thank you|ok|okay|"
                         r"bye|goodbye|cheers)\b", re.IGNORECASE)
QUESTION_START_RE = re.compile(r"^(what|who|where|when|why|how|which|is|are|was|were|do|does|did|can|could|would|"
                               r"will|should|shall|may|tell me|remind me what)\b", re.IGNORECASE)
STOP_WORDS = frozenset(
    "a an and are as at be but by do does did for from had has have how i i'm in is it it's me my of on or our so "
    "that the their them they this to was we were what when where which who why will with you your".split())


def classify(text: str) -> tuple[str, int] | None:
    """Return (topic, importance) if *text* states a fact worth keeping, else None.

    Questions, greetings, praise, commands and messages under FACT_MIN_WORDS
    words are not facts.  Otherwise the first TOPIC_RULES pattern that
    matches gives the topic and importance; a statement matching none is
    "Misc" with importance 2.
    """
    stripped = text.strip()
    lowered = stripped.lower().replace("\u2019", "'")
    if (len(lowered.split()) < FACT_MIN_WORDS or stripped.endswith("?") or stripped.startswith("/")
            or QUESTION_START_RE.match(lowered) or GREETING_RE.match(lowered) or ftc.is_praise(stripped)):
        return None
    for topic, importance, pattern in TOPIC_RULES:
        if pattern.search(lowered):
            return topic, importance
    return "Misc", 2


@dataclass(frozen=True)
class Memory:
    """One remembered fact."""

    content: str
    topic: str
    importance: int
    role: str
    created_at: dt.datetime
    id: int | None = None  # the row id, shown by /memories and taken by /forget


class MemoryStore:
    """Facts in SQLite: stored from user messages, recalled by relevance, importance and recency."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(os.path.abspath(os.fspath(path)))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                self._db.executescript(f"BEGIN; {script} PRAGMA user_version = {number}; COMMIT;")

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._db.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, content: str, topic: str, importance: int, *, role: str = "User",
            session_id: str | None = None, created_at: dt.datetime | None = None) -> bool:
        """Store a fact; False if the same text is already stored."""
        moment = (created_at or dt.datetime.now()).timestamp()
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO memories (content, topic, importance, role, created_at, session_id)"
                " VALUES (?, ?, ?, ?, ?, ?)", (content, topic, importance, role, moment, session_id))
            return cursor.rowcount == 1

    def add_many(self, memories: Iterable[Memory], *, session_id: str | None = None) -> int:
        """Store many facts in one transaction (an import, a benchmark); return how many were new."""
        rows = [(m.content, m.topic, m.importance, m.role, m.created_at.timestamp(), session_id) for m in memories]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                cursor = self._db.executemany(
                    "INSERT OR IGNORE INTO memories (content, topic, importance, role, created_at, session_id)"
                    " VALUES (?, ?, ?, ?, ?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return cursor.rowcount

    def memories(self, limit: int = 50) -> list[Memory]:
        """The *limit* most recently stored memories, newest first, with their ids."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, content, topic, importance, role, created_at FROM memories"
                " ORDER BY created_at DESC, id DESC LIMIT ?", (limit,)).fetchall()
        return [Memory(c, t, i, r, dt.datetime.fromtimestamp(at), id=n) for n, c, t, i, r, at in rows]

    def forget(self, memory_id: int) -> Memory | None:
        """Delete the memory with this id; return it, or None if there is none."""
        with self._lock:
            row = self._db.execute("SELECT id, content, topic, importance, role, created_at FROM memories"
                                   " WHERE id = ?", (memory_id,)).fetchone()
            if row is None:
                return None
            self._db.execute("DELETE FROM memories WHERE id = ?", (memory_id,))
        n, c, t, i, r, at = row
        return Memory(c, t, i, r, dt.datetime.fromtimestamp(at), id=n)

    def remember(self, text: str, *, session_id: str | None = None, now: dt.datetime | None = None) -> Memory | None:
        """Store *text* if classify() says it is a fact; return what was stored."""
        found = classify(text)
        if found is None:
            return None
        content = " ".join(text.split())
        moment = now or dt.datetime.now()
        if not self.add(content, *found, session_id=session_id, created_at=moment):
            return None
        return Memory(content, found[0], found[1], "User", moment)

    def recall(self, query: str, k: int = DEFAULT_MEMORIES, *, now: dt.datetime | None = None) -> list[Memory]:
        """The *k* memories most relevant to *query*: full-text rank (bm25) weighted by importance and recency.

        With no word of the query in any memory, the most important recent
        memories are returned instead, so the model always has some context.
        """
        moment = (now or dt.datetime.now()).timestamp()
        words = [w for w in re.findall(r"\w+", query.lower()) if w not in STOP_WORDS]
        # score: bm25 is negative, better when lower; importance and recency multiply its weight.
        order = ("(-bm25(memories_fts)) * (0.5 + m.importance / 5.0) / (1.0 + (? - m.created_at) / 604800.0)")
        rows: list[Any] = []
        with self._lock:
            if words:
                match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words[:32])
                rows = self._db.execute(
                    f"SELECT m.content, m.topic, m.importance, m.role, m.created_at FROM memories_fts"
                    f" JOIN memories m ON m.id = memories_fts.rowid WHERE memories_fts MATCH ?"
                    f" ORDER BY {order} DESC LIMIT ?", (match, moment, k)).fetchall()
            if not rows:
                rows = self._db.execute(
                    "SELECT content, topic, importance, role, created_at FROM memories"
                    " ORDER BY importance / (1.0 + (? - created_at) / 604800.0) DESC LIMIT ?",
                    (moment, k)).fetchall()
        return [Memory(c, t, i, r, dt.datetime.fromtimestamp(at)) for c, t, i, r, at in rows]


# ---------------------------------------------------------------------------
# The system prompt, built fresh for every turn
# ---------------------------------------------------------------------------


def age(then: dt.datetime, now: dt.datetime) -> str:
    """How long ago, briefly: "just now", "5m ago", "1h ago", "3d ago", "2w ago"."""
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


def format_memory(memory: Memory, now: dt.datetime) -> str:
    """One memory in the spec's form: • [Personal Data, Importance: 5] User (1h ago) - My cat is Winston"""
    return f"• [{memory.topic}, Importance: {memory.importance}] {memory.role} ({age(memory.created_at, now)}) - " \
           f"{memory.content}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_system_prompt(persona: str, now: dt.datetime, memories: list[Memory],
                        recent: list[ftc.Exchange]) -> str:
    """Persona, current time, retrieved memories and the recent turns: all the model sees besides the message."""
    lines = [persona.strip(), "", f"Current time: {now:%Y-%m-%d %H:%M:%S} ({now:%A})", "Memories:"]
    lines += [format_memory(memory, now) for memory in memories] or ["(none yet)"]
    if recent:
        lines += ["", "Recent conversation:"]
        for exchange in recent:
            lines.append(f"User: {_clip(exchange.user_message, RECENT_TURN_CHARS)}")
            lines.append(f"Timmy: {_clip(exchange.assistant_response, RECENT_TURN_CHARS)}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Chat sessions: one turn = capture hook, prompt, model call, memory
# ---------------------------------------------------------------------------


@dataclass
class Session:
    """One conversation: its exchanges, each with the system prompt that produced its reply."""

    id: str
    history: list[ftc.Exchange] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


@dataclass(frozen=True)
class TurnResult:
    reply: str
    captured: ftc.Example | None


class ChatApp:
    """The chat logic shared by the terminal and the HTTP server."""

    def __init__(self, client: ChatClient, memory: MemoryStore, *, persona: str = DEFAULT_PERSONA,
                 memories_per_turn: int = DEFAULT_MEMORIES, recent_turns: int = DEFAULT_RECENT_TURNS,
                 examples_path: str | os.PathLike[str] | None = None,
                 clock: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        self.client = client
        self.memory = memory
        self.persona = persona
        self.memories_per_turn = memories_per_turn
        self.recent_turns = recent_turns
        self.examples_path = ftc.resolve_path(examples_path)
        self.clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._sessions_lock = threading.Lock()

    def session(self, session_id: str | None = None) -> Session:
        """The session with this id, created if new; a fresh id when None."""
        with self._sessions_lock:
            if session_id is None:
                session_id = uuid.uuid4().hex[:16]
            found = self._sessions.get(session_id)
            if found is None:
                found = self._sessions[session_id] = Session(session_id)
                while len(self._sessions) > MAX_SESSIONS:
                    self._sessions.popitem(last=False)
            self._sessions.move_to_end(session_id)
            return found

    @property
    def session_count(self) -> int:
        with self._sessions_lock:
            return len(self._sessions)

    def turn(self, session: Session, message: str, *, stream: bool = False,
             on_token: Callable[[str], None] | None = None) -> TurnResult:
        """Answer *message* in *session*.

        The capture hook runs first, on the session as it stands, so praise
        saves the previous exchange with the prompt that produced it.  Then a
        prompt is built for this message alone and sent as [system, user].  A
        failed model call raises ModelError and adds nothing to the session or
        the memory.
        """
        with session.lock:
            captured = ftc.on_user_message(
                session.history, message,
                {"session_id": session.id, "model": self.client.model},
                path=self.examples_path)
            now = self.clock()
            memories = self.memory.recall(message, self.memories_per_turn, now=now)
            recent = session.history[-self.recent_turns:] if self.recent_turns else []
            system_prompt = build_system_prompt(self.persona, now, memories, recent)
            reply = self.client.complete([{"role": "system", "content": system_prompt},
                                          {"role": "user", "content": message}], stream=stream, on_token=on_token)
            session.history.append(ftc.Exchange(message, system_prompt, reply))
            try:
                self.memory.remember(message, session_id=session.id, now=now)
            except sqlite3.Error as error:  # a memory failure must not lose the reply
                logger.error("could not store a memory: %s", error)
            return TurnResult(reply, captured)


# ---------------------------------------------------------------------------
# Terminal chat
# ---------------------------------------------------------------------------

HELP_TEXT = """Commands:
  /help   this help
  /quit   leave (Ctrl-D works too)
Praise a reply ("Good one, Timmy!", "perfect") and it is saved as a fine-tuning example."""


def run_terminal(app: ChatApp, stdin: Any = None, stdout: Any = None) -> int:
    """Chat on the terminal until /quit or end of input; return the exit status."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    try:
        app.client.check()
    except ModelUnreachable as error:
        print(f"Little Timmy cannot start: {error}", file=sys.stderr)
        return 1
    session = app.session()
    interactive = stdin.isatty()
    print(f"Little Timmy ({app.client.model} at {app.client.base_url}). /help for commands, /quit to leave.",
          file=stdout)
    try:
        return _chat_loop(app, session, stdin, stdout, interactive)
    except KeyboardInterrupt:
        print(file=stdout)
        return 0


def _chat_loop(app: ChatApp, session: Session, stdin: Any, stdout: Any, interactive: bool) -> int:
    while True:
        if interactive:
            print("you> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            print(file=stdout)
            return 0
        message = line.rstrip("\n")
        if not message.strip():
            continue
        if message.strip() in ("/quit", "/exit"):
            return 0
        if message.strip() == "/help":
            print(HELP_TEXT, file=stdout)
            continue
        print("timmy> ", end="", file=stdout, flush=True)
        try:
            result = app.turn(session, message, stream=True,
                              on_token=lambda piece: print(piece, end="", file=stdout, flush=True))
        except ModelUnreachable as error:
            print(f"\nThe model server stopped answering: {error}", file=sys.stderr)
            return 1
        except ModelError as error:
            print(f"\n[error] {error}", file=stdout)
            continue
        print(file=stdout)
        if result.captured is not None:
            print(f"  (saved as a fine-tuning example {ftc.example_id(result.captured)} in "
                  f"{app.examples_path.name})", file=stdout)


# ---------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Little Timmy</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:16px/1.45 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
#log{border:1px solid #ccc;border-radius:6px;padding:1rem;height:60vh;overflow-y:auto;background:#fafafa}
.msg{margin:.4rem 0;white-space:pre-wrap}.you{color:#0a4d8c}.timmy{color:#333}.note{color:#2a7a2a;font-size:.9em}
.error{color:#b00020}form{display:flex;gap:.5rem;margin-top:.8rem}input{flex:1;padding:.5rem;font:inherit}
</style></head><body>
<h1>Little Timmy</h1>
<div id="log" aria-live="polite"></div>
<form id="form"><input id="message" autocomplete="off" placeholder="Say something" autofocus>
<button>Send</button></form>
<script>
"use strict";
const log = document.getElementById("log"), form = document.getElementById("form");
const input = document.getElementById("message");
const token = new URLSearchParams(location.search).get("token");
let sessionId = null;
function show(text, kind) {
  const div = document.createElement("div");
  div.className = "msg " + kind;
  div.textContent = text;  /* always text, never HTML */
  log.appendChild(div);
  log.scrollTop = log.scrollHeight;
}
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = input.value;
  if (!message.trim()) return;
  input.value = "";
  show("you: " + message, "you");
  const headers = {"Content-Type": "application/json"};
  if (token) headers["Authorization"] = "Bearer " + token;
  try {
    const response = await fetch("/api/chat", {method: "POST", headers,
      body: JSON.stringify(sessionId ? {session_id: sessionId, message} : {message})});
    const data = await response.json();
    if (!response.ok) { show("error: " + data.error, "error"); return; }
    sessionId = data.session_id;
    show("timmy: " + data.reply, "timmy");
    if (data.captured) show("(saved as a fine-tuning example)", "note");
  } catch (error) { show("error: " + error, "error"); }
});
</script></body></html>
"""

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ChatRequestHandler(http.server.BaseHTTPRequestHandler):
    """GET /, GET /api/health, POST /api/chat; JSON errors; a token when one is set."""

    server: ChatServer
    server_version = "LittleTimmy/1.0"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: don't wait 40 ms between them
    routes = {"/": ("GET",), "/api/health": ("GET",), "/api/chat": ("POST",)}

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        text = _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", format % args)
        logger.info("%s %s", self.address_string(), text)

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any], extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8",
                   extra)

    def _error(self, status: int, message: str, extra: dict[str, str] | None = None) -> None:
        self._json(status, {"error": message}, extra)

    def _route(self) -> str | None:
        """Check path, method and token; answer and return None when the request goes no further."""
        path = urllib.parse.urlsplit(self.path).path
        methods = self.routes.get(path)
        if methods is None:
            self._error(404, f"no such path: {path}")
            return None
        if self.command not in methods:
            self._error(405, f"{self.command} is not allowed on {path}", {"Allow": ", ".join(methods)})
            return None
        if self.server.token is not None and not self._token_ok():
            self._error(401, "missing or wrong token: send Authorization: Bearer <token>",
                        {"WWW-Authenticate": "Bearer"})
            return None
        return path

    def _token_ok(self) -> bool:
        given = ""
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            given = header[7:].strip()
        else:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            given = (query.get("token") or [""])[0]
        return hmac.compare_digest(given.encode(), self.server.token.encode())

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self._route()
        if path == "/":
            self._send(200, PAGE.encode("utf-8"), "text/html; charset=utf-8",
                       {"Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; "
                        "style-src 'unsafe-inline'; connect-src 'self'"})
        elif path == "/api/health":
            self._json(200, {"status": "ok", "model": self.server.app.client.model,
                             "sessions": self.server.app.session_count})

    def do_POST(self) -> None:  # noqa: N802
        if self._route() is None:
            self._discard_body()
            return
        body = self._read_body()
        if body is None:
            return
        try:
            data = json.loads(body)
        except ValueError:
            self._error(400, "the body is not valid JSON")
            return
        if not isinstance(data, dict):
            self._error(400, 'send a JSON object: {"message": "...", "session_id": "..."}')
            return
        message, session_id = data.get("message"), data.get("session_id")
        if not isinstance(message, str) or not message.strip():
            self._error(400, '"message" must be a non-empty string')
            return
        if len(message) > MAX_MESSAGE_CHARS:
            self._error(413, f'"message" is longer than {MAX_MESSAGE_CHARS} characters')
            return
        if session_id is not None and (not isinstance(session_id, str) or not SESSION_ID_RE.fullmatch(session_id)):
            self._error(400, '"session_id" must be 1 to 64 letters, digits, "_", "-" or "."')
            return
        session = self.server.app.session(session_id)
        try:
            result = self.server.app.turn(session, message)
        except ModelError as error:
            self._error(502, str(error))
            return
        self._json(200, {"session_id": session.id, "reply": result.reply, "captured": result.captured is not None})

    do_PUT = do_DELETE = do_PATCH = do_POST  # noqa: N815 - answered with 405 by _route

    def _read_body(self) -> bytes | None:
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            self._error(411, "a Content-Length header is required")
            return None
        try:
            length = int(length_header)
            if length < 0:
                raise ValueError
        except ValueError:
            self._error(400, "Content-Length is not a number")
            return None
        if length > self.server.max_body:
            self.close_connection = True
            self._error(413, f"the body is larger than {self.server.max_body} bytes", {"Connection": "close"})
            return None
        return self.rfile.read(length)

    def _discard_body(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if 0 < length <= self.server.max_body:
            self.rfile.read(length)
        elif length:
            self.close_connection = True


class ChatServer(http.server.ThreadingHTTPServer):
    """The HTTP server, holding the chat app, the token and the body cap."""

    daemon_threads = True
    # socketserver listens with a backlog of 5: a burst of connections (a page, several sessions) overflows it,
    # and on a busy machine the kernel then drops or resets some of them.  Take as many as the system allows.
    request_queue_size = socket.SOMAXCONN

    def __init__(self, address: tuple[str, int], app: ChatApp, *, token: str | None = None,
                 max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.token = token or None
        self.max_body = max_body
        super().__init__(address, ChatRequestHandler)


def is_loopback(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token."""
    if not is_loopback(host) and not token:
        raise SystemExit(
            f"Refusing to listen on {host} without a token: anyone who can reach it could read and write your "
            "chats and memories. Set --token or TIMMY_API_TOKEN, or bind to 127.0.0.1.")


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description="Little Timmy: chat with a local model that remembers, and save its best replies.")
    parser.add_argument("command", nargs="?", choices=("chat", "serve"), default="chat",
                        help="chat in the terminal (default) or serve HTTP")
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
                        help=f"OpenAI-compatible API base (env OPENAI_BASE_URL; default {DEFAULT_BASE_URL})")
    parser.add_argument("--model", default=os.environ.get("TIMMY_MODEL") or DEFAULT_MODEL,
                        help=f"model name (env TIMMY_MODEL; default {DEFAULT_MODEL})")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds to wait for the model server (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--db", default=None, help="memory database (env TIMMY_DB; default "
                        "$XDG_DATA_HOME/little-timmy/memory.sqlite3 or ~/.local/share/little-timmy/memory.sqlite3)")
    parser.add_argument("--persona", type=Path, default=None, help="a text file with the persona to use")
    parser.add_argument("--memories", type=int, default=DEFAULT_MEMORIES,
                        help=f"memories retrieved per turn (default {DEFAULT_MEMORIES})")
    parser.add_argument("--examples", default=None,
                        help="where praised examples go (env FINE_TUNING_CAPTURE_FILE; default "
                        "fine_tuning_best_case_interchanges.md beside fine_tuning_capture.py)")
    parser.add_argument("--host", default="127.0.0.1", help="serve: address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="serve: port (default 8000)")
    parser.add_argument("--token", default=os.environ.get("TIMMY_API_TOKEN"),
                        help="serve: require this bearer token (env TIMMY_API_TOKEN); needed off loopback")
    return parser


def make_app(args: argparse.Namespace) -> ChatApp:
    persona = DEFAULT_PERSONA
    if args.persona is not None:
        try:
            persona = args.persona.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise SystemExit(f"cannot read the persona file {args.persona}: {error}") from None
        if not persona:
            raise SystemExit(f"the persona file {args.persona} is empty")
    db = Path(os.path.abspath(args.db)) if args.db else default_db_path()
    try:
        memory = MemoryStore(db)
    except (OSError, sqlite3.Error) as error:
        raise SystemExit(f"cannot open the memory database {db}: {error}") from None
    client = ChatClient(args.base_url, args.model, api_key=os.environ.get("OPENAI_API_KEY"), timeout=args.timeout)
    return ChatApp(client, memory, persona=persona, memories_per_turn=max(0, args.memories),
                   examples_path=args.examples)


def main(argv: list[str] | None = None) -> int:
    """Run the terminal chat or the HTTP server; return the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.command == "serve" else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.command == "serve":
        check_exposure(args.host, args.token)
    app = make_app(args)
    if args.command == "chat":
        return run_terminal(app)
    try:
        server = ChatServer((args.host, args.port), app, token=args.token)
    except OSError as error:
        raise SystemExit(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    host, port = server.server_address[:2]
    print(f"Little Timmy is serving on http://{host}:{port}/ (model {app.client.model} at {app.client.base_url});"
          " Ctrl-C stops it.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
