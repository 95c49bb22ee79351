"""The chat page in a real browser: Chromium driven by Playwright against the app's server and the scripted model.

Debian's Chromium (/usr/bin/chromium, or $TIMMY_CHROMIUM) with Playwright for Python from the `test` extra; no
browser is ever downloaded.  Without either the tests skip and say why, except under CI=true, where they fail:
CI installs both.  The page's Content-Security-Policy forbids eval, so the tests wait on selectors and
Playwright's `expect`, never on `wait_for_function`.

TIMMY_SCREENSHOTS=docs python -m pytest tests/test_page.py -k screenshots  rewrites the screenshots in docs/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import ROOT, request
from fake_model_server import FakeModelServer

import app as timmy
import fine_tuning_capture as ftc

CHROMIUM = os.environ.get("TIMMY_CHROMIUM", "/usr/bin/chromium")
# Headless as root on a machine with no network beyond loopback: no sandbox, no calls home, no GPU.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
WAIT_MS = 10_000  # the longest any expected change on the page may take
PAUSE = 0.15  # seconds between streamed pieces when a test needs to see a reply arrive piece by piece
WIDE, NARROW = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set TIMMY_CHROMIUM)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests, but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


class Chat:
    """One browser tab on the page, with the steps a person takes."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    def send(self, text: str) -> None:
        self.page.fill("#message", text)
        self.page.press("#message", "Enter")

    def exchange(self, index: int):
        return self.page.locator(f'article[data-index="{index}"]')

    def reply(self, index: int):
        return self.exchange(index).locator(".reply")

    def button(self, index: int, action: str):
        return self.exchange(index).locator(f'[data-action="{action}"]')

    def expect_reply(self, index: int, text: str) -> None:
        expect(self.reply(index)).to_have_text(text)

    def storage(self, which: str, key: str) -> str | None:
        return self.page.evaluate(f"{which}.getItem({key!r})")


@pytest.fixture
def open_chat(browser) -> Iterator[Callable[..., Chat]]:
    """Open the page of a server in a new browser context; fails the test on any script error or CSP violation."""
    contexts, problems = [], []

    def open_chat(server_or_port, path: str = "/", viewport=WIDE, color_scheme: str = "light") -> Chat:
        port = server_or_port if isinstance(server_or_port, int) else server_or_port.server_address[1]
        context = browser.new_context(viewport=viewport, color_scheme=color_scheme)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"uncaught error: {error}"))
        page.on("console", lambda message: problems.append(message.text)
                if "Content Security Policy" in message.text else None)
        base_url = f"http://127.0.0.1:{port}"
        page.goto(base_url + path)
        return Chat(page, base_url)

    yield open_chat
    for context in contexts:
        context.close()
    assert problems == []


def numbered_replies() -> Callable[[list[dict[str, str]]], str]:
    """Replies that differ on every call, as a sampling model's would."""
    count = iter(range(1, 1_000_000))
    return lambda messages: f"reply {next(count)} to: {messages[-1]['content']}"


def session_exchanges(server, session_id: str) -> list[dict]:
    status, data, _ = request(server, "GET", f"/api/sessions/{session_id}")
    assert status == 200
    return data["exchanges"]


# --- streaming, the busy state, the queue, Stop --------------------------------------------------

def test_a_reply_streams_in_piece_by_piece_while_the_page_is_busy(serve, model, open_chat):
    model.failure, model.stream_pause = "slow stream", PAUSE
    chat = open_chat(serve())
    chat.send("please count slowly to five")
    streaming = chat.page.locator("article.streaming .reply")
    expect(streaming).to_contain_text("Reply to:")
    assert streaming.text_content() != "Reply to: please count slowly to five"  # only part of it so far
    expect(chat.page.locator("#stop")).to_be_enabled()
    expect(chat.page.locator("#status")).to_contain_text("typing")
    expect(chat.page.locator("#log")).to_have_attribute("aria-busy", "true")
    chat.expect_reply(0, "Reply to: please count slowly to five")
    expect(chat.page.locator("#stop")).to_be_disabled()
    expect(chat.page.locator("#log")).to_have_attribute("aria-busy", "false")
    assert model.requests[-1]["body"]["stream"] is True


def test_a_message_sent_during_a_reply_waits_for_it_in_the_same_session(serve, model, open_chat):
    model.failure, model.stream_pause = "slow stream", PAUSE
    server = serve()
    chat = open_chat(server)
    chat.send("one two three")
    chat.send("four five six")  # the box stays usable while Timmy types
    expect(chat.page.locator("article.queued .user")).to_have_text("four five six")
    expect(chat.page.locator("#status")).to_contain_text("1 waiting")
    chat.expect_reply(1, "Reply to: four five six")
    chat.expect_reply(0, "Reply to: one two three")
    assert request(server, "GET", "/api/health")[1]["sessions"] == 1
    session_id = chat.storage("localStorage", "timmy.session")
    assert [e["user"] for e in session_exchanges(server, session_id)] == ["one two three", "four five six"]


def test_stop_abandons_the_reply_stores_nothing_and_gives_the_message_back(serve, model, open_chat):
    server = serve()
    chat = open_chat(server)
    chat.send("a first message")
    chat.expect_reply(0, "Reply to: a first message")
    model.failure, model.stream_pause = "slow stream", PAUSE
    chat.send("tell me a very long story about Winston")
    expect(chat.page.locator("article.streaming .reply")).to_contain_text("Reply to:")
    chat.page.click("#stop")
    expect(chat.page.locator("article")).to_have_count(1)
    expect(chat.page.locator("#message")).to_have_value("tell me a very long story about Winston")
    expect(chat.page.locator("#status")).to_contain_text("Stopped")
    expect(chat.page.locator("#stop")).to_be_disabled()
    model.failure = None
    chat.send("a second message")  # waits on the server for the abandoned turn to end; it takes index 1
    chat.expect_reply(1, "Reply to: a second message")
    session_id = chat.storage("localStorage", "timmy.session")
    assert [e["user"] for e in session_exchanges(server, session_id)] == ["a first message", "a second message"]


# --- history --------------------------------------------------------------------------------------

def test_the_conversation_survives_a_reload_and_new_chat_starts_fresh(serve, open_chat):
    server = serve()
    chat = open_chat(server)
    expect(chat.page.locator("#empty")).to_contain_text("good one, Timmy")
    chat.send("My cat is Winston")
    chat.send("What's my cat's name?")
    chat.expect_reply(1, "Reply to: What's my cat's name?")
    chat.page.reload()
    expect(chat.exchange(0).locator(".user")).to_have_text("My cat is Winston")
    chat.expect_reply(0, "Reply to: My cat is Winston")
    chat.expect_reply(1, "Reply to: What's my cat's name?")
    expect(chat.page.locator("#empty")).to_be_hidden()
    chat.page.click("#new-chat")
    expect(chat.page.locator("article")).to_have_count(0)
    expect(chat.page.locator("#empty")).to_be_visible()
    assert chat.storage("localStorage", "timmy.session") is None
    chat.send("Hello again")
    chat.expect_reply(0, "Reply to: Hello again")
    chat.page.reload()
    chat.expect_reply(0, "Reply to: Hello again")
    expect(chat.page.locator("article")).to_have_count(1)


def test_a_forgotten_session_starts_fresh(serve, open_chat):
    server = serve()
    chat = open_chat(server)
    chat.page.evaluate("localStorage.setItem('timmy.session', 'gone-from-the-database')")
    chat.page.reload()  # GET /api/sessions/gone-from-the-database is a 404
    expect(chat.page.locator("#empty")).to_be_visible()
    assert chat.storage("localStorage", "timmy.session") is None
    chat.send("Hello")
    chat.expect_reply(0, "Reply to: Hello")
    assert chat.storage("localStorage", "timmy.session") != "gone-from-the-database"


# --- feedback: save, undo, retry, praise -------------------------------------------------------------

def test_save_then_undo_adds_then_removes_the_example(serve, open_chat, output_file: Path):
    chat = open_chat(serve())
    chat.send("What is the capital of France?")
    chat.send("And of Italy?")
    chat.expect_reply(1, "Reply to: And of Italy?")
    chat.button(0, "save").focus()
    chat.page.keyboard.press("Enter")  # an earlier reply, saved with its own prompt
    expect(chat.exchange(0)).to_have_attribute("data-example-id", re.compile(r"\S+"))
    (example,) = ftc.read_examples(output_file)
    example_id = ftc.example_id(example)
    assert (example.user_message, example.assistant_response, example.praise_message) == (
        "What is the capital of France?", "Reply to: What is the capital of France?", timmy.SAVE_COMMAND)
    expect(chat.exchange(0)).to_have_attribute("data-example-id", example_id)
    expect(chat.exchange(0).locator(".saved")).to_have_text(f"saved · {example_id} · Undo")
    expect(chat.button(0, "save")).to_be_hidden()
    expect(chat.button(0, "undo")).to_be_focused()  # the keyboard stays on the exchange
    chat.page.keyboard.press("Enter")
    expect(chat.exchange(0)).not_to_have_attribute("data-example-id", re.compile(".*"))
    expect(chat.button(0, "save")).to_be_focused()
    assert list(ftc.read_examples(output_file)) == []


def test_a_reply_saved_elsewhere_is_read_back_when_save_conflicts(serve, open_chat, output_file: Path):
    server = serve()
    chat = open_chat(server)
    chat.send("Name a colour")
    chat.expect_reply(0, "Reply to: Name a colour")
    session_id = chat.storage("localStorage", "timmy.session")
    status, saved, _ = request(server, "POST", f"/api/sessions/{session_id}/save", {"index": 0})  # another tab
    assert status == 200
    chat.button(0, "save").click()  # 409: the page says so and reads the conversation back
    expect(chat.page.locator("#status")).to_contain_text("already saved")
    expect(chat.exchange(0)).to_have_attribute("data-example-id", saved["example_id"])
    assert len(list(ftc.read_examples(output_file))) == 1


def test_retry_sends_the_identical_request_and_praise_keeps_the_rejected_reply(serve, model, open_chat,
                                                                                output_file: Path):
    model.reply = numbered_replies()
    chat = open_chat(serve())
    chat.send("Tell me a joke")
    chat.expect_reply(0, "reply 1 to: Tell me a joke")
    chat.button(0, "retry").click()
    chat.expect_reply(0, "reply 2 to: Tell me a joke")
    expect(chat.exchange(0).locator(".alternatives")).to_contain_text("1 earlier reply")
    assert model.requests[1]["body"] == model.requests[0]["body"]
    chat.send("Ha! Good one, Timmy")
    expect(chat.exchange(1)).to_be_visible()
    (example,) = ftc.read_examples(output_file)
    expect(chat.exchange(0)).to_have_attribute("data-example-id", ftc.example_id(example))
    assert example.assistant_response == "reply 2 to: Tell me a joke"
    assert example.rejected_responses == ("reply 1 to: Tell me a joke",)
    expect(chat.button(0, "retry")).to_be_hidden()  # a saved reply, and no longer the last one
    expect(chat.button(1, "retry")).to_be_visible()


def test_stop_during_a_retry_keeps_the_old_reply(serve, model, open_chat):
    server = serve()
    chat = open_chat(server)
    chat.send("Name a colour")
    chat.expect_reply(0, "Reply to: Name a colour")
    model.failure, model.stream_pause = "slow stream", PAUSE
    model.reply = lambda messages: "a much longer second answer that streams in slowly"
    chat.button(0, "retry").click()
    expect(chat.reply(0)).to_contain_text("a much")
    chat.page.press("#message", "Escape")  # Escape stops, as the Stop button does
    chat.expect_reply(0, "Reply to: Name a colour")
    expect(chat.page.locator("#stop")).to_be_disabled()
    model.failure = None
    chat.send("Thanks")  # queued behind the abandoned retry on the server, so it sees its outcome
    chat.expect_reply(1, "a much longer second answer that streams in slowly")
    session_id = chat.storage("localStorage", "timmy.session")
    assert session_exchanges(server, session_id)[0]["reply"] == "Reply to: Name a colour"
    assert session_exchanges(server, session_id)[0]["rejected"] == []


def test_natural_praise_marks_the_reply_it_praised(serve, open_chat, output_file: Path):
    chat = open_chat(serve())
    for message in ("My cat is Winston", "What's my cat's name?", "Good one, Timmy!"):
        chat.send(message)
    chat.expect_reply(2, "Reply to: Good one, Timmy!")
    (example,) = ftc.read_examples(output_file)
    assert example.user_message == "What's my cat's name?"
    expect(chat.exchange(1)).to_have_attribute("data-example-id", ftc.example_id(example))
    expect(chat.page.locator("article[data-example-id]")).to_have_count(1)
    expect(chat.page.locator("#status")).to_contain_text("Saved")
    chat.page.reload()
    expect(chat.exchange(1)).to_have_attribute("data-example-id", ftc.example_id(example))
    expect(chat.page.locator("article[data-example-id]")).to_have_count(1)


# --- errors people understand ------------------------------------------------------------------------

def test_model_down_is_one_line_with_a_retry_that_recovers(serve, model, open_chat):
    chat = open_chat(serve())
    model.failure = "500"
    chat.send("Are you there?")
    problem = chat.page.locator("article.failed .problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("model did not answer")
    expect(problem).to_contain_text("HTTP 500")
    assert "TypeError" not in chat.page.locator("body").inner_text()
    expect(chat.page.locator("article[data-index]")).to_have_count(0)  # nothing was stored
    model.failure = None
    problem.get_by_role("button", name="Retry").click()
    chat.expect_reply(0, "Reply to: Are you there?")
    expect(problem).to_be_hidden()
    expect(chat.page.locator("article")).to_have_count(1)


def start_app_process(model: FakeModelServer, tmp_path: Path, output_file: Path, port: int = 0):
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "serve", "--port", str(port), "--base-url", model.base_url, "--model",
         "fake-model", "--db", str(tmp_path / "memory.sqlite3"), "--examples", str(output_file)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    banner = process.stdout.readline()
    assert "is serving on http://127.0.0.1:" in banner, banner
    return process, int(banner.split("http://127.0.0.1:")[1].split("/")[0])


def test_app_server_down_says_it_cannot_reach_little_timmy_and_retry_recovers(model, open_chat, tmp_path: Path,
                                                                              output_file: Path):
    process, port = start_app_process(model, tmp_path, output_file)
    try:
        chat = open_chat(port)
        chat.send("Hello")
        chat.expect_reply(0, "Reply to: Hello")
    finally:
        process.kill()
        process.wait(30)
    chat.send("Still there?")
    problem = chat.page.locator("article.failed .problem")
    expect(problem).to_contain_text("Cannot reach Little Timmy")
    process, _ = start_app_process(model, tmp_path, output_file, port)  # the same port and database
    try:
        problem.get_by_role("button", name="Retry").click()
        chat.expect_reply(1, "Reply to: Still there?")
    finally:
        process.kill()
        process.wait(30)


def test_without_the_token_the_page_asks_for_it_and_keeps_it_for_the_tab(serve, open_chat):
    server = serve(token="s3cret")
    chat = open_chat(server)
    form = chat.page.locator("#token-form")
    expect(form).to_be_visible()
    expect(chat.page.locator("#message")).to_be_hidden()
    assert '"error"' not in chat.page.locator("body").inner_text()  # no raw JSON
    chat.page.get_by_label("Access token").fill("wrong")
    chat.page.get_by_role("button", name="Unlock").click()
    expect(chat.page.locator("#token-error")).to_contain_text("not accepted")
    chat.page.get_by_label("Access token").fill("s3cret")
    chat.page.get_by_role("button", name="Unlock").click()
    expect(form).to_be_hidden()
    chat.send("Hello")
    chat.expect_reply(0, "Reply to: Hello")
    assert chat.storage("sessionStorage", "timmy.token") == "s3cret"
    assert chat.storage("localStorage", "timmy.token") is None
    chat.page.reload()
    chat.expect_reply(0, "Reply to: Hello")
    expect(form).to_be_hidden()


def test_a_token_in_the_fragment_is_taken_cleared_and_never_logged(serve, open_chat,
                                                                   caplog: pytest.LogCaptureFixture):
    server = serve(token="fragment-s3cret")
    with caplog.at_level("INFO", logger="timmy"):
        chat = open_chat(server, path="/#token=fragment-s3cret")
        chat.send("Hello")
        chat.expect_reply(0, "Reply to: Hello")
    expect(chat.page.locator("#token-form")).to_be_hidden()
    assert chat.page.url == chat.base_url + "/"
    assert chat.storage("sessionStorage", "timmy.token") == "fragment-s3cret"
    assert "POST /api/chat" in caplog.text and "fragment-s3cret" not in caplog.text


# --- readable replies, keyboard, small screens -----------------------------------------------------------

CODE_REPLY = ('Use <b>bold</b> & <img src=x onerror=alert(1)> with care.\nLine two.\n\n'
              '```python\nprint("hi")\n    print("indented")\n```\nRun it with `python hi.py`.')


def test_replies_are_text_with_code_blocks_and_a_copy_button(serve, model, open_chat):
    model.reply = lambda messages: CODE_REPLY
    chat = open_chat(serve())
    chat.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=chat.base_url)
    chat.send("show me some code")
    reply = chat.reply(0)
    expect(reply.locator("pre code")).to_have_text('print("hi")\n    print("indented")')
    assert reply.locator("b, img, script").count() == 0  # the model's markup stays text
    first_paragraph = reply.locator(".text").first.text_content()
    assert first_paragraph == "Use <b>bold</b> & <img src=x onerror=alert(1)> with care.\nLine two."
    expect(reply.locator(".code .lang")).to_have_text("python")
    expect(reply.locator(".text code")).to_have_text("python hi.py")
    reply.get_by_role("button", name="Copy python block").click()
    expect(reply.locator('[data-action="copy"]')).to_have_text("Copied")
    assert chat.page.evaluate("navigator.clipboard.readText()") == 'print("hi")\n    print("indented")'


def test_keyboard_labels_and_a_narrow_screen(serve, model, open_chat):
    model.reply = lambda messages: CODE_REPLY.replace('print("hi")', 'print("' + "a long line " * 20 + '")')
    chat = open_chat(serve(), viewport=NARROW)
    page = chat.page
    page.get_by_label("Message to Timmy").fill("line one")
    page.press("#message", "Shift+Enter")
    page.keyboard.type("line two")
    page.press("#message", "Enter")
    expect(chat.reply(0).locator("pre code")).to_contain_text("a long line")
    assert chat.exchange(0).locator(".user").text_content() == "line one\nline two"
    for name in ("Send", "Stop", "New chat", "Save", "Retry"):
        expect(page.get_by_role("button", name=name)).to_have_count(1)
    expect(page.locator("#log")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#status")).to_have_attribute("role", "status")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]  # long code scrolls inside
    assert page.locator("#send").bounding_box()["x"] + page.locator("#send").bounding_box()["width"] <= 390


# --- how it looks ----------------------------------------------------------------------------------------

SCRIPTED = {
    "My cat Winston keeps knocking my coffee off the desk. Any ideas?":
        "Ah, Winston has declared war on caffeine. Three options, in order of dignity:\n\n"
        "1. A mug with a lid. He can push it, but he can't spill it.\n"
        "2. A coaster on the far side of the monitor, out of paw range.\n"
        "3. Accept that the desk is his and you are a guest.",
    "Can you write me a tiny Python reminder to move the mug every hour?":
        "Fine. Here is a reminder that nags harder than Winston:\n\n```python\nimport time\n\n\n"
        "def guard_the_coffee(every_minutes: int = 60) -> None:\n    while True:\n"
        "        time.sleep(every_minutes * 60)\n        print(\"Move the mug. Winston is watching.\")\n\n\n"
        "guard_the_coffee()\n```\n\nRun it with `python guard.py` and leave it in a corner of the screen.",
    "Ha, good one, Timmy!": "I know. Tell Winston I said hi.",
}


def test_screenshots_light_and_dark_at_two_widths(serve, model, open_chat, tmp_path: Path):
    model.reply = lambda messages: SCRIPTED[messages[-1]["content"]]
    server = serve()
    chat = open_chat(server)
    for message in SCRIPTED:
        chat.send(message)
    chat.expect_reply(2, SCRIPTED["Ha, good one, Timmy!"])
    expect(chat.exchange(1)).to_have_attribute("data-example-id", re.compile(r"\S+"))
    session_id = chat.storage("localStorage", "timmy.session")
    folder = Path(os.environ.get("TIMMY_SCREENSHOTS") or tmp_path)
    backgrounds = {}
    for width, viewport in (("1280", WIDE), ("390", NARROW)):
        for scheme in ("light", "dark"):
            shot = open_chat(server, viewport=viewport, color_scheme=scheme)
            shot.page.evaluate(f"localStorage.setItem('timmy.session', {session_id!r})")
            shot.page.reload()
            expect(shot.exchange(1)).to_have_attribute("data-example-id", re.compile(r"\S+"))
            shot.page.locator("#message").blur()
            assert shot.page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            backgrounds[scheme] = shot.page.evaluate("getComputedStyle(document.body).backgroundColor")
            # The whole conversation, with the composer at the bottom where a person sees it: a viewport as tall
            # as the page (a full_page screenshot would leave the sticky composer in the middle).
            height = shot.page.evaluate("document.documentElement.scrollHeight")
            shot.page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
            shot.page.screenshot(path=str(folder / f"page-{width}-{scheme}.png"))
    assert backgrounds["light"] != backgrounds["dark"]
