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
import array
import contextlib
import datetime as dt
import functools
import heapq
import hmac
import http.server
import ipaddress
import json
import logging
import math
import operator
import os
import re
import socket
import sqlite3
import sys
import threading
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import fine_tuning_capture as ftc

logger = logging.getLogger("timmy")


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------

OLLAMA_PORT = 11434  # where Ollama listens; its advice (`ollama pull`) is given only for this port
DEFAULT_BASE_URL = f"http://localhost:{OLLAMA_PORT}/v1"  # Ollama's OpenAI-compatible endpoint
DEFAULT_MODEL = "llama3.2"
DEFAULT_TIMEOUT = 120.0  # seconds to wait for the model server
MAX_MODEL_LIST_BYTES = 4_000_000  # the most of GET /models read at start-up
MAX_EMBEDDINGS_BYTES = 64_000_000  # the most of a POST /embeddings answer read (a batch of EMBED_BATCH vectors)
DEFAULT_MEMORIES = 5  # memories retrieved per turn
DEFAULT_RECENT_TURNS = 6  # earlier exchanges of the session shown in the prompt
RECENT_TURN_CHARS = 600  # each message in "Recent conversation" is cut to this length
MAX_BODY_BYTES = 1_000_000  # largest POST /api/chat body accepted
MAX_MESSAGE_CHARS = 100_000  # longest chat message accepted

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
    """The model server could not give a reply; the message is one line for the user.

    When the message that failed was praise and its capture succeeded,
    ChatApp.turn sets ``saved`` so the user is still told what was saved.
    ``status`` is the server's HTTP status when it answered with an error.
    """

    saved: Saved | None = None
    status: int | None = None


class ModelUnreachable(ModelError):
    """Nothing is listening at the base URL."""


class ChatClient:
    """A client for POST {base_url}/chat/completions, streaming or not."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, model_option: str = "--model") -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.model_option = model_option  # the command-line option that chose the model, named in errors
        self.listed: list[str] = []  # the model ids the server listed, as check() found them

    def _request(self, path: str, body: dict[str, Any] | None = None) -> urllib.request.Request:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = None if body is None else json.dumps(body).encode("utf-8")
        return urllib.request.Request(self.base_url + path, data=data, headers=headers,
                                      method="GET" if body is None else "POST")

    def _open(self, request: urllib.request.Request) -> Any:
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)  # the URL is the user's own --base-url
        except urllib.error.HTTPError as error:
            failure = self._http_error(error)
            failure.status = error.code
            raise failure from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):  # socket.timeout is TimeoutError
                raise self._timed_out() from None
            raise self._unreachable(error.reason) from None
        except TimeoutError:
            raise self._timed_out() from None
        except OSError as error:
            raise self._unreachable(error) from None

    @property
    def is_ollama(self) -> bool:
        """Whether the base URL is Ollama's usual one, so that Ollama's commands are worth suggesting."""
        try:
            return urllib.parse.urlsplit(self.base_url).port == OLLAMA_PORT
        except ValueError:
            return False

    def _unreachable(self, reason: object) -> ModelUnreachable:
        if self.is_ollama:
            advice = (f"Start Ollama with `ollama serve` (and `ollama pull {self.model}`), or point --base-url "
                      "(or OPENAI_BASE_URL) at another OpenAI-compatible server.")
        else:
            advice = "Start that server, or point --base-url (or OPENAI_BASE_URL) at another one."
        return ModelUnreachable(f"no model server is answering at {self.base_url} ({reason}). {advice}")

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
            pull = f"`ollama pull {self.model}` or " if self.is_ollama else ""
            return ModelError(f"the model server does not know the model {self.model!r} ({message}); "
                              f"{pull}choose another with {self.model_option}")
        if error.code == 404:
            endpoint = error.url[len(self.base_url):] if error.url.startswith(self.base_url) else error.url
            return ModelError(f"no {endpoint} endpoint at {self.base_url} (HTTP 404): "
                              "check --base-url, which usually ends in /v1")
        if error.code >= 500:
            return ModelError(f"the model server failed (HTTP {error.code})" + (f": {message}" if message else ""))
        return ModelError(f"the model server answered HTTP {error.code}" + (f": {message}" if message else ""))

    def check(self) -> list[str]:
        """Ask GET {base_url}/models; return warnings worth one line each.

        Raise ModelUnreachable if nothing listens at the base URL.  A refused
        or missing key, and a model the server does not list, are warnings:
        some servers list no models, or answer every path but chat with 404.
        """
        try:
            with self._open(self._request("/models")) as response:
                listing = json.loads(response.read(MAX_MODEL_LIST_BYTES))
        except ModelUnreachable:
            raise
        except ModelError as error:
            if error.status in (401, 403):
                if not self.api_key:
                    return [f"the server at {self.base_url} wants a key, and OPENAI_API_KEY is not set"]
                return [f"the server at {self.base_url} refused the key in OPENAI_API_KEY"]
            return []
        except ValueError:
            return []
        try:
            names = [str(entry["id"]) for entry in listing["data"]]
        except (KeyError, TypeError):
            return []
        self.listed = names
        if not names or self.model in names or f"{self.model}:latest" in names:
            return []
        pull = f" (or `ollama pull {self.model}`)" if self.is_ollama else ""
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        return [f"the server at {self.base_url} does not list the model {self.model!r}; it lists {shown}. "
                f"Choose one with {self.model_option}{pull}."]

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
            return ftc.clean_text(reply)

    def embed(self, texts: list[str]) -> list[array.array[float]]:
        """One vector per text from POST {base_url}/embeddings (OpenAI's Embeddings API), each of length 1."""
        body = {"model": self.model, "input": texts}
        with self._open(self._request("/embeddings", body)) as response:
            try:
                items = sorted(json.loads(response.read(MAX_EMBEDDINGS_BYTES))["data"], key=lambda item: item["index"])
                vectors = [array.array("f", item["embedding"]) for item in items]
            except (ValueError, KeyError, IndexError, TypeError, OverflowError):
                raise ModelError("the embedding server sent an answer that is not Embeddings JSON") from None
        if len(vectors) != len(texts) or len({len(vector) for vector in vectors}) > 1 or not vectors[0]:
            raise ModelError(f"the embedding server sent {len(vectors)} vectors of uneven or no length "
                             f"for {len(texts)} texts")
        return [_unit(vector) for vector in vectors]

    def _read_stream(self, response: Any, on_token: Callable[[str], None] | None) -> str:
        """Read server-sent events until [DONE]; what *on_token* raises (a reader gone) passes through."""
        pieces: list[str] = []
        finished = False
        while not finished:
            try:
                raw = response.readline()
            except TimeoutError:
                raise ModelError(f"the model server stopped sending for {self.timeout:g} s mid-reply") from None
            except OSError as error:
                raise ModelError(f"the reply stream broke off: {error}") from None
            if not raw:
                raise ModelError("the reply stream ended early, before the model finished")
            line = raw.decode("utf-8", "replace").strip()
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                break
            try:
                choice = json.loads(payload)["choices"][0]
            except (ValueError, KeyError, IndexError, TypeError):
                raise ModelError("the model server sent a stream event that is not Chat Completions JSON") from None
            piece = ftc.clean_text((choice.get("delta") or {}).get("content") or "")
            finished = bool(choice.get("finish_reason"))
            if piece:
                pieces.append(piece)
                if on_token is not None:
                    on_token(piece)
        return "".join(pieces)


# Parts of the names that embedding models go by on the servers people run: nomic-embed-text, mxbai-embed-large,
# text-embedding-3-small, bge-m3, multilingual-e5-small, all-minilm, gte-base.
EMBEDDING_MODEL_MARKS = ("embed", "bge", "e5-", "minilm", "gte-")


def _is_embedding_model(name: str) -> bool:
    """Whether a model the server lists is, by its name, one that embeds text rather than chats."""
    name = name.lower()
    return any(mark in name for mark in EMBEDDING_MODEL_MARKS)


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
    # 4: whose fact each memory is, its words' stems and what it holds (memory_owner(), memory_terms() and
    # memory_traits(), Python functions MemoryStore registers on its connection; a later change to those rules
    # needs a migration that runs the UPDATE again); the words indexed with porter stemming twice, in time order
    # (rowid = id) and in length order (rowid = words * 2^32 + 2^32 - 1 - id, words counted by spaces: a word's
    # shortest memories first, which is bm25's order for one word, newest first among equals), so that each
    # recall query reads only the rows it returns; and an index for the fallback.
    """
    ALTER TABLE memories ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    ALTER TABLE memories ADD COLUMN terms TEXT NOT NULL DEFAULT '';  -- the stems of its words, for the re-rank
    ALTER TABLE memories ADD COLUMN traits INTEGER NOT NULL DEFAULT 0;  -- what it holds: bits of TRAIT_BITS
    UPDATE memories SET owner = memory_owner(content), terms = memory_terms(content), traits = memory_traits(content);
    DROP TRIGGER memories_ai;
    DROP TRIGGER memories_ad;
    DROP TABLE memories_fts;
    CREATE VIRTUAL TABLE memories_fts USING fts5(content, owner, content='memories', content_rowid='id',
                                                 tokenize='porter unicode61');
    CREATE VIRTUAL TABLE memories_by_length USING fts5(content, owner, content='', tokenize='porter unicode61');
    CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
        INSERT INTO memories_fts(rowid, content, owner) VALUES (new.id, new.content, new.owner);
        INSERT INTO memories_by_length(rowid, content, owner) VALUES (
            (length(trim(new.content)) - length(replace(trim(new.content), ' ', '')) + 1) * 4294967296
            + 4294967295 - new.id, new.content, new.owner);
    END;
    CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
        INSERT INTO memories_fts(memories_fts, rowid, content, owner) VALUES ('delete', old.id, old.content, old.owner);
        INSERT INTO memories_by_length(memories_by_length, rowid, content, owner) VALUES ('delete',
            (length(trim(old.content)) - length(replace(trim(old.content), ' ', '')) + 1) * 4294967296
            + 4294967295 - old.id, old.content, old.owner);
    END;
    CREATE TRIGGER memories_au AFTER UPDATE OF content, owner ON memories BEGIN
        INSERT INTO memories_fts(memories_fts, rowid, content, owner) VALUES ('delete', old.id, old.content, old.owner);
        INSERT INTO memories_by_length(memories_by_length, rowid, content, owner) VALUES ('delete',
            (length(trim(old.content)) - length(replace(trim(old.content), ' ', '')) + 1) * 4294967296
            + 4294967295 - old.id, old.content, old.owner);
        INSERT INTO memories_fts(rowid, content, owner) VALUES (new.id, new.content, new.owner);
        INSERT INTO memories_by_length(rowid, content, owner) VALUES (
            (length(trim(new.content)) - length(replace(trim(new.content), ' ', '')) + 1) * 4294967296
            + 4294967295 - new.id, new.content, new.owner);
    END;
    INSERT INTO memories_fts(memories_fts) VALUES ('rebuild');
    INSERT INTO memories_by_length(rowid, content, owner)
        SELECT (length(trim(memories.content)) - length(replace(trim(memories.content), ' ', '')) + 1) * 4294967296
            + 4294967295 - memories.id, content, owner FROM memories;
    CREATE INDEX memories_fallback ON memories(importance, created_at);
    """,
    # 5: the names the user gives their people and pets ("my husband's name is Raj", "our dog Biscuit"), from
    # memory_aliases() (a Python function MemoryStore registers, returning a JSON list of [name, relation, main]),
    # kept current by triggers as memories are stored, changed or forgotten; owners again, as memory_owner() no
    # longer reads a table word starting a sentence ("Choir has moved") as a name; traits again ("we get paid" is
    # no one-off).
    """
    CREATE TABLE memory_aliases (
        memory_id INTEGER NOT NULL,
        name TEXT NOT NULL,  -- lower case, as owners are stored: "raj"
        relation TEXT NOT NULL,  -- an owner word of the relation ("husband", "partner") or a pet's kind ("beagle")
        main INTEGER NOT NULL,  -- 1 for the relation as named, 0 for the broader words it is also stored under
        PRIMARY KEY (memory_id, name, relation)
    ) WITHOUT ROWID;
    CREATE INDEX memory_aliases_relation ON memory_aliases(relation);
    CREATE INDEX memory_aliases_name ON memory_aliases(name);
    CREATE TRIGGER memories_aliases_ai AFTER INSERT ON memories BEGIN
        INSERT OR IGNORE INTO memory_aliases SELECT new.id, json_extract(value, '$[0]'), json_extract(value, '$[1]'),
            json_extract(value, '$[2]') FROM json_each(memory_aliases(new.content));
    END;
    CREATE TRIGGER memories_aliases_ad AFTER DELETE ON memories BEGIN
        DELETE FROM memory_aliases WHERE memory_id = old.id;
    END;
    CREATE TRIGGER memories_aliases_au AFTER UPDATE OF content ON memories BEGIN
        DELETE FROM memory_aliases WHERE memory_id = old.id;
        INSERT OR IGNORE INTO memory_aliases SELECT new.id, json_extract(value, '$[0]'), json_extract(value, '$[1]'),
            json_extract(value, '$[2]') FROM json_each(memory_aliases(new.content));
    END;
    INSERT OR IGNORE INTO memory_aliases SELECT memories.id, json_extract(value, '$[0]'), json_extract(value, '$[1]'),
        json_extract(value, '$[2]') FROM memories, json_each(memory_aliases(memories.content));
    UPDATE memories SET owner = memory_owner(content) WHERE owner != memory_owner(content);
    UPDATE memories SET traits = memory_traits(content) WHERE traits != memory_traits(content);
    """,
    # 6: owners and aliases again, as step-relations ("my stepdad Clive") are relations now.
    """
    UPDATE memories SET owner = memory_owner(content) WHERE owner != memory_owner(content);
    DELETE FROM memory_aliases;
    INSERT OR IGNORE INTO memory_aliases SELECT memories.id, json_extract(value, '$[0]'), json_extract(value, '$[1]'),
        json_extract(value, '$[2]') FROM memories, json_each(memory_aliases(memories.content));
    """,
    # 7: meaning-based recall: a vector per memory from the embedding model (--embed-model), and each model's
    # centre, from which a vector's sign bits are taken for the fast first scan.
    """
    CREATE TABLE memory_vectors (
        seq INTEGER PRIMARY KEY,  -- grows with every vector written: a reader loads only the rows past its last
        memory_id INTEGER NOT NULL UNIQUE,
        model TEXT NOT NULL,
        vector BLOB NOT NULL,  -- float32, little-endian, length 1
        code BLOB  -- the vector's sign bits against its model's centre; NULL while the model has none
    );
    CREATE TABLE vector_centres (
        model TEXT PRIMARY KEY,
        centre BLOB NOT NULL  -- float32, little-endian: the mean of the model's first CENTRE_SAMPLE vectors
    );
    CREATE TRIGGER memories_vectors_ad AFTER DELETE ON memories BEGIN
        DELETE FROM memory_vectors WHERE memory_id = old.id;
    END;
    CREATE TRIGGER memories_vectors_au AFTER UPDATE OF content ON memories BEGIN
        DELETE FROM memory_vectors WHERE memory_id = old.id;
    END;
    """,
]



def connect(path: Path) -> sqlite3.Connection:
    """Open the app's database for use from any thread, in WAL mode.

    synchronous=NORMAL: a commit survives the app being killed; only a power
    cut may lose the last moments (the examples file itself is fsynced).
    """
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    for function in (memory_owner, memory_terms, memory_traits, memory_aliases):  # migrations 4 and 5 use them
        db.create_function(function.__name__, 1, function, deterministic=True)
    return db


def migrate(db: sqlite3.Connection) -> None:
    """Run the MIGRATIONS this database has not run yet, each in a transaction of its own."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        db.executescript(f"BEGIN; {script} PRAGMA user_version = {number}; COMMIT;")


def open_database(path: str | os.PathLike[str]) -> tuple[Path, sqlite3.Connection]:
    """The absolute path and a connection to the app's database, created if need be and migrated."""
    absolute = Path(os.path.abspath(os.fspath(path)))
    absolute.parent.mkdir(parents=True, exist_ok=True)
    db = connect(absolute)
    migrate(db)
    return absolute, db


class Database:
    """The app's database: one connection and its lock, shared by the memory and session stores.

    Sharing them lets a turn write its exchange and its memory in one transaction (one commit, and a crash
    leaves both or neither).  The lock is re-entrant so that a store's method can run inside a transaction.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path, self.db = open_database(path)
        self.lock = threading.RLock()
        self._savepoints = 0  # how deep the open transaction is nested

    def close(self) -> None:
        with self.lock:
            self.db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and write atomically: the outermost use is a transaction (committed at the end, rolled
        back on an exception), a nested one a savepoint, so that an inner failure undoes only its own writes."""
        with self.lock:
            depth = self._savepoints
            self.db.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT nested_{depth}")
            self._savepoints += 1
            try:
                yield self.db
            except BaseException:
                if not self.db.in_transaction:  # some errors (a full disk) end the whole transaction themselves
                    pass
                elif depth == 0:
                    self.db.execute("ROLLBACK")
                else:
                    self.db.execute(f"ROLLBACK TO nested_{depth}")
                    self.db.execute(f"RELEASE nested_{depth}")
                raise
            else:
                self.db.execute("COMMIT" if depth == 0 else f"RELEASE nested_{depth}")
            finally:
                self._savepoints = depth


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
# How recall reads a message.  Contractions are split before any of these lists is used: "what's" is what,
# "can't" is can + not, and a possessive "cat's" is cat.
# Words that do not say which memory is meant: function words, question words, the verbs of asking.
STOP_WORDS = frozenset("""
    a about after again all also am an and any anything are as at be been before being but by can could d did do
    does doing done else ever for from get gets getting go goes going got had has have having he her here hers him
    his how i if in into is it its just kind know let ll long m many me mine more most much my myself need needs no
    not now of off often on once one or our ours ourselves out please re really recall remember remind right s said
    say says she should so some something sort still t tell than that the their theirs them then there these they
    thing things think this those to told too up us usually ve very was way we were what when where which while who
    whom whose why will with would you your yours yourself
    """.split())
OWNER_USER = "user"  # the owner recorded for the user's own facts
# Verbs that say little of their own in a question ("Which supermarket do I use?", "Where do we keep the key?"):
# their group weighs LIGHT_VERB_SHARE of its idf.  They are still searched for: a rare one makes cheap queries.
LIGHT_VERBS = frozenset("use uses used using keep keeps kept put puts take takes taken".split())
# Words by which the user speaks of themself: the first of these, before anyone else is named, makes it theirs.
USER_WORDS = frozenset("i me my mine myself we us our ours ourselves".split())


def _relations(*groups: tuple[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {word: owners for words, owners in groups for word in words.split()}


# How people name the people in their life -> the owner words recorded: "my mum" and "my mother" are one
# person; a fact about "my parents" is also about each of them, and one about any relative is the family's.
RELATIONS: dict[str, tuple[str, ...]] = _relations(
    ("mum mom mother mam mummy mommy mama", ("mother", "family")),
    ("dad father daddy papa", ("father", "family")),
    ("parents folks", ("parents", "mother", "father", "family")),
    ("sister sis", ("sister", "family")),
    ("brother bro", ("brother", "family")),
    ("siblings", ("sister", "brother", "family")),
    ("wife", ("wife", "partner", "family")),
    ("husband hubby", ("husband", "partner", "family")),
    ("partner spouse", ("partner", "wife", "husband", "boyfriend", "girlfriend", "family")),
    ("boyfriend", ("boyfriend", "partner")),
    ("girlfriend", ("girlfriend", "partner")),
    ("fiance fiancee", ("fiance", "partner")),
    ("son", ("son", "child", "family")),
    ("daughter", ("daughter", "child", "family")),
    ("child children kid kids youngest eldest oldest", ("child", "son", "daughter", "family")),
    ("grandma gran granny nan nana nanna grandmother", ("grandmother", "grandparents", "family")),
    ("grandad granddad grandpa grandfather", ("grandfather", "grandparents", "family")),
    ("grandparents", ("grandparents", "grandmother", "grandfather", "family")),
    ("aunt auntie aunty", ("aunt", "family")),
    ("uncle", ("uncle", "family")),
    ("cousin", ("cousin", "family")),
    ("niece", ("niece", "family")),
    ("nephew", ("nephew", "family")),
    ("grandson granddaughter grandchild grandchildren grandkids", ("grandchild", "family")),
    ("stepdad stepfather", ("stepfather", "family")),
    ("stepmum stepmom stepmother", ("stepmother", "family")),
    ("stepson", ("stepson", "stepchild", "family")),
    ("stepdaughter", ("stepdaughter", "stepchild", "family")),
    ("stepbrother", ("stepbrother", "family")),
    ("stepsister", ("stepsister", "family")),
    ("family relatives relative", ("family",)),
    ("friend mate pal bestie", ("friend",)),
    ("neighbour neighbor neighbours neighbors", ("neighbour",)),
    ("boss manager", ("boss",)),
    ("colleague coworker workmate", ("colleague",)),
    ("flatmate roommate housemate", ("flatmate",)),
    ("landlord landlady", ("landlord",)),
    ("godson goddaughter godchild", ("godchild",)),
    ("ex", ("ex",)),
)
# People known by what they do for the user: "my GP is Dr Patel" is the doctor's fact.  Unlike relations they
# stay content words too, and only "my <role>" with the role as its last word makes them the owner ("my dentist
# appointment" is the user's).
ROLES: dict[str, tuple[str, ...]] = _relations(
    ("doctor gp", ("doctor",)),
    ("dentist", ("dentist",)),
    ("teacher", ("teacher",)),
    ("vet", ("vet",)),
    ("therapist counsellor counselor", ("therapist",)),
    ("coach trainer tutor", ("coach",)),
    ("client", ("client",)),
    ("lawyer solicitor", ("lawyer",)),
    ("accountant", ("accountant",)),
    ("hairdresser barber", ("hairdresser",)),
)
# Words between "my" and a relation: "my best friend", "my little sister", "my eldest son".
RELATION_ADJECTIVES = frozenset("best oldest old older eldest elder youngest younger little big baby new ex late "
                                "dear other".split())
# A capitalised word after one of these in a question is its subject: "is Emma", "does Jake".
SUBJECT_BEFORE = frozenset("is was does did has had can could will would should are were".split())
# Words that follow a subject: a capitalised first word followed by one is a person ("Sarah lives in Leeds"), and
# "my ..." ends before one ("my old teacher lives in Leeds" is the teacher's).
SUBJECT_AFTER = frozenset("""is was has had and just lives lived works worked loves loved hates hated likes liked
    only plays played says said got gets started starts turns turned moved recommended lent broke adopted really
    will can wants needs thinks texted rang went bought from goes comes came keeps kept sleeps slept knows knew
    makes made takes took uses used""".split())
# Words that introduce a name: "a parrot called Kiwi".
NAMING_WORDS = frozenset("called named".split())
# "What year was I born?" asks for a time: its word names the kind of answer, which a fact need not say.
TIME_ASKED_RE = re.compile(r"\b(?:what|which) (time|day|date|month|year)\b")
# What kind of answer a question asks for, from its words and frames: a memory that holds one answers better.
ANSWER_KINDS: dict[str, re.Pattern[str]] = {
    "name": re.compile(r"\b(name|names|called|named|who)\b"),
    "place": re.compile(r"\b(where|which (city|town|country|place|street))\b"),
    "time": re.compile(rf"\b(when|{TIME_ASKED_RE.pattern})\b"),
    "number": re.compile(r"\bhow (old|many|much|often|long)\b"),
    "habit": re.compile(r"\b(usually|normally|always|every|how often|(mon|tues|wednes|thurs|fri|satur|sun)days)\b"),
}
# Words that ask for the newest of several answers: "Where do I live now?"
LATEST_WORDS = frozenset("now currently nowadays latest anymore lately recently".split())
# A question about what is coming or going on ("Who am I meeting on Friday?") is not answered by a past event.
AHEAD_RE = re.compile(r"\b(am|are|is)\b.*\b\w{3,}ing\b|\b(will|going|tomorrow|upcoming|planning|plan)\b"
                      r"|\bnext (week|weekend|month|year|time|\w+day)\b")
PAST_WORDS = frozenset("went met had was were did saw took came felt yesterday ago".split())
# A question about how things stand ("Where do I work?", not "Where did I..." nor "Where am I going?") is not
# answered by a memory of one day: one that says yesterday, this morning, last week, two days ago.
PAST_QUESTION_RE = re.compile(r"\b(did|was|were|happened|used to|ago|last|ever)\b")
ONE_OFF_RE = re.compile(r"\b(yesterday|ago|earlier today|last (night|week|month)|this (morning|afternoon|evening)|"
                        r"since (mon|tues|wednes|thurs|fri|satur|sun)day|"
                        r"tonight|went|met|saw|took|came|felt|had|lost|bought|watched|finished|tried|stayed|"
                        r"rang|texted|(?<!get )(?<!gets )paid)\b")  # "we get paid" is no one-off
# What a memory must hold to answer each kind of question.
PLACE_WORDS = frozenset("""home hospital school office surgery street road town city village park centre center
    abroad garden garage kitchen bedroom shed hutch""".split())
TIME_WORDS = frozenset("""today tomorrow tonight yesterday morning mornings afternoon evening evenings night nights
    week weekend weekends month year ago noon midnight christmas easter summer winter spring autumn monday tuesday
    wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays fridays saturdays sundays january
    february march april may june july august september october november december""".split())
HABIT_WORDS = frozenset("""every usually always normally weekly daily nightly nights mornings evenings afternoons
    weekends mondays tuesdays wednesdays thursdays fridays saturdays sundays""".split())
NUMBER_WORDS = frozenset("""one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
    sixty seventy eighty ninety hundred""".split())

# Words people use for the same thing: a question's word also finds a memory using another of its group,
# and the group is scored as one term.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    # people, pets and names
    ("cat", "kitten", "kitty"),
    ("dog", "puppy", "pup", "doggy"),
    ("rabbit", "bunny"),
    ("name", "called", "named", "call", "nickname"),
    ("baby", "pregnant", "pregnancy", "expecting", "newborn", "birth", "twins"),
    ("birthday", "born"),
    ("old", "age", "aged", "turning", "turns", "born"),
    ("wedding", "married", "marry", "marrying", "engaged"),
    ("visit", "visiting", "visitor", "staying", "coming"),
    # home and places
    ("live", "living", "home", "moved", "move", "based", "address"),
    ("house", "flat", "apartment", "home"),
    ("born", "grew", "grow", "grown", "growing", "raised", "originally", "hometown", "childhood"),
    ("city", "town", "village"),
    ("country", "abroad", "overseas"),
    ("rent", "renting", "rented", "landlord", "lease", "tenancy"),
    ("park", "parking"),
    ("garden", "allotment"),
    ("car", "drive", "driving", "vehicle"),
    ("commute", "commuting", "train", "bus", "tube"),
    ("renovation", "renovating", "building", "builders", "extension", "refurb", "decorating"),
    ("neighbour", "neighbours", "neighbor", "neighbors"),
    ("bike", "bicycle", "cycle", "cycling", "ride"),
    ("password", "passcode", "pin", "code"),
    ("phone", "mobile"),
    # plans and travel
    ("holiday", "vacation", "trip", "travel", "travelling", "abroad", "getaway"),
    ("flight", "flying", "fly", "plane", "planes", "airport"),
    ("festival", "gig", "concert"),
    ("party", "celebration", "celebrate"),
    ("appointment", "appt"),  # not "booked": porter stems it "book"
    ("meet", "meeting", "met"),
    ("goal", "aim", "aiming", "target", "resolution"),
    ("passport", "visa"),
    ("due", "renew", "renews", "renewal", "expire", "expires", "expiry"),
    # work and money
    ("work", "job", "career", "employer", "employed", "profession", "occupation", "shift", "shifts", "freelance"),
    ("remote", "remotely", "wfh"),
    ("salary", "pay", "paid", "payday", "wage", "wages", "earn", "payslip"),
    ("leave", "holiday", "annual", "vacation"),
    ("interview", "applied", "application", "hiring"),
    ("save", "saving", "savings", "money"),
    ("charity", "volunteer", "volunteering", "fundraising", "sponsored"),
    ("insurance", "insured", "policy"),
    # health
    ("doctor", "gp", "physician"),
    ("medicine", "medication", "meds", "tablets", "pills", "prescription", "drug"),
    ("allergic", "allergy", "intolerant", "intolerance", "react", "reaction"),
    ("ill", "illness", "sick", "unwell", "disease", "condition", "diagnosed", "health"),  # not "medical": porter
    # stems it "medic", as it does "medication"
    ("hurt", "injured", "injury", "sore", "pain", "painful", "ache", "aching", "fell"),
    ("operation", "surgery", "op", "procedure", "replacement", "operated"),
    ("break", "broke", "broken", "fracture", "fractured"),
    ("headache", "migraine"),
    ("sleep", "sleeping", "asleep", "insomnia", "tired", "bed", "bedtime"),
    ("anaemic", "anaemia", "anemic", "anemia", "iron"),
    ("jab", "vaccine", "vaccination", "vaccinated", "booster", "injection"),
    ("eyesight", "sight", "vision", "eyes", "glasses", "lenses", "contacts", "specs", "blind"),
    ("noise", "sound", "sounds", "loud"),
    ("hearing", "deaf", "ears"),
    ("teeth", "tooth", "dental", "dentist"),
    ("smoke", "smoking", "smoker", "cigarette", "cigarettes", "vape", "vaping"),
    ("quit", "quitting", "gave", "stopped"),
    ("exercise", "gym", "workout", "fitness"),
    ("colour", "color"),
    # likes, dislikes, fears
    ("like", "love", "favourite", "favorite", "enjoy", "fan", "prefer", "best"),
    ("hate", "dislike", "stand", "bear", "loathe", "detest", "annoy", "annoys", "annoying", "irritate", "irritates"),
    ("afraid", "scared", "frightened", "fear", "phobia", "terrified", "anxious", "nervous", "worried"),
    ("support", "supporter", "supporters", "follow", "fan"),
    # food and drink
    ("eat", "eating", "food", "meal", "dish", "dinner", "lunch", "breakfast", "restaurant"),
    ("drink", "drinking", "drinks"),
    ("shop", "shopping", "groceries"),
    ("meat", "vegetarian", "vegan", "veggie"),
    ("milk", "dairy", "lactose", "cheese", "cream", "yoghurt", "butter"),
    ("bread", "gluten", "wheat", "pasta", "coeliac", "celiac"),
    ("alcohol", "sober", "wine", "beer"),
    ("coffee", "caffeine", "latte", "espresso", "cappuccino"),
    ("diet", "dieting", "carb", "carbs", "calories"),
    # pastimes and learning
    ("film", "movie", "cinema"),
    ("tv", "television", "show", "shows", "series", "drama", "dramas", "netflix", "watch", "watching"),
    ("music", "band", "singer", "song", "album", "artist", "musician"),
    ("book", "novel", "reading", "read", "author"),
    ("hobby", "hobbies", "class", "classes", "club", "lessons", "course"),
    ("learn", "learning", "lessons", "studying", "study"),
    ("race", "marathon", "run", "running", "jog", "jogging"),
    ("swim", "swimming", "swimmer", "water", "pool"),
    ("dance", "dancing"),
    ("school", "primary", "secondary", "nursery"),
    ("university", "uni", "degree", "college", "graduated", "studied"),
    ("plan", "planning", "organising", "organizing", "organise", "organize", "arranging", "arrange"),
    ("make", "making", "knitting", "sewing", "crochet", "baking", "building"),
    ("energy", "gas", "electric", "electricity", "supplier"),
    ("court", "jury", "trial"),
    ("week", "weekdays", "weekday"),
    ("tech", "technology", "software", "programming", "stack"),
)
# Irregular verbs, whose forms Porter's stemmer leaves apart ("grew" is not "grow"): a question's form finds the
# others as synonyms ("slept" is weaker evidence than "sleeps" for "Where does the rabbit sleep?").  Forms that
# are also other words ("saw", "left", "felt", "lay") and light verbs ("take", "give", "keep", "find": "take
# medicine" is not about what was taken) are left out.
IRREGULAR_VERBS: tuple[tuple[str, ...], ...] = tuple(tuple(forms.split()) for forms in """
    grow grew grown; buy bought; drive drove driven; teach taught; eat ate eaten; write wrote written;
    speak spoke spoken; sing sang sung; swim swam swum; fly flew flown; run ran; begin began begun;
    break broke broken; bring brought; catch caught; sell sold; lose lost; win won; choose chose chosen;
    wear wore worn; ride rode ridden; fall fell fallen;
    sleep slept; spend spent; pay paid; build built; forget forgot forgotten; steal stole stolen;
    draw drew drawn; throw threw thrown; meet met; send sent; lend lent; sit sat; stand stood;
    understand understood; hear heard; fight fought; feed fed""".split(";"))
# A general word and the particular things it covers, one way: "instrument" finds "cello", not the reverse.
KINDS: dict[str, tuple[str, ...]] = {
    "pet": tuple("""cat dog kitten puppy rabbit bunny hamster guinea gerbil mouse mice rat tortoise turtle parrot
        budgie goldfish fish horse pony ferret snake lizard gecko bird hen hens chicken chickens duck ducks""".split()),
    "fish": tuple("goldfish koi guppy guppies tetra tetras betta angelfish carp".split()),
    "lizard": tuple("gecko geckos iguana chameleon skink dragon".split()),
    "reptile": tuple("""gecko geckos iguana chameleon skink dragon lizard snake python corn tortoise terrapin turtle
        """.split()),
    "chicken": tuple("hen hens rooster cockerel bantam bantams pullet chicks".split()),
    "poultry": tuple("hen hens chicken chickens rooster cockerel duck ducks geese goose".split()),
    "rodent": tuple("hamster gerbil mouse mice rat rats guinea chinchilla degu".split()),
    "dog": tuple("""beagle labrador spaniel terrier collie poodle pug dachshund retriever greyhound whippet husky
        corgi alsatian schnauzer chihuahua""".split()),
    "instrument": tuple("""piano guitar cello violin viola drums flute clarinet trumpet saxophone ukulele harp
        trombone keyboard""".split()),
    "language": tuple("""spanish french german italian portuguese mandarin chinese japanese welsh arabic russian
        greek dutch korean hindi polish""".split()),
    "sport": tuple("""football soccer tennis rugby cricket golf netball hockey swimming basketball squash badminton
        cycling climbing boxing""".split()),
    "hobby": tuple("""pottery knitting crochet sewing painting drawing photography gardening baking cooking climbing
        yoga pilates chess fishing cycling dancing singing choir birdwatching woodwork""".split()),
    "herb": tuple("coriander cilantro basil parsley mint rosemary thyme dill sage oregano chives".split()),
    "medicine": tuple("""penicillin amoxicillin antibiotics ibuprofen paracetamol aspirin codeine sertraline
        citalopram fluoxetine metformin insulin statins inhaler antidepressants""".split()),
    "illness": tuple("""dementia alzheimers diabetes diabetic asthma cancer arthritis epilepsy depression anxiety
        migraines parkinsons eczema psoriasis angina crohns insomnia""".split()),
    "renovation": tuple("kitchen bathroom extension loft conservatory roof".split()),
    "operation": tuple("appendix tonsils gallbladder cataract hernia bypass grommets stitches keyhole".split()),
    "heart": tuple("pressure cholesterol cardiac angina palpitations".split()),
    "bone": tuple("wrist arm leg ankle collarbone rib hip finger toe nose elbow knee shoulder jaw skull".split()),
    "drink": tuple("tea coffee wine beer juice water".split()),
    "bird": tuple("parrot budgie canary cockatiel".split()),
    "dance": tuple("ballet salsa ballroom tap tango".split()),
    "programming": tuple("python java javascript typescript ruby rust golang sql postgres mysql kotlin swift".split()),
    "family": tuple("""mum dad mother father sister brother son daughter cousin aunt uncle niece nephew grandma
        grandad nan gran grandson granddaughter""".split()),
    # sport: where a player plays, and what a team is called
    "position": tuple("""goal goalkeeper keeper goalie defender defence midfield midfielder striker forward winger
        wing centre fullback prop hooker scrum flanker bowler batsman batter wicketkeeper pitcher catcher captain
        attack""".split()),
    "team": tuple("""club fc united city rovers rangers wanderers athletic albion county hotspur villa bears
        fan supporter""".split()),
    # food and drink
    "bar": tuple("beer lager ale cider pint wine gin vodka whisky rum cocktail prosecco".split()),
    "pub": tuple("beer lager ale cider pint".split()),
    "indian": tuple("""curry jalfrezi tikka masala korma balti biryani bhuna dhansak vindaloo madras naan paneer dhal
        dal samosa bhaji poppadoms""".split()),
    "takeaway": tuple("""curry pizza chinese indian thai kebab chippy burger sushi jalfrezi tikka korma noodles
        deliveroo""".split()),
    "food": tuple("""fruit vegetables meat fish cheese bread pasta rice curry pizza chocolate cake nuts""".split()),
    "nut": tuple("""walnut walnuts peanut peanuts almond almonds cashew cashews hazelnut hazelnuts pistachio pistachios
        pecan pecans brazil""".split()),
    "supermarket": tuple("""tesco sainsbury sainsburys asda morrisons waitrose aldi lidl ocado coop iceland marks
        spencer""".split()),
    "shop": tuple("supermarket tesco sainsbury sainsburys asda morrisons waitrose aldi lidl ocado groceries".split()),
    # health: specialists, devices and procedures
    "doctor": tuple("""gp consultant specialist podiatrist chiropodist dermatologist cardiologist optician optometrist
        physio physiotherapist psychiatrist psychologist surgeon paediatrician audiologist""".split()),
    "device": tuple("""cpap inhaler pacemaker hearing aid aids monitor pump brace splint crutches glasses""".split()),
    "vaccine": tuple("jab jabs booster flu injection vaccination".split()),
    # the theatre and shows
    # not "play": mostly a verb ("I play five-a-side")
    "theatre": tuple("musical musicals panto pantomime opera ballet show tickets hippodrome".split()),
    "show": tuple("musical musicals panto pantomime opera ballet gig concert tickets".split()),
    # places and homes
    "university": tuple("uni degree graduated graduate college masters phd undergraduate campus".split()),
    "supplier": tuple("energy gas electric electricity broadband octopus edf eon ovo".split()),
    "energy": tuple("gas electric electricity octopus edf eon ovo".split()),
    "court": tuple("jury juror trial magistrates solicitor judge".split()),
    "safety": tuple("fire warden aider evacuation alarm".split()),
}
# Occupations: what people answer to "What do you do?"; a kind of job, as a beagle is a kind of dog.
# Not those people mostly name as someone who serves them: "my dentist appointment", "the vet", "my GP".
OCCUPATIONS = tuple("""nurse surgeon midwife paramedic pharmacist physiotherapist carer teacher lecturer professor
    tutor developer programmer engineer designer architect scientist researcher analyst consultant accountant
    lawyer solicitor barrister photographer journalist writer editor librarian plumber electrician carpenter
    mechanic pilot firefighter soldier farmer chef waiter waitress receptionist administrator secretary musician
    artist actor student retired unemployed self biologist chemist physicist astronaut police officer
    dancer singer vicar priest minister baker butcher builder teaches""".split())
# Countries: what "abroad", "overseas" and a trip away are about.
COUNTRIES = tuple("""france spain italy germany portugal greece netherlands belgium switzerland austria ireland
    scotland wales iceland norway sweden denmark finland poland croatia turkey egypt morocco kenya india china japan
    korea thailand vietnam singapore malaysia indonesia australia zealand canada america usa mexico brazil peru
    argentina chile hong kong dubai""".split())
# Festivals known by name alone.
FESTIVALS = tuple("""glastonbury download latitude boomtown bestival creamfields wireless womad coachella
    lollapalooza tomorrowland roskilde primavera""".split())
# Not "work": mostly a verb ("Which days do I work from home?"); the frames below ask for a job.
KINDS.update(dict.fromkeys(("job", "career", "profession", "occupation"), OCCUPATIONS))
KINDS.update(dict.fromkeys(("country", "abroad", "overseas", "travel", "trip", "holiday"), COUNTRIES))
KINDS.update(festival=FESTIVALS)
KINDS.update(hen=KINDS["chicken"], jab=KINDS["vaccine"], uni=KINDS["university"], college=KINDS["university"],
             musical=KINDS["theatre"], club=KINDS["team"])
# A pet's kind, which "our dog Biscuit" or "a gecko called Norbert" names: an alias's relation.
PET_KINDS = frozenset((*KINDS["pet"], *KINDS["dog"], *KINDS["bird"], *KINDS["fish"], *KINDS["reptile"],
                       *KINDS["chicken"], *KINDS["rodent"]))
KINDS.update(animal=KINDS["pet"], medication=KINDS["medicine"], relative=KINDS["family"])
KINDS.update(dict.fromkeys(("ill", "sick", "unwell", "condition", "disease"), KINDS["illness"]))
# Question frames that ask about something no single word of them names: "How old am I?" asks for an age or a
# birth date, "where is she from" for a birthplace.  Each adds one group of its words, in place of the words it
# names last ("next door" is not about "next" nor a "door").
FRAMES: tuple[tuple[re.Pattern[str], tuple[str, ...], frozenset[str]], ...] = (
    (re.compile(r"\bhow old\b"), ("old", "age", "aged", "born", "turning", "turns", "birthday"), frozenset()),
    (re.compile(r"\bwhere\b.*\bfrom\b"), ("born", "grew", "raised", "originally", "hometown"), frozenset()),
    (re.compile(r"\bwrong with\b"), ("ill", "illness", "sick", "hurt", "injured", "sore"), frozenset({"wrong"})),
    (re.compile(r"\bfor a living\b"), ("work", "job"), frozenset({"living"})),
    # "What's the dog called?" asks for a name; its word is not "call" ("Remind me to call Ben"), one stem to Porter
    (re.compile(r"\bcalled\b"), ("name", "named", "nickname"), frozenset({"called"})),
    # "Do I like flying?" is answered by any feeling about it: liking, hating or fearing it
    (re.compile(r"\b(do|does) \w+ (like|enjoy|mind)\b"),
     ("like", "love", "enjoy", "hate", "dislike", "afraid", "scared", "anxious", "nervous"),
     frozenset({"like", "enjoy", "mind"})),
    (re.compile(r"\breport(s|ed)? to\b"), ("boss", "manager", "supervisor"), frozenset({"report", "reports"})),
    (re.compile(r"\bwhat (do|does) [\w ]*\bdo$"), ("work", "job"), frozenset()),  # "what does my wife do?"
    (re.compile(r"\bdo for (work|a job)\b"), ("work", "job"), frozenset({"work"})),
    (re.compile(r"\bwork for (myself|ourselves|himself|herself|themselves)\b"),
     ("self", "employed", "freelance", "freelancer", "business"), frozenset({"work"})),
    (re.compile(r"\brun out\b"), ("expire", "expires", "expiry"), frozenset({"run"})),
    (re.compile(r"\bget to (work|the office|school)\b"), ("commute", "train", "bus", "drive", "cycle", "walk"),
     frozenset({"get"})),
    (re.compile(r"\bnext door\b"), ("neighbour", "neighbours", "neighbor"),
     frozenset({"next", "door", "lives", "live"})),  # "Who lives next door?" is not about where anyone lives
    (re.compile(r"\bbuilding work\b"), ("renovation", "builders"), frozenset({"building", "work"})),
    (re.compile(r"\b(eat|have) in the morning\b"), ("breakfast",), frozenset({"morning"})),
    # British English: "the work Christmas do" is a party, "days off" are leave, "locked out" wants a key
    (re.compile(r"\b(christmas|leaving|birthday|work|office|summer|retirement) do\b(?! (i|we|you|they|he|she)\b)"),
     ("party",), frozenset()),  # not "What charity work do I do?"
    (re.compile(r"\b(days?|time) off\b"), ("leave", "holiday", "annual"), frozenset({"off"})),
    (re.compile(r"\blocked out\b|\bget in\b"), ("key", "keys", "spare"), frozenset({"locked", "get"})),
    (re.compile(r"\bholiday (home|house|cottage|let)\b"), ("caravan", "cottage", "chalet", "lodge", "villa",
                                                             "timeshare"), frozenset({"home", "house"})),
    (re.compile(r"\b(taken|take|takes) out\b"), ("walk", "walks", "walker", "walked"), frozenset({"taken", "take"})),
    (re.compile(r"\bfoot doctor\b|\bmy feet\b"), ("podiatrist", "chiropodist", "foot", "feet"), frozenset()),
)

# Ranking: bm25 relevance over the groups first; the rules below add or take away in the same units.
BM25_K1 = 1.2  # how fast repeating a word stops adding to its score
BM25_B = 0.75  # how much a long memory's words count for less
TYPICAL_MEMORY_WORDS = 10  # the memory length bm25's length normalisation treats as average
SYNONYM_CREDIT = 0.8  # a group's share for a synonym of the question's word, against 1 for the word itself
OWNER_MATCH = 7.0  # a memory of the person the question is about
OWNER_CLASH = 4.0  # taken away for a memory only of others, when the question is about someone
OWNER_IMPLIED = 1.5  # a memory of the user's own, when the question names no one ("What's the dog called?")
PROXIMITY_WINDOW = 3  # two of the question's groups this close in a memory count as a phrase
PROXIMITY_WEIGHT = 1.0  # added per such pair, times the rarer group's idf share
LIGHT_VERB_SHARE = 0.25  # a light verb's group ("use") weighs this share of its idf: it says little
ANSWER_KIND = 1.5  # a memory holding what the question asks for: a name, a place, a time, a number, a habit
PAST_FOR_AHEAD = 1.5  # taken from a past event, when the question is about what is coming or going on
ONE_OFF_FOR_STATE = 1.5  # taken from a memory of one day, when the question is about how things stand
IMPORTANCE_NUDGE = 0.2  # at most this for importance 5: a tie-breaker, never worth a word
RECENCY_NUDGE = 0.4  # at most this for a memory from just now, halved at RECENCY_HALF_DAYS
RECENCY_HALF_DAYS = 365.0  # a year-old fact keeps half the recency nudge: lasting facts are not buried
LATEST_FACTOR = 4.0  # the recency nudge is this many times larger when the question asks for the latest
REPEAT_POOL = 3  # the best k * this many are ranked again with near-repeats of a better memory put last...
REPEAT_DIFFERENCES = 1  # ...memories of as many words that differ in at most this many places

# Cost bounds: every query reads only the rows it returns, whatever the store holds.
COUNTED_GROUPS = 6  # a message's first this many word groups are counted and used, the rest of a long one ignored
COUNTED_MATCHES = 2000  # a group's memories are counted up to this: past it, a word is common and weighs little
COMMON_SHARE = 0.05  # a group in more than this share of memories (or COUNTED_MATCHES) is only queried in pairs
SINGLE_QUERIES = 3  # groups queried alone (and with the owner), rarest first
PAIR_GROUPS = 3  # each pair of the rarest groups is queried with AND
CANDIDATE_ROWS = 250  # at most this many memories are scored in Python: a query matching no more than are left
# of these gives them all; a larger one gives half of what is left, or at least...
SHORTEST_PER_QUERY = 20  # ...this many, of its shortest memories (bm25's order for one word)...
NEWEST_PER_QUERY = 8  # ...and its newest
LONG_MESSAGE_GROUPS = 4  # a message of more word groups than this (mostly a statement: questions have 1-3)...
LONG_MESSAGE_ROWS = 100  # ...has at most this many candidates...
LONG_MESSAGE_RAREST = 2  # ...from queries on its this many rarest groups (alone, with the owner, in pairs)
OPTIMIZE_AFTER_ROWS = 1000  # add_many() merges the full-text indexes after storing this many rows
ANALYSED_CHARS = 2000  # the re-rank reads only this much of a long memory
ALIAS_NAMES = 6  # a relation known by more names than this ("family") adds none of them to a question
ALIAS_RELATIONS = 1  # a name given to more relations than this adds none of them to a question

# Meaning-based recall, with --embed-model: each memory also gets a vector from the server's /embeddings, and
# recall fuses the memories nearest the query in meaning with the word ranking above.
EMBED_BATCH = 64  # memories embedded per request
EMBED_CHARS = 2000  # the most of a memory or query sent to be embedded
EMBED_PROGRESS = 5000  # a start-up backfill logs its progress about every this many memories
CENTRE_SAMPLE = 64  # a model's centre is the mean of its first this many vectors; until then all are compared
DENSE_SCAN_ROWS = 100  # the memories nearest by sign bits (one pass over all) that are then compared exactly
DENSE_DEPTH = 50  # the nearest this many by meaning are fused...
LEXICAL_DEPTH = 50  # ...with the best this many by words
FUSION_K = 5  # reciprocal-rank fusion: a memory earns 1 / (FUSION_K + rank) from each ranking it is in


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


# --- reading text for recall: words, stems, owners ------------------------------------------------

_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*'?")
_CONTRACTION_ENDINGS = frozenset("s m re ve ll d".split())  # 's 'm 're 've 'll 'd: dropped, the base kept
_NEGATIVE_BASES = {"ca": "can", "wo": "will", "sha": "shall"}  # can't, won't, shan't


def _fold(text: str) -> str:
    """Curly apostrophes made straight and accents removed, as the full-text index reads text."""
    if text.isascii():
        return text
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _split_apostrophe(token: str) -> list[tuple[str, bool]]:
    """(word, possessive) pairs for a token holding an apostrophe: "cat's" is cat, "don't" is do + not."""
    if token.endswith("'"):
        return [(token[:-1], True)]  # "the kids' school"
    base, _, rest = token.partition("'")
    ending = rest.lower()
    if ending == "t" and base.lower().endswith("n"):
        root = base[:-1]
        return [(_NEGATIVE_BASES.get(root.lower(), root), False), ("not", False)]
    if ending in _CONTRACTION_ENDINGS:
        return [(base, ending == "s")]
    return [(base, False), (rest, False)]  # o'clock, O'Neill: two words, as the index has them


def _tokens(text: str) -> list[tuple[str, bool, bool]]:
    """(lower-case word, capitalised, possessive) for each word of *text*, contractions split."""
    found: list[tuple[str, bool, bool]] = []
    for token in _TOKEN_RE.findall(_fold(text)):
        parts = _split_apostrophe(token) if "'" in token else [(token, False)]
        found += [(word.lower(), word[:1].isupper(), possessive) for word, possessive in parts if word]
    return found


_WORD_RE = re.compile(r"[^\W_]+")
_NEGATION_RE = re.compile(r"n't\b")  # don't -> do not (can't, won't and shan't are replaced first)
_ENDING_RE = re.compile(r"'(?:s|m|re|ve|ll|d)\b")


def words(text: str) -> list[str]:
    """The lower-case words of *text* as recall reads them: accents removed, contractions split as _tokens does."""
    lowered = _fold(text).lower()
    if "'" in lowered:
        lowered = lowered.replace("can't", "can not").replace("won't", "will not").replace("shan't", "shall not")
        lowered = _ENDING_RE.sub("", _NEGATION_RE.sub(" not", lowered))
    return _WORD_RE.findall(lowered)


_VOWELS = frozenset("aeiou")
_STEP2_RULES = (("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
                ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
                ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
                ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
                ("logi", "log"))
_STEP3_RULES = (("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""),
                ("ness", ""))
_STEP4_SUFFIXES = ("al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou",
                   "ism", "ate", "iti", "ous", "ive", "ize")


def _consonant(word: str, i: int) -> bool:
    if word[i] in _VOWELS:
        return False
    return word[i] != "y" or i == 0 or not _consonant(word, i - 1)


def _measure(stem: str) -> int:
    """Porter's m: the number of vowel-consonant sequences in *stem*."""
    count, after_vowel = 0, False
    for i in range(len(stem)):
        consonant = _consonant(stem, i)
        count += consonant and after_vowel
        after_vowel = not consonant
    return count


def _has_vowel(stem: str) -> bool:
    return any(not _consonant(stem, i) for i in range(len(stem)))


def _ends_cvc(word: str) -> bool:
    """Ends consonant-vowel-consonant, the last not w, x or y: hop, not hoop or bow."""
    n = len(word)
    return (n >= 3 and _consonant(word, n - 1) and not _consonant(word, n - 2) and _consonant(word, n - 3)
            and word[-1] not in "wxy")


def _replace_longest(word: str, rules: tuple[tuple[str, str], ...]) -> str:
    """Porter's steps 2 and 3: the longest matching suffix is replaced if what precedes it has m > 0."""
    for suffix, replacement in sorted(rules, key=lambda rule: -len(rule[0])):
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            return stem + replacement if _measure(stem) > 0 else word
    return word


def _porter(word: str) -> str:
    """Porter's (1980) stemmer, as SQLite's porter tokenizer applies it: "cats" and "cat" are cat."""
    if len(word) <= 2:
        return word
    if word.endswith(("sses", "ies")):  # step 1a: plurals
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if word.endswith("eed"):  # step 1b: -eed, -ed, -ing
        if _measure(word[:-3]) > 0:
            word = word[:-1]
    else:
        for suffix in ("ed", "ing"):
            if word.endswith(suffix) and _has_vowel(word[: -len(suffix)]):
                word = word[: -len(suffix)]
                if word.endswith(("at", "bl", "iz")):
                    word += "e"
                elif len(word) >= 2 and word[-1] == word[-2] and _consonant(word, len(word) - 1) \
                        and word[-1] not in "lsz":
                    word = word[:-1]
                elif _measure(word) == 1 and _ends_cvc(word):
                    word += "e"
                break
    if word.endswith("y") and _has_vowel(word[:-1]):  # step 1c
        word = word[:-1] + "i"
    word = _replace_longest(_replace_longest(word, _STEP2_RULES), _STEP3_RULES)
    for suffix in sorted(_STEP4_SUFFIXES, key=len, reverse=True):  # step 4: the longest suffix only
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            if _measure(stem) > 1 and (suffix != "ion" or stem.endswith(("s", "t"))):
                word = stem
            break
    if word.endswith("e"):  # step 5
        m = _measure(word[:-1])
        if m > 1 or (m == 1 and not _ends_cvc(word[:-1])):
            word = word[:-1]
    if word.endswith("ll") and _measure(word) > 1:
        word = word[:-1]
    return word


_STEMS: dict[str, str] = {}  # word -> stem, filled as words are met
STEM_CACHE_WORDS = 100_000  # the cache is emptied when it holds more words than this


def stem(word: str) -> str:
    """The stem of a lower-case word, the same as the full-text index's porter tokenizer gives; of a multi-word
    term ("bearded dragon"), its words' stems."""
    found = _STEMS.get(word)
    if found is None:
        if len(_STEMS) >= STEM_CACHE_WORDS:
            _STEMS.clear()
        if " " in word:
            found = _STEMS[word] = " ".join(stem(part) for part in word.split())
        else:
            found = _STEMS[word] = _porter(word) if word.isascii() and word.isalpha() else word
    return found


def _in_law(owner: str) -> str:
    """The owner word of a relation by marriage: "mother-in-law" is motherinlaw."""
    return owner + "inlaw"


def _is_in_law(tokens: list[tuple[str, bool, bool]], i: int) -> bool:
    """Whether the word at *i* is the "law" of "mother-in-law": part of a relation, not a word of its own."""
    return tokens[i][0] in ("law", "laws") and i >= 2 and tokens[i - 1][0] == "in" and tokens[i - 2][0] in RELATIONS


def _relation_at(tokens: list[tuple[str, bool, bool]], i: int) -> tuple[list[str], int]:
    """The owner words of the relation at *i* and the index after it: "mother-in-law" is motherinlaw."""
    owners = RELATIONS[tokens[i][0]]
    if i + 2 < len(tokens) and _is_in_law(tokens, i + 2):
        return [_in_law(owners[0]), "family"], i + 3
    return list(owners), i + 1


def _after_my(tokens: list[tuple[str, bool, bool]], i: int) -> list[str]:
    """Owner words for "my ..." with *i* just after "my": a relation or role, else the user; and a name after it.

    "my sister's cat" and "my sister Emma" are the sister's, "my old teacher" the teacher's, "my cat Winston"
    the user's and Winston's, "my dentist appointment" the user's (its last word is no role).
    """
    n = len(tokens)
    while (i + 1 < n and tokens[i][0] in RELATION_ADJECTIVES
           and tokens[i + 1][0] in RELATIONS.keys() | ROLES.keys() | RELATION_ADJECTIVES):
        i += 1  # "my best friend", "my little sister", "my old teacher"
    if i < n and tokens[i][0] in RELATIONS:
        owners, i = _relation_at(tokens, i)
    else:
        phrase: list[str] = []  # the words of "my ...", up to a verb, a function word, a name, or after a possessive
        while (i < n and tokens[i][0] not in STOP_WORDS and tokens[i][0] not in SUBJECT_AFTER
               and (not tokens[i][1] or tokens[i][0] in ROLES)):
            phrase.append(tokens[i][0])
            i += 1
            if tokens[i - 1][2]:
                break
        owners = list(ROLES.get(phrase[-1], (OWNER_USER,))) if phrase else [OWNER_USER]
    name = _name_at(tokens, i) if i < n else None
    if name:
        owners.append(name)  # "my sister Emma", "my cat Winston", "my youngest, Isla", "my husband's name is Raj"
    return owners


def _is_person(tokens: list[tuple[str, bool, bool]], i: int) -> bool:
    """A capitalised word used as someone's name: "Tom's cat", "is Emma", "Sarah lives in Leeds"."""
    word, capitalised, possessive = tokens[i]
    if not capitalised or word in STOP_WORDS or word.isdigit():
        return False
    if possessive and i + 1 < len(tokens) and tokens[i + 1][0] in USER_WORDS:
        return False  # "Peroni's my beer of choice": "'s" is "is", and the fact is the user's
    if possessive or (i > 0 and tokens[i - 1][0] in SUBJECT_BEFORE):
        return True
    if i != 0 or len(tokens) < 2 or word in _TABLE_WORDS:  # "Choir has moved": a word the tables know is no name
        return False
    after, capital, _ = tokens[1]
    # "Sarah lives in Leeds", "Emma teaches maths": a verb of the third person after the first word
    return after in SUBJECT_AFTER or (not capital and after.endswith("s") and after not in STOP_WORDS
                                      and not after.endswith("ss"))


def _owner_words(tokens: list[tuple[str, bool, bool]]) -> list[str]:
    """Whose fact this is, from the first person it names: the user, a relation, or someone by name."""
    owners: list[str] = []
    for i, (word, _, _) in enumerate(tokens):
        if word in ("my", "our"):
            owners = _after_my(tokens, i + 1)
        elif word in USER_WORDS:
            owners = [OWNER_USER]
        elif word in RELATIONS:  # "Grandad's birthday", "the kids' school"
            owners = _relation_at(tokens, i)[0]
        elif _is_person(tokens, i):
            owners = [word]
        else:
            continue
        break
    for i in range(len(tokens) - 1):  # "a parrot called Kiwi": Kiwi's fact too
        if tokens[i][0] in NAMING_WORDS and tokens[i + 1][1] and owners:
            owners.append(tokens[i + 1][0])
    return owners


def memory_owner(text: str) -> str:
    """Whose fact *text* states, as the words stored with it: "user", "sister emma", "tom", or "" for no one.

    The first person the text names decides: "my"/"I"/"we" is the user ("my cat Winston" adds Winston), a
    relation is that relation ("my sister Emma's cat" is sister and emma), a name is that person.
    """
    return " ".join(sorted(set(_owner_words(_tokens(text)))))


def _name_at(tokens: list[tuple[str, bool, bool]], i: int) -> str | None:
    """The name given at *i*, just after a relation or a pet's kind: "sister Emma", "husband's name is Raj", "son is
    called Oliver", "youngest, Isla"; None if there is none."""
    n = len(tokens)
    if i < n and tokens[i][0] == "name" and tokens[i - 1][2] and i + 1 < n and tokens[i + 1][0] == "is":
        i += 2  # "my husband's name is Raj"
    elif i + 1 < n and tokens[i][0] in ("is", "was") and tokens[i + 1][0] in NAMING_WORDS:
        i += 2  # "my son is called Oliver"
    if i < n and tokens[i][1] and tokens[i][0] not in STOP_WORDS and tokens[i][0] not in USER_WORDS:
        return tokens[i][0]
    return None


def _relation_named(tokens: list[tuple[str, bool, bool]], i: int) -> tuple[list[str], int] | None:
    """The relation, role or pet kind at *i* (after "my"/"our" and any adjectives) with the index after it: the
    owner words of a relation or role (the one named first), or the pet's kind alone; None for anything else."""
    n = len(tokens)
    while i + 1 < n and tokens[i][0] in RELATION_ADJECTIVES and not tokens[i + 1][1]:
        i += 1  # "my little sister", "our old cat"
    if i >= n or tokens[i][1]:
        return None
    word = tokens[i][0]
    if word in RELATIONS:
        return _relation_at(tokens, i)
    if word in ROLES:
        return list(ROLES[word]), i + 1
    if word in PET_KINDS:
        return [word], i + 1
    return None


def _aliases(tokens: list[tuple[str, bool, bool]]) -> dict[tuple[str, str], int]:
    """(name, relation) -> main for each name *tokens* give someone: "my sister Emma", "my husband's name is Raj",
    "Raj, my husband", "Raj is my husband", "our dog Biscuit", "a gecko called Norbert"."""
    found: dict[tuple[str, str], int] = {}
    n = len(tokens)

    def learn(name: str, owners: list[str]) -> None:
        for rank, owner in enumerate(owners):
            found[name, owner] = max(found.get((name, owner), 0), int(rank == 0))

    for i, (word, capital, _) in enumerate(tokens):
        if word in ("my", "our"):
            relation = _relation_named(tokens, i + 1)
            if relation:
                name = _name_at(tokens, relation[1])
                at = relation[1]
                if not name and relation[0][0] in PET_KINDS and at + 1 < len(tokens) and tokens[at][0] == "is":
                    name = _name_at(tokens, at + 1)  # "my cat is Winston" (not "my husband is Welsh")
                if name:
                    learn(name, relation[0])
        elif word in NAMING_WORDS and i + 1 < n and tokens[i + 1][1] and i > 0:
            kind = i - 1 - (i > 1 and tokens[i - 1][0] in ("is", "was"))  # "a beagle called", "gecko is called"
            others = any(possessive for _, _, possessive in tokens[max(0, kind - 3):kind])  # "Bella's dog is called"
            if tokens[kind][0] in PET_KINDS and not others and _owner_words(tokens)[:1] == [OWNER_USER]:
                learn(tokens[i + 1][0], [tokens[kind][0]])
        elif capital and word not in STOP_WORDS and word not in USER_WORDS and word not in _TABLE_WORDS:
            after = i + 1 + (i + 1 < n and tokens[i + 1][0] in ("is", "was"))  # "Raj, my husband", "Raj is my ..."
            if after + 1 < n and tokens[after][0] == "my":
                relation = _relation_named(tokens, after + 1)
                if relation and relation[0][0] not in PET_KINDS:
                    learn(word, relation[0])
    found.pop((OWNER_USER, OWNER_USER), None)
    return found


_ALIAS_HINT_RE = re.compile(r"\b(?:my|our|called|named)\b", re.IGNORECASE)


def memory_aliases(text: str) -> str:
    """The names *text* gives the user's people and pets, as a JSON list of [name, relation, main]: "My husband's
    name is Raj" gives raj as husband (main 1), partner and family (main 0).  Stored in memory_aliases."""
    if not _ALIAS_HINT_RE.search(text[:ANALYSED_CHARS]):  # every pattern has one of these words: most texts have none
        return "[]"
    found = _aliases(_tokens(text[:ANALYSED_CHARS]))
    return json.dumps([[name, relation, main] for (name, relation), main in found.items()])


_NAME_RE = re.compile(r"(?<![.!?])\s([A-Z][a-z]+)")
_PLACE_RE = re.compile(r"\b(?:in|at|near|from|to)\s+(?:the\s+)?[A-Z][a-z]+")
# Capitalised words that are not names.
NOT_NAMES = frozenset("""Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December Mr Mrs Ms Dr St""".split())


def _holds_name(text: str, tokens: list[str]) -> bool:
    """A capitalised word that does not start a sentence and is not a day or month: "My cat is Winston"."""
    return any(match.group(1) not in NOT_NAMES for match in _NAME_RE.finditer(text))


def _holds_place(text: str, tokens: list[str]) -> bool:
    """A named place after in/at/near/from/to, or a word for a place: "at St Mary's hospital"."""
    return bool(_PLACE_RE.search(text)) or not PLACE_WORDS.isdisjoint(tokens)


def _holds_time(text: str, tokens: list[str]) -> bool:
    """A day, month, season or time word, or a number: "on the 14th of March", "tomorrow at 3pm"."""
    return not TIME_WORDS.isdisjoint(tokens) or any(token[:1].isdigit() for token in tokens)


def _holds_number(text: str, tokens: list[str]) -> bool:
    """A number in digits or words: "is four", "40 years old"."""
    return not NUMBER_WORDS.isdisjoint(tokens) or any(token[:1].isdigit() for token in tokens)


def _holds_habit(text: str, tokens: list[str]) -> bool:
    """Something done again and again: "every Tuesday", "on Wednesday nights", "usually"."""
    return not HABIT_WORDS.isdisjoint(tokens)


def _holds_past(text: str, tokens: list[str]) -> bool:
    """A past event: "I went", "we met", "yesterday"."""
    return not PAST_WORDS.isdisjoint(tokens)


def _holds_one_off(text: str, tokens: list[str]) -> bool:
    """Something of one day: "yesterday", "this morning", "two days ago", "I paid"."""
    return bool(ONE_OFF_RE.search(" ".join(tokens)))


# What a memory holds, tested once when it is stored and kept as bits in memories.traits.
TRAIT_TESTS: dict[str, Callable[[str, list[str]], bool]] = {
    "name": _holds_name, "place": _holds_place, "time": _holds_time, "number": _holds_number,
    "habit": _holds_habit, "past": _holds_past, "one_off": _holds_one_off}
TRAIT_BITS = {trait: 1 << n for n, trait in enumerate(TRAIT_TESTS)}


def memory_traits(text: str) -> int:
    """The bits of TRAIT_BITS for what *text* holds: a name, a place, a time, a number, a past or one-off event."""
    head = text[:ANALYSED_CHARS]
    tokens = words(head)
    return sum(bit for trait, bit in TRAIT_BITS.items() if TRAIT_TESTS[trait](head, tokens))


def memory_terms(text: str) -> str:
    """The stems of *text*'s words in order, space-separated: what the re-rank reads instead of the text."""
    return " ".join(stem(word) for word in words(text[:ANALYSED_CHARS]))


def _expand(word: str) -> set[str]:
    """*word* with its synonyms and, for a general word, the particular things it covers."""
    return {word, *_FORMS_OF.get(stem(word), ()), *_synonyms(word), *_kinds_of(word),
            *_agent_forms(word)}


# A field and the one who practises it, which Porter leaves apart: photography/photographer, biology/biologist.
FIELD_DOER_ENDINGS = (("graphy", "grapher"), ("logy", "logist"), ("nomy", "nomist"), ("istry", "ist"),
                      ("ics", "icist"))


def _agent_forms(word: str) -> tuple[str, ...]:
    """A doer's verb and the verb's doer, which Porter leaves apart: "cleaner" and "cleans", "teacher" and
    "teaches", "walker" and "walks"; a field's doer and the doer's field: "photography" and "photographer"."""
    if " " in word:
        return ()
    for field_ending, doer_ending in FIELD_DOER_ENDINGS:
        if word.endswith(field_ending) and len(word) > len(field_ending) + 2:
            doer = word[:-len(field_ending)] + doer_ending
            return doer, doer + "s"
    for field_ending, doer_ending in sorted(FIELD_DOER_ENDINGS, key=lambda pair: -len(pair[1])):  # -icist first
        if word.endswith(doer_ending) and len(word) > len(doer_ending) + 2:
            return (word[:-len(doer_ending)] + field_ending,)
    if len(word) > 5 and word.endswith("er"):
        return word[:-2], word[:-2] + "s", word[:-1] + "s"  # cleaner: clean, cleans; (driver:) drives
    return ()


# Every word the tables above know, and the stems of them: the senses a lexicon word may not take over.
_CORE_WORDS = frozenset({*(word for group in SYNONYMS for word in group), *KINDS,
                         *(word for kinds in KINDS.values() for word in kinds), *PLACE_WORDS, *TIME_WORDS,
                         *HABIT_WORDS, *NUMBER_WORDS, *RELATIONS, *ROLES, *RELATION_ADJECTIVES})
_CORE_STEMS = frozenset(stem(word) for word in _CORE_WORDS)
# A capitalised word starting a sentence that the tables know is a common word, not a name ("Choir has ...").
_TABLE_WORDS = _CORE_WORDS - RELATION_ADJECTIVES

# The general lexicon (related_words.txt: symmetric synonym groups and "general: particular ..." kinds, multi-word
# terms joined by "_"), read beside this file; without it recall uses the tables above alone.  The tables decide a
# stem's sense (_lexicon_word); lines trimmed for recall are commented in the file with the reason.
LEXICON_PATH = Path(__file__).with_name("related_words.txt")


def read_lexicon(path: Path) -> tuple[tuple[tuple[str, ...], ...], dict[str, tuple[str, ...]]]:
    """The synonym groups and kinds of the lexicon file at *path* (none if there is no file)."""
    groups: list[tuple[str, ...]] = []
    kinds: dict[str, tuple[str, ...]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return (), {}
    section = ""
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
        elif section == "[synonyms]":
            terms = tuple(term.replace("_", " ") for term in line.split())
            if len(terms) > 1:
                groups.append(terms)
        elif section == "[kinds]":
            general, _, particular = line.partition(":")
            terms = tuple(term.replace("_", " ") for term in particular.split())
            if terms:
                kinds[general.strip().replace("_", " ")] = terms
    return tuple(groups), kinds


LEXICON_SYNONYMS, LEXICON_KINDS = read_lexicon(LEXICON_PATH)


def _lexicon_word(word: str, group: Iterable[str]) -> bool:
    """Whether a lexicon *word* may stand for its *group*.  Not a word of two letters ("pa", "ma": too many other
    senses), nor one that Porter joins to a word the tables above know in another sense ("olds", a slang word
    for parents, stems to "old")."""
    return len(word) > 2 and (stem(word) not in _CORE_STEMS or any(
        other in _CORE_WORDS and stem(other) == stem(word) for other in group))


def _word_forms(word: str) -> tuple[str, ...]:
    """*word* and its plural, under which a lexicon entry is found: the lexicon is looked up by word, not by stem,
    so that Porter's joining of two senses ("presentation" and "present", a gift) does not join their groups."""
    return word, word + "s", word + "es", *((word[:-1] + "ies",) if word.endswith("y") else ())


def _synonym_index() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Every word of every synonym group a word is in: the tables' by stem, the lexicon's by word form."""
    by_stem: dict[str, set[str]] = {}
    for group in SYNONYMS:
        for word in group:
            by_stem.setdefault(stem(word), set()).update(group)
    by_word: dict[str, set[str]] = {}
    for group in LEXICON_SYNONYMS:
        kept = [word for word in group if _lexicon_word(word, group)]
        for word in kept:
            for form in _word_forms(word):
                by_word.setdefault(form, set()).update(kept)
    return by_stem, by_word


def _kinds_index() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """The particular things a general word covers: the tables' by stem, the lexicon's by word form."""
    by_word: dict[str, tuple[str, ...]] = {}
    for general, kinds in LEXICON_KINDS.items():
        if _lexicon_word(general, (general,)) or general in KINDS:
            for form in _word_forms(general):
                by_word[form] = tuple(dict.fromkeys((*by_word.get(form, ()), *kinds)))
    return {stem(general): kinds for general, kinds in KINDS.items()}, by_word


_SYNONYMS_OF, _LEXICON_SYNONYMS_OF = _synonym_index()
_KINDS_OF, _LEXICON_KINDS_OF = _kinds_index()  # "pets" finds the kinds of "pet" too
MAX_TERM_WORDS = 4  # the longest multi-word term looked for in a question
# The multi-word terms a question may use ("blood thinner", "bearded dragon"), as tuples of words.
_MULTI_WORD_TERMS = frozenset(tuple(term.split()) for terms in (*LEXICON_SYNONYMS, *LEXICON_KINDS.values(),
                                                                  LEXICON_KINDS) for term in terms if " " in term)


def _synonyms(word: str) -> set[str]:
    """The words of every synonym group *word* is in."""
    return _SYNONYMS_OF.get(stem(word), set()) | _LEXICON_SYNONYMS_OF.get(word, set())


def _kinds_of(word: str) -> tuple[str, ...]:
    """The particular things a general *word* covers ("pets": hamster, gecko...).  An -ing word names an activity,
    not the thing Porter gives it the stem of ("fishing" is not a kind of fish: goldfish, koi), unless it is a
    general word itself ("programming") or the tables group it with that thing's word ("dancing" with "dance")."""
    kinds = (*_KINDS_OF.get(stem(word), ()), *_LEXICON_KINDS_OF.get(word, ()))
    if kinds and word.endswith("ing") and word not in KINDS and not any(
            other != word and stem(other) == stem(word) for other in _synonyms(word)):
        return ()
    return tuple(dict.fromkeys(kinds))


_FORMS_OF = {stem(form): forms for forms in IRREGULAR_VERBS for form in forms}  # "grew" -> grow, grew, grown


@dataclass(frozen=True)
class TermGroup:
    """One word of a question with its synonyms: the words for the full-text query, their stems for scoring.

    A memory holding the question's own word or a kind of it (exact: "dog", "beagle") scores the group's whole
    weight, one holding only a synonym ("puppy") SYNONYM_CREDIT of it.
    """

    words: tuple[str, ...]
    stems: frozenset[str]
    exact: tuple[str, ...]
    exact_stems: frozenset[str]


@dataclass(frozen=True)
class RecallQuery:
    """A message as recall reads it: whose facts it is about, its word groups, whether it asks for a name."""

    owner: frozenset[str]
    groups: tuple[TermGroup, ...]
    wants: frozenset[str] = frozenset()  # the kinds of answer asked for: keys of ANSWER_KINDS
    wants_latest: bool = False  # "now", "currently": the newest of several answers is wanted
    ahead: bool = False  # about what is coming or going on: past events answer it less
    state: bool = False  # about how things stand: memories of one day answer it less


_ANY_FRAME_RE = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _, _ in FRAMES))  # most messages have none


def _multi_word_terms(words: list[str]) -> dict[str, list[str]]:
    """The known multi-word terms in *words* ("blood thinner", longest first), by their last word."""
    found: dict[str, list[str]] = {}
    i = 0
    while i < len(words):
        size = next((n for n in range(min(MAX_TERM_WORDS, len(words) - i), 1, -1)
                     if tuple(words[i:i + n]) in _MULTI_WORD_TERMS), 1)
        if size > 1:
            found.setdefault(words[i + size - 1], []).append(" ".join(words[i:i + size]))
        i += size
    return found


def read_query(text: str) -> RecallQuery:
    """Read *text* for recall: owner words as memory_owner() finds them, and each content word's group."""
    tokens = _tokens(text)
    lowered = [word for word, _, _ in tokens]
    phrase = " ".join(lowered)
    frames = [(frame_words, replaced) for pattern, frame_words, replaced in FRAMES
              if pattern.search(phrase)] if _ANY_FRAME_RE.search(phrase) else []
    framed = set().union(*(replaced for _, replaced in frames), TIME_ASKED_RE.findall(phrase))
    content = [word for i, word in enumerate(lowered)
               if word not in STOP_WORDS and word not in USER_WORDS and word not in RELATIONS and word not in framed
               and not _is_in_law(tokens, i)]
    terms = _multi_word_terms(lowered)  # "blood thinner": its synonyms and kinds join the group of "thinner"
    wordings = [((word, *_kinds_of(word), *(term for term in terms.get(word, ()) for term in (term, *_kinds_of(term)))),
                 _expand(word).union(*(_expand(term) for term in terms.get(word, ())))) for word in content]
    wordings += [((*frame_words, *(kind for word in frame_words for kind in _kinds_of(word))),
                  {word for frame_word in frame_words for word in _expand(frame_word)}) for frame_words, _ in frames]
    groups: list[TermGroup] = []
    for exact, expanded in wordings:
        exact_stems = frozenset(stem(word) for word in exact)
        stems = frozenset(stem(w) for w in expanded)
        same = next((n for n, known in enumerate(groups) if known.stems == stems), None)
        if same is not None:  # "what book am I reading": two words of one group are one term, either word exact
            known = groups[same]
            groups[same] = TermGroup(known.words, stems, tuple(dict.fromkeys(known.exact + exact)),
                                     known.exact_stems | exact_stems)
        else:
            groups.append(TermGroup(tuple(sorted(expanded)), stems, exact, exact_stems))
    wants = frozenset(kind for kind, pattern in ANSWER_KINDS.items() if pattern.search(phrase))
    ahead = bool(AHEAD_RE.search(phrase))
    owner = _asked_owner(_owner_words(tokens))
    if owner == {OWNER_USER}:  # "What am I making for my husband?" asks about the husband
        owner = _relation_asked_later(tokens) or owner
    if owner == {OWNER_USER} and "who" in lowered:  # "Who do we rent from?": someone in the user's life
        owner = _USER_AND_PEOPLE
    return RecallQuery(owner, tuple(groups), wants,
                       wants_latest=not LATEST_WORDS.isdisjoint(lowered), ahead=ahead,
                       state=not ahead and not PAST_QUESTION_RE.search(phrase))


def _relation_asked_later(tokens: list[tuple[str, bool, bool]]) -> frozenset[str]:
    """The relation of a "my <relation>" after the user in a question, and the name given it: "What am I planning
    for my sister?" asks about the sister, "Where did I meet my mate Cormac?" about the friend and Cormac.  Roles
    are left out: "When do I see my dentist?" asks about the user's appointment."""
    for i, (word, _, _) in enumerate(tokens[:-1]):
        if word in ("my", "our"):
            relation = _relation_named(tokens, i + 1)
            if relation and relation[0][0] not in PET_KINDS and tokens[relation[1] - 1][0] in RELATIONS:
                name = _name_at(tokens, relation[1])  # "Where did I meet my mate Cormac?" asks about Cormac too
                return _asked_owner(relation[0] + ([name] if name else []))
    return frozenset()


# The owner words of relations (by marriage too: "fatherinlaw") and roles: any other owner word but "user" is a name.
_PEOPLE_WORDS = frozenset({*(word for owners in (*RELATIONS.values(), *ROLES.values()) for word in owners),
                           *(_in_law(owners[0]) for owners in RELATIONS.values())})
# The owners a question about the user's own people asks for: the user, and every relation and role.
_USER_AND_PEOPLE = frozenset({OWNER_USER, *_PEOPLE_WORDS})


def _asked_owner(owners: list[str]) -> frozenset[str]:
    """The owner words a question asks about: a relation as named, not every word it is stored under.

    A memory about "my partner" is stored under partner, wife, husband...; a question about "my husband" asks
    for husband only, so that it does not match a memory about "my wife".
    """
    broader = {word for general in RELATIONS.values() for word in general[1:]}
    specific = [word for word in owners if word not in broader or word == owners[0]]
    return frozenset(specific)


@dataclass(frozen=True)
class Memory:
    """One remembered fact."""

    content: str
    topic: str
    importance: int
    role: str
    created_at: dt.datetime
    id: int | None = None  # the row id, shown by /memories and taken by /forget
    owner: str = ""  # whose fact: "user", relation or name words ("sister emma"), "" for no one; see memory_owner


def _fts_any(words: Iterable[str]) -> str:
    """An FTS5 expression matching any of *words*, each quoted so that no word is read as syntax."""
    return "(" + " OR ".join('"' + word.replace('"', '""') + '"' for word in words) + ")"


def _idf(matches: int, total: int) -> float:
    """bm25's inverse document frequency: rare words weigh more."""
    return math.log(1.0 + (total - matches + 0.5) / (matches + 0.5))


_MEMORY_COLUMNS = "id, content, topic, importance, role, created_at, owner"
_SCORED_COLUMNS = "id, importance, created_at, owner, terms, traits"  # what the re-rank reads
# The candidates to score, in id order, from one statement whatever their number: an IN list of "?"s is a new
# statement for each count of candidates, prepared again on every recall (0.3 ms of 0.65 for 176 rows at 100k).
_SELECT_SCORED = f"SELECT {_SCORED_COLUMNS} FROM memories WHERE id IN (SELECT value FROM json_each(?))"
_INSERT = ("INSERT OR IGNORE INTO memories (content, topic, importance, role, created_at, session_id, owner, terms,"
           " traits) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _id_list(ids: Iterable[int]) -> str:
    """*ids* as a JSON array, for a statement that reads them with json_each."""
    return "[" + ",".join(str(n) for n in ids) + "]"


def _derived(content: str) -> tuple[str, str, int]:
    """What is stored beside a memory's text: its owner, its stems, its traits."""
    return memory_owner(content), memory_terms(content), memory_traits(content)


def _memory(row: tuple[Any, ...]) -> Memory:
    n, content, topic, importance, role, at, owner = row
    return Memory(content, topic, importance, role, dt.datetime.fromtimestamp(at), id=n, owner=owner)


def _unit(vector: array.array[float]) -> array.array[float]:
    """*vector* scaled to length 1 (a zero vector stays zero); ModelError for a vector that is not finite."""
    norm = math.sqrt(math.fsum(x * x for x in vector))
    if not math.isfinite(norm):
        raise ModelError("the embedding server sent a vector that is not finite")
    return array.array("f", (x / norm for x in vector)) if norm else vector


def _vector_bytes(vector: array.array[float]) -> bytes:
    """*vector* as stored: float32, little-endian whatever the machine."""
    if sys.byteorder == "big":
        vector = array.array("f", vector)
        vector.byteswap()
    return vector.tobytes()


def _vector_of(blob: bytes) -> array.array[float]:
    vector = array.array("f")
    vector.frombytes(blob)
    if sys.byteorder == "big":
        vector.byteswap()
    return vector


def _similarity(a: list[float], b: list[float]) -> float:
    """The cosine of two vectors of length 1."""
    return sum(map(operator.mul, a, b))


def _sign_code(vector: array.array[float], centre: array.array[float]) -> int:
    """The vector's sign bits against *centre*: vectors near each other differ in few bits (compare with XOR)."""
    return int("".join("1" if x > c else "0" for x, c in zip(vector, centre, strict=False)), 2)


def _stored_code(vector: array.array[float], centre: array.array[float]) -> bytes:
    """_sign_code as memory_vectors.code holds it: big-endian bytes, a bit per dimension."""
    return _sign_code(vector, centre).to_bytes((len(vector) + 7) // 8, "big")


def _fused(*rankings: list[int], k: int) -> list[int]:
    """The *k* best ids of several rankings by reciprocal-rank fusion; a tie goes to the earlier ranking."""
    score: dict[int, float] = {}
    for ranking in rankings:
        for rank, n in enumerate(ranking):
            score[n] = score.get(n, 0.0) + 1.0 / (FUSION_K + rank)
    return sorted(score, key=score.__getitem__, reverse=True)[:k]


class _SignCodes:
    """One embedding model's sign codes, kept in memory: meaning-based recall's first pass reads them all."""

    def __init__(self, model: str | None = None, centre: array.array[float] | None = None) -> None:
        self.model, self.centre = model, centre
        self.upto = 0  # the last row (memory_vectors.seq) read
        self.ids: list[int] = []
        self.codes: list[int] = []
        self._at: dict[int, int] = {}  # memory id -> position in ids and codes

    def add(self, memory_id: int, code: int) -> None:
        if memory_id in self._at:  # embedded again (the text changed, or the model was switched and back)
            self.codes[self._at[memory_id]] = code
        else:
            self._at[memory_id] = len(self.ids)
            self.ids.append(memory_id)
            self.codes.append(code)

    def nearest(self, code: int, count: int) -> list[int]:
        """The ids of the *count* codes that differ least from *code* (a forgotten memory's may be among them)."""
        if len(self.codes) <= count:
            return list(self.ids)
        distances = [(other ^ code).bit_count() for other in self.codes]
        return [self.ids[n] for n in heapq.nsmallest(count, range(len(distances)), key=distances.__getitem__)]


class MemoryStore:
    """Facts in SQLite: stored from user messages with their owner, recalled by relevance to the message."""

    def __init__(self, where: str | os.PathLike[str] | Database) -> None:
        """Open the database at the path *where*, or share the open *where*."""
        self.database = where if isinstance(where, Database) else Database(where)
        self.path, self._db, self._lock = self.database.path, self.database.db, self.database.lock
        self._known: set[str] | None = None  # the stems the full-text index holds (see _known_stems)...
        self._known_upto = 0  # ...as of the memory with this id
        self.embedder: ChatClient | None = None  # the embedding model's client: set it to recall by meaning too
        self.query_embedder: ChatClient | None = None  # the model that embeds queries, if not the same one
        self._words_only = False  # the embedding model failed at the last recall
        self._codes = _SignCodes()  # the vectors' sign bits, read once and then as they are written

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._db.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self.database.close()

    def add(self, content: str, topic: str, importance: int, *, role: str = "User",
            session_id: str | None = None, created_at: dt.datetime | None = None) -> bool:
        """Store a fact; False if the same text is already stored."""
        moment = (created_at or dt.datetime.now()).timestamp()
        with self._lock:
            cursor = self._db.execute(_INSERT, (content, topic, importance, role, moment, session_id,
                                                *_derived(content)))
            return cursor.rowcount == 1

    def add_many(self, memories: Iterable[Memory], *, session_id: str | None = None) -> int:
        """Store many facts in one transaction (an import, a benchmark); return how many were new."""
        rows = [(m.content, m.topic, m.importance, m.role, m.created_at.timestamp(), session_id, *_derived(m.content))
                for m in memories]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                cursor = self._db.executemany(_INSERT, rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            if cursor.rowcount >= OPTIMIZE_AFTER_ROWS:  # merge the index segments a bulk load leaves
                self._db.execute("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")
                self._db.execute("INSERT INTO memories_by_length(memories_by_length) VALUES ('optimize')")
            return cursor.rowcount

    def memories(self, limit: int = 50) -> list[Memory]:
        """The *limit* most recently stored memories, newest first, with their ids."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_MEMORY_COLUMNS} FROM memories ORDER BY created_at DESC, id DESC"
                                    " LIMIT ?", (limit,)).fetchall()
        return [_memory(row) for row in rows]

    def forget(self, memory_id: int) -> Memory | None:
        """Delete the memory with this id; return it, or None if there is none."""
        with self._lock:
            row = self._db.execute(f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE id = ?", (memory_id,)).fetchone()
            if row is None:
                return None
            self._db.execute("DELETE FROM memories WHERE id = ?", (memory_id,))
        return _memory(row)

    def embed_all(self) -> int:
        """Embed every memory that has no vector from the embedding model (after --embed-model is first given),
        newest first; return how many were stored.  A server failure is logged and ends it: the next start goes
        on from there."""
        done, below = 0, None
        try:
            while rows := self._unembedded(EMBED_BATCH, below):
                below = rows[-1][0]
                done += self._embed(rows)
                if done % EMBED_PROGRESS < EMBED_BATCH:
                    logger.info("embedded %d memories so far", done)
        except (ModelError, sqlite3.Error) as error:
            logger.warning("stopped embedding memories after %d: %s", done, error)
            return done
        if done:
            logger.info("embedded %d memories", done)
        return done

    def _unembedded(self, limit: int, below: int | None) -> list[tuple[int, str]]:
        """Up to *limit* (id, content) of memories without a vector from the embedding model, newest first,
        with ids below *below* if given (each call of a backfill starts where the last ended)."""
        if self.embedder is None:
            return []
        with self._lock:
            return self._db.execute("SELECT id, content FROM memories AS m WHERE id < ? AND NOT EXISTS (SELECT 1"
                                    " FROM memory_vectors AS v WHERE v.memory_id = m.id AND v.model = ?)"
                                    " ORDER BY id DESC LIMIT ?",
                                    (below if below is not None else 1 << 62, self.embedder.model, limit)).fetchall()

    def embed_memory(self, memory_id: int) -> bool:
        """Embed the memory with this id now (a turn's new one); False if that failed, which is logged: it is
        embedded at the next start instead."""
        if self.embedder is None:
            return False
        with self._lock:
            rows = self._db.execute("SELECT id, content FROM memories WHERE id = ?", (memory_id,)).fetchall()
        try:
            return self._embed(rows) == 1
        except (ModelError, sqlite3.Error) as error:
            logger.warning("could not embed a memory (it is embedded at the next start): %s", error)
            return False

    def _embed(self, rows: list[tuple[int, str]]) -> int:
        """Ask the embedding model for the vectors of these (id, content) rows and store them, with their sign
        codes once the model has a centre; a memory forgotten or changed meanwhile is left out."""
        if not rows or self.embedder is None:
            return 0
        model = self.embedder.model
        vectors = self.embedder.embed([content[:EMBED_CHARS] for _, content in rows])  # the lock is not held
        with self.database.transaction() as db:
            found = db.execute("SELECT centre FROM vector_centres WHERE model = ?", (model,)).fetchone()
            centre = _vector_of(found[0]) if found else None
            stored = 0
            for (n, content), vector in zip(rows, vectors, strict=True):
                code = None if centre is None else _stored_code(vector, centre)
                stored += db.execute("INSERT OR REPLACE INTO memory_vectors (memory_id, model, vector, code)"
                                     " SELECT id, ?, ?, ? FROM memories WHERE id = ? AND content = ?",
                                     (model, _vector_bytes(vector), code, n, content)).rowcount
            if centre is None:
                self._find_centre(db, model)
        return stored

    @staticmethod
    def _find_centre(db: sqlite3.Connection, model: str) -> None:
        """Once *model* has CENTRE_SAMPLE vectors, store their mean as its centre and give every vector its code.
        Sign bits against the centre, not zero, tell vectors apart: a model's vectors share a direction."""
        rows = db.execute("SELECT vector FROM memory_vectors WHERE model = ? ORDER BY seq LIMIT ?",
                          (model, CENTRE_SAMPLE)).fetchall()
        if len(rows) < CENTRE_SAMPLE:
            return
        sample = [_vector_of(blob) for blob, in rows]
        centre = array.array("f", (math.fsum(column) / len(sample) for column in zip(*sample, strict=False)))
        db.execute("INSERT INTO vector_centres (model, centre) VALUES (?, ?)", (model, _vector_bytes(centre)))
        for n, blob in db.execute("SELECT memory_id, vector FROM memory_vectors WHERE model = ? AND code IS NULL",
                                  (model,)).fetchall():
            db.execute("INSERT OR REPLACE INTO memory_vectors (memory_id, model, vector, code) VALUES (?, ?, ?, ?)",
                       (n, model, blob, _stored_code(_vector_of(blob), centre)))

    def _query_vector(self, query: str) -> array.array[float] | None:
        """The vector of *query*, or None without an embedding model or when it fails: recall goes by words."""
        if self.embedder is None:
            return None
        try:
            vector = (self.query_embedder or self.embedder).embed([query[:EMBED_CHARS]])[0]
        except ModelError as error:
            if not self._words_only:  # said once, not on every turn
                logger.warning("recall goes by words alone until the embedding model answers: %s", error)
            self._words_only = True
            return None
        if self._words_only:
            logger.warning("recall goes by meaning again")
            self._words_only = False
        return vector

    def _nearest(self, vector: array.array[float], depth: int) -> list[int]:
        """The ids of the *depth* memories nearest *vector* in meaning, nearest first.  With the lock held.

        One pass over every memory's sign code (an XOR and a bit count each)
        finds DENSE_SCAN_ROWS near ones; only those are compared exactly.
        """
        assert self.embedder is not None
        model = self.embedder.model
        codes = self._read_codes(model)
        if codes.centre is None:  # fewer than CENTRE_SAMPLE vectors: compare them all
            rows = self._db.execute("SELECT memory_id, vector FROM memory_vectors WHERE model = ?", (model,))
        else:
            near = codes.nearest(_sign_code(vector, codes.centre), DENSE_SCAN_ROWS)
            rows = self._db.execute("SELECT memory_id, vector FROM memory_vectors WHERE model = ? AND memory_id IN"
                                    " (SELECT value FROM json_each(?))", (model, _id_list(near)))
        asked = vector.tolist()  # a list's floats multiply faster than an array's
        scored = [(_similarity(asked, _vector_of(blob).tolist()), n) for n, blob in rows]
        return [n for _, n in heapq.nlargest(depth, scored)]

    def _read_codes(self, model: str) -> _SignCodes:
        """The sign codes of *model*, brought up to date with the rows written since the last read (by any
        process).  With the lock held."""
        if self._codes.model != model or self._codes.centre is None:
            found = self._db.execute("SELECT centre FROM vector_centres WHERE model = ?", (model,)).fetchone()
            if self._codes.model != model or found:
                self._codes = _SignCodes(model, _vector_of(found[0]) if found else None)
        codes = self._codes
        if codes.centre is not None:
            for seq, n, code in self._db.execute("SELECT seq, memory_id, code FROM memory_vectors WHERE seq > ?"
                                                 " AND model = ? AND code IS NOT NULL ORDER BY seq",
                                                 (codes.upto, model)):
                codes.add(n, int.from_bytes(code, "big"))
                codes.upto = seq
        return codes

    def remember(self, text: str, *, session_id: str | None = None, now: dt.datetime | None = None) -> Memory | None:
        """Store *text* if classify() says it is a fact; return what was stored."""
        found = classify(text)
        if found is None:
            return None
        content = " ".join(text.split())
        moment = now or dt.datetime.now()
        with self._lock:
            if not self.add(content, *found, session_id=session_id, created_at=moment):
                return None
            n = self._db.execute("SELECT id FROM memories WHERE content = ?", (content,)).fetchone()[0]
        return Memory(content, found[0], found[1], "User", moment, id=n, owner=memory_owner(content))

    def recall(self, query: str, k: int = DEFAULT_MEMORIES, *, now: dt.datetime | None = None) -> list[Memory]:
        """The *k* memories most relevant to *query*, best first.

        read_query() finds whose facts the message is about, its word groups
        (each word with its synonyms and kinds) and what kind of answer it
        asks for.  Candidates, at most CANDIDATE_ROWS, come from a few
        full-text queries that each read only the rows they return (see
        _candidate_ids).  Each is scored in Python from the stems and traits
        stored with it: bm25 over the groups, the owner rule, words standing
        together, the kind of answer asked for, past or one-day memories for
        questions that want neither; importance and recency only break
        near-ties.  With an embedding model (see embed_all), the
        memories nearest the query in meaning are ranked too, and the two
        rankings fused (_fused).  With no candidate, the most important
        recent memories are returned, from an index, so the model always
        has some context.
        """
        if k <= 0:
            return []
        moment = (now or dt.datetime.now()).timestamp()
        with self._lock:
            total, vectors = self._db.execute("SELECT (SELECT max(id) FROM memories),"  # about the count, in O(1)
                                              " (SELECT max(seq) FROM memory_vectors)").fetchone()
        if not total:  # a new user's first turns: nothing to find
            return []
        vector = self._query_vector(query) if vectors else None  # the model is asked without the lock held
        with self._lock:
            if vector is None:
                best = self._ranked_by_words(query, k, moment, total)
            else:
                best = _fused(self._ranked_by_words(query, max(k, LEXICAL_DEPTH), moment, total, unrepeated=False),
                              self._nearest(vector, DENSE_DEPTH), k=k)
            if not best:
                rows = self._db.execute(f"SELECT {_MEMORY_COLUMNS} FROM memories"
                                        " ORDER BY importance DESC, created_at DESC LIMIT ?", (k,)).fetchall()
                return [_memory(row) for row in rows]
            found = {row[0]: row for row in self._db.execute(
                f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE id IN (SELECT value FROM json_each(?))",
                (_id_list(best),))}
        return [_memory(found[n]) for n in best if n in found]

    def _ranked_by_words(self, query: str, k: int, moment: float, total: int, *,
                         unrepeated: bool = True) -> list[int]:
        """The ids of the *k* memories that the words of *query* rank best, best first; none without a candidate.
        With *unrepeated*, a near-repeat of a better memory is put last (for a long list, to be fused, it is not:
        that costs k squared).  Called with the lock held; *total* is about the number of memories."""
        wanted, mentions = self._with_aliases(read_query(query))
        known = self._known_stems(total)  # a lexicon group's words the store never uses are not asked for
        wanted = replace(wanted, groups=tuple(found for found in (_in_store(group, known)
                                                                  for group in wanted.groups) if found))
        counts = {group: self._matches(f"content : {_fts_any(group.words)}")
                  for group in wanted.groups[:COUNTED_GROUPS]}
        groups = sorted((g for g in counts if counts[g]), key=counts.__getitem__)
        common = {g for g in groups  # a small store has no common word: each group is queried whole
                  if counts[g] >= max(SHORTEST_PER_QUERY, min(COUNTED_MATCHES, COMMON_SHARE * total))}
        ids = self._candidate_ids(wanted.owner, groups, common, mentions, total=total,
                                  long=len(wanted.groups) > LONG_MESSAGE_GROUPS)
        if not ids:
            return []
        rows = self._db.execute(_SELECT_SCORED, (_id_list(ids),)).fetchall()
        scorer = _Scorer(wanted, {group: _idf(counts[group], total)
                                  * (LIGHT_VERB_SHARE if LIGHT_VERBS.issuperset(group.exact) else 1.0)
                                  for group in groups}, moment,
                         frozenset(stem(name) for name in mentions))
        if not unrepeated:
            return [row[0] for row in heapq.nlargest(k, rows, key=scorer.score)]
        return _unrepeated(heapq.nlargest(k * REPEAT_POOL, rows, key=scorer.score), k)

    def _with_aliases(self, wanted: RecallQuery) -> tuple[RecallQuery, frozenset[str]]:
        """*wanted* with the names the user gave its people and pets, and the names its relations go by.

        A question about "my husband" is also about Raj, if a memory said "My husband's name is Raj": memories
        of Raj are the husband's, and one that mentions Raj ("I'm knitting Raj a jumper") is about him.  A
        question about Raj is also about the husband's memories, and "the dog" also finds "Biscuit".
        """
        if wanted.owner is _USER_AND_PEOPLE:  # "Who do we rent from?": anyone, no one in particular
            return wanted, frozenset()
        relations = [word for word in wanted.owner if word in _PEOPLE_WORDS]
        names = [word for word in wanted.owner if word not in _PEOPLE_WORDS and word != OWNER_USER]
        kinds = sorted({word for group in wanted.groups for word in group.exact if word in PET_KINDS})
        if not (relations or names or kinds):
            return wanted, frozenset()
        asked = relations + kinds
        rows = self._db.execute(
            f"SELECT DISTINCT name, relation FROM memory_aliases WHERE relation IN ({','.join('?' * len(asked))})"
            f" OR (main = 1 AND name IN ({','.join('?' * len(names))}))", asked + names).fetchall()
        if not rows:
            return wanted, frozenset()
        named_as: dict[str, set[str]] = {}
        for name, relation in rows:
            named_as.setdefault(relation, set()).add(name)
        # "my family", "my colleagues": a word that many names answer is about no one in particular
        known_as = {name for relation in relations if len(named_as.get(relation, ())) <= ALIAS_NAMES
                    for name in named_as.get(relation, ())}
        # only a name Porter leaves whole is looked for in a memory's words ("oliver" is "oliv", as "olives" is)
        mentions = frozenset(name for name in known_as if stem(name) == name)
        relations_of: dict[str, set[str]] = {}
        for name, relation in rows:
            if name in names:
                relations_of.setdefault(name, set()).add(relation)
        # a name given to several relations ("my cousin Owen", "my colleague Owen") is not one person: none is added
        also = {relation for found in relations_of.values() if len(found) <= ALIAS_RELATIONS for relation in found}
        owner = wanted.owner | known_as | also
        groups = []
        for group in wanted.groups:  # "What's the dog called?": the dog's name is one of the group's words
            pets = {name for name, relation in rows if relation in group.exact}
            if pets:
                pet_stems = frozenset(stem(name) for name in pets)
                group = TermGroup(tuple(sorted({*group.words, *pets})), group.stems | pet_stems,
                                  group.exact + tuple(sorted(pets)), group.exact_stems | pet_stems)
            groups.append(group)
        return RecallQuery(frozenset(owner), tuple(groups), wanted.wants, wants_latest=wanted.wants_latest,
                           ahead=wanted.ahead, state=wanted.state), mentions

    def _known_stems(self, total: int) -> set[str]:
        """Every stem the full-text index holds (a superset after forgetting), read once from its vocabulary and
        brought up to date from the stems of memories stored since, by this connection or another."""
        if self._known is None:
            self._db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.memories_vocab"
                             " USING fts5vocab(main, memories_fts, row)")
            self._known = {term for (term,) in self._db.execute("SELECT term FROM temp.memories_vocab")}
        elif total > self._known_upto:
            for terms, owner in self._db.execute("SELECT terms, owner FROM memories WHERE id > ?",
                                                 (self._known_upto,)):
                self._known.update(terms.split(), (stem(word) for word in owner.split()))
        self._known_upto = total
        return self._known

    def _matches(self, match: str, limit: int = COUNTED_MATCHES) -> int:
        """How many memories *match*, counted up to *limit*: enough to tell rare words from common."""
        return self._db.execute("SELECT count(*) FROM (SELECT 1 FROM memories_fts WHERE memories_fts MATCH ?"
                                " LIMIT ?)", (match, limit)).fetchone()[0]

    def _candidate_ids(self, owner: frozenset[str], groups: list[TermGroup], common: set[TermGroup],
                       mentions: frozenset[str], *, total: int, long: bool) -> set[int]:
        """Ids from a few full-text queries, most specific first, each reading only the rows it returns.

        The queries: the owner AND each of the rarest groups (the question's
        own word, then its whole group), each pair of the rarest groups, each
        group alone (a common one only as its own word).  A query matching
        no more rows than are left of CANDIDATE_ROWS gives them all; a larger
        one its shortest memories (from memories_by_length: half of what is
        left, at least SHORTEST_PER_QUERY) and its newest (from memories_fts).
        A *long* message (a statement, mostly: its recall is context, not an
        answer) has fewer queries and candidates (LONG_MESSAGE_RAREST groups,
        LONG_MESSAGE_ROWS).  In a store of *total* memories that fits twice in
        the budget, every query gives all its rows, so they are asked as one.
        """
        budget, alone, paired = ((LONG_MESSAGE_ROWS, LONG_MESSAGE_RAREST, LONG_MESSAGE_RAREST) if long
                                 else (CANDIDATE_ROWS, SINGLE_QUERIES, PAIR_GROUPS))
        rarest = groups[:alone]
        terms = {group: f"content : {_fts_any(group.words)}" for group in groups}
        exact = {group: f"content : {_fts_any(group.exact)}" for group in rarest}
        whose = f"owner : {_fts_any(sorted(owner or {OWNER_USER}))}"  # no one named: the user, as _owner_rule

        owned = [f"{whose} AND {term}" for group in rarest for term in (exact[group], terms[group])]
        if mentions:  # "my husband": memories that mention Raj too ("I'm knitting Raj a jumper")
            owned += [f"content : {_fts_any(sorted(mentions))} AND {terms[group]}" for group in rarest]
        pairs = [f"{terms[first]} AND {terms[second]}" for n, first in enumerate(groups[:paired])
                 for second in groups[n + 1:paired]]
        singles = [exact[group] for group in rarest] + [terms[group] for group in rarest if group not in common]
        ids: set[int] = set()
        someone = [whose] if owner and OWNER_USER not in owner else []  # a person's few memories: all of them
        matches = list(dict.fromkeys(owned + pairs + someone + singles or ([whose] if owner else [])))
        if matches and total * 2 <= budget:  # each query gives all its rows, so one query can give all of them
            matches = [" OR ".join(f"({match})" for match in matches)]
        for match in matches:
            left = max(0, budget - len(ids))  # (a negative LIMIT is none: every matching row)
            newest = self._db.execute("SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?"
                                      " ORDER BY rowid DESC LIMIT ?", (match, left + 1)).fetchall()
            if len(newest) <= left:
                ids.update(n for (n,) in newest)  # all of them
                continue
            ids.update(n for (n,) in newest[:NEWEST_PER_QUERY])
            ids.update(_LENGTH_KEY_IDS - key % _LENGTH_KEY_IDS - 1 for (key,) in self._db.execute(
                "SELECT rowid FROM memories_by_length WHERE memories_by_length MATCH ? ORDER BY rowid LIMIT ?",
                (match, max(SHORTEST_PER_QUERY, left // 2))))
        return ids


def _in_store(group: TermGroup, known: set[str]) -> TermGroup | None:
    """*group* with only the words whose stems the store holds (a multi-word term: all of them); None if none is
    left.  The general lexicon makes groups of dozens of words, most of which a given store never uses: each would
    cost a look-up in every full-text query."""
    words = tuple(word for word in group.words if all(part in known for part in stem(word).split()))
    if len(words) == len(group.words):
        return group
    if not words:
        return None
    exact = tuple(word for word in group.exact if word in words) or words  # the exact query is then the group's
    return TermGroup(words, frozenset(stem(word) for word in words), exact, group.exact_stems)


def _unrepeated(ranked: list[tuple[Any, ...]], k: int) -> list[int]:
    """The ids of the first *k* of *ranked* rows, a near-repeat of one already taken ("I've had a headache since
    Sunday" after "... since Saturday") put after the rest: it tells the model little the first did not."""
    taken: list[list[str]] = []
    first: list[int] = []
    repeats: list[int] = []
    for row in ranked:
        tokens = row[4].split()
        if any(_near_repeat(tokens, known) for known in taken):
            repeats.append(row[0])
        else:
            taken.append(tokens)
            first.append(row[0])
    return (first + repeats)[:k]


def _near_repeat(tokens: list[str], known: list[str]) -> bool:
    """The same words in the same places but for at most REPEAT_DIFFERENCES of them."""
    return (len(tokens) == len(known) and len(tokens) > REPEAT_DIFFERENCES
            and sum(a != b for a, b in zip(tokens, known, strict=True)) <= REPEAT_DIFFERENCES)


_LENGTH_KEY_IDS = 2 ** 32  # memories_by_length's rowid is words * 2^32 + 2^32 - 1 - id (see migration 4)


class _Scorer:
    """Scores memory rows for one query: relevance and rules first, importance and recency as nudges."""

    def __init__(self, wanted: RecallQuery, weights: dict[TermGroup, float], moment: float,
                 mentions: frozenset[str] = frozenset()) -> None:
        self.wanted = wanted
        self.mentions = mentions  # stems of the names of the people asked about: a memory naming one is theirs
        self.moment = moment
        self.groups = [group for group in wanted.groups if group in weights]  # in the question's order
        self.weights = [weights[group] for group in self.groups]
        self.group_of: dict[str, list[tuple[int, float]]] = {}  # stem -> (group, credit) for each group it is in
        # a multi-word term's first stem -> (its other stems, group, credit): "bearded dragon" is beard, dragon
        self.term_of: dict[str, list[tuple[list[str], int, float]]] = {}
        for index, group in enumerate(self.groups):
            for group_stem in group.stems:
                credit = 1.0 if group_stem in group.exact_stems else SYNONYM_CREDIT
                first, *others = group_stem.split()
                if others:
                    self.term_of.setdefault(first, []).append((others, index, credit))
                else:
                    self.group_of.setdefault(group_stem, []).append((index, credit))
        self.recency = RECENCY_NUDGE * (LATEST_FACTOR if wanted.wants_latest else 1.0)
        self._by_owner: dict[str, float] = {}  # the owner rule's score for each owner met, and...
        self._by_traits: dict[int, float] = {}  # ...the answer-kind and tense rules' for each set of traits

    def score(self, row: tuple[Any, ...]) -> float:
        """The memory row's score (a row of _SCORED_COLUMNS); higher is better."""
        _, importance, created_at, owner, terms, traits = row
        tokens = terms.split()
        places: dict[int, list[int]] = {}
        credits: dict[int, float] = {}
        group_of, term_of = self.group_of, self.term_of
        for position, token in enumerate(tokens):
            found = group_of.get(token)
            if term_of and token in term_of:
                found = [*(found or ()), *((index, credit) for others, index, credit in term_of[token]
                                            if tokens[position + 1:position + 1 + len(others)] == others)]
            if found:
                for index, credit in found:
                    places.setdefault(index, []).append(position)
                    if credit > credits.get(index, 0.0):
                        credits[index] = credit
        # bm25 with each group counted once: a memory saying "pregnant with a baby" is not twice as relevant
        saturation = (BM25_K1 + 1.0) / (1.0 + BM25_K1 * (1.0 - BM25_B + BM25_B * len(tokens) / TYPICAL_MEMORY_WORDS))
        score = saturation * sum([self.weights[i] * credit for i, credit in credits.items()])
        if len(places) > 1:
            score += self._proximity(places)
        by_owner = self._by_owner.get(owner)
        if by_owner is None:
            by_owner = self._by_owner[owner] = _owner_rule(self.wanted.owner, owner)
        if by_owner < OWNER_MATCH and self.mentions and not self.mentions.isdisjoint(tokens):
            by_owner = OWNER_MATCH  # "I'm knitting Raj a jumper" is about Raj, the husband asked about
        by_traits = self._by_traits.get(traits)
        if by_traits is None:
            by_traits = self._by_traits[traits] = _trait_rules(self.wanted, traits)
        age_days = max(0.0, (self.moment - created_at) / 86400.0)
        return (score + by_owner + by_traits + IMPORTANCE_NUDGE * importance / 5.0
                + self.recency / (1.0 + age_days / RECENCY_HALF_DAYS))

    def _proximity(self, places: dict[int, list[int]]) -> float:
        """Words of the question that stand together in the memory ("favourite film") count as a phrase."""
        found = sorted(places)
        bonus = 0.0
        for first, second in zip(found, found[1:], strict=False):
            gaps = [abs(a - b) for a in places[first] for b in places[second] if a != b]  # two words, not one
            if gaps and min(gaps) <= PROXIMITY_WINDOW:
                bonus += PROXIMITY_WEIGHT * min(self.weights[first], self.weights[second]) / 4.0
        return bonus


def _trait_rules(wanted: RecallQuery, traits: int) -> float:
    """What a memory's traits add: the kinds of answer asked for that it holds, less a past event for a question
    about what is coming, or a one-day memory for one about how things stand."""
    score = ANSWER_KIND * sum(1 for kind in wanted.wants if traits & TRAIT_BITS[kind])
    if wanted.ahead and traits & TRAIT_BITS["past"]:
        score -= PAST_FOR_AHEAD
    elif wanted.state and traits & TRAIT_BITS["one_off"]:
        score -= ONE_OFF_FOR_STATE
    return score


_USER_ONLY = frozenset({OWNER_USER})


def _owner_rule(asked: frozenset[str], owner: str) -> float:
    """A memory of the person the question is about ranks up, one only of others down; with no one named in the
    question, the user's own memories rank up a little.  A memory of no one in particular is neither, nor is one of
    the user's relations or roles for a question about the user."""
    if not owner:
        return 0.0
    owners = owner.split()
    if not asked:
        return OWNER_IMPLIED if OWNER_USER in owners else 0.0
    if asked.intersection(owners):
        return OWNER_MATCH
    if asked == _USER_ONLY and not _PEOPLE_WORDS.isdisjoint(owners):
        return 0.0  # "My fiance Dev proposed at Whitby" is the user's story too: "Where did I get engaged?"
    return -OWNER_CLASH


# ---------------------------------------------------------------------------
# The system prompt, built fresh for every turn
# ---------------------------------------------------------------------------


MEMORY_LINE_CHARS = 500  # a memory's line in the prompt is cut to this many characters, "…" marking the cut
MEMORY_SECTION_CHARS = 3000  # the prompt's Memories section, heading included, never exceeds this many characters


def age(then: dt.datetime, now: dt.datetime) -> str:
    """How long ago, briefly: "just now", "5m ago", "1h ago", "3d ago", "2w ago"."""
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


def format_memory(memory: Memory, now: dt.datetime) -> str:
    """One memory in the spec's form, on one line of at most MEMORY_LINE_CHARS characters:
    • [Personal Data, Importance: 5] User (1h ago) - My cat is Winston"""
    line = (f"• [{memory.topic}, Importance: {memory.importance}] {memory.role} ({age(memory.created_at, now)}) - "
            f"{memory.content[:MEMORY_LINE_CHARS * 2]}")
    return _clip(" ".join(line.split()), MEMORY_LINE_CHARS)


def memory_section(memories: list[Memory], now: dt.datetime) -> list[str]:
    """The Memories section's lines: its heading, then the memories, best first, while the section stays within
    MEMORY_SECTION_CHARS (newlines counted); "(none yet)" when there are none."""
    lines = ["Memories:"]
    size = len(lines[0])
    for memory in memories:
        line = format_memory(memory, now)
        if size + 1 + len(line) > MEMORY_SECTION_CHARS:
            break
        lines.append(line)
        size += 1 + len(line)
    return lines if memories else [*lines, "(none yet)"]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_system_prompt(persona: str, now: dt.datetime, memories: list[Memory],
                        recent: list[ftc.Exchange]) -> str:
    """Persona, current time, retrieved memories and the recent turns: all the model sees besides the message."""
    lines = [persona.strip(), "", f"Current time: {now:%Y-%m-%d %H:%M:%S} ({now:%A})"]
    lines += memory_section(memories, now)
    if recent:
        lines += ["", "Recent conversation:"]
        for exchange in recent:
            lines.append(f"User: {_clip(exchange.user_message, RECENT_TURN_CHARS)}")
            lines.append(f"Timmy: {_clip(exchange.assistant_response, RECENT_TURN_CHARS)}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Chat sessions: conversations in SQLite, one turn = capture hook, prompt, model call, memory
# ---------------------------------------------------------------------------

CAPTURE_LOOKBACK = 8  # exchanges read back per turn at least: praise finds its target behind up to 7 praises
SAVE_COMMAND = "/save"  # the praise line of an example saved by hand
SAVE_MATCH = {"rule": "command"}  # its metadata praise_match


class ChatError(Exception):
    """A feedback action that cannot be done (nothing to retry, already saved, ...); one line for the user."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status that says it best


@dataclass(frozen=True)
class StoredExchange:
    """One finished exchange of a session, as stored: what the model was sent and what it answered."""

    index: int
    user_message: str
    system_prompt: str
    reply: str
    model: str
    example_id: str | None
    rejected: tuple[str, ...]

    def for_capture(self) -> ftc.Exchange:
        """The exchange as the capture hook takes it."""
        return ftc.Exchange(self.user_message, self.system_prompt, self.reply, captured=self.example_id is not None,
                            rejected_responses=self.rejected)


_EXCHANGE_COLUMNS = "idx, user_message, system_prompt, reply, model, example_id, rejected"  # as StoredExchange


def _stored(row: tuple[Any, ...]) -> StoredExchange:
    *fields, rejected = row
    return StoredExchange(*fields, tuple(json.loads(rejected)) if rejected != "[]" else ())


class SessionStore:
    """Conversations in the app's database: every exchange stored when its reply completes.

    Nothing of a conversation is kept in memory between turns; each turn
    reads back the few exchanges it needs.
    """

    def __init__(self, where: str | os.PathLike[str] | Database) -> None:
        """Open the database at the path *where*, or share the open *where*."""
        self.database = where if isinstance(where, Database) else Database(where)
        self.path, self._db, self._lock = self.database.path, self.database.db, self.database.lock

    def close(self) -> None:
        self.database.close()

    def exists(self, session_id: str) -> bool:
        """Whether the session is stored: it is from its first finished exchange on."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is not None

    def latest(self, kind: str) -> str | None:
        """The id of the session of this kind that was used last, if any."""
        with self._lock:
            row = self._db.execute("SELECT id FROM sessions WHERE kind = ? ORDER BY updated_at DESC LIMIT 1",
                                   (kind,)).fetchone()
        return row[0] if row else None

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM sessions").fetchone()[0]

    def exchanges(self, session_id: str, last: int | None = None) -> list[StoredExchange]:
        """The session's exchanges, oldest first: all of them, or the *last* few."""
        with self._lock:
            if last is None:
                rows = self._db.execute(f"SELECT {_EXCHANGE_COLUMNS} FROM exchanges WHERE session_id = ?"
                                        " ORDER BY idx", (session_id,)).fetchall()
            else:
                rows = self._db.execute(f"SELECT {_EXCHANGE_COLUMNS} FROM exchanges WHERE session_id = ?"
                                        " ORDER BY idx DESC LIMIT ?", (session_id, last)).fetchall()[::-1]
        return [_stored(row) for row in rows]

    def exchange(self, session_id: str, index: int | None = None) -> StoredExchange | None:
        """One exchange of the session: number *index*, or the last."""
        with self._lock:
            if index is None:
                row = self._db.execute(f"SELECT {_EXCHANGE_COLUMNS} FROM exchanges WHERE session_id = ?"
                                       " ORDER BY idx DESC LIMIT 1", (session_id,)).fetchone()
            else:
                row = self._db.execute(f"SELECT {_EXCHANGE_COLUMNS} FROM exchanges WHERE session_id = ? AND idx = ?",
                                       (session_id, index)).fetchone()
        return None if row is None else _stored(row)

    def add(self, session_id: str, kind: str, user_message: str, system_prompt: str, reply: str, model: str,
            at: dt.datetime) -> int:
        """Store a finished exchange at the end of the session (stored with it if new); return its index.

        One transaction, or part of the caller's (ChatApp.turn stores the message's memory in the same one).
        """
        now = time.time()
        with self.database.transaction() as db:
            db.execute("INSERT INTO sessions (id, kind, created_at, updated_at) VALUES (?, ?, ?, ?)"
                       " ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at", (session_id, kind, now, now))
            return db.execute(
                "INSERT INTO exchanges (session_id, idx, user_message, system_prompt, reply, model, created_at)"
                " SELECT ?, coalesce(max(idx) + 1, 0), ?, ?, ?, ?, ? FROM exchanges WHERE session_id = ? RETURNING idx",
                (session_id, user_message, system_prompt, reply, model, at.timestamp(), session_id)).fetchone()[0]

    def replace_reply(self, session_id: str, index: int, reply: str) -> None:
        """Give exchange *index* a new reply; the old one joins its rejected alternatives."""
        with self._lock:
            self._db.execute(
                "UPDATE exchanges SET rejected = json_insert(rejected, '$[#]', reply), reply = ?"
                " WHERE session_id = ? AND idx = ?", (reply, session_id, index))
            self._db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (time.time(), session_id))

    def mark_captured(self, session_id: str, index: int, example_id: str) -> None:
        with self._lock:
            self._db.execute("UPDATE exchanges SET example_id = ?, captured_at = ? WHERE session_id = ? AND idx = ?",
                             (example_id, time.time(), session_id, index))

    def last_captured(self, session_id: str) -> StoredExchange | None:
        """The exchange of the session captured most recently, if any is still marked captured."""
        with self._lock:
            row = self._db.execute(f"SELECT {_EXCHANGE_COLUMNS} FROM exchanges WHERE session_id = ?"
                                   " AND example_id IS NOT NULL ORDER BY captured_at DESC, idx DESC LIMIT 1",
                                   (session_id,)).fetchone()
        return None if row is None else _stored(row)

    def forget_example(self, example_id: str) -> None:
        """Unmark every exchange captured as *example_id* (the example left the file)."""
        with self._lock:
            self._db.execute("UPDATE exchanges SET example_id = NULL, captured_at = NULL WHERE example_id = ?",
                             (example_id,))


@dataclass
class Session:
    """A conversation in use: its id, its kind ("terminal" or "http") and the lock that keeps its turns in order."""

    id: str
    kind: str = "http"
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    __weakref__: Any = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True)
class Saved:
    """An exchange captured as a training example: which one, and the example's id."""

    index: int
    example_id: str


@dataclass(frozen=True)
class TurnResult:
    """A finished turn: the new exchange's index and reply, and what its message saved, if anything."""

    index: int
    reply: str
    captured: ftc.Example | None = None
    saved: Saved | None = None


class ChatApp:
    """The chat logic shared by the terminal and the HTTP server."""

    def __init__(self, client: ChatClient, memory: MemoryStore, *, persona: str = DEFAULT_PERSONA,
                 memories_per_turn: int = DEFAULT_MEMORIES, recent_turns: int = DEFAULT_RECENT_TURNS,
                 examples_path: str | os.PathLike[str] | None = None,
                 clock: Callable[[], dt.datetime] = dt.datetime.now,
                 sessions: SessionStore | None = None) -> None:
        self.client = client
        self.memory = memory
        self.sessions = sessions or SessionStore(memory.database)  # one connection: a turn is one transaction
        self.persona = persona
        self.memories_per_turn = memories_per_turn
        self.recent_turns = recent_turns
        self.examples_path = ftc.resolve_path(examples_path)
        self.clock = clock
        # Sessions in use by some request; a session nobody holds is dropped and read back from the database.
        self._live: weakref.WeakValueDictionary[str, Session] = weakref.WeakValueDictionary()
        self._live_lock = threading.Lock()

    def session(self, session_id: str | None = None, *, kind: str = "http") -> Session:
        """The session with this id, new if it is not stored yet; a fresh one when None.

        A new session is stored with its first finished exchange.
        """
        session_id = session_id or uuid.uuid4().hex[:16]
        with self._live_lock:
            found = self._live.get(session_id)
            if found is None:
                found = self._live[session_id] = Session(session_id, kind)
            return found

    def existing_session(self, session_id: str) -> Session | None:
        """The stored session with this id, or None."""
        return self.session(session_id) if self.sessions.exists(session_id) else None

    @property
    def session_count(self) -> int:
        return self.sessions.count()

    def turn(self, session: Session, message: str, *, stream: bool = False,
             on_token: Callable[[str], None] | None = None) -> TurnResult:
        """Answer *message* in *session*.

        The capture hook runs first, on the session as stored, so praise
        saves the previous exchange with the prompt that produced it.  Then a
        prompt is built for this message alone and sent as [system, user].  A
        failed model call raises ModelError (with ``saved`` set if the message
        captured something) and stores nothing else; so does an interrupted
        one (KeyboardInterrupt, or an exception from *on_token*).
        """
        message = ftc.clean_text(message)  # a lone surrogate would be refused by SQLite after the model answered
        with session.lock:
            window = self.sessions.exchanges(session.id, max(self.recent_turns, CAPTURE_LOOKBACK))
            exchanges = [stored.for_capture() for stored in window]
            captured = ftc.on_user_message(exchanges, message, {"session_id": session.id, "model": self.client.model},
                                           path=self.examples_path)
            saved = None
            if captured is not None:
                target = ftc.praised_exchange(exchanges)
                index = window[next(n for n, exchange in enumerate(exchanges) if exchange is target)].index
                saved = Saved(index, ftc.example_id(captured))
                self.sessions.mark_captured(session.id, index, saved.example_id)
            now = self.clock()
            memories = self.memory.recall(message, self.memories_per_turn, now=now)
            recent = exchanges[-self.recent_turns:] if self.recent_turns else []
            system_prompt = build_system_prompt(self.persona, now, memories, recent)
            try:
                reply = self.client.complete([{"role": "system", "content": system_prompt},
                                              {"role": "user", "content": message}], stream=stream, on_token=on_token)
            except ModelError as error:
                error.saved = saved
                raise
            with self.sessions.database.transaction():  # the exchange and its memory: one commit, both or neither
                index = self.sessions.add(session.id, session.kind, message, system_prompt, reply,
                                          self.client.model, now)
                stored = None
                try:
                    with self.memory.database.transaction():  # nested: a failure undoes the memory alone
                        stored = self.memory.remember(message, session_id=session.id, now=now)
                except sqlite3.Error as error:  # a memory failure must not lose the reply
                    logger.error("could not store a memory: %s", error)
            if stored is not None and stored.id is not None:
                self.memory.embed_memory(stored.id)  # with an embedding model: a model call, after the commit
            return TurnResult(index, reply, captured, saved)

    def retry(self, session: Session, *, stream: bool = False,
              on_token: Callable[[str], None] | None = None) -> TurnResult:
        """Ask again with the identical request of the last exchange; the old reply becomes a rejected alternative."""
        with session.lock:
            last = self.sessions.exchange(session.id)
            if last is None:
                raise ChatError("there is no reply to retry yet")
            if last.example_id is not None:
                raise ChatError(f"that reply is saved as example {last.example_id}; undo it first to retry")
            reply = self.client.complete([{"role": "system", "content": last.system_prompt},
                                          {"role": "user", "content": last.user_message}],
                                         stream=stream, on_token=on_token)
            self.sessions.replace_reply(session.id, last.index, reply)
            return TurnResult(last.index, reply)

    def save(self, session: Session, index: int | None = None) -> Saved:
        """Capture an exchange by hand (the last by default), with its own prompt and rejected alternatives."""
        with session.lock:
            target = self.sessions.exchange(session.id, index)
            if target is None:
                raise ChatError("there is no reply to save yet" if index is None else f"there is no exchange {index}",
                                404 if index is not None else 409)
            if target.example_id is not None:
                raise ChatError(f"that reply is already saved as example {target.example_id}")
            metadata = {"session_id": session.id, "model": target.model,
                        "timestamp": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"), "praise_match": SAVE_MATCH}
            try:
                example = ftc.capture_fine_tuning_example(
                    target.user_message, target.system_prompt, target.reply, SAVE_COMMAND, metadata,
                    path=self.examples_path, rejected_responses=target.rejected)
            except OSError as error:
                raise ChatError(f"could not write to {self.examples_path}: {error.strerror or error}", 500) from None
            saved = Saved(target.index, ftc.example_id(example))
            self.sessions.mark_captured(session.id, target.index, saved.example_id)
            return saved

    def undo(self, session: Session) -> str:
        """Remove the example captured last in this session from the examples file; return its id."""
        with session.lock:
            target = self.sessions.last_captured(session.id)
            if target is None:
                raise ChatError("nothing saved in this conversation to undo")
            assert target.example_id is not None
            return self.remove_example(target.example_id)

    def remove_example(self, example_id: str) -> str:
        """Remove one example from the examples file (under the capture lock); return its id."""
        try:
            ftc.remove_examples([example_id], path=self.examples_path)
        except (KeyError, FileNotFoundError):
            self.sessions.forget_example(example_id)
            raise ChatError(f"example {example_id} is not in {self.examples_path.name}", 404) from None
        except OSError as error:
            raise ChatError(f"could not rewrite {self.examples_path}: {error.strerror or error}", 500) from None
        self.sessions.forget_example(example_id)
        return example_id


# ---------------------------------------------------------------------------
# Terminal chat
# ---------------------------------------------------------------------------

PREVIEW_CHARS = 160  # how much of the last exchange is shown when a conversation is resumed
COMMAND_RE = re.compile(r"/[A-Za-z]+")  # a first word like this is a command, never sent to the model

try:  # line editing and history for input(), where the platform has it
    import readline  # noqa: F401
except ImportError:  # pragma: no cover - Windows
    pass


class Terminal:
    """The chat on a terminal or a pipe: messages, /commands, and a conversation that is never dropped.

    Every model failure is one line and the next message tries again.
    Ctrl-C while a reply streams stops that reply (nothing is stored);
    Ctrl-C or Ctrl-D at the prompt leaves.  What is said lives in the
    database, so the next start resumes where this one stopped.
    """

    def __init__(self, app: ChatApp, stdin: Any = None, stdout: Any = None, stderr: Any = None) -> None:
        self.app = app
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.interactive = self.stdin.isatty()
        self.session: Session | None = None
        # The commands, dispatched from this table; each one's docstring is its line in /help.
        self.commands: dict[str, Callable[[str], bool]] = {
            "/help": self.cmd_help, "/new": self.cmd_new, "/save": self.cmd_save, "/undo": self.cmd_undo,
            "/retry": self.cmd_retry, "/memories": self.cmd_memories, "/forget": self.cmd_forget,
            "/quit": self.cmd_quit, "/exit": self.cmd_quit,
        }

    def say(self, text: str = "", end: str = "\n") -> None:
        print(text, end=end, file=self.stdout, flush=True)

    def run(self, session_id: str | None = None) -> int:
        """Chat until /quit, Ctrl-D or end of input; return the exit status."""
        client = self.app.client
        try:
            warnings = client.check()
            if self.app.memory.embedder is not None:
                warnings += self.app.memory.embedder.check()
        except ModelUnreachable as error:
            print(f"Little Timmy cannot start: {error}", file=self.stderr)
            return 1
        for warning in warnings:
            print(f"warning: {warning}", file=self.stderr)
        offered = [name for name in client.listed if name != client.model and _is_embedding_model(name)]
        if self.app.memory.embedder is None and offered:
            print(f"tip: the server offers the embedding model {offered[0]}: with --embed-model {offered[0]}, "
                  "recall finds facts said in other words too", file=self.stderr)
        if session_id is not None:
            self.session = self.app.existing_session(session_id)
            if self.session is None:
                print(f"Little Timmy cannot start: there is no conversation {session_id!r} in "
                      f"{self.app.sessions.path}", file=self.stderr)
                return 1
        else:
            latest = self.app.sessions.latest("terminal")
            self.session = self.app.session(latest, kind="terminal")
        self.say(f"Little Timmy ({client.model} at {client.base_url}). /help for commands, /quit to leave.")
        self._show_resumed()
        while True:
            try:
                message = self._read()
            except (KeyboardInterrupt, EOFError):
                self.say()
                return 0
            if message is None:
                self.say()
                return 0
            if not message.strip():
                continue
            word, _, argument = message.strip().partition(" ")
            if COMMAND_RE.fullmatch(word):
                command = self.commands.get(word.lower())
                if command is None:
                    self.say(f"unknown command {word}: /help lists the commands (nothing was sent to the model)")
                    continue
                if not command(argument.strip()):
                    return 0
                continue
            self._reply(functools.partial(self._turn, message))

    def _turn(self, message: str, on_token: Callable[[str], None]) -> TurnResult:
        assert self.session is not None
        return self.app.turn(self.session, message, stream=True, on_token=on_token)

    def _read(self) -> str | None:
        if self.interactive and self.stdin is sys.stdin:
            return input("you> ")
        if self.interactive:
            self.say("you> ", end="")
        line = self.stdin.readline()
        return line.rstrip("\n") if line else None

    def _show_resumed(self) -> None:
        assert self.session is not None
        exchanges = self.app.sessions.exchanges(self.session.id, 1)
        if not exchanges:
            return
        last = exchanges[-1]
        self.say(f"Resuming conversation {self.session.id} ({last.index + 1} exchanges; /new starts another):")
        self.say(f"  you> {_preview(last.user_message)}")
        self.say(f"  timmy> {_preview(last.reply)}")

    def _reply(self, ask: Callable[[Callable[[str], None]], TurnResult]) -> TurnResult | None:
        """Stream one reply; a failure or Ctrl-C is one line, and the chat goes on."""
        self.say("timmy> ", end="")
        try:
            result = ask(lambda piece: self.say(piece, end=""))
        except KeyboardInterrupt:
            self.say("\n(stopped: that reply was not kept)")
            return None
        except ModelError as error:
            self.say(f"\n[error] {error}")
            if error.saved is not None:
                self._say_saved(error.saved)
            return None
        except ChatError as error:
            self.say(f"\n{error}")
            return None
        self.say()
        if result.saved is not None:
            self._say_saved(result.saved)
        return result

    def _say_saved(self, saved: Saved) -> None:
        self.say(f"  (saved as a fine-tuning example {saved.example_id} in {self.app.examples_path.name}; "
                 "/undo takes it back)")

    def cmd_help(self, argument: str) -> bool:
        """/help             these commands"""
        lines = [command.__doc__ or "" for name, command in self.commands.items() if name != "/exit"]
        self.say("Commands:\n" + "\n".join(f"  {line}" for line in lines) +
                 '\nPraise a reply ("Good one, Timmy!", "perfect") and it is saved as a fine-tuning example.')
        return True

    def cmd_new(self, argument: str) -> bool:
        """/new              start a new conversation (this one stays stored)"""
        self.session = self.app.session(kind="terminal")
        self.say(f"(a new conversation: {self.session.id})")
        return True

    def cmd_save(self, argument: str) -> bool:
        """/save             save the last reply as a fine-tuning example"""
        assert self.session is not None
        try:
            self._say_saved(self.app.save(self.session))
        except ChatError as error:
            self.say(str(error))
        return True

    def cmd_undo(self, argument: str) -> bool:
        """/undo             remove the example saved last in this conversation"""
        assert self.session is not None
        try:
            self.say(f"(removed example {self.app.undo(self.session)} from {self.app.examples_path.name})")
        except ChatError as error:
            self.say(str(error))
        return True

    def cmd_retry(self, argument: str) -> bool:
        """/retry            ask again; the old reply is kept as a rejected alternative"""
        assert self.session is not None
        if self._reply(lambda on_token: self.app.retry(self.session, stream=True, on_token=on_token)):
            self.say("  (the earlier reply is kept as a rejected alternative)")
        return True

    def cmd_memories(self, argument: str) -> bool:
        """/memories         what Timmy remembers, newest first, with ids"""
        memories = self.app.memory.memories()
        if not memories:
            self.say("(no memories yet)")
        now = self.app.clock()
        for memory in memories:
            self.say(f"  {memory.id:>5}  {format_memory(memory, now)}")
        return True

    def cmd_forget(self, argument: str) -> bool:
        """/forget ID        forget one memory (ids from /memories)"""
        if not argument.isdigit():
            self.say("usage: /forget ID, with an id from /memories")
            return True
        forgotten = self.app.memory.forget(int(argument))
        self.say(f"(forgot: {forgotten.content})" if forgotten else f"no memory has the id {argument}")
        return True

    def cmd_quit(self, argument: str) -> bool:
        """/quit             leave (Ctrl-D works too); the conversation stays stored"""
        return False


def _preview(text: str) -> str:
    return _clip(" ".join(text.split()), PREVIEW_CHARS)


def run_terminal(app: ChatApp, stdin: Any = None, stdout: Any = None, *, session_id: str | None = None) -> int:
    """Chat on the terminal until /quit or end of input; return the exit status."""
    return Terminal(app, stdin, stdout).run(session_id)


# ---------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------

PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Little Timmy</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<style>
:root{--bg:#f6f6f3;--panel:#fff;--fg:#1f2328;--muted:#57606a;--line:#d5d8dc;--you:#dde8fb;--you-fg:#0f2747;
--accent:#1f5fbf;--accent-fg:#fff;--danger:#b3261e;--ok:#1a7f37;--code:#f2f3f5;--focus:#1f5fbf}
@media (prefers-color-scheme:dark){:root{--bg:#111214;--panel:#1b1d21;--fg:#e6e7e9;--muted:#a4abb4;--line:#343840;
--you:#1f3354;--you-fg:#e6eefc;--accent:#7aa7f7;--accent-fg:#0b1220;--danger:#ff8f86;--ok:#62d183;--code:#0d0e10;
--focus:#9cc0ff}}
*{box-sizing:border-box}
html,body{margin:0}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg);
min-height:100vh;display:flex;flex-direction:column}
.wrap{width:100%;max-width:46rem;margin:0 auto;padding:0 1rem}
header.wrap{display:flex;align-items:center;justify-content:space-between;gap:1rem;padding-top:.75rem;
padding-bottom:.75rem}
h1{font-size:1.2rem;margin:0}
main.wrap{flex:1}
[hidden]{display:none!important}
.sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
button{font:inherit;font-size:.9rem;color:inherit;background:var(--panel);border:1px solid var(--line);
border-radius:.5rem;padding:.35rem .75rem;cursor:pointer;min-height:2.25rem}
button:hover:not(:disabled){border-color:var(--muted)}
button:disabled{opacity:.45;cursor:default}
button:focus-visible,textarea:focus-visible,input:focus-visible,pre:focus-visible{outline:2px solid var(--focus);
outline-offset:2px}
#empty{color:var(--muted);border:1px dashed var(--line);border-radius:.75rem;padding:1rem 1.1rem;margin:1rem 0}
#empty p{margin:.25rem 0}
#notice{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;color:var(--danger);margin:.5rem 0}
#log{display:flex;flex-direction:column;gap:1.25rem;padding:.5rem 0 1rem}
.turn.you{display:flex;justify-content:flex-end}
.user{background:var(--you);color:var(--you-fg);padding:.5rem .85rem;border-radius:1rem 1rem .3rem 1rem;
max-width:85%;white-space:pre-wrap;overflow-wrap:anywhere}
.turn.timmy{margin-top:.6rem;min-width:0}
.reply{background:var(--panel);border:1px solid var(--line);border-radius:1rem 1rem 1rem .3rem;
padding:.55rem .9rem;overflow-wrap:anywhere;min-width:0}
.reply>*+*{margin-top:.6rem}
.reply .text{white-space:pre-wrap}
.reply:empty::after{color:var(--muted);font-style:italic}
.queued .reply:empty::after{content:"waits for the reply before it"}
.streaming .reply:empty::after{content:"Timmy is thinking\2026"}
.failed .reply:empty{display:none}
[data-example-id] .reply{border-color:var(--ok);box-shadow:inset 3px 0 0 var(--ok)}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
.text code{background:var(--code);border:1px solid var(--line);border-radius:.3rem;padding:0 .25rem;font-size:.88em}
.code{border:1px solid var(--line);border-radius:.5rem;background:var(--code);overflow:hidden}
.code-bar{display:flex;justify-content:space-between;align-items:center;gap:.5rem;padding:.1rem .2rem .1rem .75rem;
font-size:.8rem;color:var(--muted);border-bottom:1px solid var(--line)}
.code-bar button{min-height:1.9rem;padding:.1rem .6rem;font-size:.8rem}
pre{margin:0;padding:.65rem .8rem;overflow-x:auto;font-size:.86rem;line-height:1.45;tab-size:4}
.actions{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem;margin-top:.4rem;font-size:.875rem;
color:var(--muted)}
.actions button{min-height:2rem;padding:.15rem .6rem;font-size:.85rem}
.saved{color:var(--ok);font-weight:600}
.saved .example-id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-weight:400}
.saved button{color:var(--fg);font-weight:400}
.problem{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;color:var(--danger);margin-top:.4rem}
.alternatives{margin-top:.4rem;font-size:.85rem;color:var(--muted)}
.alternatives summary{cursor:pointer}
.alternatives ol{margin:.3rem 0;padding-left:1.4rem}
.alternatives li{white-space:pre-wrap;overflow-wrap:anywhere;margin:.2rem 0}
#token-form{border:1px solid var(--line);background:var(--panel);border-radius:.75rem;padding:1rem 1.1rem;margin:1rem 0}
#token-form p{margin:0 0 .6rem}
#token-form .row{display:flex;gap:.5rem;flex-wrap:wrap}
#token{flex:1;min-width:12rem}
#token-error{color:var(--danger);margin:.5rem 0 0}
input,textarea{font:inherit;color:var(--fg);background:var(--panel);border:1px solid var(--line);
border-radius:.6rem;padding:.5rem .75rem}
footer{position:sticky;bottom:0;background:var(--bg);border-top:1px solid var(--line)}
#composer{padding-top:.6rem;padding-bottom:.5rem}
#composer .row{display:flex;gap:.5rem;align-items:flex-end}
#message{flex:1;min-width:0;resize:none;min-height:2.75rem;max-height:12rem;line-height:1.45}
#composer button{min-height:2.75rem}
#send{background:var(--accent);color:var(--accent-fg);border-color:var(--accent);font-weight:600}
#status{min-height:1.3rem;margin:.3rem 0 0;font-size:.85rem;color:var(--muted)}
body.locked main #log,body.locked #empty,body.locked footer{display:none}
@media (max-width:30rem){.wrap{padding:0 .75rem}.user{max-width:92%}#composer button{padding:.35rem .6rem}}
</style></head><body>
<header class="wrap"><h1>Little Timmy</h1>
<button id="new-chat" type="button">New chat</button></header>
<main class="wrap">
<form id="token-form" hidden>
<p>This Little Timmy server asks for its access token (the one it was started with).</p>
<div class="row"><label class="sr" for="token">Access token</label>
<input id="token" type="password" autocomplete="current-password" placeholder="Access token" required>
<button type="submit">Unlock</button></div>
<p id="token-error" role="alert"></p>
</form>
<div id="notice" role="alert" hidden><span class="notice-text"></span>
<button type="button" data-action="notice-retry">Retry</button></div>
<div id="empty" hidden>
<p><strong>Say something to Timmy.</strong> He is sarcastic, but he helps.</p>
<p>When a reply is good, tell him &ndash; &ldquo;good one, Timmy&rdquo; &ndash; and that reply is saved as a
fine-tuning example, with the exact prompt he saw. &#128077; Save does the same by hand; Undo takes it back.</p>
</div>
<div id="log" role="log" aria-live="polite" aria-label="Conversation"></div>
</main>
<footer><form id="composer" class="wrap">
<div class="row"><label class="sr" for="message">Message to Timmy</label>
<textarea id="message" rows="1" placeholder="Message Timmy" aria-describedby="keys"></textarea>
<button id="send" type="submit">Send</button>
<button id="stop" type="button" disabled>Stop</button></div>
<p id="status" role="status"></p><p id="keys" class="sr">Enter sends, Shift+Enter starts a new line,
Escape stops the reply.</p>
</form></footer>
<script>
"use strict";
/* Little Timmy's page.  Model text only ever goes into the page as text (textContent, text nodes), never as markup.
   Turns run one at a time from a queue, so a message typed during a reply waits for it, in the same session. */
const SESSION_KEY = "timmy.session", TOKEN_KEY = "timmy.token";
const $ = (id) => document.getElementById(id);
const log = $("log"), input = $("message"), composer = $("composer"), stopButton = $("stop"), statusLine = $("status");
const empty = $("empty"), notice = $("notice"), tokenForm = $("token-form"), tokenInput = $("token");

const unstored = {};  /* where values go when the browser's storage is switched off: for this page load only */
function stored(area, key, value) {  /* read (no value), remove (null) or write a key of localStorage/sessionStorage */
  try {
    const storage = window[area];
    if (value === undefined) return storage.getItem(key);
    if (value === null) storage.removeItem(key); else storage.setItem(key, value);
  } catch (error) {
    const slot = area + ":" + key;
    if (value === undefined) return slot in unstored ? unstored[slot] : null;
    if (value === null) delete unstored[slot]; else unstored[slot] = value;
  }
  return null;
}

let sessionId = stored("localStorage", SESSION_KEY);
let generation = 0;       /* bumped by New chat: answers to requests from before it are ignored */
let running = null;       /* {job, controller} of the request in progress */
let loading = false;      /* the conversation is being read back: turns wait for it */
let locked = false;       /* the server wants a token: nothing runs until one is given */
let resyncWanted = false;
const queue = [];
const replyText = new WeakMap();     /* exchange element -> its reply as text */
const retryOf = new WeakMap();       /* element with a problem line -> what its Retry button does */

class Unreachable extends Error {}
class Unauthorized extends Error {}
class Failed extends Error {        /* the server answered with an error */
  constructor(message, status, data) { super(message); this.status = status; this.data = data || {}; }
  get modelDown() { return this.status === 502; }
}
const UNREACHABLE = "Cannot reach Little Timmy. Is the server still running?";

/* ---- talking to the server ---- */

async function api(method, path, body, signal) {
  const headers = {};
  const token = stored("sessionStorage", TOKEN_KEY);
  if (token) headers["Authorization"] = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {method, headers, signal, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (error) {
    if (signal && signal.aborted) throw error;
    throw new Unreachable(UNREACHABLE);
  }
  if (response.status === 401) throw new Unauthorized("token needed");
  if (!response.ok) {
    let data = {};
    try { data = await response.json(); } catch (error) { /* not JSON: a proxy's error page */ }
    throw new Failed(data.error || "the server answered HTTP " + response.status, response.status, data);
  }
  return response;
}

async function apiJson(method, path, body) {
  const response = await api(method, path, body);
  try { return await response.json(); } catch (error) { throw new Unreachable(UNREACHABLE); }
}

async function* serverEvents(response) {  /* the data of each server-sent event, parsed */
  const reader = response.body.getReader(), decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, {stream: true});
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const data = buffer.slice(0, end).split("\n").filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, "")).join("\n");
      buffer = buffer.slice(end + 2);
      if (data) yield JSON.parse(data);
    }
  }
}

async function streamReply(path, body, signal, onDelta) {
  const response = await api("POST", path, {...body, stream: true}, signal);
  try {
    for await (const event of serverEvents(response)) {
      if (typeof event.delta === "string") onDelta(event.delta);
      else if (event.done) return event;
      else if (event.error !== undefined) throw new Failed(event.error, "captured" in event ? 502 : 409, event);
    }
  } catch (error) {
    if (error instanceof Failed || signal.aborted) throw error;
    throw new Unreachable(UNREACHABLE);
  }
  throw new Unreachable("The connection to Little Timmy closed in the middle of the reply.");
}

const sessionPath = (tail) => "/api/sessions/" + encodeURIComponent(sessionId) + tail;

function rememberSession(id) {
  sessionId = id;
  stored("localStorage", SESSION_KEY, id);
}

/* ---- drawing text: paragraphs as text, ``` fences as code blocks ---- */

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function actionButton(action, label, icon, title) {
  const button = el("button");
  button.type = "button";
  button.dataset.action = action;
  if (title) button.title = title;
  if (icon) { const mark = el("span", "", icon); mark.setAttribute("aria-hidden", "true"); button.append(mark, " "); }
  button.append(label);
  return button;
}

function splitFences(text) {  /* [{text}] and [{lang, code}] in order; an unclosed fence runs to the end */
  const parts = [];
  let prose = [], code = null;
  const flush = () => {
    const joined = prose.join("\n").replace(/^\s*\n|\s+$/g, "");
    if (joined) parts.push({text: joined});
    prose = [];
  };
  for (const line of text.split("\n")) {
    if (code === null) {
      const opening = /^ {0,3}```\s*([^`\s]*)/.exec(line);
      if (opening) { flush(); code = {lang: opening[1], lines: []}; } else prose.push(line);
    } else if (/^ {0,3}```\s*$/.test(line)) {
      parts.push({lang: code.lang, code: code.lines.join("\n")});
      code = null;
    } else code.lines.push(line);
  }
  if (code !== null) parts.push({lang: code.lang, code: code.lines.join("\n")});
  flush();
  return parts;
}

function textBlock(text) {
  const block = el("div", "text");
  text.split(/(`[^`\n]+`)/).forEach((piece, n) => {
    if (n % 2) block.append(el("code", "", piece.slice(1, -1)));
    else if (piece) block.append(piece);  /* a string becomes a text node */
  });
  return block;
}

function codeBlock(lang, code) {
  const block = el("div", "code"), bar = el("div", "code-bar"), pre = el("pre");
  const copy = actionButton("copy", "Copy");
  copy.setAttribute("aria-label", "Copy " + (lang || "code") + " block");
  bar.append(el("span", "lang", lang || "code"), copy);
  pre.tabIndex = 0;
  pre.append(el("code", "", code));
  block.append(bar, pre);
  return block;
}

function setReply(article, text) {
  pendingRender.delete(article);
  replyText.set(article, text);
  article.querySelector(".reply").replaceChildren(
    ...splitFences(text).map((part) => "code" in part ? codeBlock(part.lang, part.code) : textBlock(part.text)));
}

const pendingRender = new Map();
let frame = 0;
function renderSoon(article, text) {  /* at most one redraw a frame while a reply streams in */
  replyText.set(article, text);
  pendingRender.set(article, text);
  if (!frame) frame = requestAnimationFrame(() => {
    frame = 0;
    const follow = nearEnd();
    for (const [target, latest] of [...pendingRender]) setReply(target, latest);
    if (follow) scrollToEnd();
  });
}

const nearEnd = () => innerHeight + scrollY >= document.documentElement.scrollHeight - 150;
const scrollToEnd = () => window.scrollTo(0, document.documentElement.scrollHeight);

/* ---- exchanges ---- */

function makeExchange(user) {
  const article = el("article", "exchange");
  const you = el("div", "turn you"), timmy = el("div", "turn timmy"), actions = el("div", "actions");
  you.append(el("span", "sr", "You said:"), el("div", "user", user));
  const saved = el("span", "saved");
  saved.append("saved \u00b7 ", el("span", "example-id"), " \u00b7 ",
    actionButton("undo", "Undo", "", "Take this example out of the examples file"));
  saved.hidden = true;
  actions.append(actionButton("save", "Save", "\u{1F44D}", "Save this reply as a fine-tuning example"),
    actionButton("retry", "Retry", "\u21bb", "Ask again; this reply is kept as a rejected alternative"), saved);
  const problem = el("div", "problem");
  problem.setAttribute("role", "alert");
  problem.append(el("span", "problem-text"), actionButton("resend", "Retry"));
  problem.hidden = true;
  const alternatives = el("details", "alternatives");
  alternatives.append(el("summary"), el("ol"));
  alternatives.hidden = true;
  timmy.append(el("span", "sr", "Timmy said:"), el("div", "reply"), actions, problem, alternatives);
  article.append(you, timmy);
  replyText.set(article, "");
  return article;
}

function storedExchange(exchange) {
  const article = makeExchange(exchange.user);
  article.dataset.index = exchange.index;
  setReply(article, exchange.reply);
  markSaved(article, exchange.example_id);
  for (const rejected of exchange.rejected || []) addAlternative(article, rejected);
  return article;
}

function exchangeAt(index) { return log.querySelector('article[data-index="' + Number(index) + '"]'); }

function markSaved(article, exampleId) {
  if (!article) return;
  if (exampleId) article.dataset.exampleId = exampleId; else delete article.dataset.exampleId;
  article.querySelector(".example-id").textContent = exampleId || "";
  refresh();
}

function addAlternative(article, text) {
  const alternatives = article.querySelector(".alternatives"), list = alternatives.querySelector("ol");
  list.append(el("li", "", text));
  const count = list.children.length;
  alternatives.querySelector("summary").textContent = count + (count === 1 ? " earlier reply" : " earlier replies");
  alternatives.hidden = false;
}

function setProblem(target, message, retry) {
  const problem = target === notice ? notice : target.querySelector(".problem");
  problem.hidden = !message;
  problem.querySelector(".problem-text, .notice-text").textContent = message || "";
  if (retry) retryOf.set(problem, retry); else retryOf.delete(problem);
  problem.querySelector("button").hidden = !retry;
  if (target !== notice) target.classList.toggle("failed", Boolean(message));
}

function describe(error) {
  if (error instanceof Failed && error.modelDown) return "Timmy\u2019s model did not answer: " + error.message;
  return error.message;
}

function applyCapture(data) {  /* praise saved an earlier reply: mark that one */
  if (data && data.captured && data.captured_index !== null && data.captured_index !== undefined) {
    markSaved(exchangeAt(data.captured_index), data.example_id);
    say("Saved Timmy\u2019s praised reply as a fine-tuning example.");
  }
}

function refresh() {  /* which buttons each exchange shows, and the busy state */
  const busy = Boolean(running) || queue.length > 0;
  const exchanges = log.querySelectorAll("article[data-index]");
  const last = exchanges[exchanges.length - 1];
  for (const article of log.querySelectorAll("article")) {
    const isStored = "index" in article.dataset, saved = "exampleId" in article.dataset;
    const save = article.querySelector('[data-action="save"]'), retry = article.querySelector('[data-action="retry"]');
    save.hidden = !isStored || saved;
    save.disabled = article.classList.contains("streaming");
    retry.hidden = !isStored || saved || article !== last;
    retry.disabled = busy;
    article.querySelector(".saved").hidden = !isStored || !saved;
  }
  stopButton.disabled = !busy;
  log.setAttribute("aria-busy", String(Boolean(running)));
  document.body.classList.toggle("busy", busy);
  empty.hidden = log.children.length > 0 || loading;
  if (busy) {
    const waiting = queue.length ? " (" + queue.length + " waiting)" : "";
    statusLine.textContent = (running && running.job.kind === "retry" ? "Timmy is trying again\u2026"
      : "Timmy is typing\u2026") + waiting;
  } else statusLine.textContent = lastSaid;
}

let lastSaid = "";
function say(text) { lastSaid = text; refresh(); }

/* ---- the queue: one request at a time ---- */

function enqueue(job) {
  job.generation = generation;
  queue.push(job);
  if (job.article) job.article.classList.add("queued");
  refresh();
  pump();
}

async function pump() {
  if (running || loading || locked) return;
  if (resyncWanted) { resyncWanted = false; await restore(); if (running || loading || locked) return; }
  const job = queue.shift();
  if (!job) { refresh(); return; }
  const controller = new AbortController();
  running = {job, controller};
  job.article.classList.remove("queued");
  job.article.classList.add("streaming");
  setProblem(job.article, null);
  lastSaid = "";
  refresh();
  try {
    await (job.kind === "chat" ? runChat : runRetry)(job, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) job.stopped();
    else if (error instanceof Unauthorized) { queue.unshift(job); job.article.classList.add("queued"); askForToken(); }
    else job.failed(error);
  } finally {
    job.article.classList.remove("streaming");
    running = null;
    refresh();
  }
  pump();
}

function send(message) {
  const article = makeExchange(message);
  setNotice(null);
  log.append(article);
  const job = {kind: "chat", article, message, stopped() {}, failed(error) {
    if (error instanceof Failed && error.data.session_id && job.generation === generation) {
      rememberSession(error.data.session_id);
      applyCapture(error.data);
    }
    setReply(article, "");
    setProblem(article, describe(error), () => { log.append(article); enqueue(job); });
  }};
  enqueue(job);
  scrollToEnd();
}

async function runChat(job, signal) {
  let text = "";
  const body = {message: job.message};
  if (sessionId) body.session_id = sessionId;
  const done = await streamReply("/api/chat", body, signal, (delta) => renderSoon(job.article, text += delta));
  if (job.generation !== generation) return;
  rememberSession(done.session_id);
  job.article.dataset.index = done.index;
  setReply(job.article, done.reply);
  applyCapture(done);
}

function retryLast(article) {
  const job = {kind: "retry", article, before: replyText.get(article),
    stopped() { setReply(article, job.before); },
    failed(error) {
      setReply(article, job.before);
      if (error instanceof Failed && error.status === 409) { say(error.message); resync(); return; }
      setProblem(article, describe(error), () => enqueue(job));
    }};
  enqueue(job);
}

async function runRetry(job, signal) {
  let text = "";
  const done = await streamReply(sessionPath("/retry"), {}, signal, (delta) => {
    if (!text) setReply(job.article, "");
    renderSoon(job.article, text += delta);
  });
  addAlternative(job.article, job.before);
  setReply(job.article, done.reply);
}

function stop() {
  const returned = [];
  if (running && running.job.kind === "chat") { returned.push(running.job.message); running.job.article.remove(); }
  for (const job of queue.splice(0)) {
    if (job.kind === "chat") { returned.push(job.message); job.article.remove(); }
  }
  if (running) running.controller.abort();
  if (returned.length) {
    input.value = [...returned, input.value].filter(Boolean).join("\n\n");
    autosize();
  }
  say("Stopped. Nothing was stored" + (returned.length ? "; your message is back in the box." : "."));
  input.focus();
}

function newChat() {
  generation += 1;
  for (const job of queue.splice(0)) job.article.remove();
  if (running) { running.job.stopped = () => {}; running.controller.abort(); }
  rememberSession(null);
  log.replaceChildren();
  setNotice(null);
  loading = false;
  say("New chat started.");
  input.focus();
}

/* ---- saving, undoing, and errors that belong to no reply ---- */

async function saveExchange(article, button) {
  const focused = document.activeElement === button;  /* then keep the keyboard on this exchange */
  button.disabled = true;
  try {
    const data = await apiJson("POST", sessionPath("/save"), {index: Number(article.dataset.index)});
    markSaved(article, data.example_id);
    say("Saved as a fine-tuning example.");
    if (focused) article.querySelector('[data-action="undo"]').focus();
  } catch (error) {
    actionFailed(error, article, () => saveExchange(article, button));
  } finally {
    button.disabled = false;
    refresh();
  }
}

async function undoSave(article, button) {
  const exampleId = article.dataset.exampleId, focused = document.activeElement === button;
  button.disabled = true;
  try {
    await apiJson("DELETE", "/api/examples/" + encodeURIComponent(exampleId));
    markSaved(article, null);
    if (focused) article.querySelector('[data-action="save"]').focus();
    say("Undone: example " + exampleId + " is out of the examples file.");
  } catch (error) {
    if (error instanceof Failed && error.status === 404) {
      markSaved(article, null);
      say("Example " + exampleId + " was already gone from the examples file.");
    } else actionFailed(error, article, () => undoSave(article, button));
  } finally {
    button.disabled = false;
  }
}

function actionFailed(error, article, again) {
  if (error instanceof Unauthorized) askForToken();
  else if (error instanceof Failed && error.status === 409) { say(error.message); resync(); }
  else setProblem(article, describe(error), again);
}

function setNotice(message, retry) { setProblem(notice, message, retry); }

function resync() {  /* read the conversation back from the server, once nothing is running */
  resyncWanted = true;
  pump();
}

async function restore() {
  const mine = generation;
  loading = true;
  refresh();
  try {
    if (!sessionId) { await apiJson("GET", "/api/health"); return; }  /* nothing to read back: check the token */
    const data = await apiJson("GET", sessionPath(""));
    if (mine !== generation) return;
    const keep = [...log.querySelectorAll("article:not([data-index])")];  /* turns not stored yet */
    log.replaceChildren(...data.exchanges.map(storedExchange), ...keep);
    setNotice(null);
  } catch (error) {
    if (mine !== generation) return;
    if (error instanceof Failed && error.status === 404) rememberSession(null);  /* gone: start fresh */
    else if (error instanceof Unauthorized) askForToken();
    else setNotice(describe(error), () => { setNotice(null); restore().then(pump); });
  } finally {
    if (mine === generation) loading = false;
    refresh();
  }
}

/* ---- the token ---- */

function takeTokenFromAddress() {  /* #token=... (never sent to a server) or ?token=..., kept for this tab only */
  const fragment = new URLSearchParams(location.hash.slice(1)), query = new URLSearchParams(location.search);
  const token = fragment.get("token") || query.get("token");
  if (token) stored("sessionStorage", TOKEN_KEY, token);
  if (fragment.has("token") || query.has("token")) {
    query.delete("token");
    const search = query.toString();
    history.replaceState(null, "", location.pathname + (search ? "?" + search : ""));
  }
}

function askForToken() {
  const rejected = stored("sessionStorage", TOKEN_KEY) !== null;
  locked = true;
  document.body.classList.add("locked");
  tokenForm.hidden = false;
  $("token-error").textContent = rejected ? "That token was not accepted. Check it and try again." : "";
  tokenInput.focus();
}

tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  if (!token) return;
  stored("sessionStorage", TOKEN_KEY, token);
  tokenInput.value = "";
  locked = false;
  document.body.classList.remove("locked");
  tokenForm.hidden = true;
  input.focus();
  restore().then(pump);
});

/* ---- the controls ---- */

function autosize() {
  input.style.height = "auto";
  input.style.height = Math.min(input.scrollHeight + 2, 192) + "px";
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const message = input.value.replace(/\s+$/, "");
  if (!message.trim()) return;
  input.value = "";
  autosize();
  send(message);
  input.focus();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    composer.requestSubmit();
  } else if (event.key === "Escape" && !stopButton.disabled) {
    event.preventDefault();
    stop();
  }
});
input.addEventListener("input", autosize);
stopButton.addEventListener("click", stop);
$("new-chat").addEventListener("click", newChat);

async function copyCode(button) {
  const code = button.closest(".code").querySelector("pre code");
  try {
    await navigator.clipboard.writeText(code.textContent);
  } catch (error) {  /* no clipboard API (a page not on localhost or https): copy the selection instead */
    const range = document.createRange();
    range.selectNodeContents(code);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    if (!document.execCommand("copy")) { button.textContent = "Select and copy"; return; }
  }
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = "Copy"; }, 1500);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const article = button.closest("article");
  const action = button.dataset.action;
  if (action === "save") saveExchange(article, button);
  else if (action === "undo") undoSave(article, button);
  else if (action === "retry") retryLast(article);
  else if (action === "copy") copyCode(button);
  else if (action === "resend" || action === "notice-retry") {
    const problem = button.closest(".problem, #notice"), again = retryOf.get(problem);
    setProblem(problem === notice ? notice : article, null);
    if (again) again();
  }
});

takeTokenFromAddress();
restore().then(pump);
input.focus();
</script></body></html>
"""

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TOKEN_IN_QUERY_RE = re.compile(r"([?&]token=)[^&\s]*")
REQUEST_TIMEOUT = 30.0  # seconds a client may stall mid-request or idle on a kept-alive connection
_ID = r"[A-Za-z0-9_.-]{1,64}"
SESSION_ID_RE = re.compile(_ID)
# The page's own inline script and style, requests to this server only; no plugins, frames, forms or base changes.
PAGE_SECURITY_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

# The API, one row a route: method, path (with {names} for ids), the handler method that answers it, and whether
# it is public.  Only the page is: it is static and holds no data, and it must load without the token to ask for it.
ROUTES: list[tuple[str, str, str, bool]] = [
    ("GET", "/", "page", True),
    ("GET", "/api/health", "health", False),
    ("POST", "/api/chat", "chat", False),
    ("GET", "/api/sessions/{session_id}", "get_session", False),
    ("POST", "/api/sessions/{session_id}/retry", "retry", False),
    ("POST", "/api/sessions/{session_id}/save", "save", False),
    ("DELETE", "/api/examples/{example_id}", "delete_example", False),
]
_ROUTE_PATTERNS = [(method, re.compile(re.sub(r"\{(\w+)\}", rf"(?P<\1>{_ID})", path)), name, public)
                   for method, path, name, public in ROUTES]


_Ask = Callable[[Callable[[str], None] | None], "TurnResult"]  # runs a turn or retry, given where tokens go


class ChatRequestHandler(http.server.BaseHTTPRequestHandler):
    """The JSON API and the page: dispatch from ROUTES, JSON errors, a token when one is set."""

    server: ChatServer
    server_version = "LittleTimmy/1.0"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: don't wait 40 ms between them

    def setup(self) -> None:
        self.timeout = self.server.request_timeout  # applied to the socket by StreamRequestHandler.setup
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # "format": http.server's name for it
        text = _TOKEN_IN_QUERY_RE.sub(r"\1[hidden]", format % args)
        text = _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
        logger.info("%s %s", self.address_string(), text)

    # --- answering ---

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

    def _error(self, status: int, message: str, extra: dict[str, str] | None = None, **fields: Any) -> None:
        self._json(status, {"error": message, **fields}, extra)

    # --- dispatch ---

    def _dispatch(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        allowed: list[str] = []
        for method, pattern, name, public in _ROUTE_PATTERNS:
            found = pattern.fullmatch(path)
            if found is None:
                continue
            if method != self.command:
                allowed.append(method)
                continue
            if not public and self.server.token is not None and not self._token_ok():
                self._discard_body()
                self._error(401, "missing or wrong token: send Authorization: Bearer <token>",
                            {"WWW-Authenticate": "Bearer"})
                return
            getattr(self, f"handle_{name}")(**found.groupdict())
            return
        self._discard_body()
        if allowed:
            self._error(405, f"{self.command} is not allowed on {path}", {"Allow": ", ".join(allowed)})
        else:
            self._error(404, f"no such path: {path}")

    # http.server calls do_<METHOD>: every method goes through the route table.
    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    def _token_ok(self) -> bool:
        given = ""
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            given = header[7:].strip()
        else:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            given = (query.get("token") or [""])[0]
        return hmac.compare_digest(given.encode(), self.server.token.encode())

    # --- request bodies ---

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
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            body = b""
        if len(body) < length:  # the client stalled or went away mid-body
            self.close_connection = True
            return None
        return body

    def _read_json(self, *, optional: bool = False) -> dict[str, Any] | None:
        """The body as a JSON object; None (after answering) when it is not one."""
        if optional and not self.headers.get("Content-Length"):
            return {}
        body = self._read_body()
        if body is None:
            return None
        if optional and not body.strip():
            return {}
        try:
            data = json.loads(body)
        except ValueError:
            self._error(400, "the body is not valid JSON")
            return None
        if not isinstance(data, dict):
            self._error(400, "send a JSON object")
            return None
        return data

    def _discard_body(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if 0 < length <= self.server.max_body:
            try:
                self.rfile.read(length)
            except TimeoutError:
                self.close_connection = True
        elif length:
            self.close_connection = True

    # --- the routes ---

    def handle_page(self) -> None:
        self._send(200, PAGE.encode("utf-8"), "text/html; charset=utf-8",
                   {"Content-Security-Policy": PAGE_SECURITY_POLICY})

    def handle_health(self) -> None:
        self._json(200, {"status": "ok", "model": self.server.app.client.model,
                         "sessions": self.server.app.session_count})

    def handle_chat(self) -> None:
        data = self._read_json()
        if data is None:
            return
        message, session_id, stream = data.get("message"), data.get("session_id"), data.get("stream", False)
        if not isinstance(message, str) or not message.strip():
            self._error(400, '"message" must be a non-empty string')
        elif len(message) > MAX_MESSAGE_CHARS:
            self._error(413, f'"message" is longer than {MAX_MESSAGE_CHARS} characters')
        elif session_id is not None and (not isinstance(session_id, str) or not SESSION_ID_RE.fullmatch(session_id)):
            self._error(400, '"session_id" must be 1 to 64 letters, digits, "_", "-" or "."')
        elif not isinstance(stream, bool):
            self._error(400, '"stream" must be true or false')
        else:
            session = self.server.app.session(session_id)
            self._answer(session, stream, lambda on_token: self.server.app.turn(
                session, message, stream=stream, on_token=on_token))

    def handle_get_session(self, session_id: str) -> None:
        if not self.server.app.sessions.exists(session_id):
            self._error(404, f"no conversation {session_id}")
            return
        exchanges = [{"index": e.index, "user": e.user_message, "reply": e.reply, "example_id": e.example_id,
                      "rejected": list(e.rejected)} for e in self.server.app.sessions.exchanges(session_id)]
        self._json(200, {"session_id": session_id, "exchanges": exchanges})

    def handle_retry(self, session_id: str) -> None:
        data = self._read_json(optional=True)
        if data is None:
            return
        stream = data.get("stream", False)
        session = self.server.app.existing_session(session_id)
        if session is None:
            self._error(404, f"no conversation {session_id}")
        elif not isinstance(stream, bool):
            self._error(400, '"stream" must be true or false')
        else:
            self._answer(session, stream, lambda on_token: self.server.app.retry(
                session, stream=stream, on_token=on_token))

    def handle_save(self, session_id: str) -> None:
        data = self._read_json(optional=True)
        if data is None:
            return
        index = data.get("index")
        session = self.server.app.existing_session(session_id)
        if session is None:
            self._error(404, f"no conversation {session_id}")
        elif index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            self._error(400, '"index" must be the number of an exchange')
        else:
            try:
                saved = self.server.app.save(session, index)
            except ChatError as error:
                self._error(error.status, str(error))
                return
            self._json(200, {"session_id": session.id, "index": saved.index, "example_id": saved.example_id})

    def handle_delete_example(self, example_id: str) -> None:
        try:
            self._json(200, {"removed": self.server.app.remove_example(example_id)})
        except ChatError as error:
            self._error(error.status, str(error))

    # --- replies, whole or streamed ---

    def _answer(self, session: Session, stream: bool, ask: _Ask) -> None:
        """Run a turn or a retry and answer it: one JSON object, or server-sent events as the reply comes."""
        if stream:
            self._answer_stream(session, ask)
            return
        try:
            result = ask(None)
        except ModelError as error:
            self._error(502, str(error), **_saved_fields(error.saved))
        except ChatError as error:
            self._error(error.status, str(error))
        else:
            self._json(200, _result_fields(session, result))

    def _answer_stream(self, session: Session, ask: _Ask) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

        def event(data: dict[str, Any]) -> None:
            self.wfile.write(b"data: " + json.dumps(data, ensure_ascii=False).encode("utf-8") + b"\n\n")
            self.wfile.flush()

        try:
            try:
                result = ask(lambda piece: event({"delta": piece}))
            except ModelError as error:
                event({"error": str(error), "session_id": session.id, **_saved_fields(error.saved)})
            except ChatError as error:
                event({"error": str(error), "session_id": session.id})
            else:
                event({"done": True, **_result_fields(session, result)})
        except OSError as error:  # the client went away (a Stop button): the turn was abandoned, nothing stored
            logger.info("%s left during a streamed reply: %s", self.address_string(), error)


def _saved_fields(saved: Saved | None) -> dict[str, Any]:
    return {"captured": saved is not None, "example_id": saved.example_id if saved else None,
            "captured_index": saved.index if saved else None}


def _result_fields(session: Session, result: TurnResult) -> dict[str, Any]:
    return {"session_id": session.id, "index": result.index, "reply": result.reply, **_saved_fields(result.saved)}


class ChatServer(http.server.ThreadingHTTPServer):
    """The HTTP server, holding the chat app, the token, the body cap and the request timeout."""

    daemon_threads = True
    # socketserver listens with a backlog of 5: a burst of connections (a page, several sessions) overflows it,
    # and on a busy machine the kernel then drops or resets some of them.  Take as many as the system allows.
    request_queue_size = socket.SOMAXCONN

    def __init__(self, address: tuple[str, int], app: ChatApp, *, token: str | None = None,
                 max_body: int = MAX_BODY_BYTES, request_timeout: float = REQUEST_TIMEOUT) -> None:
        self.app = app
        self.token = token or None
        self.max_body = max_body
        self.request_timeout = request_timeout
        super().__init__(address, ChatRequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away is one log line; anything else is logged with its traceback, never printed."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            logger.info("%s went away: %s", client_address[0], error)
        else:
            logger.exception("error while answering %s", client_address[0])


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
    parser.add_argument("--embed-model", default=os.environ.get("TIMMY_EMBED_MODEL") or None,
                        help="embedding model on the same server, to recall memories by meaning as well as by "
                        "words (env TIMMY_EMBED_MODEL; default: none, words only)")
    parser.add_argument("--embed-query-model", default=os.environ.get("TIMMY_EMBED_QUERY_MODEL") or None,
                        help="the name under which the server embeds queries, for a model that embeds them "
                        "apart from passages (env TIMMY_EMBED_QUERY_MODEL; default: --embed-model)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds to wait for the model server (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--db", default=None, help="memory database (env TIMMY_DB; default "
                        "$XDG_DATA_HOME/little-timmy/memory.sqlite3 or ~/.local/share/little-timmy/memory.sqlite3)")
    parser.add_argument("--persona", type=Path, default=None, help="a text file with the persona to use")
    parser.add_argument("--memories", type=int, default=DEFAULT_MEMORIES,
                        help=f"memories retrieved per turn (default {DEFAULT_MEMORIES})")
    parser.add_argument("--examples", default=None,
                        help=f"where praised examples go (env {ftc.OUTPUT_ENV_VAR}; default "
                        f"{ftc.DEFAULT_OUTPUT_PATH.name} beside fine_tuning_capture.py)")
    parser.add_argument("--session", metavar="ID", default=None,
                        help="chat: resume this conversation (default: the latest terminal one)")
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
    if args.embed_query_model and not args.embed_model:
        raise SystemExit("--embed-query-model names how the embedding model embeds questions: give --embed-model too")
    if args.embed_model:
        memory.embedder = ChatClient(args.base_url, args.embed_model, api_key=client.api_key, timeout=args.timeout,
                                     model_option="--embed-model")
        if args.embed_query_model:
            memory.query_embedder = ChatClient(args.base_url, args.embed_query_model, api_key=client.api_key,
                                               timeout=args.timeout, model_option="--embed-query-model")
        threading.Thread(target=memory.embed_all, name="embed-memories", daemon=True).start()
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
        return run_terminal(app, session_id=args.session)
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
