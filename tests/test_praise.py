"""Praise detection: the labelled corpora, the rules one group at a time, the scorer and its weights file,
explain, and the knobs a user edits.  Each veto has its own cases in test_vetoes.py."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

import fine_tuning_capture as ftc

sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tools"))
from praise_corpus import HELD_OUT, KNOWN_MISSES, evaluate, load_corpus, misses_text

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


SHORTHAND = [  # code-review and chat shorthand, and the same words where they say nothing of the reply
    ("lgtm", True), ("lgtm, now set a timer for 10", True), ("no notes", True), ("gg", True), ("based timmy", True),
    ("Goated answer", True), ("Accurate.", True), ("Respect.", True),
    ("lgtm?", False), ("is that accurate?", False), ("That's not accurate at all", False),
    ("Based on what you said I booked it", False), ("the team was based in Leeds", False),
    ("Respect the deadline please", False), ("with all due respect, that's wrong", False),
    ("my sister's lasagne is goated", False), ("I have no notes for the meeting", False),
    ("gg, the server crashed again", False),
]


@pytest.mark.parametrize(("text", "praise"), SHORTHAND)
def test_shorthand(text: str, praise: bool):
    assert ftc.is_praise(text) is praise


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
    edited = source.replace(opening, opening + '    "what a corker",\n', 1)
    assert edited != source
    (tmp_path / "fine_tuning_capture.py").write_text(edited, encoding="utf-8")
    code = "import fine_tuning_capture as f; print(f.is_praise('Honestly, what a corker'))"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "True", result.stderr
    assert not ftc.is_praise("Honestly, what a corker")


def test_a_phrase_added_is_praise_whatever_the_scorer_says(monkeypatch):
    text = "ok the purple walrus, now set a timer for ten minutes"
    before = ftc.explain_praise(text)
    assert not before["praise"]
    assert before["score"] < explained_threshold()  # the scorer alone does not call it praise
    monkeypatch.setattr(ftc, "PRAISE_PHRASES", [*ftc.PRAISE_PHRASES, "the purple walrus"])
    explained = ftc.explain_praise(text)
    # (Its score now holds the phrase rule's own features, so it is not compared with the threshold.)
    assert (explained["praise"], explained["rule"], explained["matched"]) == (True, "phrase", "the purple walrus")
    assert not ftc.is_praise("was that the purple walrus?")  # a strong veto still rejects it


def explained_threshold() -> float:
    scorer = ftc._current_scorer()
    assert scorer is not None
    return scorer.threshold


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


# --- long and hostile input: answers come back, and they are these (speed is in bench/bench_praise.py) ---

@pytest.mark.parametrize(("text", "praise", "rule", "veto"), [
    ("nice weather " * 20_000, False, None, "describes_a_thing"),
    ("not " * 50_000 + "good", False, None, "not_leading"),
    ('"good", ' * 20_000, False, None, "quoted"),
    ("g" * 500_000, False, None, None),
    ("Was that good? " * 10_000, False, None, "question"),
    ("👏 broken " * 20_000, True, "scorer", None),  # the scorer's call: a praise emoji outweighs "broken"
    ("I asked about the vet. " * 10_000 + "Great response!", True, "phrase", None),
    # Lone surrogates, as JSON's "\\ud800" decodes: read as they came, never a UnicodeEncodeError.
    ("great job \ud800 timmy", True, "phrase", None),
    ("not great \ud800", False, None, "not_leading"),
    ("\udfff" * 40, False, None, None),
])
def test_long_hostile_inputs(text: str, praise: bool, rule: str | None, veto: str | None):
    start = time.perf_counter()
    explained = ftc.explain_praise(text)
    assert (explained["praise"], explained["rule"], explained["veto"]) == (praise, rule, veto)
    assert time.perf_counter() - start < 10  # linear: a quadratic step would take minutes here


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


def test_the_floor_sums_what_the_scorer_sums():
    """bench_praise --floor times a stripped scorer; it must add up the same features as the module's."""
    import bench_praise

    scorer = ftc._current_scorer()
    least = bench_praise.LeastScorer(scorer)
    texts = ["what time is it", "ＷＨＡＴ a day?", "ok", "honestly mate you are a legend, cheers", "x " * 30,
             "haha 🙂 you crack me up, what now?"]
    for text in texts:
        reading = ftc._read(text)
        assert reading.result is None, text  # the floor's scorer part is for messages the rules skip
        assert scorer.probability(least.units(text) / ftc.WEIGHT_SCALE) == scorer.score_reading(reading), text


# --- every labelled message: exact decisions, the misses listed by name -------------------------------

def test_every_labelled_message_is_decided_as_listed():
    """Each message of the old corpus, the held-out batches and all 16 writers is decided as its label says,
    except exactly the known misses in tests/data/praise_known_misses.tsv (python bench/praise_corpus.py
    --write-misses rewrites it; its diff shows what a change fixed and what it broke)."""
    assert misses_text(ftc.is_praise) == KNOWN_MISSES.read_text(encoding="utf-8")


def test_old_corpus_has_no_misses():
    assert "\ncorpus\t" not in KNOWN_MISSES.read_text(encoding="utf-8")


@pytest.mark.parametrize("batch", ["heldout", "heldout2", "heldout3", "heldout4"])
def test_held_out_batch_is_no_worse_than_before_the_scorer(batch: str):
    before = json.loads((ROOT / "bench" / "praise_baseline.json").read_text(encoding="utf-8"))["batches"][batch]
    cases = [case for case in load_corpus(HELD_OUT) if case.group.split("_")[0] == batch]
    now, _, _ = evaluate(ftc.is_praise, cases)
    assert now.precision >= before["precision"] and now.recall >= before["recall"]


# --- explain: every rule, and the command line ----------------------------------------------------------

@pytest.mark.parametrize(("text", "rule", "matched"), [
    ("Good one, Timmy!", "phrase", "good one timmy"),
    ("Excellent.", "affirmative", "excellent"),
    ("👏👏", "emoji", "👏"),
    ("you sneaky genius", "scorer", "you"),  # the strongest word of the scorer: "you", not "genius"
])
def test_explain_names_the_rule_and_what_matched(text: str, rule: str, matched: str):
    explained = ftc.explain_praise(text)
    assert (explained["praise"], explained["rule"], explained["matched"], explained["veto"]) == (
        True, rule, matched, None)
    assert ftc.detect_praise(text).as_metadata()["rule"] == rule


def test_explain_lists_the_features_that_moved_the_score_most():
    explained = ftc.explain_praise("you sneaky genius")
    weights = [weight for _, weight in explained["features"]]
    assert 0 < len(weights) <= ftc.EXPLAIN_TOP_FEATURES
    assert [abs(w) for w in weights] == sorted((abs(w) for w in weights), reverse=True)
    assert explained["score"] >= explained["threshold"]
    assert "genius" in dict(explained["features"])


def test_a_scorer_match_is_located_in_the_message():
    match = ftc.detect_praise("oh honey you hit the nail right on the head")
    assert match is not None and match.rule == "scorer"
    assert "oh honey you hit the nail right on the head"[match.start:match.end] == match.matched


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fine_tuning_capture", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, encoding="utf-8")


def test_cli_explain_json_has_exactly_the_documented_keys():
    result = run_cli("explain", "--json", "was that good?")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["praise", "rule", "matched", "veto", "score"]
    assert (data["praise"], data["rule"], data["matched"], data["veto"]) == (False, None, None, "question")
    assert isinstance(data["score"], float)


def test_cli_explain_json_for_a_phrase():
    data = json.loads(run_cli("explain", "--json", "that's", "perfect").stdout)
    assert data == {"praise": True, "rule": "phrase", "matched": "that's perfect", "veto": None,
                    "score": data["score"]}
    assert 0.0 <= data["score"] <= 1.0  # shown, though a phrase decides alone


def test_cli_explain_prints_the_decision_and_features():
    lines = run_cli("explain", "Good job, Sarah").stdout.splitlines()
    assert lines[0] == "praise: no, vetoed by 'someone_else' (it rejected 'good job')"
    assert lines[1].startswith("scorer: ")
    assert all(line.startswith("  ") for line in lines[2:]) and lines[2:]


# --- the scorer's weights file ----------------------------------------------------------------------------

def test_retraining_from_the_committed_corpus_reproduces_the_committed_weights():
    import train_praise_scorer

    start = time.perf_counter()
    text = train_praise_scorer.weights_file_text()
    assert time.perf_counter() - start < 30
    assert text == train_praise_scorer.WEIGHTS_FILE.read_text(encoding="utf-8"), (
        "the weights file is stale: python tools/train_praise_scorer.py")


def test_packaging_ships_the_weights_file():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'py-modules = ["fine_tuning_capture", "fine_tuning_capture_weights"]' in pyproject
    assert ftc._WEIGHTS_FILE == ROOT / "fine_tuning_capture_weights.py"


@pytest.mark.parametrize(("content", "problem"), [
    (None, "FileNotFoundError"),
    ("WEIGHTS = {", "SyntaxError"),
    ("nothing here", "IndexError"),
    ("WEIGHTS = {'format': 0, 'weights': {}}", "format 0"),
    ("WEIGHTS = {'format': 2, 'weights': {'good': 'high'}, 'bias': 0.0, 'threshold': 0.5, 'rule_threshold': 0.5}",
     "finite floats"),
    ("WEIGHTS = {'format': 2, 'weights': {}, 'bias': float('nan')}", "ValueError"),
])
def test_a_missing_or_bad_weights_file_leaves_the_rules_deciding_alone(tmp_path, monkeypatch, caplog, content,
                                                                         problem):
    path = tmp_path / "fine_tuning_capture_weights.py"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="fine_tuning_capture"):
        assert ftc._load_scorer(path) is None
    assert "praise scorer disabled, the rules decide alone" in caplog.text and problem in caplog.text
    monkeypatch.setattr(ftc, "_scorer_state", [None])
    assert ftc.is_praise("Good one, Timmy!") and not ftc.is_praise("you sneaky genius")
    assert ftc.explain_praise("you sneaky genius") == {
        "praise": False, "rule": None, "matched": None, "veto": "not_leading", "vetoed": "genius", "score": None,
        "threshold": None, "features": []}


def test_the_module_alone_still_works_with_a_warning(tmp_path: Path):
    (tmp_path / "fine_tuning_capture.py").write_text((ROOT / "fine_tuning_capture.py").read_text(encoding="utf-8"),
                                                     encoding="utf-8")
    code = "import fine_tuning_capture as f; print(f.is_praise('Good one, Timmy!'), f.is_praise('hello'))"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "True False"
    assert "praise scorer disabled" in result.stderr


def test_the_fast_path_scores_exactly_as_the_named_features_do():
    """_decide, the trainer and explain read the same named features: same score, bit for bit."""
    import train_praise_scorer

    scorer = ftc._current_scorer()
    texts = [case.text for case in CASES] + ["", "é", "😂😂", "Thats GREAT!!", "ok 👍🏽 sure", "a\nb?"]
    for text in texts:
        decision = ftc._decide(text, explain=True)
        if decision.score is not None:
            assert decision.score == train_praise_scorer.score(scorer, ftc._scorer_features(text)), text


def test_the_ascii_tokeniser_gives_the_tokens_of_the_translation_table():
    import random

    rng = random.Random(14)
    alphabet = [chr(code) for code in range(128)] + list("goodnice .,?!'\"\n")
    texts = [case.text for case in CASES if case.text.isascii()]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(5000)]
    for text in texts:
        assert ftc._tokens(text) == text.translate(ftc._TABLE).split(), repr(text)


def test_the_fast_tokenisers_give_what_the_translation_tables_give_for_any_text():
    """_tokens and _scorer_words replace str.translate with big tables (slow) by bytes.translate and one regular
    expression: the same words for text in any script, emoji, skin tones and odd apostrophes included."""
    import random
    import unicodedata

    rng = random.Random(15)
    alphabet = [chr(code) for code in range(0x300)] + list(ftc.PRAISE_EMOJI) + list(
        "👍🏽’‘“”„«»—–‐…\u00a0\u200b\u200d\ufe0f\u2028\u2029\x85\u02bc\u00b4←⬛ goodnice .,?!'\"\n")
    texts = [case.text for case in CASES] + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
                                             for _ in range(5000)]
    for text in texts:
        text = unicodedata.normalize("NFKC", text)
        assert ftc._tokens(text) == text.translate(ftc._TABLE).split(), repr(text)
        if not text.isascii():
            lower = text.lower()
            assert ftc._scorer_words(lower) == lower.translate(ftc._SCORER_TABLE).split(), repr(text)


def test_a_phrase_in_the_middle_of_a_long_transcript_is_found():
    """A long message's rules read the first and last few trigger words and, between them, those near all the
    words of a phrase (LONG_MESSAGE_CANDIDATES): a phrase is praise wherever it stands."""
    filler = "ok so the good news is the van is fine and the nice lady at the garage said well maybe "
    text = filler * 40 + ". Good job Timmy. " + filler * 40
    match = ftc.detect_praise(text)
    assert (match.rule, match.matched) == ("phrase", "good job")
    assert text[match.start:match.end].lower() == "good job"


def test_a_long_message_is_read_in_windows_around_its_cue_words():
    """Over LONG_MESSAGE_CHARS, only the ends and the places near cue words are read, and a match's offsets are
    in the message as given: praise deep in a transcript full of commoner cue words is still found."""
    filler = "ok so the good news is the van is fine and the nice lady at the garage said well maybe "
    text = filler * 20 + ". That cracked me up, Timmy. " + filler * 20 + "nice weather though"
    reading = ftc._read(text)
    assert reading.windows is not None and len(reading.text) < len(text) / 3
    match = ftc.detect_praise(text)
    assert (match.rule, match.matched) == ("phrase", "cracked me up")
    assert text[match.start:match.end] == "cracked me up"
    assert ftc.explain_praise(text)["rule"] == "phrase"
    assert not ftc.is_praise(filler * 40)


def test_a_phrase_added_at_run_time_is_found_deep_in_a_long_message(monkeypatch):
    """The long message's cue words come from the configuration as it stands, not as the module was loaded."""
    filler = "so then we drove to the shop and bought some bread and the milk and a paper for dad "
    text = filler * 20 + ". The purple walrus, Timmy! " + filler * 20
    assert not ftc.is_praise(text)
    monkeypatch.setattr(ftc, "PRAISE_PHRASES", [*ftc.PRAISE_PHRASES, "the purple walrus"])
    match = ftc.detect_praise(text)
    assert (match.rule, match.matched) == ("phrase", "the purple walrus")
    assert text[match.start:match.end] == "The purple walrus"


def test_skipping_the_rules_never_changes_a_decision():
    """detect_praise skips the rules when _may_accept shows they could accept nothing (no feature then depends on
    them); explain runs them to name the veto.  Both decide every labelled message and veto case alike."""
    from praise_corpus import all_labelled
    from test_vetoes import CASES as VETO_CASES

    texts = [case.text for _, case in all_labelled()] + [text for _, text in VETO_CASES]
    texts += ["a good day", "oh, so good", "that was good.", "not like that", '"good" day', "ok good"]
    for text in texts:
        assert ftc._decide(text).match == ftc._decide(text, explain=True).match, text
