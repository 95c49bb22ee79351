"""Every named veto, with messages it rejects: the decision is "not praise" and explain names that veto."""

from __future__ import annotations

import pytest

import fine_tuning_capture as ftc

# Each veto's name, and messages whose praise words it -- and no veto before it -- rejects.
VETO_CASES: dict[str, list[str]] = {
    "sarcasm": ["Oh just great, it deleted my list", "yeah right, like that would work", "as usual, great job"],
    "emoji_among_words": ["I watched six episodes straight 😂", "my sister fell off the couch 🤣"],
    "sarcasm_cue": ["Great, another meeting at nine", "Wonderful, the printer jammed again"],
    "not_leading": ["the soup has a good smell", "we had a nice time at the beach"],
    "describes_a_thing": ["nice weather today", "good morning"],
    "someone_else": ["Good job, Sarah", "Nice one Jake"],
    "negation": ["that was not well done", "never a good one"],
    "question": ["was that good?", "is this the best answer?"],
    "question_word_first": ["was that a good one", "did you think it was well done"],
    "quoted": ['he wrote "great job" on the card', 'type "good one timmy" to test'],
    "talk_about_praise": ["the trigger phrase is good job", "good job is the capture phrase"],
    "request": ["give me a good one", "write me a good one"],
    "conditional": ["that would be a keeper", "you'd be a lifesaver"],
    "reported_speech": ["she said well done", "you always say good job"],
    "third_person": ["she did a great job", "they nailed it"],
    "about_the_speaker": ["I nailed it", "I feel much better today"],
    "other_subject": ["my son did a great job", "the kids nailed it"],
    "named_subject": ["Dave did a great job", "Priya gave a great response"],
    "complaint_nearby": ["great, now it's broken", "well done, you broke it"],
    ftc.SCORER_VETO: ["oh perfect. now the whole thing's locked up", "Brilliant. You've ordered four kilos of onions."],
}
CASES = [(name, text) for name, texts in VETO_CASES.items() for text in texts]


def test_every_veto_has_cases():
    assert set(VETO_CASES) == {*ftc.VETO_NAMES, ftc.SCORER_VETO}


def test_veto_names_are_unique_and_each_veto_is_documented():
    assert len(set(ftc.VETO_NAMES)) == len(ftc.VETO_NAMES)
    for veto in ftc._VETOES:
        assert veto.check.__doc__ and "\n" not in veto.check.__doc__.split(".")[0], veto.name


@pytest.mark.parametrize(("name", "text"), CASES)
def test_veto_rejects_and_explain_names_it(name: str, text: str):
    explained = ftc.explain_praise(text)
    assert (explained["praise"], explained["veto"]) == (False, name)
    assert not ftc.is_praise(text)


@pytest.mark.parametrize(("name", "text"), [case for case in CASES if case[0] != ftc.SCORER_VETO])
def test_rules_alone_name_the_same_veto(monkeypatch, name: str, text: str):
    monkeypatch.setattr(ftc, "_scorer_state", [None])
    explained = ftc.explain_praise(text)
    assert (explained["praise"], explained["veto"], explained["score"]) == (False, name, None)


@pytest.mark.parametrize("veto", [veto for veto in ftc._VETOES if veto.triggers is not None], ids=lambda v: v.name)
def test_a_veto_is_skipped_without_its_trigger_words(monkeypatch, veto):
    """With none of its trigger words in the sentence, a veto's check is never called."""
    def must_not_run(sentence, candidate):
        raise AssertionError(f"{veto.name} ran without a trigger word")

    index = ftc._VETOES.index(veto)
    vetoes = list(ftc._VETOES)
    vetoes[index] = ftc._Veto(veto.name, must_not_run, veto.triggers, veto.rules)
    monkeypatch.setattr(ftc, "_VETOES", tuple(vetoes))
    for text in ("Good one, Timmy!", "Perfect.", "👏👏", "That was great", "you nailed it"):
        if veto.triggers.isdisjoint(text.lower().replace(",", " ").replace("!", " ").replace(".", " ").split()):
            assert ftc.is_praise(text), text


def test_the_scorer_veto_only_overrules_an_affirmative_that_does_not_stand():
    # The same leading word stands before thanks, a question, a request, a reply noun, or at the end.
    for text in ("Perfect! Now tell me the time.", "Perfect, thanks a lot for that", "Perfect answer, it worked",
                 "Perfect! Can you also add eggs?", "Wow, that took a while. Perfect."):
        assert ftc.explain_praise(text)["rule"] == "affirmative", text
