"""Praise detection: the labelled corpus, the rules one group at a time, and the knobs a user edits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

import fine_tuning_capture as ftc

sys.path.insert(0, str(ROOT / "bench"))
from praise_corpus import evaluate, load_corpus  # noqa: E402

CASES = load_corpus()
NEVER_PRAISE = ("negation", "question", "greeting_idiom", "talk_about")


def test_corpus_is_large_and_mostly_not_praise():
    assert len(CASES) >= 500
    assert sum(case.praise for case in CASES) < len(CASES) / 2


def test_corpus_precision_and_f1():
    overall, _, wrong = evaluate(ftc.is_praise, CASES)
    assert overall.precision >= 0.97, [case.text for case in wrong]
    assert overall.f1 >= 0.95, [case.text for case in wrong]


@pytest.mark.parametrize("group", NEVER_PRAISE)
def test_groups_that_must_never_be_praise(group: str):
    called = [case.text for case in CASES if case.group == group and ftc.is_praise(case.text)]
    assert called == []


@pytest.mark.parametrize("group", sorted({case.group for case in CASES}))
def test_every_group_is_mostly_right(group: str):
    _, groups, _ = evaluate(ftc.is_praise, [case for case in CASES if case.group == group])
    assert groups[group].accuracy >= 0.9


# --- what counts, with why ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "rule", "matched", "span"), [
    ("Good one, Timmy!", "phrase", "good one timmy", "Good one, Timmy"),
    ("thats perfect", "phrase", "that's perfect", "thats perfect"),
    ("That’s great", "phrase", "that's great", "That’s great"),
    ("Excellent.", "affirmative", "excellent", "Excellent"),
    ("Not good. But honestly, that was GREAT", "phrase", "that was great", "that was GREAT"),
    ("Perfect! Now tell me the time", "affirmative", "perfect", "Perfect"),
    ("👏👏", "emoji", "👏", "👏"),
    ("You absolutely nailed it!", "phrase", "you nailed", "You absolutely nailed"),
    ("not bad at all", "phrase", "not bad", "not bad"),
    ("ｇｏｏｄ ｏｎｅ", "phrase", "good one", "good one"),
])
def test_match_says_which_rule_and_where(text: str, rule: str, matched: str, span: str):
    import unicodedata

    match = ftc.detect_praise(text)
    assert match is not None
    assert (match.rule, match.matched) == (rule, matched)
    assert unicodedata.normalize("NFKC", text)[match.start:match.end] == span


@pytest.mark.parametrize("text", [
    "great response",  # voice, no punctuation
    "GREAT RESPONSE!!!!!!",
    "great response!!!.. really",
    "good one timmy that was really funny",
    "perfect now tell me the weather",
    "Great\u00a0response",
    "that\u2019s perfect",
])
def test_normalisation(text: str):
    assert ftc.is_praise(text)


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "🙂", "👍", "ok", "thanks", "lol", "?!?!"])
def test_decided_not_praise(text: str):
    assert not ftc.is_praise(text)


def test_non_text_is_not_praise():
    assert ftc.detect_praise(None) is None  # type: ignore[arg-type]
    assert ftc.detect_praise(42) is None  # type: ignore[arg-type]


# --- the knobs ---------------------------------------------------------------------------------

@pytest.fixture
def rules_only(monkeypatch):
    """The rules alone, as with no weights file: what the lists decide, without the scorer."""
    monkeypatch.setattr(ftc, "_scorer_state", [None])


def test_a_phrase_added_to_the_list_works(monkeypatch, rules_only):
    assert not ftc.is_praise("Timmy, you are a treasure")
    monkeypatch.setattr(ftc, "PRAISE_PHRASES", [*ftc.PRAISE_PHRASES, "you are a treasure"])
    match = ftc.detect_praise("Timmy, you are a treasure")
    assert match is not None and match.matched == "you are a treasure"
    assert not ftc.is_praise("Timmy, you are not a treasure")


def test_a_phrase_appended_in_place_works(monkeypatch):
    phrases = list(ftc.PRAISE_PHRASES)
    monkeypatch.setattr(ftc, "PRAISE_PHRASES", phrases)
    assert not ftc.is_praise("absolute banger")
    phrases.append("absolute banger")
    assert ftc.is_praise("absolute banger")


def test_a_phrase_added_in_the_source_works(tmp_path: Path):
    source = (ROOT / "fine_tuning_capture.py").read_text(encoding="utf-8")
    opening = "PRAISE_PHRASES: list[str] = [\n"
    edited = source.replace(opening, opening + '    "what a legend",\n', 1)
    assert edited != source
    (tmp_path / "fine_tuning_capture.py").write_text(edited, encoding="utf-8")
    code = "import fine_tuning_capture as f; print(f.is_praise('Honestly, what a legend'))"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "True", result.stderr
    assert not ftc.is_praise("Honestly, what a legend")


def test_removing_a_phrase_stops_it(monkeypatch, rules_only):
    monkeypatch.setattr(ftc, "PRAISE_PHRASES", [p for p in ftc.PRAISE_PHRASES if p != "spot on"])
    assert not ftc.is_praise("spot on")


def test_short_affirmatives_are_a_knob(monkeypatch):
    assert not ftc.is_praise("Splendid!")
    monkeypatch.setattr(ftc, "SHORT_AFFIRMATIVES", [*ftc.SHORT_AFFIRMATIVES, "splendid"])
    assert ftc.is_praise("Splendid!")


def test_assistant_name_is_a_knob(monkeypatch):
    assert ftc.is_praise("Good job, Timmy")
    assert not ftc.is_praise("Good job, Jarvis")
    monkeypatch.setattr(ftc, "ASSISTANT_NAME", "Jarvis")
    assert ftc.is_praise("Good job, Jarvis")
    assert not ftc.is_praise("Good job, Timmy")


def test_hook_records_why_it_captured():
    history = [ftc.Exchange("Tell me a joke", "prompt", "No.")]
    example = ftc.on_user_message(history, "Ha, good one. Anyway, what time is it?")
    assert example is not None
    assert example.metadata["praise_match"] == {"rule": "phrase", "matched": "good one", "start": 4, "end": 12}


# --- long and hostile input: answers come back (speed is measured in bench/bench_praise.py) ------

@pytest.mark.parametrize("text", [
    "nice weather " * 20_000,
    "not " * 50_000 + "good",
    '"good", ' * 20_000,
    "g" * 500_000,
    "Was that good? " * 10_000,
    "👏 broken " * 20_000,
    "I asked about the vet. " * 10_000 + "Great response!",
])
def test_long_hostile_inputs(text: str):
    ftc.detect_praise(text)


def test_praise_at_the_end_of_a_long_message_is_found():
    assert ftc.is_praise("I asked about the vet and you remembered. " * 5_000 + "Great response!")


# --- the benchmark measures what it says (its numbers are printed, never asserted) ----------------

def test_benchmark_baseline_follows_the_spec_rules():
    import bench_praise

    for text in ("Good one, Timmy!", "good one timmy", "Perfect.", "honestly that was amazing, thanks", "Nice!!"):
        assert bench_praise.spec_is_praise(text), text
    for text in ("I had a really good day at work", "What's the weather tomorrow?", "goodbye"):
        assert not bench_praise.spec_is_praise(text), text


def test_benchmark_times_every_detector_on_every_message():
    import bench_praise

    times = bench_praise.per_message_times(bench_praise.DETECTORS, ["Great response!", "what time is it"], repeat=1)
    assert list(times) == list(bench_praise.DETECTORS)
    assert all(len(measured) == 2 and min(measured) > 0 for measured in times.values())
    assert bench_praise.normalise_and_read("Thats great, Timmy!") == ["that's", "great", ",", "timmy", "."]
