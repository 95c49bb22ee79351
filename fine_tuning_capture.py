"""Capture praised chat exchanges as fine-tuning examples in a markdown file.

When the user praises a reply ("Good one, Timmy!", "great response",
"perfect"), the exchange that earned it -- the user message, the exact system
prompt the model saw, and the reply -- is appended to a human-readable
markdown file, one block per example, in the format of
FINE_TUNING_CAPTURE_README.md.  The same module reads that file back, exactly
as written, so that it can later become a training set.

The module needs only the Python standard library.

Sections, top to bottom: configuration, praise detection, the example record,
rendering, writing, the chat hook, reading.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import logging
import math
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: threads are still serialised
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "PRAISE_PHRASES",
    "SHORT_AFFIRMATIVES",
    "SHORT_AFFIRMATIVE_MAX_WORDS",
    "OUTPUT_ENV_VAR",
    "DEFAULT_OUTPUT_PATH",
    "is_praise",
    "Example",
    "Exchange",
    "FormatError",
    "render_example",
    "resolve_path",
    "capture_fine_tuning_example",
    "on_user_message",
    "read_examples",
]

logger = logging.getLogger("fine_tuning_capture")


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------

#: What counts as praise.  Edit this list: a phrase added here is detected
#: anywhere in a message, case- and punctuation-insensitively.
PRAISE_PHRASES: list[str] = [
    "good one timmy",
    "good one, timmy",
    "great response",
    "excellent response",
    "that was great",
    "that was excellent",
    "that was amazing",
    "perfect response",
    "nice one",
    "well done",
    "good job",
    "that's good",
    "that's great",
    "i like that",
    "that's perfect",
]

#: Single words that are praise on their own, in a message this short or shorter.
SHORT_AFFIRMATIVES: list[str] = ["good", "nice", "perfect", "excellent", "great", "amazing"]
SHORT_AFFIRMATIVE_MAX_WORDS = 3

#: Environment variable that names the output file when no path is passed.
OUTPUT_ENV_VAR = "FINE_TUNING_CAPTURE_FILE"

#: The output file used when neither a path nor the environment variable is given.
DEFAULT_OUTPUT_PATH = Path(__file__).resolve().with_name("fine_tuning_best_case_interchanges.md")


# ---------------------------------------------------------------------------
# Praise detection
# ---------------------------------------------------------------------------

_WORD_RE = re.compile(r"[a-z0-9']+")


def _normalise_for_matching(text: str) -> str:
    """Lower-case words separated by single spaces, punctuation dropped."""
    text = text.lower().replace("\u2019", "'")
    return " ".join(_WORD_RE.findall(text))


def is_praise(text: str) -> bool:
    """Return True if *text* praises the previous reply.

    A message is praise when it contains one of PRAISE_PHRASES, or when it is
    SHORT_AFFIRMATIVE_MAX_WORDS words or fewer and contains one of
    SHORT_AFFIRMATIVES.
    """
    words = _normalise_for_matching(text)
    if not words:
        return False
    padded = f" {words} "
    for phrase in PRAISE_PHRASES:
        normalised = _normalise_for_matching(phrase)
        if normalised and f" {normalised} " in padded:
            return True
    tokens = words.split()
    if len(tokens) <= SHORT_AFFIRMATIVE_MAX_WORDS:
        return any(token in SHORT_AFFIRMATIVES for token in tokens)
    return False


# ---------------------------------------------------------------------------
# The example record
# ---------------------------------------------------------------------------


class FormatError(ValueError):
    """A block of the examples file that cannot be read, with its line number."""

    def __init__(self, message: str, lineno: int) -> None:
        super().__init__(f"line {lineno}: {message}")
        self.msg = message
        self.lineno = lineno


@dataclass(frozen=True)
class Example:
    """One captured training example: the praised exchange and its context."""

    user_message: str  # n-3: what the user asked
    system_prompt: str  # n-2: the complete prompt the model saw
    assistant_response: str  # n-1: the praised reply
    praise_message: str  # n-0: the praise itself, for reference only
    captured_at: _dt.datetime  # local time, as written in the block header
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Exchange:
    """One finished turn of a chat session, kept so that it can be captured later.

    ``system_prompt`` must be the prompt the model saw when it wrote
    ``assistant_response``, not one rebuilt afterwards.
    """

    user_message: str
    system_prompt: str
    assistant_response: str
    captured: bool = False


# ---------------------------------------------------------------------------
# Rendering
#
# A block is the spec's format.  Three rules keep any content from breaking it:
# * each fence is longer than the longest run of backticks in its content
#   (the CommonMark rule), so no content line can close it;
# * "Example Captured" inside content gets one extra zero-width space after
#   "Example" (and one more per zero-width space already there), so
#   `grep -c "Example Captured"` counts blocks only and a damaged file can be
#   resynchronised on headers; reading removes exactly what was added;
# * a praise that spans lines is shown on one line in the header, and kept
#   whole in the metadata under PRAISE_FULL_TEXT_KEY.
# ---------------------------------------------------------------------------

RULE = "=" * 80
HEADER_PREFIX = "## Example Captured: "
PRAISE_PREFIX = "**Praise:** "
SECTION_HEADINGS = {
    "user_message": "### User Message (n-3):",
    "system_prompt": "### System Prompt with Memories (n-2):",
    "assistant_response": "### Assistant Response (n-1):",
}
METADATA_HEADING = "### Metadata:"
PRAISE_FULL_TEXT_KEY = "praise_full_text"
FILE_BANNER = (
    "<!-- Fine-tuning examples captured by fine_tuning_capture.py: one block per praised"
    " exchange. -->\n"
)

_MARKER_RE = re.compile("Example(\u200b*) Captured")
_ESCAPED_MARKER_RE = re.compile("Example(\u200b+) Captured")
_BACKTICK_RUN_RE = re.compile("`+")
_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# Characters str.splitlines() breaks on; a praise holding any of them is not one line.
_LINE_BREAK_RE = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _escape_marker(text: str) -> str:
    if "Captured" not in text:
        return text
    return _MARKER_RE.sub(lambda m: f"Example\u200b{m.group(1)} Captured", text)


def _unescape_marker(text: str) -> str:
    if "\u200b" not in text:
        return text
    return _ESCAPED_MARKER_RE.sub(lambda m: f"Example{m.group(1)[1:]} Captured", text)


def _clean_text(text: Any) -> str:
    """Return *text* as a str that encodes to UTF-8: lone surrogates become U+FFFD."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if _LONE_SURROGATE_RE.search(text) is None:
        return text
    # A surrogate pair split into two code points is joined back into its character.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _jsonable(value: Any, _seen: frozenset[int] = frozenset()) -> Any:
    """Convert *value* into plain JSON data; what JSON cannot hold becomes text."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return _clean_text(bytes(value).decode("utf-8", "replace"))
    if id(value) in _seen:
        return "<circular reference>"
    seen = _seen | {id(value)}
    if isinstance(value, Mapping):
        return {_json_key(key): _jsonable(item, seen) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name), seen) for f in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset)):
        items = [_jsonable(item, seen) for item in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if isinstance(value, (list, tuple)):
        return [_jsonable(item, seen) for item in value]
    return _clean_text(str(value))


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return _clean_text(key)
    converted = _jsonable(key)
    return converted if isinstance(converted, str) else json.dumps(converted)


def _dump_metadata(metadata: Mapping[str, Any]) -> str:
    text = json.dumps(metadata, indent=2, ensure_ascii=False)
    # "\u0020" is JSON's own spelling of a space: json.loads reads the same text back.
    return text.replace("Example Captured", "Example\\u0020Captured")


def _fence(text: str, info: str = "") -> str:
    longest = max(map(len, _BACKTICK_RUN_RE.findall(text)), default=0) if "```" in text else 0
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}\n"


def _one_line(text: str) -> str:
    return _LINE_BREAK_RE.sub(" ", text)


def _make_example(
    user_message: Any,
    system_prompt: Any,
    assistant_response: Any,
    praise_message: Any,
    metadata: Mapping[str, Any] | None,
    captured_at: _dt.datetime,
) -> Example:
    """Build the Example exactly as it will read back from the file."""
    praise = _clean_text(praise_message)
    data = _jsonable(dict(metadata)) if metadata else {}
    if _LINE_BREAK_RE.search(praise):
        data[PRAISE_FULL_TEXT_KEY] = praise
    return Example(
        user_message=_clean_text(user_message),
        system_prompt=_clean_text(system_prompt),
        assistant_response=_clean_text(assistant_response),
        praise_message=praise,
        captured_at=captured_at,
        metadata=data,
    )


def render_example(example: Example, *, with_metadata: bool = True) -> str:
    """Return the markdown block for *example*, ending with a blank line."""
    parts = [
        RULE,
        "\n",
        HEADER_PREFIX,
        example.captured_at.isoformat(),  # whole seconds unless read from an older file
        "\n",
        PRAISE_PREFIX,
        _escape_marker(_one_line(example.praise_message)),
        "\n",
        RULE,
        "\n",
    ]
    for name, heading in SECTION_HEADINGS.items():
        parts += ["\n", heading, "\n", _fence(_escape_marker(getattr(example, name)))]
    if with_metadata:
        parts += ["\n", METADATA_HEADING, "\n", _fence(_dump_metadata(example.metadata), "json")]
    parts.append("\n")
    return "".join(parts)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

# fcntl.flock excludes other processes and other open files; this lock also
# covers platforms without fcntl and keeps threads of one process in order.
_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


def resolve_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the absolute output path: *path*, else $FINE_TUNING_CAPTURE_FILE, else the default.

    The default is ``fine_tuning_best_case_interchanges.md`` beside this module,
    so the result never depends on the current directory unless a relative
    path is passed explicitly.
    """
    if path is None:
        path = os.environ.get(OUTPUT_ENV_VAR) or DEFAULT_OUTPUT_PATH
    return Path(os.path.abspath(os.fspath(path)))


def _thread_lock_for(path: Path) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(str(path), threading.Lock())


class _LockedFile:
    """The output file opened for appending, held under an exclusive lock.

    A rewrite by another process (temp file renamed over the path) may land
    between open() and the lock; the inode check then opens the new file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = -1
        self._thread_lock = _thread_lock_for(path)

    def __enter__(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread_lock.acquire()
        try:
            while True:
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
                try:
                    if fcntl is not None:
                        fcntl.flock(fd, fcntl.LOCK_EX)
                    if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                        self.fd = fd
                        return fd
                except FileNotFoundError:
                    pass  # renamed away while we waited: open the new one
                except BaseException:
                    os.close(fd)
                    raise
                os.close(fd)
        except BaseException:
            self._thread_lock.release()
            raise

    def __exit__(self, *exc_info: object) -> None:
        try:
            os.close(self.fd)  # closing releases the flock
        finally:
            self.fd = -1
            self._thread_lock.release()


def _append_locked(fd: int, data: bytes) -> None:
    """Append *data* to the locked file: all of it, durably, or none of it."""
    start = os.fstat(fd).st_size
    if start == 0:
        data = FILE_BANNER.encode() + b"\n" + data
    elif os.pread(fd, 1, start - 1) != b"\n":
        data = b"\n" + data  # the last block was cut off: start ours on a line of its own
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        try:
            os.ftruncate(fd, start)
        except OSError as error:
            logger.error("could not truncate %s back to %d bytes: %s", _fd_name(fd), start, error)
        raise


def _fd_name(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return f"file descriptor {fd}"


def capture_fine_tuning_example(
    user_message: str,
    system_prompt: str,
    assistant_response: str,
    praise_message: str,
    metadata: Mapping[str, Any] | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
) -> Example:
    """Append one example block to the output file and return the Example written.

    The block is rendered whole, then appended with one write under an
    exclusive lock and fsynced; if the write fails part-way, the file is cut
    back to where it was and the error is raised.  Text is kept exactly, bar
    lone surrogates (replaced by U+FFFD); metadata values JSON cannot hold are
    converted to text.  The returned Example equals what read_examples() gives
    back for this block.
    """
    captured_at = _dt.datetime.now().replace(microsecond=0)
    example = _make_example(user_message, system_prompt, assistant_response, praise_message, metadata, captured_at)
    block = render_example(example, with_metadata=metadata is not None or PRAISE_FULL_TEXT_KEY in example.metadata)
    target = resolve_path(path)
    with _LockedFile(target) as fd:
        _append_locked(fd, block.encode("utf-8"))
    logger.debug("captured an example into %s (%d characters)", target, len(block))
    return example


# ---------------------------------------------------------------------------
# The chat hook
# ---------------------------------------------------------------------------


def on_user_message(
    history: Sequence[Exchange],
    user_message: str,
    metadata: Mapping[str, Any] | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
) -> Example | None:
    """Capture the praised exchange if *user_message* is praise; call it on every user message.

    *history* is the session's finished exchanges, oldest first, each with the
    system prompt that produced its reply.  The exchange praised is the latest
    one whose own user message was not praise, so "Great!" then "Perfect!"
    capture it once.  Returns the Example written, or None: when the message
    is not praise, when there is nothing to capture, or when capture failed --
    a failure is logged with its reason and never raised, so the chat goes on.
    """
    try:
        if not is_praise(user_message):
            return None
        target = _praised_exchange(history)
        if target is None or target.captured:
            return None
        data = dict(metadata or {})
        data.setdefault("timestamp", _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
        example = capture_fine_tuning_example(
            target.user_message,
            target.system_prompt,
            target.assistant_response,
            user_message,
            data,
            path=path,
        )
        target.captured = True
        return example
    except Exception as error:  # noqa: BLE001 - capture must never break the chat
        logger.error("fine-tuning capture failed, the chat goes on: %s: %s", type(error).__name__, error)
        return None


def _praised_exchange(history: Sequence[Exchange]) -> Exchange | None:
    for exchange in reversed(history):
        if not is_praise(exchange.user_message):
            return exchange
    return None


# ---------------------------------------------------------------------------
# Reading
#
# The reader walks the file line by line (bytes split on "\n" only, so "\r"
# inside content survives), keeps one line of look-ahead, and never holds
# more than the block it is reading.  After a damaged block it skips to the
# next header, so one bad block never hides the intact ones after it.
# ---------------------------------------------------------------------------

_RULE_LINE = (RULE + "\n").encode()
_HEADER_BYTES = HEADER_PREFIX.encode()
_OPENING_FENCE_RE = re.compile(rb"(`{3,})([^`\n]*)\n?")
_CLOSING_FENCE_RE = re.compile(rb"(`{3,})[ \t]*\n?")


class _Lines:
    """Lines of a binary stream with their numbers, and room to put one back."""

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = iter(stream)
        self._pushed: list[bytes] = []
        self.lineno = 0  # number of the line last returned by next()

    def next(self) -> bytes | None:
        if self._pushed:
            line = self._pushed.pop()
        else:
            line = next(self._stream, None)
            if line is None:
                return None
        self.lineno += 1
        return line

    def push_back(self, line: bytes) -> None:
        self._pushed.append(line)
        self.lineno -= 1

    def peek(self) -> bytes | None:
        line = self.next()
        if line is not None:
            self.push_back(line)
        return line

    def at_block_start(self) -> bool:
        """True if the next two lines are a rule line and an example header."""
        first = self.next()
        if first is None:
            return False
        second = self.peek()
        self.push_back(first)
        return first == _RULE_LINE and second is not None and second.startswith(_HEADER_BYTES)


def read_examples(
    path: str | os.PathLike[str] | None = None,
    *,
    strict: bool = True,
    on_error: Callable[[FormatError], None] | None = None,
) -> Iterator[Example]:
    """Yield the examples in the file, oldest first, exactly as they were captured.

    *path* resolves as for capture.  A malformed or cut-off block raises
    FormatError with its line number; with ``strict=False`` it is passed to
    *on_error* (by default logged as a warning) and skipped, and reading goes
    on with the next block.  Also reads files written by the original capture
    system: fractional seconds, no metadata section, extra blank lines.
    """
    source = resolve_path(path)
    with open(source, "rb") as stream:
        yield from _parse_stream(stream, strict=strict, on_error=on_error, source=str(source))


def _parse_stream(
    stream: BinaryIO | Iterable[bytes],
    *,
    strict: bool,
    on_error: Callable[[FormatError], None] | None,
    source: str,
) -> Iterator[Example]:
    lines = _Lines(stream)
    while (line := lines.peek()) is not None:
        if _is_blank(line) or _is_comment(line):
            lines.next()
            continue
        try:
            if line != _RULE_LINE:
                lines.next()
                raise FormatError("text outside an example block", lines.lineno)
            yield _parse_block(lines)
        except FormatError as error:
            if strict:
                raise
            if on_error is not None:
                on_error(error)
            else:
                logger.warning("%s: skipped a damaged example: %s", source, error)
            _skip_to_next_block(lines)


def _is_blank(line: bytes) -> bool:
    return not line.strip()


def _is_comment(line: bytes) -> bool:
    stripped = line.strip()
    return stripped.startswith(b"<!--") and stripped.endswith(b"-->")


def _skip_to_next_block(lines: _Lines) -> None:
    while not lines.at_block_start():
        if lines.next() is None:
            return


def _decode(raw: bytes, lineno: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FormatError(f"text is not valid UTF-8 ({error.reason})", lineno) from None


def _take(lines: _Lines, what: str) -> bytes:
    """The next line of this block; the end of the file or a new block here means it was cut off."""
    if lines.at_block_start():
        raise FormatError(f"the example ends where {what} was expected (a cut-off example)", lines.lineno + 1)
    line = lines.next()
    if line is None:
        raise FormatError(f"the file ends where {what} was expected (a cut-off example)", lines.lineno + 1)
    if not line.endswith(b"\n"):
        raise FormatError(f"the file ends in the middle of {what} (a cut-off example)", lines.lineno)
    return line


def _next_structural_line(lines: _Lines, what: str) -> bytes:
    """Skip blank lines, then return the next line of this block."""
    while _is_blank(line := _take(lines, what)):
        pass
    return line


def _parse_block(lines: _Lines) -> Example:
    lines.next()  # the opening rule line
    header = _take(lines, "the example header")
    if not header.startswith(_HEADER_BYTES):
        raise FormatError(f"expected '{HEADER_PREFIX.strip()} <time>' after the rule line", lines.lineno)
    stamp = _decode(header[len(_HEADER_BYTES) :], lines.lineno).strip()
    captured_at = _parse_time(stamp, lines.lineno)

    praise_raw = _take(lines, "the praise line")
    praise_line = _decode(praise_raw[:-1] if praise_raw.endswith(b"\n") else praise_raw, lines.lineno)
    if not (praise_line.startswith(PRAISE_PREFIX) or praise_line == PRAISE_PREFIX.rstrip()):
        raise FormatError(f"expected '{PRAISE_PREFIX.strip()} ...' after the example header", lines.lineno)
    praise = _unescape_marker(praise_line[len(PRAISE_PREFIX) :])
    if _take(lines, "the closing rule line") != _RULE_LINE:
        raise FormatError("expected a rule line of 80 '=' after the praise line", lines.lineno)

    fields: dict[str, str] = {}
    for name, heading in SECTION_HEADINGS.items():
        line = _next_structural_line(lines, f"'{heading}'")
        if line.rstrip() != heading.encode():
            raise FormatError(f"expected '{heading}'", lines.lineno)
        fields[name] = _unescape_marker(_read_fenced(lines)[0])

    metadata: dict[str, Any] = {}
    after = _peek_structural_line(lines)
    if after is not None and after.rstrip() == METADATA_HEADING.encode():
        _next_structural_line(lines, f"'{METADATA_HEADING}'")
        text, opened_at = _read_fenced(lines)
        try:
            metadata = json.loads(text)
        except json.JSONDecodeError as error:
            raise FormatError(f"metadata is not valid JSON: {error.msg}", opened_at + error.lineno) from None
        if not isinstance(metadata, dict):
            raise FormatError("metadata is not a JSON object", opened_at + 1)

    full_praise = metadata.get(PRAISE_FULL_TEXT_KEY)
    if isinstance(full_praise, str) and _one_line(full_praise) == praise:
        praise = full_praise
    return Example(praise_message=praise, captured_at=captured_at, metadata=metadata, **fields)


_TIME_RE = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:[.,](\d{1,6})\d*)?")


def _parse_time(stamp: str, lineno: int) -> _dt.datetime:
    """Parse the header time; older files carry fractional seconds of any length."""
    match = _TIME_RE.fullmatch(stamp)
    try:
        if match is None:
            raise ValueError(stamp)
        day, clock, fraction = match.groups()
        return _dt.datetime.fromisoformat(f"{day}T{clock}.{(fraction or '').ljust(6, '0')}")
    except ValueError:
        raise FormatError(f"unreadable capture time {stamp!r}", lineno) from None


def _peek_structural_line(lines: _Lines) -> bytes | None:
    """The next non-blank line of this block, without consuming anything."""
    skipped: list[bytes] = []
    found = None
    while not lines.at_block_start():
        line = lines.next()
        if line is None:
            break
        skipped.append(line)
        if not _is_blank(line):
            found = line
            break
    for line in reversed(skipped):
        lines.push_back(line)
    return found


def _read_fenced(lines: _Lines) -> tuple[str, int]:
    """Read one fenced block; return its content, exactly as written, and the opening fence's line."""
    opening = _next_structural_line(lines, "an opening ``` fence")
    match = _OPENING_FENCE_RE.fullmatch(opening)
    if match is None:
        raise FormatError("expected an opening ``` fence", lines.lineno)
    fence_length = len(match.group(1))
    opened_at = lines.lineno
    body: list[bytes] = []
    while True:
        line = lines.next()
        # Content never holds a header line (see _escape_marker), so one here is the next block.
        if line is None or (line == _RULE_LINE and (lines.peek() or b"").startswith(_HEADER_BYTES)):
            if line is not None:
                lines.push_back(line)
            raise FormatError(f"the fence opened at line {opened_at} is never closed (a cut-off example)", opened_at)
        closing = _CLOSING_FENCE_RE.fullmatch(line)
        if closing is not None and len(closing.group(1)) >= fence_length:
            break
        body.append(line)
    content = b"".join(body)
    if content.endswith(b"\n"):
        content = content[:-1]
    return _decode(content, opened_at + 1), opened_at
