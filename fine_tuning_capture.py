"""Capture praised chat exchanges as fine-tuning examples in a markdown file.

When the user praises a reply ("Good one, Timmy!", "great response",
"perfect"), the exchange that earned it -- the user message, the exact system
prompt the model saw, and the reply -- is appended to a human-readable
markdown file, one block per example, in the format of
FINE_TUNING_CAPTURE_README.md.  The same module reads that file back, exactly
as written, so that it can later become a training set.

The module needs only the Python standard library.

Sections, top to bottom: configuration, praise detection, the example record,
rendering, writing, the chat hook, reading, review/backfill/export, and the
command line (``python -m fine_tuning_capture --help``).
"""

from __future__ import annotations

import argparse
import ast
import bisect
import codecs
import contextlib
import dataclasses
import datetime as _dt
import errno
import functools
import hashlib
import io
import itertools
import json
import logging
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: threads are still serialised
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "PRAISE_PHRASES",
    "SHORT_AFFIRMATIVES",
    "SHORT_AFFIRMATIVE_MAX_WORDS",
    "ASSISTANT_NAME",
    "ASSISTANT_NAME_PREFIXES",
    "PRAISE_EMOJI",
    "OUTPUT_ENV_VAR",
    "DEFAULT_OUTPUT_PATH",
    "PraiseMatch",
    "detect_praise",
    "is_praise",
    "explain_praise",
    "VETO_NAMES",
    "SARCASM_VETO",
    "SCORER_VETO",
    "SCORER_FORMAT",
    "Example",
    "Exchange",
    "FormatError",
    "render_example",
    "clean_text",
    "resolve_path",
    "capture_fine_tuning_example",
    "on_user_message",
    "praised_exchange",
    "read_examples",
    "EXPORT_TABLE",
    "EXPORT_FORMATS",
    "DATASET_INFO_FORMATS",
    "ExportFormat",
    "ExportReport",
    "BackfillReport",
    "example_id",
    "training_records",
    "is_validation",
    "export_examples",
    "kto_desirable_weight",
    "kto_weight_advice",
    "llamafactory_entry",
    "write_dataset_info",
    "remove_examples",
    "backfill",
    "main",
]

logger = logging.getLogger("fine_tuning_capture")


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------

#: What counts as praise: edit this list.  A phrase added here is detected
#: wherever it stands in a message, ignoring case, punctuation and missing
#: apostrophes, unless the message negates it, asks about it, makes it
#: conditional, aims it at someone else or talks about it (see detect_praise).
PRAISE_PHRASES: list[str] = [
    # The original phrases.
    "good one timmy",  # punctuation is ignored: this also matches "Good one, Timmy!"
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
    # Praise of the reply or of the assistant in other words.
    "good one",
    "great job",
    "nice work",
    "good work",
    "great work",
    "you're doing great",
    "you are doing great",
    "doing a great job",
    "nailed it",
    "you nailed",
    "you did great",
    "you did well",
    "couldn't be better",
    "i laughed",
    "spot on",
    "bang on",
    "exactly right",
    "exactly what i needed",
    "exactly what i wanted",
    "exactly what i was looking for",
    "just what i needed",
    "that's it exactly",
    "you got it",
    "i'm impressed",
    "i am impressed",
    "impressive",
    "proud of you",
    "that's hilarious",
    "that was hilarious",
    "you're hilarious",
    "so funny",
    "made me laugh",
    "cracked me up",
    "a keeper",
    "much better",
    "way better",
    "love it",
    "love that",
    "love this",
    "loved it",
    "loved that",
    "well said",
    "well played",
    "good catch",
    "nice catch",
    "good call",
    "you're the best",
    "you rock",
    "you're a genius",
    "chef's kiss",
    "top notch",
    "made my day",
    "on fire",
    "what a comeback",
    "best answer",
    "best response",
    "very helpful",
    "really helpful",
    "super helpful",
    "so helpful",
    "that was helpful",
    "that helped",
    "that helps",
    "nicely done",
    "well put",
    "nicely put",
    "beautifully put",
    "way to put it",
    "exactly the right",
    "killing it",
    "crushing it",
    "smashed it",
    "you're a star",
    "you're a legend",
    "10/10",
    "well explained",
    "nicely explained",
    "clearly explained",
    "beautifully explained",
    "well written",
    "nicely written",
    "beautifully written",
    "on a roll",
    "gold star",
    "a lifesaver",
    "a life saver",
    "top tier",
    "what i'm talking about",
    # Code-review and chat shorthand: approval in a word or two.
    "lgtm",
    "no notes",
    # Litotes: praise by denying the opposite.
    "not bad",
    "wasn't bad",
    "not too shabby",
    "couldn't have said it better",
    "couldn't have put it better",
    "can't argue with that",
]

#: Words that are praise when they lead a short message or a sentence
#: ("Excellent.", "Perfect, thanks", "Oh nice, Timmy") or follow "that's",
#: "you're", "what a" and the like, and are not followed by a noun that makes
#: them about something else ("nice weather").
SHORT_AFFIRMATIVES: list[str] = [
    "good", "nice", "perfect", "excellent", "great", "amazing",  # the original six
    "awesome", "brilliant", "fantastic", "superb", "wonderful", "outstanding", "lovely", "beautiful",
    "incredible", "terrific", "stellar", "exactly", "bravo", "hilarious", "clever", "witty", "genius",
    "helpful", "legendary", "kudos", "funny", "best", "top", "gold", "perfection", "delightful",
    "marvellous", "marvelous", "fabulous", "phenomenal", "flawless", "smart", "useful",
    "gg", "goated", "accurate", "respect", "based",  # shorthand: "gg", "based Timmy"
]
#: The original rule's limit: a message of this many words or fewer that holds
#: a short affirmative is praise (the assistant's name and fillers like "oh",
#: "wow" and "haha" are not counted).
SHORT_AFFIRMATIVE_MAX_WORDS = 3

#: The assistant's name; praise followed by another capitalised name
#: ("Good job, Sarah") is not for the assistant.
ASSISTANT_NAME = "Timmy"
#: Words that may stand before the name ("Little Timmy").
ASSISTANT_NAME_PREFIXES: list[str] = ["little"]

#: Emoji that are praise on their own.  A lone 👍 is deliberately not: people
#: use it to mean "OK, got it".
PRAISE_EMOJI = "👏🙌💯🔥🏆🥇🌟⭐🎯🤩😂🤣👌🤌"

#: Environment variable that names the output file when no path is passed.
OUTPUT_ENV_VAR = "FINE_TUNING_CAPTURE_FILE"

#: The output file used when neither a path nor the environment variable is given.
DEFAULT_OUTPUT_PATH = Path(__file__).resolve().with_name("fine_tuning_best_case_interchanges.md")


# ---------------------------------------------------------------------------
# Praise detection
#
# A message is cut into word tokens by str.translate + str.split (C speed),
# with sentence ends, commas and double quotes kept as tokens of their own.
#
# The rules come first.  Each candidate -- a phrase from PRAISE_PHRASES, a
# leading word from SHORT_AFFIRMATIVES, a praise emoji -- is run past the
# named vetoes in _VETOES (negation, question, request, conditional, someone
# else, sarcasm...): the first that fires rejects it, and says so by name.
# A message holding no praise word skips the rules.
#
# Then, if no phrase was accepted, a learned scorer (logistic regression over
# the message's words, word pairs and the rule signals, trained by
# tools/train_praise_scorer.py) weighs the whole message; it finds praise in
# words no list holds.  A message over LONG_MESSAGE_CHARS is read only at its
# ends and around its strongest cue words (_long_windows), so that a long
# transcript costs little more than finding those words.  Everything is
# linear in the message length.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PraiseMatch:
    """Why a message was taken as praise: the rule, what matched, and where."""

    rule: str  # "phrase", "affirmative", "emoji" or "scorer"
    matched: str  # the phrase or word from the configuration, the emoji, or the scorer's strongest words
    start: int  # character offsets of the match in the (NFKC-normalised) message
    end: int

    def as_metadata(self) -> dict[str, Any]:
        """The match as a small dict for an example's metadata."""
        return {"rule": self.rule, "matched": self.matched, "start": self.start, "end": self.end}


# --- Vocabulary: every word list the rules read, declared once -----------------------------------------

# Sounds and interjections that add nothing to a short message ("oh", "wow", "haha").
_FILLERS = frozenset(
    "oh ooh wow woah whoa ha haha hahaha hahahaha hah heh hehe lol lmao lmfao rofl omg ok okay yes yeah yep yup "
    "ah aw aww hey man dude damn honestly seriously well alright right cheers".split()
)
# Words that strengthen the word after them and may stand inside a phrase ("you absolutely nailed it").
_INTENSIFIERS = frozenset(
    "very really so such pretty absolutely truly quite super bloody damn too simply utterly totally just most "
    "extremely incredibly genuinely actually".split()
)
# Words that may come between a sentence start and a leading affirmative: "that's", "what a", "you're so".
_FRAME_WORDS = frozenset("that's that is was this it's it you're you are were what a an the how now getting".split())
# Nouns that name the reply or something in it: "great answer", "nice catch", "good one".
_REPLY_NOUNS = frozenset(
    "answer answers response responses reply replies one ones job work stuff point points joke jokes idea ideas "
    "explanation explanations summary advice suggestion catch call comeback memory recall thinking writing poem "
    "story list tip pun line lines burn roast effort timing recommendation shout tone".split()
)
# Words that may follow a praise word without making it describe a thing ("great, thanks", "perfect now tell me").
_NEUTRAL_FOLLOWERS = frozenset(
    "now so but though thanks thank ty cheers again too indeed anyway lol lmao haha hahaha mate there then also "
    "i you that this it really very much tell give can could what how why next ok okay yes yeah please at a".split()
)
# Ways of addressing the assistant, so "nice one mate" is still for it.
_VOCATIVES = frozenset("mate buddy man dude bro pal friend sir madam champ bot robot kid boss".split())
# Words that negate a praise word shortly after them: "not good", "never nice".
_NEGATORS = frozenset(
    "not no never don't didn't doesn't wasn't isn't aren't weren't won't wouldn't couldn't shouldn't haven't "
    "hasn't ain't can't nope nah hardly barely without nothing nobody".split()
)
# Words that open a question, asked with or without a question mark: "was that good".
_QUESTION_WORDS = frozenset(
    "was is are were do does did can could would will should shall may might how what why which who who's "
    "whose where when isn't wasn't aren't didn't don't doesn't any have has am".split()
)
# Verbs that open a request: "give me a good one", "tell me something nice".
_IMPERATIVES = frozenset(
    "give tell write make do show find suggest recommend think help try create generate list describe draft "
    "compose send pick choose name get bring play let's lets want need".split()
)
# Words that may stand before a request's verb: "please give", "ok now tell", "I need".
_REQUEST_LEAD = frozenset("please now ok okay so and then also just i i'd we".split())
# Words that make what follows hypothetical: "that would be perfect", "I wish it were that good".
_CONDITIONALS = frozenset(
    "would could should might i'd that'd it'd you'd we'd they'd if unless wish when whenever hope".split()
)
# Conditions that may come after the praise: "perfect if it were true".
_IF_WORDS = frozenset(("if", "unless"))
# Words of talking about praise rather than giving it: "the trigger phrase is good job".
_META_WORDS = frozenset(
    "phrase phrases word words trigger triggers triggered capture captured captures praise synonym synonyms "
    "spell spelled spelling spelt adjective testing".split()
)
# Verbs of quoting: "when I say well done".
_SAY_WORDS = frozenset("say says said saying type typed typing".split())
# Someone other than the assistant: "she did a great job".
_THIRD_PERSON = frozenset(
    "he she they him them his her their he's she's they're everyone everybody someone somebody".split()
)
# Words that open a subject: "my soup was perfect", "the weather is nice".
_DETERMINERS = frozenset("my our the that this these those his her their your".split())
# What may follow a determiner while the subject is still the reply: "that answer", "this one", "your recall".
_SUBJECT_OK = _REPLY_NOUNS | frozenset(
    "was is were are 's one one's last really just so very made makes sounds sounded looks looked reads felt feels "
    "way part bit time first second latest".split()
)
# Verbs after a name that make it the subject: "Dave made a great point".
_SUBJECT_VERBS = frozenset("made said did was is gave has had thinks thought told wrote says does got".split())
# Words of things going wrong; praise words beside them are sarcasm: "great, now it's broken".
_NEGATIVES = frozenset(
    "broke broken break breaking crash crashed crashes wrong useless worse worst fail failed fails failing "
    "ruined ruin ruins deleted delete lost forgot forgotten error errors bug mess messed garbage rubbish nothing "
    "terrible awful horrible stupid annoying incorrect".split()
)
# Words that turn a sentence around, so a complaint before them does not reach the praise after.
_CONTRAST = frozenset("but though although however except yet".split())
# Word sequences that make a whole message sarcastic: "just great", "yeah right", "thanks for nothing".
_SARCASM = (("just", "great"), ("just", "perfect"), ("just", "wonderful"), ("just", "brilliant"),
            ("yeah", "right"), ("as", "usual"), ("thanks", "for", "nothing"), ("nice", "going"), ("way", "to", "go"),
            ("not", "what", "i"), ("that's", "not", "it"))
# The first words of those sequences: a message holding none of them cannot be sarcastic.
_SARCASM_WORDS = frozenset(pattern[0] for pattern in _SARCASM)
# Words after a leading affirmative that make it a complaint about the world: "Great, another meeting".
_SARCASM_CUES = frozenset(("another", "again"))
# The same when the message speaks to the assistant: "you did it again" is not a complaint.
_SARCASM_CUES_WITH_YOU = frozenset(("another",))
# Thanks, which may stand in a short message of praise: "perfect, thanks".
_THANKS = frozenset("thanks thank you ty cheers".split())
# Forms of "to be" that link a subject to a praise word: "the answer was perfect".
_COPULAS = frozenset("was is 's were are".split())
# Phrase endings that, like an adjective, describe a noun that follows: "I like that movie", "a well written book".
_NOUN_TAKERS = frozenset("that this done written explained notch tier impressive".split())
# The speaker: "I nailed it" is about the user.
_SPEAKER = frozenset("i i'm i've we we're we've".split())
# What may stand between the speaker and a phrase about them: "I was", "I feel", "I had a", "I'm totally".
_SPEAKER_BRIDGE = _INTENSIFIERS | _COPULAS | frozenset(
    "am 'm feel feeling felt had have has did do made make got get getting doing been be a an the".split())
# Words that make a phrase the speaker's reaction to the reply, or aimed at it, rather than about the speaker.
_REACTION_WORDS = frozenset(
    "love loved like liked laughed impressed proud needed wanted me my i i'm you you're your couldn't can't".split())
# The reply or the assistant, as a subject: "the way you explained it was perfect".
_REPLY_OR_YOU = _REPLY_NOUNS | {"you"}
# Words of a phrase too common to tell messages apart; a phrase is looked for by its other words.
_COMMON_WORDS = frozenset(
    "i i'm you you're your it it's that that's this is was a an the of me my so very really what on to".split())
# Words of a phrase that say little about where it stands in a long message.
_COMMON_PHRASE_WORDS = _COMMON_WORDS | _INTENSIFIERS | _FILLERS
# Common words typed without their apostrophe ("thats", "youre"), mapped back to it.
_APOSTROPHES = {
    word.replace("'", ""): word
    for word in "that's it's what's wasn't isn't don't didn't doesn't can't couldn't wouldn't shouldn't "
    "you're i'm i've i'd you've they're won't aren't weren't haven't hasn't ain't let's chef's".split()
}

# Negators as the scorer reads them (apostrophes dropped): "dont", "wasnt".
_SCORER_NEGATORS = frozenset(word.replace("'", "") for word in _NEGATORS)
# The assistant addressed: a message to "you" or "Timmy" is more likely about the reply.
_SECOND_PERSON = frozenset("you u ya youre ur your yours yourself timmy".split())
# Laughter, typed or as emoji: "haha good one".
_LAUGHTER = frozenset(
    "ha haha hahaha hahahaha hahahahaha ahaha ahahah ahahaha hah heh hehe hehehe lol lool lolol lmao lmaoo lmaooo "
    "lmaoooo lmfao rofl kek 😂 🤣 😆 😹 💀".split())
# Sarcasm cues as the scorer reads them: "oh great, another wrong answer".
_SCORER_SARCASM_CUES = frozenset("another again usual sure 🙄 😒 😑".split())
# Words of approval in many voices (one feature for all, so a rare one borrows from the common ones).
_APPROVAL_WORDS = frozenset(
    "good great nice perfect perfectly excellent amazing awesome brilliant fantastic superb wonderful outstanding "
    "lovely beautiful incredible terrific stellar exactly bravo hilarious clever witty genius helpful legendary legend "
    "kudos funny best top gold perfection delightful marvellous marvelous fabulous phenomenal flawless smart useful "
    "solid neat clean class classy ace brill cracking cracker grand lush mint sick fire lit dope goated elite banger "
    "bussin valid clutch slay iconic unreal insane wicked sweet rad cool epic savage deadly sound tops champion champ "
    "star hero lifesaver gem treasure boss beast correct accurate spot bang nailed nail crushed killed smashed winner "
    "bingo bullseye helped helps worked works sorted handy thoughtful impressive impressed respect props love loved "
    "adore blessing bless proud".split())
# Words of things going wrong or of annoyance, as the scorer reads them.
_COMPLAINT_WORDS = frozenset(word.replace("'", "") for word in _NEGATIVES) | frozenset(
    "idiot dumb bad hate trash nonsense pointless ugh mistake pathetic ridiculous".split())

# The assistant's name as the rules read it before the configuration is compiled (see _Rules.names).
_ASSISTANT_WORDS = frozenset((ASSISTANT_NAME.lower(), *(prefix.lower() for prefix in ASSISTANT_NAME_PREFIXES)))
# Marks kept as tokens of their own.
_SENTENCE_END = "."
_QUESTION_END = "?"
_SENTENCE_ENDS = frozenset((_SENTENCE_END, _QUESTION_END))
_COMMA = ","
_QUOTE = '"'
# The marks that may stand inside a sentence (sentence ends bound it).
_IN_SENTENCE_MARKS = frozenset((_COMMA, _QUOTE))


# --- Tokens ----------------------------------------------------------------------------------------------

def _translation_table() -> dict[int, str]:
    """str.translate table: sentence ends, commas and quotes to tokens; apostrophes to one form; symbols away."""
    table: dict[int, str] = {}
    for char in ".!;\n\r\u2028\u2029\x85":
        table[ord(char)] = f" {_SENTENCE_END} "
    table[ord("?")] = f" {_QUESTION_END} "
    for char in ",:\u2013\u2014":
        table[ord(char)] = f" {_COMMA} "
    for char in '"\u201c\u201d\u201e\u00ab\u00bb':
        table[ord(char)] = f" {_QUOTE} "
    for char in "\u2018\u2019\u02bc`\u00b4":
        table[ord(char)] = "'"
    # A hyphen joins words that are read apart: "spot-on" as "spot on", "great-grandmother" as "great" + a noun.
    for char in "-\u2010()[]{}<>*_~#/\\|+=^%$@&\t\x0b\x0c\u200b\u200d\ufe0f":
        table[ord(char)] = " "
    for low, high in ((0x2190, 0x2BFF), (0x1F000, 0x1FAFF)):  # arrows, symbols, emoji
        for code in range(low, high + 1):
            table[code] = " "
    for char in PRAISE_EMOJI:
        table[ord(char)] = f" {char} "
    return table


_TABLE = _translation_table()
# The non-ASCII characters _TABLE maps, as one captured character class (its two large ranges written as
# ranges), and what _TABLE makes of each, keyed by the character.
_TABLE_NON_ASCII = re.compile("([" + "".join(
    re.escape(chr(code)) for code in sorted(_TABLE)
    if code >= 128 and not (0x2190 <= code <= 0x2BFF or 0x1F000 <= code <= 0x1FAFF))
    + "\u2190-\u2bff\U0001f000-\U0001faff])")
_TABLE_BY_CHAR = {chr(code): mapped for code, mapped in _TABLE.items()}


def _ascii_marks_table() -> bytes:
    """bytes.translate table giving, for ASCII text, the tokens _TABLE gives once the marks are spaced out.

    Each character _TABLE turns into a mark becomes that mark alone (_spaced_marks puts the spaces around
    it); the rest map as in _TABLE; characters str.split() takes for spaces become spaces.
    """
    table = bytearray(range(256))
    for code in range(128):
        mapped = _TABLE.get(code, chr(code))
        stripped = mapped.strip()
        if len(mapped) == 1 or not stripped:
            table[code] = ord(mapped) if len(mapped) == 1 else ord(" ")
        else:
            table[code] = ord(stripped)
        if code not in _TABLE and chr(code).isspace():
            table[code] = ord(" ")
    return bytes(table)


_ASCII_MARKS_TABLE = _ascii_marks_table()


def _tokens(text: str) -> list[str]:
    """The rules' tokens of *text* (NFKC-normalised): text.translate(_TABLE).split(), much faster for ASCII."""
    ascii_text = text.isascii()
    # The ASCII bytes by bytes.translate (the others pass through), then the few non-ASCII characters _TABLE
    # maps by one regular expression: many times faster than str.translate with a large dict.
    marked = text.encode("ascii" if ascii_text else "utf-8", "surrogatepass").translate(_ASCII_MARKS_TABLE)
    for mark in (b".", b"?", b",", b'"'):
        if mark in marked:
            marked = marked.replace(mark, b" " + mark + b" ")
    if ascii_text:
        return marked.decode("ascii").split()
    # Split at the characters _TABLE maps (captured: every other part) and map them all by one C-level call: a
    # Python call per character, as re.sub with a function makes, cost more than the rest on emoji-heavy text.
    parts = _TABLE_NON_ASCII.split(marked.decode("utf-8", "surrogatepass"))  # a lone surrogate is kept as it came
    parts[1::2] = map(_TABLE_BY_CHAR.__getitem__, parts[1::2])
    return "".join(parts).split()
# For the scorer's words of an ASCII message: letters lower-cased, apostrophes kept, other marks spaces (the
# bytes over 127 never occur).
_ASCII_WORDS_TABLE = bytes(
    ord(chr(code).lower()) if chr(code).isalnum() else code if chr(code) == "'" else ord(" ")
    for code in range(128)) + bytes(range(128, 256))


def _is_word(token: str) -> bool:
    """A word starts with a letter or digit, holds an apostrophe, or is a praise emoji; the rest are marks."""
    return token[0].isalnum() or token in PRAISE_EMOJI or "'" in token


def _restored(tokens: Iterable[str]) -> list[str]:
    """The tokens with missing apostrophes restored ("thats" -> "that's"), by one C-level map."""
    return list(map(_APOSTROPHES.get, tokens, tokens))


def _positions(tokens: list[str], vocabulary: frozenset[str]) -> list[int]:
    """The indices of the tokens in *vocabulary*."""
    return [k for k, token in enumerate(tokens) if token in vocabulary]


def _holds_a_phrase(present: set[str], phrases: dict[str, list[frozenset[str]]]) -> bool:
    """Whether *present* holds all the words of a phrase, given the phrases' word sets listed under one of their
    words (a plain loop: faster here than any() over a generator)."""
    for key in phrases.keys() & present:
        if any(map(present.issuperset, phrases[key])):
            return True
    return False


def _phrase_key(words: tuple[str, ...], affirmatives: frozenset[str]) -> str:
    """The word of a phrase that rules out most messages: an affirmative, else its longest uncommon word."""
    for word in words:
        if word in affirmatives:
            return word
    uncommon = [word for word in words if word not in _COMMON_WORDS] or list(words)
    return max(uncommon, key=len)


class _computed_once:
    """A cached property with no lock: functools.cached_property takes one on Python < 3.12, which cost
    a tenth of the analysis.  Most objects here live within one detect_praise call, in one thread; on the
    shared _Rules, two threads may both compute a value, and they compute the same one."""

    def __init__(self, function: Callable[[Any], Any]) -> None:
        self.function, self.name = function, function.__name__
        self.__doc__ = function.__doc__

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.function(instance)
        return value


class _Rules:
    """The lexicon compiled from the configuration lists; rebuilt when they change."""

    def __init__(self) -> None:
        self.source = (list(PRAISE_PHRASES), list(SHORT_AFFIRMATIVES), ASSISTANT_NAME,
                       list(ASSISTANT_NAME_PREFIXES), SHORT_AFFIRMATIVE_MAX_WORDS)
        self.affirmatives = frozenset(word.lower() for word in SHORT_AFFIRMATIVES)
        self.names = frozenset([ASSISTANT_NAME.lower(), *(p.lower() for p in ASSISTANT_NAME_PREFIXES)])
        # Phrases by first word, longest first: (normalised words, the set of them, the phrase as configured).
        self.phrases: dict[str, list[tuple[tuple[str, ...], frozenset[str], str]]] = {}
        for phrase in PRAISE_PHRASES:
            words = tuple(_APOSTROPHES.get(w, w) for w in phrase.lower().translate(_TABLE).split() if w != _COMMA)
            if words:
                self.phrases.setdefault(words[0], []).append((words, frozenset(words), phrase))
        for options in self.phrases.values():
            options.sort(key=lambda option: -len(option[0]))
        # The same phrases' word sets alone, by first word: a phrase is possible only if all its words are present.
        self.phrase_words = {first: [needed for _, needed, _ in options] for first, options in self.phrases.items()}
        # Each word of a phrase with the word sets of the phrases that hold it, for _bounded_starts.
        self.phrases_with: dict[str, list[frozenset[str]]] = {}
        for options in self.phrases.values():
            for _, needed, _ in options:
                for word in needed:
                    self.phrases_with.setdefault(word, []).append(needed)
        # Each phrase's words that tell where it stands (not "the", "so", "good"), with and without apostrophes,
        # by first word as in self.phrases: for _long_windows.
        self.telling: dict[str, list[tuple[frozenset[str], frozenset[str]]]] = {
            first: [(needed, frozenset(form for word in needed - _COMMON_PHRASE_WORDS - self.affirmatives or needed
                                       for form in (word, word.replace("'", ""))))
                    for _, needed, _ in options]
            for first, options in self.phrases.items()}
        # Words at which a candidate can start.
        self.starters = frozenset(self.phrases) | self.affirmatives | frozenset(PRAISE_EMOJI)
        # A sentence that holds none of these words cannot be praise: the affirmatives, the emoji,
        # and for each phrase its least common word ("laugh" for "made me laugh").
        keys = {_phrase_key(words, self.affirmatives) for options in self.phrases.values() for words, _, _ in options}
        self.triggers = frozenset(keys | {k.replace("'", "") for k in keys}) | self.affirmatives | frozenset(
            PRAISE_EMOJI)
        self.word_triggers = frozenset(word.replace("'", "") for word in self.triggers)
        # The same as the scorer reads a message (apostrophes dropped), for the first look: a message can hold
        # an accepted candidate only if it holds an affirmative or every word of a phrase.
        self.word_affirmatives = frozenset(word.replace("'", "") for word in self.affirmatives)
        self.word_phrases: dict[str, list[frozenset[str]]] = {}
        for options in self.phrases.values():
            for words, _, _ in options:
                plain = frozenset(word.replace("'", "") for word in words)
                self.word_phrases.setdefault(max(plain, key=lambda word: (len(word), word)), []).append(plain)
        # A message holding none of these words fails the first look at once: most messages, one set test.
        self.first_look = self.word_affirmatives | frozenset(PRAISE_EMOJI) | frozenset(self.word_phrases)
        self.lead = _FILLERS | _INTENSIFIERS | _FRAME_WORDS | self.names
        self.follow_ok = (_REPLY_NOUNS | _NEUTRAL_FOLLOWERS | _VOCATIVES | self.names | self.affirmatives
                          | frozenset(PRAISE_EMOJI))
        self.short_vocabulary = (_FILLERS | _INTENSIFIERS | self.names | _REPLY_NOUNS | _THANKS | _VOCATIVES
                                 | self.affirmatives | frozenset(PRAISE_EMOJI))
        self.known = self.lead | self.follow_ok | _QUESTION_WORDS | _IMPERATIVES | _DETERMINERS | frozenset(
            self.phrases)

    @_computed_once
    def window_cues(self) -> dict[str, int]:
        """The cue words a long message is read around (see _long_windows), with and without their apostrophes,
        each with its rank (a lower rank is read first): the affirmatives, praise emoji and laughter (0), and the
        other words that can trigger a rule and the words of approval (1).  _long_windows reads the telling
        words of the phrases a message holds before them all."""
        cues: dict[str, int] = {}
        for words, rank in ((self.affirmatives | _PRAISE_EMOJI_SET | _LAUGHTER, 0),
                            (self.triggers | _APPROVAL_WORDS, 1)):
            for word in words:
                for form in (word, word.replace("'", ""), _APOSTROPHES.get(word, word)):
                    cues.setdefault(form, rank)
        return cues

    def may_hold_praise(self, words: set[str], ascii_text: bool = False) -> bool:
        """The first look, on a message's scorer words alone: an affirmative, a praise emoji (none in ASCII
        text), or all of a phrase's words.  Most messages hold no word of first_look, and fail at that one set
        test; the rules read only those that pass."""
        return not self.first_look.isdisjoint(words) and (
            not self.word_affirmatives.isdisjoint(words) or not (ascii_text or _PRAISE_EMOJI_SET.isdisjoint(words))
            or _holds_a_phrase(words, self.word_phrases))

    def is_current(self) -> bool:
        """Whether the configuration lists still hold what this lexicon was built from."""
        phrases, affirmatives, name, prefixes, limit = self.source
        return (phrases == PRAISE_PHRASES and affirmatives == SHORT_AFFIRMATIVES and name == ASSISTANT_NAME
                and prefixes == ASSISTANT_NAME_PREFIXES and limit == SHORT_AFFIRMATIVE_MAX_WORDS)


_rules = _Rules()


def _current_rules() -> _Rules:
    """The lexicon for the configuration as it stands now."""
    global _rules
    if not _rules.is_current():
        _rules = _Rules()
    return _rules


class _CasedTokens:
    """The message's tokens with their capitals, made only if a rule asks for them."""

    def __init__(self, text: str, lowered: list[str]) -> None:
        self._text, self._lowered = text, lowered

    @_computed_once
    def tokens(self) -> list[str]:
        cased = _tokens(self._text)
        # lower() can change a token boundary in rare scripts: then no capitals are known.
        return cased if len(cased) == len(self._lowered) else self._lowered


# --- Sentences and candidates -----------------------------------------------------------------------

class _Sentence:
    """One sentence's words, and position facts the vetoes share, each computed once when first asked for.

    Each veto is then O(1) or bounded by its clause, so a long sentence full
    of praise words that do not count stays linear.
    """

    def __init__(self, tokens: list[str], cased: _CasedTokens, start: int, is_question: bool,
                 rules: _Rules, in_quotes: bool = False) -> None:
        self.rules = rules
        self.is_question = is_question
        self._cased, self._start = cased, start
        # (_is_word inline: a helper call per token would cost more than it saves here.)
        self.words = [token for token in tokens if token[0].isalnum() or token in PRAISE_EMOJI or "'" in token]
        size = len(self.words)
        if size == len(tokens):  # no commas, quotes or stray marks: one clause, quoted as the window starts
            self.token_index = list(range(size))
            self.clause, self.quoted = [0] * size, [in_quotes] * size
        else:
            self._mark_clauses(tokens, in_quotes)
        self.present = frozenset(self.words)

    def _mark_clauses(self, tokens: list[str], in_quotes: bool) -> None:
        """Where each word stands among the tokens, where its clause starts, and whether it is quoted.

        The words between two non-words share their clause and quoting, so the work is per comma or quote
        mark, not per token.
        """
        # A sentence's non-words are its commas and quote marks -- unless it also holds a
        # stray symbol ("£5"), which is a non-word too.
        breaks = _positions(tokens, _IN_SENTENCE_MARKS)
        if len(self.words) + len(breaks) != len(tokens):
            breaks = [k for k, token in enumerate(tokens) if not _is_word(token)]
        self.token_index: list[int] = []
        self.clause: list[int] = []  # index of the first word of each word's clause
        self.quoted: list[bool] = []
        comma = False
        clause = first = 0
        for stop in [*breaks, len(tokens)]:
            if stop > first:  # tokens[first:stop] are words
                if comma:
                    clause = len(self.token_index)
                    comma = False
                self.token_index += range(first, stop)
                self.clause += [clause] * (stop - first)
                self.quoted += [in_quotes] * (stop - first)
            if stop < len(tokens):
                if tokens[stop] == _COMMA:
                    comma = True
                elif tokens[stop] == _QUOTE:
                    in_quotes = not in_quotes
            first = stop + 1

    @_computed_once
    def original(self) -> list[str]:
        """The words as typed, for the checks that need capitals ("Good job, Sarah")."""
        cased = self._cased.tokens
        return [cased[self._start + index] for index in self.token_index]

    @_computed_once
    def is_short(self) -> bool:
        """The original rule: a short message made only of praise vocabulary ("Answer was perfect")."""
        counted = [w for w in self.words if w not in self.rules.names and w not in _FILLERS]
        return len(counted) <= SHORT_AFFIRMATIVE_MAX_WORDS and all(
            w in self.rules.short_vocabulary or w in _FRAME_WORDS for w in counted)

    @_computed_once
    def first_conditional(self) -> int:
        return _first_index(self.words, _CONDITIONALS)

    @_computed_once
    def first_say(self) -> int:
        return _first_index(self.words, _SAY_WORDS)

    @_computed_once
    def last_if(self) -> int:
        return max((k for k, word in enumerate(self.words) if word in _IF_WORDS), default=-1)

    @_computed_once
    def last_cue(self) -> int:
        cues = _SARCASM_CUES if "you" not in self.present else _SARCASM_CUES_WITH_YOU
        return max((k for k, word in enumerate(self.words) if word in cues), default=-1)

    @_computed_once
    def request_start(self) -> int:
        """Index of the verb if the sentence opens with a request ("Give me a good one"), else -1."""
        words = self.words
        for k, word in enumerate(words):
            if word in _IMPERATIVES:
                # "Think of a good name" asks; "I think that was great" is an opinion.
                return -1 if word == "think" and k and words[k - 1] in _SPEAKER else k
            if word not in _REQUEST_LEAD and word not in _FILLERS:
                return -1
        return -1

    @_computed_once
    def third_person_seen(self) -> list[int]:
        return _last_seen(self.words, _THIRD_PERSON)

    @_computed_once
    def speaker_seen(self) -> list[int]:
        return _last_seen(self.words, _SPEAKER)

    @_computed_once
    def reply_seen(self) -> list[int]:
        return _last_seen(self.words, _REPLY_OR_YOU)

    @_computed_once
    def subject_limit(self) -> dict[int, int]:
        """For each clause whose subject is "my X", "the X"... (X not the reply): where that subject ends."""
        words, limits, seen = self.words, {}, set()
        for k in range(len(words) - 1):
            start = self.clause[k]
            if start not in seen and words[k] in _DETERMINERS and self.clause[k + 1] == start:
                seen.add(start)
                if words[k + 1] not in _SUBJECT_OK:
                    limits[start] = k + 2
        return limits

    @_computed_once
    def negatives(self) -> tuple[list[bool], list[bool]]:
        """Is there a negative word left / right of each word with no "but" between?"""
        n = len(self.words)
        left, right = [False] * n, [False] * n
        for order, marks in ((range(n), left), (range(n - 1, -1, -1), right)):
            seen = False
            for k in order:
                marks[k] = seen
                if self.words[k] in _CONTRAST:
                    seen = False
                elif self.words[k] in _NEGATIVES:
                    seen = True
        return left, right

    def candidate_at(self, i: int) -> _Candidate | None:
        """The longest phrase starting at word i, else the affirmative or emoji it is, else None."""
        words, rules = self.words, self.rules
        options = rules.phrases.get(words[i])
        if options:
            for phrase_words, needed, phrase in options:
                # The set test (C speed) rules out most phrases before they are walked word by word.
                if needed <= self.present:
                    end = _match_phrase(words, i, phrase_words)
                    if end is not None:
                        return _Candidate("phrase", phrase, i, end)
        if words[i] in rules.affirmatives:
            return _Candidate("affirmative", words[i], i, i + 1)
        if words[i] in PRAISE_EMOJI:
            return _Candidate("emoji", words[i], i, i + 1)
        return None


class _Candidate:
    """Praise words found in a sentence: which rule found them, and words[i:j]."""

    __slots__ = ("rule", "matched", "i", "j")

    def __init__(self, rule: str, matched: str, i: int, j: int) -> None:
        self.rule, self.matched, self.i, self.j = rule, matched, i, j


def _first_index(words: list[str], vocabulary: frozenset[str]) -> int:
    """The index of the first word in *vocabulary*, or -1."""
    return next((k for k, word in enumerate(words) if word in vocabulary), -1)


def _last_seen(words: list[str], vocabulary: frozenset[str]) -> list[int]:
    """last[k]: the index of the last word before k that is in *vocabulary*, or -1."""
    last, seen = [], -1
    for k, word in enumerate(words):
        last.append(seen)
        if word in vocabulary:
            seen = k
    return last


def _match_phrase(words: list[str], i: int, phrase: tuple[str, ...]) -> int | None:
    """The end of *phrase* matched at word i, allowing intensifiers in between ("you absolutely nailed it")."""
    k = i
    for position, wanted in enumerate(phrase):
        if position:
            while k < len(words) and words[k] != wanted and words[k] in _INTENSIFIERS:
                k += 1
        if k >= len(words) or words[k] != wanted:
            return None
        k += 1
    return k


# --- Vetoes: the rules that make praise words not praise ------------------------------------------
#
# Each veto is one function named for what it catches, called only when the
# sentence holds one of its trigger words (None: always).  _VETOES lists them
# cheapest first; the first that fires rejects the candidate and names why.

def _veto_emoji_among_words(s: _Sentence, c: _Candidate) -> bool:
    """A praise emoji counts only in a sentence of praise vocabulary: not "I watched six episodes 😂", "👏 broken"."""
    return not s.present <= s.rules.short_vocabulary


def _veto_sarcasm_cue(s: _Sentence, c: _Candidate) -> bool:
    """A leading affirmative before "another" or "again": "Great, another meeting"."""
    return s.last_cue > c.i


def _veto_not_leading(s: _Sentence, c: _Candidate) -> bool:
    """An affirmative that neither leads its clause, nor fills a short message, nor ends "the reply was X"."""
    return not (_leads(s, c.i) or s.is_short or _praises_reply(s, c.i, _word_after(s, c)))


def _veto_describes_a_thing(s: _Sentence, c: _Candidate) -> bool:
    """A praise word followed by a noun is about that noun: "nice weather", "I like that movie"."""
    after = _word_after(s, c)
    last = s.words[c.j - 1]
    return after is not None and after not in s.rules.follow_ok and (
        c.rule == "affirmative" or last in s.rules.affirmatives or last in _NOUN_TAKERS)


def _veto_someone_else(s: _Sentence, c: _Candidate) -> bool:
    """Praise followed by another capitalised name: "Good job, Sarah", "Nice one Jake"."""
    j, words = c.j, s.words
    return (j < len(words) and words[j] not in s.rules.follow_ok and words[j] not in ("i", "i'm")
            and s.original[j][:1].isupper())


def _veto_negation(s: _Sentence, c: _Candidate) -> bool:
    """A negator up to three words before, in the same clause: "not good", "never a nice one"."""
    return c.matched.split()[0] not in _NEGATORS and not _NEGATORS.isdisjoint(
        s.words[max(s.clause[c.i], c.i - 3):c.i])


def _veto_question(s: _Sentence, c: _Candidate) -> bool:
    """A question about the praise word: "was that good?", "good, right?"."""
    clause = s.clause
    return s.is_question and (clause[c.j - 1] == clause[-1] or s.words[clause[c.i]] in _QUESTION_WORDS)


def _veto_question_word_first(s: _Sentence, c: _Candidate) -> bool:
    """A sentence that opens with a question word, unmarked: "is that good", but not "what a great answer"."""
    words = s.words
    return c.i > 0 and words[0] in _QUESTION_WORDS and not (
        words[0] in ("what", "how") and (words[1] in ("a", "an") or words[1] in s.rules.affirmatives))


def _veto_quoted(s: _Sentence, c: _Candidate) -> bool:
    """Praise words inside double quotes are quoted, not said: 'he wrote "great job"'."""
    return s.quoted[c.i]


def _veto_talk_about_praise(s: _Sentence, c: _Candidate) -> bool:
    """The sentence talks about praise words: "the trigger phrase is good job"."""
    return True


def _veto_request(s: _Sentence, c: _Candidate) -> bool:
    """The sentence opens with a request before the praise: "give me a good one"."""
    return 0 <= s.request_start < c.i


def _veto_conditional(s: _Sentence, c: _Candidate) -> bool:
    """Hypothetical praise: "that would be perfect", "perfect if it were true"."""
    return 0 <= s.first_conditional < c.i or s.last_if >= c.j


def _veto_reported_speech(s: _Sentence, c: _Candidate) -> bool:
    """Praise after a verb of saying is quoted: "when I say well done"."""
    return 0 <= s.first_say < c.i


def _veto_third_person(s: _Sentence, c: _Candidate) -> bool:
    """Someone else earlier in the clause: "she did a great job"."""
    return s.third_person_seen[c.i] >= s.clause[c.i]


def _veto_about_the_speaker(s: _Sentence, c: _Candidate) -> bool:
    """The user says a phrase of themselves: "I nailed it", "I feel much better", "I had a good one".

    A phrase that is the speaker's reaction to the reply or addressed to it ("I really love it",
    "I couldn't have said it better", "I'm so proud of you") is still praise.
    """
    if c.rule != "phrase":
        return False
    k = s.speaker_seen[c.i]
    return (k >= s.clause[c.i] and all(word in _SPEAKER_BRIDGE for word in s.words[k + 1:c.i])
            and _REACTION_WORDS.isdisjoint(s.words[c.i:c.j]))


def _veto_other_subject(s: _Sentence, c: _Candidate) -> bool:
    """The clause's subject is something other than the reply: "my soup was perfect"."""
    return s.subject_limit.get(s.clause[c.i], len(s.words) + 1) <= c.i


def _veto_named_subject(s: _Sentence, c: _Candidate) -> bool:
    """The sentence opens with someone's name doing something: "Dave made a great point"."""
    words = s.words
    return (c.i > 1 and words[1] in _SUBJECT_VERBS and words[0] not in s.rules.known
            and s.original[0][:1].isupper())


def _veto_complaint_nearby(s: _Sentence, c: _Candidate) -> bool:
    """A word of things going wrong on either side, with no "but" between: "great, it crashed"."""
    left, right = s.negatives
    return left[c.i] or right[c.j - 1]


@dataclass(frozen=True)
class _Veto:
    """A named rule that rejects a candidate: run only for *rules*, and only if a *trigger* word is present."""

    name: str
    check: Callable[[_Sentence, _Candidate], bool]
    triggers: frozenset[str] | None  # None: always run
    rules: frozenset[str]


_WORD_RULES = frozenset(("phrase", "affirmative"))
_EMOJI_RULE = frozenset(("emoji",))
_VETOES: tuple[_Veto, ...] = (
    _Veto("emoji_among_words", _veto_emoji_among_words, None, _EMOJI_RULE),
    _Veto("sarcasm_cue", _veto_sarcasm_cue, _SARCASM_CUES, frozenset(("affirmative",))),
    _Veto("not_leading", _veto_not_leading, None, frozenset(("affirmative",))),
    _Veto("describes_a_thing", _veto_describes_a_thing, None, _WORD_RULES),
    _Veto("someone_else", _veto_someone_else, None, _WORD_RULES),
    _Veto("negation", _veto_negation, _NEGATORS, _WORD_RULES),
    _Veto("question", _veto_question, None, _WORD_RULES),
    _Veto("question_word_first", _veto_question_word_first, _QUESTION_WORDS, _WORD_RULES),
    _Veto("quoted", _veto_quoted, None, _WORD_RULES),
    _Veto("talk_about_praise", _veto_talk_about_praise, _META_WORDS, _WORD_RULES),
    _Veto("request", _veto_request, _IMPERATIVES, _WORD_RULES),
    _Veto("conditional", _veto_conditional, _CONDITIONALS, _WORD_RULES),
    _Veto("reported_speech", _veto_reported_speech, _SAY_WORDS, _WORD_RULES),
    _Veto("third_person", _veto_third_person, _THIRD_PERSON, _WORD_RULES),
    _Veto("about_the_speaker", _veto_about_the_speaker, _SPEAKER, frozenset(("phrase",))),
    _Veto("other_subject", _veto_other_subject, _DETERMINERS, _WORD_RULES),
    _Veto("named_subject", _veto_named_subject, None, _WORD_RULES),
    _Veto("complaint_nearby", _veto_complaint_nearby, _NEGATIVES, _WORD_RULES),
)
#: The name of the message-level veto: a sarcastic word sequence anywhere ("just great", "yeah right").
SARCASM_VETO = "sarcasm"
#: Every veto's name, for explain and the scorer's features.
VETO_NAMES: tuple[str, ...] = (SARCASM_VETO, *(veto.name for veto in _VETOES))


def _veto_for(sentence: _Sentence, candidate: _Candidate) -> str | None:
    """The name of the first veto that rejects *candidate*, or None if none does."""
    present = sentence.present
    for name, check, triggers in _vetoes_of(candidate.rule):
        if (triggers is None or not triggers.isdisjoint(present)) and check(sentence, candidate):
            return name
    return None


_VetoView = tuple[tuple[str, Callable[["_Sentence", "_Candidate"], bool], "frozenset[str] | None"], ...]
_veto_views: tuple[tuple[_Veto, ...], dict[str, _VetoView]] = ((), {})  # _VETOES, and its view per rule


def _vetoes_of(rule: str) -> _VetoView:
    """The vetoes of _VETOES that apply to *rule*, in order, as (name, check, triggers): the table is read
    once per rule, not once per candidate (and again if _VETOES is replaced)."""
    global _veto_views
    table, views = _veto_views
    if table is not _VETOES:
        table, views = _veto_views = (_VETOES, {})
    view = views.get(rule)
    if view is None:
        view = views[rule] = tuple((veto.name, veto.check, veto.triggers) for veto in table if rule in veto.rules)
    return view


def _word_after(s: _Sentence, c: _Candidate) -> str | None:
    """The word after the candidate, if it is in the same clause."""
    j = c.j
    return s.words[j] if j < len(s.words) and s.clause[j] != j else None


def _leads(s: _Sentence, i: int) -> bool:
    """Only fillers, intensifiers and frames ("that's", "what a") stand before word i in its clause."""
    return s.rules.lead.issuperset(s.words[s.clause[i]:i])


def _praises_reply(s: _Sentence, i: int, after: str | None) -> bool:
    """An affirmative ending a clause about the reply: "the way you explained it was perfect"."""
    words, k, start = s.words, i, s.clause[i]
    while k > start and words[k - 1] in _INTENSIFIERS:
        k -= 1
    return after is None and k > start and words[k - 1] in _COPULAS and s.reply_seen[i] >= start


def _sarcastic(tokens: list[str]) -> bool:
    """The message-level veto: a sarcastic word sequence anywhere ("just great", "thanks for nothing")."""
    if _SARCASM_WORDS.isdisjoint(tokens):  # most messages the rules read: no set of their tokens is made
        return False
    present = set(tokens)
    possible = [pattern for pattern in _SARCASM if present.issuperset(pattern)]
    if not possible:
        return False
    # No token holds a space, so a sequence of tokens is a substring of them all joined by spaces: one C search.
    joined = f" {' '.join(tokens)} "
    return any(f" {' '.join(pattern)} " in joined for pattern in possible)


# --- The rules over a message ------------------------------------------------------------------------

@dataclass
class _RuleResult:
    """What the rules found in a message: the accepted match, else the first veto that rejected a candidate."""

    match: PraiseMatch | None = None
    veto: str | None = None  # the veto of the first rejected candidate
    vetoed: str | None = None  # what that veto rejected
    vetoes: set[str] = field(default_factory=set)  # every veto that fired


def _apply_rules(text: str, tokens: list[str], normal: list[str], rules: _Rules) -> _RuleResult:
    """Run the candidates of every sentence that holds a trigger word past the vetoes, in order.

    *normal* is _restored(tokens), made once for _may_accept and the rules.
    """
    result = _RuleResult()
    if _sarcastic(tokens):
        result.veto = SARCASM_VETO
        result.vetoes.add(SARCASM_VETO)
        return result
    triggers = rules.triggers
    starts = _positions(tokens, triggers)
    if not starts:
        return result
    if len(starts) > 2 * LONG_MESSAGE_CANDIDATES:
        starts = _bounded_starts(normal, starts, rules)
    ends = _positions(tokens, _SENTENCE_ENDS)
    cased = _CasedTokens(text, tokens)
    done_until = -1
    quotes_from = quotes_to = quotes = 0  # quote marks counted in tokens[quotes_from:quotes_to], one sentence
    for position in starts:
        if position <= done_until:
            continue
        start, end = _sentence_bounds(ends, position, len(tokens))
        is_question = end < len(tokens) and tokens[end] == _QUESTION_END
        # A long sentence (an unpunctuated voice transcript) is read only near the candidate: bounded work.
        # Whether the window opens inside quotes is counted once over the sentence, left to right: linear.
        if start != quotes_from:
            quotes_from = quotes_to = start
            quotes = 0
        start, end = max(start, position - RULE_WINDOW), min(end, position + RULE_WINDOW)
        quotes += tokens[quotes_to:start].count(_QUOTE) if start > quotes_to else 0
        quotes_to = max(quotes_to, start)
        done_until = end
        sentence = _Sentence(normal[start:end], cased, start, is_question, rules, quotes % 2 == 1)
        starters = rules.starters
        for i, word in enumerate(sentence.words):
            if word not in starters:
                continue
            candidate = sentence.candidate_at(i)
            if candidate is None:
                continue
            veto = _veto_for(sentence, candidate)
            if veto is None:
                result.match = _locate(text, normal, sentence.words[candidate.i:candidate.j],
                                       start + sentence.token_index[candidate.i], candidate.rule, candidate.matched)
                return result
            if result.veto is None:
                result.veto, result.vetoed = veto, candidate.matched
            result.vetoes.add(veto)
    return result


# In a message with more trigger words than twice this, the rules read the windows of the first and the last
# this many, and in between only those near all the words of a phrase: a voice transcript's praise stands at
# its start or its end, a phrase is praise wherever it stands, and the work per KB stays bounded.
LONG_MESSAGE_CANDIDATES = 6
# Tokens either side of a trigger word searched for the rest of its phrase.
_PHRASE_REACH = 8


def _bounded_starts(normal: list[str], starts: list[int], rules: _Rules) -> list[int]:
    """The trigger positions of a long message that the rules read (see LONG_MESSAGE_CANDIDATES), given its
    tokens _restored."""
    count = LONG_MESSAGE_CANDIDATES
    kept = starts[:count]
    present = set(normal)
    possible: dict[str, list[frozenset[str]]] = {}  # each word's phrases whose words the message holds
    for k in starts[count:-count]:
        word = normal[k]
        needs = possible.get(word)
        if needs is None:
            needs = possible[word] = [needed for needed in rules.phrases_with.get(word, ()) if needed <= present]
        if needs:
            near = set(normal[max(0, k - _PHRASE_REACH):k + _PHRASE_REACH])
            if any(map(near.issuperset, needs)):
                kept.append(k)
    return kept + starts[-count:]


def _may_accept(normal: list[str], rules: _Rules) -> bool:
    """Whether the rules could accept any candidate in *normal* (a message's tokens, _restored): a cheap look
    that is never wrong when it says no.

    A phrase needs all its words in the message; an affirmative needs to lead its clause, end it, or stand in
    a short sentence (_veto_not_leading rejects the rest); an emoji sends the message to the rules.  Most
    messages holding a praise word ("a good day", "not like that") fail here, and the full rules -- which only
    name the veto that rejected them -- run for them only when explaining.
    """
    present = set(normal)
    if _holds_a_phrase(present, rules.phrase_words):
        return True
    if not _PRAISE_EMOJI_SET.isdisjoint(present):
        return True
    if rules.affirmatives.isdisjoint(present):
        return False
    lead = rules.lead
    ends: list[int] | None = None
    not_short: set[int] = set()  # the starts of sentences counted and found too long: each is counted once
    for k in _positions(normal, rules.affirmatives):
        if _clause_edge(normal, k, -1, lead) or _clause_edge(normal, k, 1, frozenset()):
            return True
        if ends is None:
            ends = _positions(normal, _SENTENCE_ENDS)
        start, end = _sentence_bounds(ends, k, len(normal))
        if start not in not_short:
            if _is_short_sentence(normal[start:end], rules):
                return True
            not_short.add(start)
    return False


def _clause_edge(normal: list[str], k: int, step: int, passed: frozenset[str]) -> bool:
    """Walking from word k by *step* over marks and *passed* words, whether a clause boundary or the end comes
    first ("Oh, so good" leads; "that was good." ends; "a good day" does neither)."""
    k += step
    while 0 <= k < len(normal):
        token = normal[k]
        if token in _CLAUSE_MARKS:
            return True
        if token in passed or not (token[0].isalnum() or token in PRAISE_EMOJI or "'" in token):
            k += step
            continue
        return False
    return True


def _is_short_sentence(sentence: list[str], rules: _Rules) -> bool:
    """Whether a sentence's tokens hold at most SHORT_AFFIRMATIVE_MAX_WORDS words that count (the assistant's
    name and fillers do not); counting stops at the first word over, so a long sentence costs little."""
    counted = 0
    for token in sentence:
        if _is_word(token) and token not in rules.names and token not in _FILLERS:
            counted += 1
            if counted > SHORT_AFFIRMATIVE_MAX_WORDS:
                return False
    return True


# Tokens that end a clause: a sentence end or a comma.
_CLAUSE_MARKS = frozenset((_SENTENCE_END, _QUESTION_END, _COMMA))
_PRAISE_EMOJI_SET = frozenset(PRAISE_EMOJI)


# Tokens either side of a candidate the rules read in a long sentence; a veto looks no further.
RULE_WINDOW = 24


def _sentence_bounds(ends: list[int], position: int, size: int) -> tuple[int, int]:
    """The tokens of the sentence around *position*, given where every sentence ends."""
    k = bisect.bisect_left(ends, position)
    return (ends[k - 1] + 1 if k else 0), (ends[k] if k < len(ends) else size)


def _locate(text: str, tokens: list[str], words: list[str], token_index: int, rule: str,
            matched: str) -> PraiseMatch:
    """Character offsets of the matched words in the (normalised) message."""
    occurrence = tokens[:token_index].count(words[0])
    first, whole = _word_patterns(tuple(words))
    for count, found in enumerate(first.finditer(text)):
        if count == occurrence:
            rest = whole.match(text, found.start())
            return PraiseMatch(rule, matched, found.start(), rest.end() if rest else found.end())
    return PraiseMatch(rule, matched, 0, len(text))  # not reached: every matched word is in the text


@functools.lru_cache(maxsize=512)
def _word_patterns(words: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Regular expressions for the first word alone and for all the words with anything non-word between."""
    patterns = [re.escape(word).replace("'", "['\u2019]?") for word in words]
    first = re.compile(rf"(?<![\w'\u2019]){patterns[0]}(?![\w'\u2019])", re.IGNORECASE)
    return first, re.compile(r"[\W_]*".join(patterns), re.IGNORECASE)


# --- The learned scorer ----------------------------------------------------------------------------------
#
# Logistic regression over a message's features: its words and word pairs
# (lower case, no apostrophes, each emoji a word) and the rule signals below.
# The weights live in fine_tuning_capture_weights.py beside this module,
# written by tools/train_praise_scorer.py; without a usable weights file the
# rules decide alone and a warning is logged once.

#: The feature scheme the weights file must have been trained for; bump it when _scorer_features changes.
SCORER_FORMAT = 2
_WEIGHTS_FILE = Path(__file__).resolve().with_name("fine_tuning_capture_weights.py")
#: Weights are read to this fraction of a unit (the trainer writes them rounded to 4 decimals).
WEIGHT_SCALE = 10_000
# Prefix of the rule-signal features; no word can start with it.
_SIGNAL = "#"
# Message lengths, in words, that get a feature of their own: a one-word message differs from a transcript.
_LENGTH_BUCKETS = ((1, "#len:1"), (3, "#len:2-3"), (8, "#len:4-8"), (20, "#len:9-20"))
_LENGTH_LONG = "#len:21+"


def _scorer_table() -> dict[int, str | None]:
    """str.translate table for the scorer: apostrophes dropped, emoji and symbols kept as words, the rest spaces."""
    table: dict[int, str | None] = {code: " " for code in range(128) if not chr(code).isalnum()}
    for char in "'\u2018\u2019\u02bc`\u00b4":
        table[ord(char)] = None
    for char in "\u00a0\u2010\u2013\u2014\u201c\u201d\u201e\u00ab\u00bb\u2026\u200b\u200d\ufe0f\u2028\u2029\x85":
        table[ord(char)] = " "
    for low, high in ((0x2190, 0x2BFF), (0x1F000, 0x1FAFF)):  # arrows, symbols, emoji: a word each
        for code in range(low, high + 1):
            table[code] = f" {chr(code)} "
    for code in range(0x1F3FB, 0x1F400):  # skin tones belong to the emoji before them
        table[code] = None
    return table


_SCORER_TABLE = _scorer_table()


def _scorer_bytes_table() -> bytes:
    """_SCORER_TABLE for the ASCII bytes of UTF-8 text (apostrophe and backtick deleted separately); other
    bytes are kept, so the non-ASCII characters go through untouched for _SCORER_MARKS."""
    return bytes(code if code >= 128 or chr(code).isalnum() else ord(" ") for code in range(256))


_SCORER_BYTES_TABLE = _scorer_bytes_table()
# The non-ASCII part of _SCORER_TABLE as three regular-expression passes, many times faster than str.translate
# with a large dict: characters deleted, characters made spaces, symbols and emoji made words of their own.
_SCORER_DELETED = re.compile("[" + "".join(re.escape(chr(code)) for code, value in _SCORER_TABLE.items()
                                           if value is None and code >= 128) + "]")
_SCORER_SPACES = re.compile("[" + "".join(re.escape(chr(code)) for code, value in _SCORER_TABLE.items()
                                          if value == " " and code >= 128) + "]")
_SCORER_SYMBOLS = re.compile("([\u2190-\u2bff\U0001f000-\U0001faff])")  # captured: split keeps them


def _scorer_words(lower: str) -> list[str]:
    """The scorer's words of a lower-cased, NFKC-normalised message that is not ASCII: as
    lower.translate(_SCORER_TABLE).split(), faster."""
    # surrogatepass: a lone surrogate (JSON's "\ud800" decodes to one) is kept as it came, not an error.
    encoded = lower.encode("utf-8", "surrogatepass")
    ascii_done = encoded.translate(_SCORER_BYTES_TABLE, b"'`").decode("utf-8", "surrogatepass")
    # Joining the parts split at the symbols with spaces puts a space on either side of each symbol, as
    # sub(r" \g<0> ") would, without that template's Python-level expansion per symbol.
    return " ".join(_SCORER_SYMBOLS.split(_SCORER_SPACES.sub(" ", _SCORER_DELETED.sub("", ascii_done)))).split()
# Words at each end of a long message whose pairs are features: the work per KB stays bounded.
_PAIR_WORDS = 64
# The longest message, in words, whose first and last words are features.
_POSITION_WORDS = _LENGTH_BUCKETS[-1][0]


# Word classes the scorer sees as one feature each: the message holds a word of the class.
_WORD_CLASSES: tuple[tuple[str, frozenset[str]], ...] = (
    ("#negation", _SCORER_NEGATORS),
    ("#you", _SECOND_PERSON),
    ("#laughter", _LAUGHTER),
    ("#sarcasm_cue", _SCORER_SARCASM_CUES),
    ("#praise_emoji", frozenset(PRAISE_EMOJI)),
    ("#approval", _APPROVAL_WORDS),
    ("#complaint", _COMPLAINT_WORDS),
)
# Classes that mean more together: "you're useless" is not "you're a genius"; "not helpful" is not "helpful".
_CLASS_PAIRS = (("#approval", "#you"), ("#complaint", "#you"), ("#approval", "#negation"), ("#approval", "#question"))


def _length_signal(count: int) -> str:
    """The length-bucket feature of a message of *count* words."""
    return _LENGTH_SIGNALS[count] if count < len(_LENGTH_SIGNALS) else _LENGTH_LONG


_LENGTH_SIGNALS = [next((name for limit, name in _LENGTH_BUCKETS if count <= limit), _LENGTH_LONG)
                   for count in range(_LENGTH_BUCKETS[-1][0] + 1)]


@functools.lru_cache(maxsize=1024)
def _class_signals(mask: int, question: bool) -> tuple[str, ...]:
    """The word classes in *mask* (bit k: a word of _WORD_CLASSES[k]), the pairs of them and the question mark."""
    signals = [name for k, (name, _) in enumerate(_WORD_CLASSES) if mask >> k & 1]
    if question:
        signals.append("#question")
    if len(signals) > 1:
        signals += [f"{one}+{other[1:]}" for one, other in _CLASS_PAIRS if one in signals and other in signals]
    return tuple(signals)


def _rule_signals(classes: Iterable[str], question: bool, rules_result: _RuleResult | None) -> list[str]:
    """What the rules found, as features: the rule accepted, with each class beside it, and every veto that fired."""
    if rules_result is None:
        return []
    signals = []
    if rules_result.match is not None:
        # The rule with each class beside it: "Great, it crashed" is not "Great, you remembered".
        rule = f"#rule:{rules_result.match.rule}"
        signals += [rule, *(f"{rule}+{name[1:]}" for name, _ in _WORD_CLASSES if name in classes)]
        if question:
            signals.append(f"{rule}+question")
    return signals + [f"#veto:{name}" for name in sorted(rules_result.vetoes)]


def _class_bits() -> dict[str, int]:
    """Each class word with the bits of the classes it belongs to."""
    bits: dict[str, int] = {}
    for bit, (_, vocabulary) in enumerate(_WORD_CLASSES):
        for word in vocabulary:
            bits[word] = bits.get(word, 0) | 1 << bit
    return bits


_CLASS_BITS = _class_bits()


@dataclass(slots=True)
class _Reading:
    """One pass over a message: its words, the scorer's features, and what the rules found.

    The features are kept in three parts, so that deciding costs one table lookup per word, pair and signal
    and builds no names: the distinct words (a word's feature is the word), the word pairs as tuples (feature
    "a b"), and the signals, named.  *features* joins them into the names the trainer and explain read.
    """

    text: str  # NFKC-normalised; for a long message, its windows (see _long_windows)
    words: list[str]  # the scorer's words: lower case, no apostrophes, each emoji a word
    present: set[str]  # the distinct words
    pairs: set[tuple[str, str]]  # the word pairs that are features
    signals: list[str]  # length, position, word classes and what the rules found; no name twice
    result: _RuleResult | None  # the rules' findings, when they ran (see _read)
    named: _RuleResult | None  # for explain: the rules' findings even when they could accept nothing
    windows: list[tuple[int, int]] | None = None  # a long message's windows: (offset in text, in the message)

    @property
    def features(self) -> set[str]:
        """Every feature by name: the words, the pairs as "a b", and the signals."""
        return self.present.union(map(" ".join, self.pairs), self.signals)


def _read(text: str, explain: bool = False) -> _Reading:
    """Normalise *text* once, split it once, and gather every feature the scorer weighs.

    The rules run only when a cheap look says they could accept a candidate:
    the message holds a trigger word and _may_accept finds a phrase whose
    words are all present, an affirmative at a clause edge or in a short
    sentence, or a praise emoji.  Their findings (the rule accepted, the
    vetoes that fired) are then features too.  Otherwise the rules could
    only name a veto, which explain asks for (*named*), and no feature
    depends on it, so the score is the same either way.
    """
    rules = _rules if _rules.is_current() else _current_rules()
    ascii_text = text.isascii()
    if not ascii_text:
        text = unicodedata.normalize("NFKC", text)
    windows = None
    if len(text) > LONG_MESSAGE_CHARS:
        spans = _long_windows(text, rules)
        if spans[0] != (0, len(text)):
            windows, position = [], 0
            for start, end in spans:
                windows.append((position, start))
                position += end - start + len(_WINDOW_BREAK)
            text = _WINDOW_BREAK.join(text[start:end] for start, end in spans)
    if ascii_text:
        # bytes.translate is a plain table lookup, many times faster than str.translate; it lower-cases the letters
        # (all that str.lower does to ASCII text) and drops apostrophes too.
        words = text.encode("ascii").translate(_ASCII_WORDS_TABLE, b"'").decode("ascii").split()
    else:
        words = _scorer_words(text.lower())
    present = set(words)
    holds_trigger = rules.may_hold_praise(present, ascii_text)
    if not holds_trigger:
        holds_trigger = explain and not rules.word_triggers.isdisjoint(present)
    result = named = None
    if holds_trigger:
        tokens = _tokens(text.lower())
        if not rules.triggers.isdisjoint(tokens):
            normal = _restored(tokens)
            if _may_accept(normal, rules):
                result = named = _apply_rules(text, tokens, normal, rules)
            elif explain:
                named = _apply_rules(text, tokens, normal, rules)
    count = len(words)
    if count <= 2 * _PAIR_WORDS:
        pairs = set(zip(words, words[1:], strict=False))
    else:
        head, tail = words[:_PAIR_WORDS], words[-_PAIR_WORDS:]
        pairs = set(zip(head, head[1:], strict=False))
        pairs.update(zip(tail, tail[1:], strict=False))
    signals = [_length_signal(count)]
    if 0 < count <= _POSITION_WORDS:  # the first and last words of a transcript say little of its intent
        signals += ("#first:" + words[0], "#last:" + words[-1])
        if count > 1:
            signals.append(f"#first2:{words[0]} {words[1]}")
    mask = 0
    for word in _CLASS_BITS.keys() & present:
        mask |= _CLASS_BITS[word]
    question = "?" in text
    classes = _class_signals(mask, question)
    signals += classes
    if result is not None:
        signals += _rule_signals(classes, question, result)
    return _Reading(text, words, present, pairs, signals, result, named, windows)


# A message longer than this many characters (a voice transcript, a pasted page) is read in windows: its first
# and last _EDGE_CHARS characters and _CUE_REACH either side of at most _CUE_WINDOWS cue words
# (the strongest first: see _long_windows), joined by line breaks; the rest is not read.  Praise in a long
# message stands at its start, its end or near a cue word, and the work is bounded whatever the length: what
# is left per KB is finding the cue words.  No training message is this long, so the weights are the same.
# Smaller windows are faster and see less: these were measured on the benchmark's 1-4 KB transcripts.
LONG_MESSAGE_CHARS = 600
_EDGE_CHARS = 60  # about a dozen words
_CUE_REACH = 32  # about six words either side, as far as most vetoes look
# 4, not 3: F1 on long transcripts 0.640 -> 0.726 over w35-w37, then 0.571 -> 0.600 on w38, written after the
# choice; 5 and 6 read more of the other words and did worse (bench/README-praise.md).
_CUE_WINDOWS = 4
# What joins the windows: a sentence end for the rules, a space for the scorer.
_WINDOW_BREAK = "\n"
# For the cue search: ASCII letters lower-cased, digits and apostrophes kept (a backtick as one), other ASCII
# bytes spaces, the rest as they are.
_WINDOW_SEARCH_TABLE = bytes(
    code if code >= 128 else ord(chr(code).lower()) if chr(code).isalnum() or chr(code) == "'"
    else ord("'") if chr(code) == "`" else ord(" ")
    for code in range(256))
# The emoji among the cue words, looked for in a message that is not ASCII even where they touch a word.
_WINDOW_EMOJI = _PRAISE_EMOJI_SET | frozenset(word for word in _LAUGHTER if not word.isascii())
# The non-ASCII apostrophes the scorer drops, as the cue search reads them: as "'" (one character each).
_APOSTROPHE_FORMS = "\u2018\u2019\u02bc\u00b4"


def _long_windows(text: str, rules: _Rules) -> list[tuple[int, int]]:
    """The character spans of a long message that _read reads, in order, not overlapping, at word breaks."""
    size = len(text)
    searched = text
    if not text.isascii():
        for form in _APOSTROPHE_FORMS:
            if form in searched:
                searched = searched.replace(form, "'")
    # The text with ASCII letters lower-cased, every ASCII mark a space and apostrophes as "'", the same length
    # (the ASCII bytes change, one for one; the cue words are ASCII but for emoji): its words are the scorer's
    # but for non-ASCII marks, and a cue word is found, whole, as " word " in it by one C-level search.
    spaced = " " + searched.encode("utf-8", "surrogatepass").translate(_WINDOW_SEARCH_TABLE).decode(
        "utf-8", "surrogatepass") + " "
    present = set(spaced.split())
    if not text.isascii():  # an emoji may touch a word ("great🔥")
        present.update(emoji for emoji in _WINDOW_EMOJI if emoji in text)
    # First, the telling words of each phrase whose words are all present ("job" of "good job"): a window around
    # one of them holds the phrase, however many times its commoner words stand elsewhere.  Then the cue words
    # by rank (window_cues).
    normal = present.union([_APOSTROPHES[word] for word in _APOSTROPHES.keys() & present])
    telling: set[str] = set()
    for first in rules.phrases.keys() & normal:
        for needed, words in rules.telling[first]:
            if needed <= normal:
                telling |= words
    cues = [telling & present]
    window_cues = rules.window_cues
    cues += [set(), set()]
    for cue in window_cues.keys() & present:
        cues[window_cues[cue] + 1].add(cue)
    # The first place of each cue, the strongest cues first (in order of place within a rank).
    found_at: list[tuple[int, int, int]] = []  # (rank, start, end) of each cue found
    for rank, ranked in enumerate(cues):
        for cue in ranked:
            # An emoji is searched alone (it may touch a word); a word with a space either side.
            found = spaced.find(cue if cue in _WINDOW_EMOJI else f" {cue} ")
            if found >= 0:
                found_at.append((rank, found, found + len(cue)))
        if len(found_at) >= _CUE_WINDOWS:
            break  # enough windows of stronger cues
    found_at.sort()
    spans = [(0, _EDGE_CHARS), (size - _EDGE_CHARS, size)]
    spans += [(start - _CUE_REACH, end + _CUE_REACH) for _, start, end in found_at[:_CUE_WINDOWS]]
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        start, end = max(start, 0), min(end, size)
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    # Each window starts and ends at a space, so that no word is cut in two.
    return [(_word_start(text, start), _word_end(text, end)) for start, end in merged]


def _word_start(text: str, start: int) -> int:
    """*start*, or the position after the next space if it falls inside a word."""
    if start == 0 or text[start - 1].isspace():
        return start
    space = text.find(" ", start, start + _CUE_REACH // 2)
    return space + 1 if space >= 0 else start


def _word_end(text: str, end: int) -> int:
    """*end*, or the last space before it if it falls inside a word."""
    if end == len(text) or text[end].isspace():
        return end
    space = text.rfind(" ", end - _CUE_REACH // 2, end)
    return space if space >= 0 else end


def _scorer_features(text: str) -> list[str]:
    """Every feature of *text* the scorer weighs, sorted: words, word pairs, position, classes, rule signals.

    The trainer, explain_praise and _decide all read these, so they score alike, bit for bit.
    """
    if not text or not isinstance(text, str):
        return []
    return sorted(_read(text).features)


class _Scorer:
    """Loaded weights: a score is the bias plus the weights of the features present, as a probability."""

    def __init__(self, weights: dict[str, float], bias: float, threshold: float, rule_threshold: float) -> None:
        self.weights = weights
        self.bias, self.threshold, self.rule_threshold = bias, threshold, rule_threshold
        # The weights in units of 1/WEIGHT_SCALE, as ints: a sum of ints is exact in any order and a plain sum().
        self.units = {name: round(weight * WEIGHT_SCALE) for name, weight in weights.items()}
        self.bias_units = round(bias * WEIGHT_SCALE)
        # The units keyed as _Reading holds the features, so that one lookup table serves all three parts: words
        # and signals by name, word pairs as tuples, ("a", "b") for "a b" (a tuple never equals a name).
        self.reading_units = {_pair_key(name) if _is_pair(name) else name: units for name, units in self.units.items()}
        # The words and pairs with a positive weight, numbered in the order max((weight, name)) ranks them,
        # so that the strongest one present is a max over ints (see strongest); keyed as reading_units.
        self.ranked = sorted((weight, name) for name, weight in weights.items()
                             if weight > 0 and not name.startswith(_SIGNAL))
        self.rank = {_pair_key(name) if _is_pair(name) else name: k for k, (_, name) in enumerate(self.ranked)}

    @staticmethod
    def probability(total: float) -> float:
        """The logistic function, safe for any total."""
        return 1.0 / (1.0 + math.exp(-total)) if total > -700 else 0.0

    def known(self, features: set[str]) -> set[str]:
        """The features present that have a weight (one C-level set intersection)."""
        return self.weights.keys() & features

    def score(self, known: Iterable[str]) -> float:
        """The probability for the *known* features: an exact sum of ints, so any order gives the same bits."""
        return self.probability((self.bias_units + sum(map(self.units.__getitem__, known))) / WEIGHT_SCALE)

    def score_reading(self, reading: _Reading) -> float:
        """score(known(reading.features)), summed in one pass over the three parts without naming the pairs."""
        parts = itertools.chain(reading.present, reading.pairs, reading.signals)
        total = self.bias_units + sum(map(self.reading_units.get, parts, itertools.repeat(0)))
        return self.probability(total / WEIGHT_SCALE)

    def strongest(self, reading: _Reading) -> str | None:
        """The word or pair present with the largest positive weight (ties: the greater name), or None."""
        best = max(map(self.rank.get, itertools.chain(reading.present, reading.pairs), itertools.repeat(-1)),
                   default=-1)
        return self.ranked[best][1] if best >= 0 else None

    def contributions(self, features: Iterable[str]) -> dict[str, float]:
        """The weight of each feature present that the scorer knows."""
        weights = self.weights
        return {feature: weights[feature] for feature in features if feature in weights}


def _is_pair(name: str) -> bool:
    """Whether a feature name is a word pair ("a b"): a space, and not a signal ("#first2:a b")."""
    return " " in name and not name.startswith(_SIGNAL)


def _pair_key(name: str) -> tuple[str, ...]:
    """A word pair's feature name as _Reading holds the pair: "a b" -> ("a", "b")."""
    return tuple(name.split(" "))


def _load_scorer(path: Path = _WEIGHTS_FILE) -> _Scorer | None:
    """Read the weights file; on any problem log a warning and return None (the rules then decide alone)."""
    try:
        source = path.read_text(encoding="utf-8")
        data = ast.literal_eval(source.split("WEIGHTS = ", 1)[1])
        if data.get("format") != SCORER_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {SCORER_FORMAT}")
        weights = data["weights"]
        if not isinstance(weights, dict) or not all(
                isinstance(key, str) and isinstance(value, float) and math.isfinite(value)
                for key, value in weights.items()):
            raise ValueError("weights must map feature names to finite floats")
        numbers = [float(data[key]) for key in ("bias", "threshold", "rule_threshold")]
        if not all(math.isfinite(number) for number in numbers):
            raise ValueError("bias and thresholds must be finite")
        return _Scorer(weights, *numbers)
    except Exception as error:  # a bad weights file must never stop the chat
        logger.warning("praise scorer disabled, the rules decide alone: %s: %s: %s",
                       path.name, type(error).__name__, error)
        return None


_scorer_state: list[_Scorer | None] = []  # empty until first use; then [the scorer or None]


def _current_scorer() -> _Scorer | None:
    """The scorer, loaded on first use."""
    if not _scorer_state:
        _scorer_state.append(_load_scorer())
    return _scorer_state[0]


# --- Deciding ------------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Decision:
    """Everything one decision found: the match if praise, else the veto that rejected it; the score."""

    match: PraiseMatch | None
    veto: str | None = None
    vetoed: str | None = None  # what the veto rejected: a phrase, word or emoji
    score: float | None = None  # the scorer's probability, if it was asked
    threshold: float | None = None  # the threshold the score was held against
    features: list[str] = field(default_factory=list)  # filled only when explaining


def _decide(text: str, explain: bool = False) -> _Decision:
    """Rules first, then the scorer: see the section comment and detect_praise."""
    if not text or not isinstance(text, str):
        return _Decision(None)
    scorer = _scorer_state[0] if _scorer_state else _current_scorer()
    reading = _read(text, explain=explain)
    text, result, named, windows = reading.text, reading.result, reading.named, reading.windows
    match = result.match if result else None
    veto, vetoed = (named.veto, named.vetoed) if named and not match else (None, None)
    stands = match is not None and (match.rule == "phrase" or _rule_stands(text, match, len(reading.words)))
    if windows is not None and match is not None:
        match = _in_message(match, windows)
    if scorer is None or (stands and not explain):
        return _Decision(match, veto, vetoed)
    score = scorer.score_reading(reading)
    features = sorted(reading.features) if explain else []
    if stands:
        return _Decision(match, score=score, features=features)
    if match is not None:  # an affirmative or emoji the rules accepted: maybe sarcasm ("Oh great. Now it's gone.")
        if score >= scorer.rule_threshold:
            return _Decision(match, score=score, threshold=scorer.rule_threshold, features=features)
        return _Decision(None, SCORER_VETO, match.matched, score, scorer.rule_threshold, features)
    if score >= scorer.threshold:
        match = _scorer_match(text, scorer.strongest(reading))
        if windows is not None:
            match = _in_message(match, windows)
        return _Decision(match, score=score, threshold=scorer.threshold, features=features)
    return _Decision(None, veto, vetoed, score, scorer.threshold, features)


def _in_message(match: PraiseMatch, windows: list[tuple[int, int]]) -> PraiseMatch:
    """A match in a long message's windows (see _read), at its offsets in the message."""
    starts = [at for at, _ in windows]
    first, last = bisect.bisect_right(starts, match.start) - 1, bisect.bisect_right(starts, match.end - 1) - 1
    # A new PraiseMatch rather than dataclasses.replace, which costs more than twice as much (it reads the fields).
    return PraiseMatch(match.rule, match.matched, windows[first][1] + match.start - windows[first][0],
                       windows[last][1] + match.end - windows[last][0])


def _rule_stands(text: str, match: PraiseMatch, word_count: int) -> bool:
    """Whether an affirmative or emoji the rules accepted stands whatever the scorer says.

    It stands in a short message ("Great, thanks!"), at the end of the message
    ("Wow. Amazing."), and when what follows it names the reply, thanks, asks
    or requests ("Perfect answer", "Perfect! Now tell me the time").  Otherwise
    -- "Oh perfect. Now the whole thing's locked up" -- the scorer may call it
    sarcasm.
    """
    if word_count <= SHORT_AFFIRMATIVE_MAX_WORDS:
        return True
    for token in _tokens(text[match.end:match.end + _LOOK_AHEAD].lower()):
        if _is_word(token) and token not in _STANDS_SKIPPED:
            return token in _STANDS_AFTER  # the first word that counts
    return True


# Characters after a match read for the words that follow it.
_LOOK_AHEAD = 60
# Words after an accepted affirmative that are passed over when deciding whether it stands: "Perfect, so now ...".
_STANDS_SKIPPED = _REQUEST_LEAD | _FILLERS | _ASSISTANT_WORDS
# Words after an accepted affirmative that make it stand: the reply named, thanks, a question or a request.
_STANDS_AFTER = _REPLY_NOUNS | _THANKS | _QUESTION_WORDS | _IMPERATIVES | frozenset(("thx", "ta"))

#: The veto name when the scorer overrules a leading affirmative or emoji the rules accepted ("Oh great.").
SCORER_VETO = "scorer"


def _scorer_match(text: str, strongest: str | None) -> PraiseMatch:
    """A scorer decision as a match: its strongest word or pair, located in the text (else the whole text)."""
    if strongest is None:
        return PraiseMatch("scorer", "", 0, len(text))
    words = tuple(strongest.split(" "))
    lower = text.lower()
    start, end = _find_words(lower, words) if len(lower) == len(text) else (0, len(text))
    return PraiseMatch("scorer", " ".join(words), start, end)


def _find_words(lower: str, words: tuple[str, ...]) -> tuple[int, int]:
    """Where *words* first stand in *lower*, each at word boundaries; else the whole text.

    Plain str.find, not a regular expression: compiling one per scorer match would cost more than the scoring.
    """
    start, position = -1, 0
    for word in words:
        found = lower.find(word, position)
        while found >= 0 and not _at_word_boundaries(lower, found, found + len(word)):
            found = lower.find(word, found + 1)
        if found < 0:  # a word the scorer read differently from the text (an apostrophe dropped)
            return 0, len(lower)
        start = found if start < 0 else start
        position = found + len(word)
    return start, position


def _at_word_boundaries(lower: str, start: int, end: int) -> bool:
    """No letter or digit just before *start* or at *end*."""
    return (start == 0 or not lower[start - 1].isalnum()) and (end == len(lower) or not lower[end].isalnum())


# --- The public functions ------------------------------------------------------------------------------

def detect_praise(text: str) -> PraiseMatch | None:
    """Return why *text* praises the previous reply, or None if it does not.

    The rules come first.  Praise is a phrase from PRAISE_PHRASES, a word from
    SHORT_AFFIRMATIVES leading a short message or sentence ("Perfect! Now tell
    me..."), or a praise emoji, unless a named veto (_VETOES) rejects it: negated
    ("not good"), asked or requested ("was that a good one?", "give me a good
    one"), conditional ("that would be perfect if..."), about a thing ("nice
    weather"), aimed at someone else ("good job, Sarah") or said by the user of
    themselves ("I nailed it!"), talked about ("when I say good one Timmy..."),
    or sarcastic ("great, now it's broken").  A phrase the rules accept is
    praise.  Otherwise the learned scorer weighs the whole message, with what
    the rules found as some of its features: it may find praise no list holds
    (rule "scorer"), and may overrule a lone affirmative or emoji ("Oh great.").
    Case, Unicode forms, curly or missing apostrophes, repeated punctuation and
    emoji are normalised first.  A message over LONG_MESSAGE_CHARS is read
    only at its start, its end and around its strongest cue words; the
    offsets are still in the whole message.  explain_praise says why, feature
    by feature.
    """
    return _decide(text).match


def is_praise(text: str) -> bool:
    """Return True if *text* praises the previous reply (see detect_praise)."""
    return _decide(text).match is not None


def explain_praise(text: str) -> dict[str, Any]:
    """Why *text* is or is not praise, as a dict.

    Keys: ``praise`` (bool); ``rule`` ("phrase", "affirmative", "emoji" or
    "scorer") and ``matched`` (the phrase, word, emoji or strongest scorer
    words) when it is praise; ``veto`` (the name of the rule that rejected
    it: one of VETO_NAMES, or "scorer") and ``vetoed`` (what it rejected)
    when praise words were rejected; ``score`` (the scorer's probability, or
    None without a scorer); ``threshold`` (what the score was held against; None
    when a rule decided alone); and ``features``: the features that
    moved the score most, strongest first, as [feature, weight] pairs.
    """
    decision = _decide(text, explain=True)
    match = decision.match
    scorer = _current_scorer()
    contributions = scorer.contributions(decision.features) if scorer else {}
    moved = sorted(contributions.items(), key=lambda item: (-abs(item[1]), item[0]))[:EXPLAIN_TOP_FEATURES]
    return {
        "praise": match is not None,
        "rule": match.rule if match else None,
        "matched": match.matched if match else None,
        "veto": decision.veto,
        "vetoed": decision.vetoed,
        "score": None if decision.score is None else round(decision.score, 4),
        "threshold": decision.threshold,
        "features": [[name, weight] for name, weight in moved],
    }


#: How many of the features that moved the score most explain_praise lists.
EXPLAIN_TOP_FEATURES = 8


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
    rejected_responses: tuple[str, ...] = ()  # replies to the same request that a retry replaced, oldest first


@dataclass
class Exchange:
    """One finished turn of a chat session, kept so that it can be captured later.

    ``system_prompt`` must be the prompt the model saw when it wrote
    ``assistant_response``, not one rebuilt afterwards.  A retry asks again
    with the identical request; the replies it replaced are kept in
    ``rejected_responses`` and captured with the exchange.
    """

    user_message: str
    system_prompt: str
    assistant_response: str
    captured: bool = False
    rejected_responses: tuple[str, ...] = ()


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
# Rejected alternatives (replies a retry replaced) follow the reply as numbered
# sections of their own, only when there are any: a block without them is the
# spec's format byte for byte.
# ---------------------------------------------------------------------------

RULE = "=" * 80
HEADER_PREFIX = "## Example Captured: "
PRAISE_PREFIX = "**Praise:** "
SECTION_HEADINGS = {
    "user_message": "### User Message (n-3):",
    "system_prompt": "### System Prompt with Memories (n-2):",
    "assistant_response": "### Assistant Response (n-1):",
}
REJECTED_HEADING = "### Rejected Response {number} (replaced by a retry):"
METADATA_HEADING = "### Metadata:"
PRAISE_FULL_TEXT_KEY = "praise_full_text"
FILE_BANNER = (
    "<!-- Fine-tuning examples captured by fine_tuning_capture.py: one block per praised"
    " exchange. -->\n"
)

# The block's fixed lines, as written.
_RULE_LINE = (RULE + "\n").encode()
_HEADER_BYTES = HEADER_PREFIX.encode()
_PRAISE_BYTES = PRAISE_PREFIX.encode()
# One blank line before each heading, the fence right under it: as the block reader expects them.
_SECTION_HEADING_LINES = tuple((name, f"\n{heading}\n".encode()) for name, heading in SECTION_HEADINGS.items())
_METADATA_LINES = f"\n{METADATA_HEADING}\n".encode()

_MARKER_RE = re.compile("Example((?:\u200b)*) Captured".encode())  # searched in the encoded text
_ESCAPED_MARKER_RE = re.compile("Example(\u200b+) Captured")
# Characters str.splitlines() breaks on; a praise holding any of them is not one line.
_LINE_BREAK_RE = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _escape_marker(text: bytes) -> bytes:
    """*text*, UTF-8 encoded, with one more zero-width space in each "Example Captured" marker."""
    # A one-byte search first (most texts hold no capital C), then one for the word: most texts lack the
    # marker, and on a long text each search is faster than the pattern's.
    if b"C" not in text or b"Captured" not in text:
        return text
    return _MARKER_RE.sub(lambda m: b"Example\xe2\x80\x8b" + m.group(1) + b" Captured", text)


def _unescape_marker(text: str) -> str:
    if "\u200b" not in text:
        return text
    return _ESCAPED_MARKER_RE.sub(lambda m: f"Example{m.group(1)[1:]} Captured", text)


def _as_text(text: Any) -> str:
    """*text* as a str: None is empty, anything else not a str is converted."""
    if isinstance(text, str):
        return text
    return "" if text is None else str(text)


def clean_text(text: Any) -> str:
    """Return *text* as a str that encodes to UTF-8: lone surrogates become U+FFFD.

    JSON's "\\ud800" and bytes that are not UTF-8 read with surrogateescape both make such strings; SQLite
    and a UTF-8 file refuse them.
    """
    text = _as_text(text)
    if text.isascii():  # a flag of the str: no scan
        return text
    try:
        text.encode("utf-8")  # many times faster than a regular expression; fails on a surrogate only
        return text
    except UnicodeEncodeError:
        pass
    # A surrogate pair split into two code points is joined back into its character.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _jsonable(value: Any, _seen: frozenset[int] = frozenset()) -> Any:
    """Convert *value* into plain JSON data; what JSON cannot hold becomes text."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return clean_text(bytes(value).decode("utf-8", "replace"))
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
    return clean_text(str(value))


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return clean_text(key)
    converted = _jsonable(key)
    return converted if isinstance(converted, str) else json.dumps(converted)


def _dump_metadata(metadata: Mapping[str, Any]) -> str:
    text = json.dumps(metadata, indent=2, ensure_ascii=False)
    # "\u0020" is JSON's own spelling of a space: json.loads reads the same text back.
    return text.replace("Example Captured", "Example\\u0020Captured")


def _fence(text: bytes, info: bytes = b"") -> tuple[bytes, bytes, bytes]:
    """*text* fenced, in three parts: the opening line, the text, and its newline with the closing line."""
    fence = b"`" * _fence_length(text)
    return fence + info + b"\n", text, b"\n" + fence + b"\n"


def _fence_length(text: bytes) -> int:
    """One more than the longest run of backticks in *text*, and at least 3.

    Found by asking whether runs of a given length occur, doubling then halving the length:
    a few fast substring searches, however many runs the text holds.
    """
    if b"`" not in text or not _has_backticks(text, 3):  # the first test is a one-byte search, many times faster
        return 3
    present, absent = 3, 4
    while _has_backticks(text, absent):
        present, absent = absent, absent * 2
    while absent - present > 1:
        middle = (present + absent) // 2
        if _has_backticks(text, middle):
            present = middle
        else:
            absent = middle
    return absent


def _has_backticks(text: bytes, count: int) -> bool:
    """Whether *text* holds *count* backticks in a row."""
    return _backtick_pattern(count).search(text) is not None


@functools.lru_cache(maxsize=64)
def _backtick_pattern(count: int) -> re.Pattern[bytes]:
    # A compiled pattern searches long texts for a run of backticks about twice as fast as `in` does.
    return re.compile(b"`" * count)


def _one_line(text: str) -> str:
    return _LINE_BREAK_RE.sub(" ", text)


def _make_example(
    user_message: Any,
    system_prompt: Any,
    assistant_response: Any,
    praise_message: Any,
    metadata: Mapping[str, Any] | None,
    captured_at: _dt.datetime,
    rejected_responses: Iterable[Any] = (),
    *,
    clean: Callable[[Any], str] = clean_text,
) -> Example:
    """Build the Example exactly as it will read back from the file.

    *clean* makes each text a str; capture passes _as_text and lets encoding the block find lone surrogates.
    """
    praise = clean(praise_message)
    data = _jsonable(dict(metadata)) if metadata else {}
    if _LINE_BREAK_RE.search(praise):
        data[PRAISE_FULL_TEXT_KEY] = praise
    return Example(
        user_message=clean(user_message),
        system_prompt=clean(system_prompt),
        assistant_response=clean(assistant_response),
        praise_message=praise,
        captured_at=captured_at,
        metadata=data,
        rejected_responses=tuple(clean(text) for text in rejected_responses),
    )


def render_example(example: Example, *, with_metadata: bool = True) -> str:
    """Return the markdown block for *example*, ending with a blank line."""
    return b"".join(_block_parts(example, with_metadata, "surrogatepass")).decode("utf-8", "surrogatepass")


def _block_parts(example: Example, with_metadata: bool, errors: str = "strict") -> list[bytes]:
    """The block UTF-8 encoded, in parts: capture writes them with one writev, without joining them.

    Each text is encoded once, at its own width, and the fence and the marker are found in its bytes
    (backticks and the marker are ASCII).  UnicodeEncodeError if a text holds a lone surrogate, unless
    *errors* lets it through.
    """
    parts = [
        _RULE_LINE,
        _HEADER_BYTES,
        example.captured_at.isoformat().encode(),  # whole seconds unless read from an older file
        b"\n",
        _PRAISE_BYTES,
        _escape_marker(_one_line(example.praise_message).encode("utf-8", errors)),
        b"\n",
        _RULE_LINE,
    ]
    for name, heading in _SECTION_HEADING_LINES:
        parts += [heading, *_fence(_escape_marker(getattr(example, name).encode("utf-8", errors)))]
    for number, text in enumerate(example.rejected_responses, 1):
        parts += [f"\n{REJECTED_HEADING.format(number=number)}\n".encode(),
                  *_fence(_escape_marker(text.encode("utf-8", errors)))]
    if with_metadata:
        parts += [_METADATA_LINES, *_fence(_dump_metadata(example.metadata).encode("utf-8", errors), b"json")]
    parts.append(b"\n")
    return parts


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


def _append_locked(fd: int, parts: list[bytes]) -> None:
    """Append the bytes of *parts* to the locked file: all of it, durably, or none of it."""
    start = os.fstat(fd).st_size
    if start == 0:
        parts = [FILE_BANNER.encode(), b"\n", *parts]
    elif os.pread(fd, 1, start - 1) != b"\n":
        parts = [b"\n", *parts]  # the last block was cut off: start ours on a line of its own
    try:
        _write_all(fd, parts)
        os.fsync(fd)
    except BaseException:
        try:
            os.ftruncate(fd, start)
        except OSError as error:
            logger.error("could not truncate %s back to %d bytes: %s", _fd_name(fd), start, error)
        raise


_WRITEV_PARTS = 1024  # IOV_MAX on Linux and macOS: the most parts one writev takes
_JOIN_BELOW = 1 << 16  # bytes under which joining the parts costs less than handing writev many buffers


def _write_all(fd: int, parts: list[bytes]) -> None:
    """Write *parts* one after the other with one system call (more only if it writes part of them).

    A large block goes to writev, which writes a list of buffers without copying them into one; a
    small one, or one of more parts than writev takes, is joined and written.
    """
    if not hasattr(os, "writev") or len(parts) > _WRITEV_PARTS or sum(map(len, parts)) < _JOIN_BELOW:
        data = memoryview(b"".join(parts))
        while data:
            data = data[os.write(fd, data) :]
        return
    buffers: list[Any] = [part for part in parts if part]
    while buffers:
        written = os.writev(fd, buffers)
        while buffers and written >= len(buffers[0]):
            written -= len(buffers.pop(0))
        if written:
            buffers[0] = memoryview(buffers[0])[written:]


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
    rejected_responses: Iterable[str] = (),
) -> Example:
    """Append one example block to the output file and return the Example written.

    The block is rendered whole, then appended with one write under an
    exclusive lock and fsynced; if the write fails part-way, the file is cut
    back to where it was and the error is raised.  Text is kept exactly, bar
    lone surrogates (replaced by U+FFFD); metadata values JSON cannot hold are
    converted to text.  The returned Example equals what read_examples() gives
    back for this block.  *rejected_responses* are other replies to the same
    request that the user turned down (by retrying), written after the reply.
    """
    captured_at = _dt.datetime.now().replace(microsecond=0)
    texts = (user_message, system_prompt, assistant_response, praise_message, metadata, captured_at,
             tuple(rejected_responses))
    try:
        # Encoding the block reads every text once anyway and fails only on a lone surrogate: cheaper
        # than looking for one in each text first.
        example = _make_example(*texts, clean=_as_text)
        parts = _block_parts(example, metadata is not None or PRAISE_FULL_TEXT_KEY in example.metadata)
    except UnicodeEncodeError:
        example = _make_example(*texts)
        parts = _block_parts(example, metadata is not None or PRAISE_FULL_TEXT_KEY in example.metadata)
    target = resolve_path(path)
    with _LockedFile(target) as fd:
        _append_locked(fd, parts)
    logger.debug("captured an example into %s", target)
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
    Metadata gets ``timestamp`` and ``praise_match`` (which rule and words
    matched, and where) unless the caller set them.
    """

    def capture(target: Exchange, praise: str, match: PraiseMatch) -> Example:
        data = dict(metadata or {})
        data.setdefault("timestamp", _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
        data.setdefault("praise_match", match.as_metadata())
        return capture_fine_tuning_example(target.user_message, target.system_prompt, target.assistant_response,
                                           praise, data, path=path, rejected_responses=target.rejected_responses)

    try:
        return _capture_praised_exchange(history, user_message, capture)
    except Exception as error:  # capture must never break the chat
        logger.error("fine-tuning capture failed, the chat goes on: %s: %s", type(error).__name__, error)
        return None


_Captured = TypeVar("_Captured")


def _capture_praised_exchange(history: Sequence[Exchange], message: str,
                              capture: Callable[[Exchange, str, PraiseMatch], _Captured]) -> _Captured | None:
    """The rule live capture and backfill share: which exchange praise captures, and that it is captured once.

    If *message* is praise and the exchange it praises (see praised_exchange) is not captured yet, call
    *capture* with that exchange, the praise and the match, then mark the exchange captured and return what
    *capture* returned.  Otherwise return None.  If *capture* raises, the exchange stays uncaptured.
    """
    match = detect_praise(message)
    if match is None:
        return None
    target = praised_exchange(history)
    if target is None or target.captured:
        return None
    result = capture(target, message, match)
    target.captured = True
    return result


def praised_exchange(history: Sequence[Exchange]) -> Exchange | None:
    """The exchange that praise now would capture: the latest one whose own user message was not praise."""
    for exchange in reversed(history):
        if not is_praise(exchange.user_message):
            return exchange
    return None


# ---------------------------------------------------------------------------
# Reading
#
# Two readers that give the same answers.  The line parser walks the file
# line by line (bytes split on "\n" only, so "\r" inside content survives),
# keeps one line of look-ahead, and reports each kind of damage with its line
# number.  The block reader, which every reading command uses, reads the file
# in large pieces and takes a block laid out exactly as render_example writes
# it with a few bytes.find calls; anything else -- the file banner, extra
# blank lines, trailing spaces, older files, damage of any kind -- is handed
# to the line parser for one step, so the answers and the messages are the
# line parser's.  Neither holds more than the block it is reading.  After a
# damaged block both skip to the next header, so one bad block never hides
# the intact ones after it.
# ---------------------------------------------------------------------------

_BLOCK_START = _RULE_LINE + _HEADER_BYTES  # a rule line followed by a header starts a block, wherever it is
_NEXT_BLOCK = b"\n" + _BLOCK_START
_REJECTED_START = REJECTED_HEADING.split("{", 1)[0].encode()
_REJECTED_LINE_START = b"\n" + _REJECTED_START
_READ_SIZE = 1 << 20  # bytes the block reader reads at a time (more for a longer block)
_OPENING_FENCE_RE = re.compile(rb"(`{3,})([^`\n]*)\n?")
_CLOSING_FENCE_RE = re.compile(rb"(`{3,})[ \t]*\n?")


class _Lines:
    """Lines of a binary stream with their numbers, and room to put one back."""

    def __init__(self, stream: Iterable[bytes], *, lineno: int = 0, offset: int = 0) -> None:
        self._stream = iter(stream)
        self._pushed: list[bytes] = []  # put back, the next line last
        self.lineno = lineno  # number of the line last returned by next()
        self.offset = offset  # file offset after that line

    def next(self) -> bytes | None:
        if self._pushed:
            line = self._pushed.pop()
        else:
            line = next(self._stream, None)
            if line is None:
                return None
        self.lineno += 1
        self.offset += len(line)
        return line

    def push_back(self, line: bytes) -> None:
        self._pushed.append(line)
        self.lineno -= 1
        self.offset -= len(line)

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
    for block in _read_blocks(path, strict=strict, on_error=on_error):
        yield block.example


_ENCODED_TEXTS = ("system_prompt", "user_message", "assistant_response")  # _Block.encoded, in this order


@dataclass(slots=True)  # not frozen: its __init__ is several times faster
class _Block:
    """An example with where it stands in the file: its first line and its bytes [start, end)."""

    line: int
    start: int
    end: int
    example: Example
    # The texts of _ENCODED_TEXTS UTF-8 encoded, when the reader has them at hand.
    encoded: tuple[bytes, bytes, bytes] | None = field(default=None, compare=False, repr=False)


def _read_blocks(
    path: str | os.PathLike[str] | None,
    *,
    strict: bool,
    on_error: Callable[[FormatError], None] | None,
) -> Iterator[_Block]:
    source = resolve_path(path)
    with open(source, "rb") as stream:
        for item in _blocks_of(stream):
            if isinstance(item, _Block):
                yield item
            elif strict:
                raise item
            elif on_error is not None:
                on_error(item)
            else:
                logger.warning("%s", _skipped_message(source, item))


def _skipped_message(source: Path, error: FormatError) -> str:
    """What reading says of a damaged block it skipped: in the log, and on stderr from the command line."""
    return f"{source}:{error.lineno}: skipped a damaged example: {error.msg}"


def _blocks_of(stream: BinaryIO) -> Iterator[_Block | FormatError]:
    """The blocks of an examples file, and an error for each damaged one, in file order."""
    return iter(_BlockReader(stream))


def _line_parser(stream: Iterable[bytes]) -> Iterator[_Block | FormatError]:
    """What _blocks_of gives, read by the line parser alone."""
    lines = _Lines(stream)
    while lines.peek() is not None:
        yield from _line_step(lines)


def _line_step(lines: _Lines) -> Iterator[_Block | FormatError]:
    """Read what starts at the next line: a blank or comment line, a block, or a damaged block.

    After a damaged block, the lines up to the next block's start are skipped.
    """
    line = lines.peek()
    if line is None or _is_blank(line) or _is_comment(line):
        lines.next()
        return
    try:
        if line != _RULE_LINE:
            lines.next()
            raise FormatError("text outside an example block", lines.lineno)
        first_line, start = lines.lineno + 1, lines.offset
        example = _parse_block(lines)
    except FormatError as error:
        yield error
        _skip_to_next_block(lines)
        return
    yield _Block(first_line, start, lines.offset, example)


class _BlockReader:
    """The blocks of a file read in large pieces; a block laid out unusually goes to the line parser."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._data = b""  # the file from offset _base on, as far as it has been read
        self._base = 0
        self._pos = 0  # where reading goes on in _data: always the start of a line
        self._lineno = 0  # lines before _pos
        self._at_eof = False

    def __iter__(self) -> Iterator[_Block | FormatError]:
        while len(self._data) - self._pos >= len(_BLOCK_START) or self._read_more() or self._pos < len(self._data):
            data, pos = self._data, self._pos
            if data[pos] == 10:  # blank lines between blocks
                end = pos + 1
                while end < len(data) and data[end] == 10:
                    end += 1
                self._lineno += end - pos
                self._pos = end
                continue
            if data.startswith(_BLOCK_START, pos):
                block = self._plain_block(self._block_end())
                if block is not None:
                    yield block
                    continue
            yield from self._line_parser_step()

    def _read_more(self) -> bool:
        """Read the next piece of the file, dropping what has been read; False at the end of the file."""
        if self._at_eof:
            return False
        unread = self._data[self._pos :]
        piece = self._stream.read(max(_READ_SIZE, len(unread)))  # doubling keeps a huge block linear
        if not piece:
            self._at_eof = True
            return False
        self._base += self._pos
        self._data, self._pos = unread + piece, 0
        return True

    def _block_end(self) -> int:
        """Where the block at _pos ends: where the next one starts, or the end of the file."""
        searched = 1  # from _pos
        while (found := self._data.find(_NEXT_BLOCK, self._pos + searched)) < 0:
            searched = max(1, len(self._data) - self._pos - len(_NEXT_BLOCK) + 1)
            if not self._read_more():
                return len(self._data)
        return found + 1

    def _plain_block(self, end: int) -> _Block | None:
        """The block at _pos if it is laid out exactly as render_example writes it, else None."""
        data, start = self._data, self._pos
        try:
            header_end = data.index(b"\n", start + len(_RULE_LINE), end)
            praise_end = data.index(b"\n", header_end + 1, end)
            if not (data.startswith(_PRAISE_BYTES, header_end + 1, praise_end)
                    and data.startswith(_RULE_LINE, praise_end + 1, end)):
                return None
            captured_at = _parse_time(data[start + len(_BLOCK_START) : header_end].decode().strip(), 0)
            praise = _unescape_marker(data[header_end + 1 + len(_PRAISE_BYTES) : praise_end].decode())
            position = praise_end + 1 + len(_RULE_LINE)
            fields: dict[str, str] = {}
            encoded: dict[str, bytes] = {}
            for name, heading in _SECTION_HEADING_LINES:
                if not data.startswith(heading, position, end):
                    return None
                content, position = _plain_fence(data, position + len(heading), end, b"```\n")
                text = fields[name] = content.decode()
                if "\u200b" in text:  # an escaped marker, maybe
                    text = fields[name] = _unescape_marker(text)
                    content = text.encode()
                encoded[name] = content
            rejected: list[str] = []
            while data.startswith(_REJECTED_LINE_START, position, end):
                heading = f"\n{REJECTED_HEADING.format(number=len(rejected) + 1)}\n".encode()
                if not data.startswith(heading, position, end):
                    return None
                content, position = _plain_fence(data, position + len(heading), end)
                rejected.append(_unescape_marker(content.decode()))
            metadata: Any = {}
            if data.startswith(_METADATA_LINES, position, end):
                content, position = _plain_fence(data, position + len(_METADATA_LINES), end, b"```json\n")
                metadata = json.loads(content.decode())
                if not isinstance(metadata, dict):
                    return None
        except ValueError:  # not found, not UTF-8, not JSON, no time: the line parser says which
            return None
        if data.count(b"\n", position, end) != end - position:
            return None  # something other than blank lines before the next block
        block = _Block(self._lineno + 1, self._base + start, self._base + position,
                       _finish_example(praise, captured_at, metadata, rejected, fields),
                       (encoded["system_prompt"], encoded["user_message"], encoded["assistant_response"]))
        self._lineno += data.count(b"\n", start, end)
        self._pos = end
        return block

    def _line_parser_step(self) -> Iterator[_Block | FormatError]:
        lines = _Lines(self._lines(), lineno=self._lineno, offset=self._base + self._pos)
        yield from _line_step(lines)
        # Go on where the line parser stopped: the lines it put back are read again.
        unread = b"".join(reversed(lines._pushed))
        self._data = unread + self._data[self._pos :]
        self._base, self._pos, self._lineno = lines.offset, 0, lines.lineno

    def _lines(self) -> Iterator[bytes]:
        """The lines from _pos on, for the line parser; _pos follows them."""
        while True:
            newline = self._data.find(b"\n", self._pos)
            if newline < 0:
                if self._read_more():
                    continue
                if self._pos < len(self._data):
                    line, self._pos = self._data[self._pos :], len(self._data)
                    yield line
                return
            line, self._pos = self._data[self._pos : newline + 1], newline + 1
            yield line


def _plain_fence(data: bytes, start: int, end: int, usual: bytes = b"```\n") -> tuple[bytes, int]:
    """The content of the fence opening at *start*, and where the line after it starts.

    ValueError unless the fence closes before *end* on a line of its own.  The *usual* opening line,
    three backticks and an info string, is checked first.
    """
    # The usual case first: three backticks, around content that holds none.  Content seldom holds a
    # backtick, and a one-byte search is many times faster than a search for the fence.
    if data.startswith(usual, start):
        opened = start + len(usual) - 1
        closing = data.find(b"`", opened + 1, end) - 1
        if closing >= opened and data.startswith(b"\n```\n", closing, end):
            return data[opened + 1 : closing], closing + 5
    opened = data.index(b"\n", start, end)
    fence_length = opened - start - len(data[start:opened].lstrip(b"`"))
    if fence_length < 3 or data.find(b"`", start + fence_length, opened) >= 0:
        raise ValueError("not an opening fence")
    fence = b"\n" + b"`" * fence_length
    found = data.index(fence, opened, end)
    while True:
        line_end = found + 1 + fence_length
        if data.startswith(b"\n", line_end, end):
            return data[opened + 1 : found], line_end + 1
        # As _CLOSING_FENCE_RE: backticks, at least as many as the opening fence's, then spaces or tabs.
        line_end = data.index(b"\n", line_end, end)
        if not data[found + 1 : line_end].lstrip(b"`").strip(b" \t"):
            return data[opened + 1 : found], line_end + 1
        found = data.index(fence, found + 1, end)


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
        _expect_heading(_next_structural_line(lines, f"'{heading}'"), heading, lines)
        fields[name] = _unescape_marker(_read_fenced(lines)[0])

    rejected: list[str] = []
    after = _peek_structural_line(lines)
    while after is not None and after.startswith(_REJECTED_START):
        heading = REJECTED_HEADING.format(number=len(rejected) + 1)
        _expect_heading(_next_structural_line(lines, f"'{heading}'"), heading, lines)
        rejected.append(_unescape_marker(_read_fenced(lines)[0]))
        after = _peek_structural_line(lines)

    metadata: dict[str, Any] = {}
    if after is not None and after.rstrip() == METADATA_HEADING.encode():
        _next_structural_line(lines, f"'{METADATA_HEADING}'")
        text, opened_at = _read_fenced(lines)
        try:
            metadata = json.loads(text)
        except json.JSONDecodeError as error:
            raise FormatError(f"metadata is not valid JSON: {error.msg}", opened_at + error.lineno) from None
        if not isinstance(metadata, dict):
            raise FormatError("metadata is not a JSON object", opened_at + 1)

    return _finish_example(praise, captured_at, metadata, rejected, fields)


def _expect_heading(line: bytes, heading: str, lines: _Lines) -> None:
    if line.rstrip() != heading.encode():
        raise FormatError(f"expected '{heading}'", lines.lineno)


def _finish_example(praise: str, captured_at: _dt.datetime, metadata: dict[str, Any], rejected: list[str],
                    fields: dict[str, str]) -> Example:
    """The Example a block holds, given its parts as read; a praise that spans lines comes from the metadata."""
    full_praise = metadata.get(PRAISE_FULL_TEXT_KEY)
    if isinstance(full_praise, str) and _one_line(full_praise) == praise:
        praise = full_praise
    return Example(fields["user_message"], fields["system_prompt"], fields["assistant_response"], praise,
                   captured_at, metadata, tuple(rejected))


_TIME_RE = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:[.,](\d{1,6})\d*)?")


def _parse_time(stamp: str, lineno: int) -> _dt.datetime:
    """Parse the header time; older files carry fractional seconds of any length."""
    if len(stamp) == 19 and stamp[10] == "T" and stamp.isascii() and _TIME_RE.fullmatch(stamp):
        return _dt.datetime.fromisoformat(stamp)  # as capture writes it: whole seconds
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


# ---------------------------------------------------------------------------
# Review, backfill and export
#
# An example's id is a short hash of everything in it, so it stays the same
# from one run to the next and survives reformatting-free edits elsewhere in
# the file.  Two examples are duplicates when their system prompt, user
# message and reply are the same: that is what a trainer would see twice.
# Formats that write several lines per example (dpo, kto) drop a line that was
# already written, which for the one-line formats is the same rule.
#
# Every export format is one entry of EXPORT_TABLE: how an example becomes
# lines, and the LLaMA-Factory dataset_info.json entry that reads those lines
# faithfully (None where LLaMA-Factory reads no such form).
# ---------------------------------------------------------------------------

ID_LENGTH = 10  # hex digits of an example's id: ample for thousands of examples


def example_id(example: Example) -> str:
    """A short id for *example*, stable across runs: a hash of all its fields."""
    digest = hashlib.sha256()
    for part in (example.captured_at.isoformat(), example.praise_message, example.user_message,
                 example.system_prompt, example.assistant_response):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:ID_LENGTH]


def _content_key(example: Example) -> bytes:
    """What makes two examples duplicates: the same system prompt, user message and reply."""
    return _texts_key(example.system_prompt, example.user_message, example.assistant_response)


def _texts_key(system_prompt: str, user_message: str, assistant_response: str) -> bytes:
    """A hash of the texts as they are: texts read from the file are already as capture stores them."""
    return _encoded_key(system_prompt.encode("utf-8"), user_message.encode("utf-8"),
                        assistant_response.encode("utf-8"))


def _encoded_key(*parts: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
        digest.update(b"\0")
    return digest.digest()[:16]


def _block_key(block: _Block) -> bytes:
    """_content_key of the block's example, from the bytes in the file when the reader kept them."""
    return _encoded_key(*block.encoded) if block.encoded is not None else _content_key(block.example)


def _message(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


def _prompt(example: Example) -> list[dict[str, str]]:
    """The request exactly as the model saw it: the system prompt, then the user message."""
    return [_message("system", example.system_prompt), _message("user", example.user_message)]


def _openai_records(example: Example) -> list[dict[str, Any]]:
    return [{"messages": [*_prompt(example), _message("assistant", example.assistant_response)]}]


def _sharegpt_records(example: Example) -> list[dict[str, Any]]:
    return [{"conversations": [{"from": "system", "value": example.system_prompt},
                               {"from": "human", "value": example.user_message},
                               {"from": "gpt", "value": example.assistant_response}]}]


def _alpaca_records(example: Example) -> list[dict[str, Any]]:
    return [{"instruction": example.user_message, "input": "", "output": example.assistant_response,
             "system": example.system_prompt}]


def _prompt_completion_records(example: Example) -> list[dict[str, Any]]:
    # TRL's SFTTrainer puts the loss on the completion only, whatever the chat template.
    return [{"prompt": _prompt(example), "completion": [_message("assistant", example.assistant_response)]}]


def _dpo_records(example: Example) -> list[dict[str, Any]]:
    # One pair per reply a retry replaced: the same request, the praised reply preferred.
    return [{"prompt": _prompt(example), "chosen": [_message("assistant", example.assistant_response)],
             "rejected": [_message("assistant", rejected)]} for rejected in example.rejected_responses]


def _kto_records(example: Example) -> list[dict[str, Any]]:
    replies = [(example.assistant_response, True)] + [(text, False) for text in example.rejected_responses]
    return [{"prompt": _prompt(example), "completion": [_message("assistant", text)], "label": label}
            for text, label in replies]


# LLaMA-Factory reads the messages form faithfully only as `formatting: sharegpt`
# with these tags: its `formatting: openai` appends "detailed thinking off" to
# every system prompt (OpenAIDatasetConverter in its data/converter.py).
_OPENAI_TAGS = {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                "assistant_tag": "assistant", "system_tag": "system"}
_SHAREGPT_TAGS = {"role_tag": "from", "content_tag": "value", "user_tag": "human",
                  "assistant_tag": "gpt", "system_tag": "system"}


@dataclass(frozen=True)
class ExportFormat:
    """One export format: how an example becomes JSON Lines records, and who reads them."""

    records: Callable[[Example], list[dict[str, Any]]]  # the lines for one example, possibly none
    shape: str  # one line, for --help
    unit: str  # what one line is, for the export report
    uses_alternatives: bool = False  # whether the replies a retry replaced become lines
    llamafactory: dict[str, Any] | None = None  # dataset_info.json entry less file_name; None: not readable


#: The export formats, in the order --help shows them.  Everything else iterates this table.
EXPORT_TABLE: dict[str, ExportFormat] = {
    "openai": ExportFormat(
        _openai_records, '{"messages": [system, user, assistant]}', "examples",
        llamafactory={"formatting": "sharegpt", "columns": {"messages": "messages"}, "tags": _OPENAI_TAGS}),
    "sharegpt": ExportFormat(
        _sharegpt_records, '{"conversations": [system, human, gpt]}', "examples",
        llamafactory={"formatting": "sharegpt", "columns": {"messages": "conversations"}, "tags": _SHAREGPT_TAGS}),
    "alpaca": ExportFormat(
        _alpaca_records, '{"instruction", "input", "output", "system"}', "examples",
        # Without the system column LLaMA-Factory drops the system prompt, silently.
        llamafactory={"formatting": "alpaca", "columns": {"prompt": "instruction", "query": "input",
                                                          "response": "output", "system": "system"}}),
    "prompt-completion": ExportFormat(
        _prompt_completion_records, '{"prompt": [system, user], "completion": [assistant]}', "examples"),
    "dpo": ExportFormat(
        _dpo_records, '{"prompt": [system, user], "chosen": [assistant], "rejected": [assistant]}', "pairs",
        uses_alternatives=True),
    "kto": ExportFormat(
        _kto_records, '{"prompt": [system, user], "completion": [assistant], "label": true|false}', "examples",
        uses_alternatives=True),
}
EXPORT_FORMATS = tuple(EXPORT_TABLE)
DATASET_INFO_FORMATS = tuple(name for name, spec in EXPORT_TABLE.items() if spec.llamafactory is not None)

# The texts a trainer learns from: none may be empty, or it learns to answer with nothing.
_TRAINING_TEXTS = (("reply", "assistant_response"), ("user message", "user_message"),
                   ("system prompt", "system_prompt"))


def _export_format(name: str) -> ExportFormat:
    try:
        return EXPORT_TABLE[name]
    except KeyError:
        raise ValueError(f"unknown export format {name!r}; choose from {', '.join(EXPORT_FORMATS)}") from None


def training_records(example: Example, export_format: str) -> list[dict[str, Any]]:
    """The training records for *example* in *export_format*, one per JSON line.

    One record in most formats; in ``dpo`` one per rejected alternative (none
    without), in ``kto`` the praised reply and then each rejected alternative.
    The praise and the metadata never enter the training text.
    """
    return _export_format(export_format).records(example)


def is_validation(example: Example, fraction: float) -> bool:
    """Whether *example* belongs to the validation split: decided by a hash of its session.

    Every example of a session lands on the same side; an example without a
    session_id is its own session.
    """
    if fraction <= 0:
        return False
    session = example.metadata.get("session_id")
    return _split_value(f"session:{session}" if session is not None else f"example:{example_id(example)}") < fraction


@functools.lru_cache(maxsize=1024)  # a session's examples usually stand together in the file
def _split_value(key: str) -> float:
    """Where *key* falls in [0, 1): the split puts it in validation below the fraction."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2**64


@dataclass
class ExportReport:
    """What an export wrote and what it left out.

    ``train`` and ``validation`` count lines; ``desirable`` and
    ``undesirable`` count the kto labels of the training lines.
    """

    train: int = 0
    validation: int = 0
    duplicates: int = 0
    out_of_range: int = 0
    damaged: list[FormatError] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # "example <id> has an empty reply", one per skipped example
    unusable_alternatives: int = 0  # dpo, kto: rejected replies left out, empty or the same as the praised one
    without_alternatives: int = 0  # dpo: praised examples no retry replaced, so no pair
    desirable: int = 0
    undesirable: int = 0


def kto_desirable_weight(desirable: int, undesirable: int) -> float | None:
    """The desirable_weight for TRL's KTOConfig at this balance of labels; None if a label is missing.

    TRL wants desirable_weight * desirable / (undesirable_weight * undesirable)
    between 1 and 1.33 and warns otherwise; with undesirable_weight left at
    1.0, about 1.15 * undesirable / desirable is inside that range.
    """
    if not desirable or not undesirable:
        return None
    return 1.0 if desirable == undesirable else round(1.15 * undesirable / desirable, 2)


def kto_weight_advice(desirable: int, undesirable: int) -> str:
    """What to pass TRL's KTOConfig for this balance of labels, in words."""
    weight = kto_desirable_weight(desirable, undesirable)
    if weight is None:
        return "KTO needs both labels: replies a /retry replaced are the undesirable ones"
    if desirable == undesirable:
        return "balanced: keep desirable_weight=1.0"
    return f"use desirable_weight={weight} (undesirable_weight=1.0)"


def _empty_texts(example: Example) -> list[str]:
    return [name for name, attribute in _TRAINING_TEXTS if not getattr(example, attribute).strip()]


def _usable_alternatives(example: Example) -> tuple[str, ...]:
    """The rejected replies worth learning from: not empty, and not the praised reply itself."""
    return tuple(text for text in example.rejected_responses
                 if text.strip() and text != example.assistant_response)


class _AtomicOutput:
    """A file that appears whole at its path, or not at all: temp file beside it, fsync, rename.

    The new file keeps the permissions of the one it replaces; a new path gets
    the usual ones (0666 less the umask), not mkstemp's private 0600.
    """

    def __init__(self, path: str | os.PathLike[str], *, binary: bool = False) -> None:
        self.path = Path(os.path.abspath(os.fspath(path)))
        self.binary = binary
        self._temp: Path | None = None
        self.stream: Any = None

    def __enter__(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        self._temp = Path(name)
        try:
            os.fchmod(fd, _permissions_for(self.path))
        except OSError:
            pass  # a file system without permissions: keep what mkstemp gave
        self.stream = (os.fdopen(fd, "wb") if self.binary
                       else os.fdopen(fd, "w", encoding="utf-8", newline="\n"))
        return self.stream

    def __exit__(self, exc_type: object, *rest: object) -> None:
        assert self._temp is not None
        try:
            if exc_type is None:
                self.stream.flush()
                os.fsync(self.stream.fileno())
            self.stream.close()
            if exc_type is None:
                os.replace(self._temp, self.path)
                _fsync_folder(self.path.parent)
        finally:
            if self._temp.exists():
                self._temp.unlink()


def _permissions_for(path: Path) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename itself has happened
    finally:
        os.close(fd)


def export_examples(
    export_format: str,
    out: Any,
    *,
    path: str | os.PathLike[str] | None = None,
    validation_out: Any = None,
    validation_fraction: float = 0.0,
    since: _dt.datetime | None = None,
    until: _dt.datetime | None = None,
) -> ExportReport:
    """Write the examples as JSON Lines training records to the text stream *out*.

    Examples captured before *since* or at/after *until* are left out, and so
    is every line already written (a duplicate example, or a rejected reply
    that came back twice).  An example with an empty reply, user message or
    system prompt is left out and listed in the report, and so are rejected
    replies that are empty or equal to the praised one.  With a
    *validation_fraction*, the sessions the hash puts in the validation split
    go to *validation_out*.  Damaged blocks are skipped and listed in the
    report; the file is only read.
    """
    spec = _export_format(export_format)
    templates = _line_templates(spec.records)
    report = ExportReport()
    seen: set[bytes] = set()
    train = _LineBatches(out)
    validation = train if validation_out is out else _LineBatches(validation_out)
    try:
        for block in _read_blocks(path, strict=False, on_error=report.damaged.append):
            example = block.example
            if ((since is not None and example.captured_at < since)
                    or (until is not None and example.captured_at >= until)):
                report.out_of_range += 1
                continue
            empty = _empty_texts(example)
            if empty:
                report.empty.append(f"example {example_id(example)} has an empty {' and '.join(empty)}")
                continue
            if spec.uses_alternatives:
                usable = _usable_alternatives(example)
                report.unusable_alternatives += len(example.rejected_responses) - len(usable)
                example = dataclasses.replace(example, rejected_responses=usable)
            lines = (_json_lines_of(example, spec) if templates is None
                     else _filled_lines(templates, block, example))
            if not lines:  # dpo: no retry replaced the praised reply, so there is no pair
                report.without_alternatives += 1
                continue
            to_validation = validation_out is not None and is_validation(example, validation_fraction)
            for line, label in lines:
                key = hashlib.sha256(line).digest()[:16]
                if key in seen:
                    report.duplicates += 1
                    continue
                seen.add(key)
                if to_validation:
                    validation.add(line)
                    report.validation += 1
                    continue
                train.add(line)
                report.train += 1
                if label is not None:  # kto
                    report.desirable += label
                    report.undesirable += not label
    finally:
        train.flush()
        validation.flush()
    return report


# json.dumps(value, ensure_ascii=False), without building an encoder for every line.
_json_line = json.JSONEncoder(ensure_ascii=False).encode


def _json_lines_of(example: Example, spec: ExportFormat) -> list[tuple[bytes, bool | None]]:
    """The example's lines as UTF-8 JSON, each with its kto label (None in other formats), by json.dumps."""
    return [(_json_line(record).encode("utf-8"), record.get("label")) for record in spec.records(example)]


# --- Lines from templates ----------------------------------------------------------------------
#
# A format's lines are the same JSON around different texts, so export fills a template made once
# from the format's own records function: its JSON lines for an example of stand-in texts, cut at
# the stand-ins.  The texts go in as the UTF-8 bytes read from the file, escaped as json.dumps
# escapes them (ensure_ascii=False): every character it escapes is ASCII, one byte in UTF-8 that
# occurs in no other character's bytes.  So a line is the bytes json.dumps(record).encode() gives,
# without decoding, encoding or json.dumps.  A format whose lines do not fit a template (checked
# when it is made) is exported with json.dumps.

# The stand-ins, by what they stand for: an Example field, or "rejected" for one rejected reply.
_STAND_INS = {"system_prompt": "\x00system", "user_message": "\x00user", "assistant_response": "\x00reply",
              "rejected": "\x00rejected"}
# json.dumps's escape of each character it escapes (ensure_ascii=False), by the character's UTF-8 byte.
_JSON_ESCAPES = {bytes([code]): json.dumps(chr(code), ensure_ascii=False)[1:-1].encode()
                 for code in (*range(0x20), ord('"'), ord("\\"))}
# The ones texts hold often, the backslash first so that no escape is escaped again.
_COMMON_ESCAPES = tuple((byte, _JSON_ESCAPES[byte]) for byte in (b"\\", b'"', b"\n", b"\r", b"\t"))
_RARE_CONTROL_RE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# bytes.translate table: the other control characters to 0, every other byte to 1 (a search for them
# with _RARE_CONTROL_RE is several times slower).
_RARE_CONTROLS_TO_ZERO = bytes(0 if _RARE_CONTROL_RE.match(bytes([code])) else 1 for code in range(256))


def _json_escaped(text: bytes) -> bytes:
    """json.dumps(text.decode(), ensure_ascii=False).encode() without its quotes, from the UTF-8 bytes."""
    for byte, escape in _COMMON_ESCAPES:
        if byte in text:  # a one-byte search: much faster than a replace that finds nothing
            text = text.replace(byte, escape)
    if 0 in text.translate(_RARE_CONTROLS_TO_ZERO):
        text = _RARE_CONTROL_RE.sub(lambda match: _JSON_ESCAPES[match.group()], text)
    return text


@dataclass(frozen=True)
class _LineTemplate:
    """One kind of line of a format: the bytes between its texts, and which text fills each gap."""

    pieces: tuple[bytes, ...]  # one more than the texts
    texts: tuple[int, ...]  # indexes into _FILLED: which text goes after each piece but the last
    label: bool | None  # kto's label, else None

    @property
    def per_rejected(self) -> bool:
        """A line for each rejected reply, rather than one for the example."""
        return _REJECTED in self.texts

    def fill(self, texts: Sequence[bytes]) -> bytes:
        """The line with these escaped texts, in the order of _FILLED."""
        parts = [self.pieces[0]]
        for index, piece in zip(self.texts, self.pieces[1:], strict=True):
            parts += (texts[index], piece)
        return b"".join(parts)


# What fills a template's gaps, by index: the texts of _Block.encoded, then one rejected reply.
_FILLED = (*_ENCODED_TEXTS, "rejected")
_REJECTED = len(_ENCODED_TEXTS)
# A byte that UTF-8 never holds: it joins the texts so that they are escaped with one call.
_TEXT_BREAK = b"\xff"


@functools.cache
def _line_templates(records: Callable[[Example], list[dict[str, Any]]]) -> tuple[_LineTemplate, ...] | None:
    """Templates for the lines *records* makes, in order; None if its lines are not the same JSON around texts."""
    try:
        return _checked_templates(records)
    except Exception:  # a records function that fails on the stand-ins may still work on real examples
        return None


def _checked_templates(records: Callable[[Example], list[dict[str, Any]]]) -> tuple[_LineTemplate, ...] | None:
    probe = _stand_in_example(_STAND_INS, (_STAND_INS["rejected"],))
    stand_ins = {_json_escaped(_STAND_INS[name].encode()): index for index, name in enumerate(_FILLED)}
    cut = re.compile(b"|".join(map(re.escape, stand_ins)))
    templates = []
    for record in records(probe):
        line = _json_line(record).encode()
        label = record.get("label")
        templates.append(_LineTemplate(tuple(cut.split(line)),
                                       tuple(stand_ins[match.group()] for match in cut.finditer(line)),
                                       label if isinstance(label, bool) else None))
    # The templates must give records' lines exactly, for other texts and any number of rejected replies.
    texts = {"system_prompt": 'S "\\ \n\x01é', "user_message": "U\t\u2028🐈", "assistant_response": "A\x1f\r"}
    for rejected in ((), ("R1\x7f", "R2\x00"), ("R",) * 3):
        example = dataclasses.replace(_stand_in_example(texts, rejected), praise_message="praise",
                                      captured_at=_dt.datetime(2025, 1, 1), metadata={"session_id": "s"})
        expected = [(_json_line(record).encode(), record.get("label")) for record in records(example)]
        filled = _filled_lines(tuple(templates), None, example)
        if filled != [(line, label if isinstance(label, bool) else None) for line, label in expected]:
            return None
    return tuple(templates)


def _stand_in_example(texts: Mapping[str, str], rejected: tuple[str, ...]) -> Example:
    return Example(user_message=texts["user_message"], system_prompt=texts["system_prompt"],
                   assistant_response=texts["assistant_response"], praise_message="",
                   captured_at=_dt.datetime(2000, 1, 1), rejected_responses=rejected)


def _filled_lines(templates: tuple[_LineTemplate, ...], block: _Block | None,
                  example: Example) -> list[tuple[bytes, bool | None]]:
    """The example's lines from *templates*, each with its kto label; the texts' bytes from *block* if it has them."""
    encoded = block.encoded if block is not None and block.encoded is not None else tuple(
        getattr(example, name).encode() for name in _ENCODED_TEXTS)
    if example.rejected_responses:
        encoded = (*encoded, *(text.encode() for text in example.rejected_responses))
    texts = _json_escaped(_TEXT_BREAK.join(encoded)).split(_TEXT_BREAK)
    lines = []
    for template in templates:
        if not template.per_rejected:
            lines.append((template.fill(texts), template.label))
            continue
        for rejected in texts[_REJECTED:]:
            texts[_REJECTED] = rejected
            lines.append((template.fill(texts), template.label))
    return lines


class _LineBatches:
    """JSON lines (bytes) for a text stream, written about a megabyte at a time: a write per line cost more than
    the encoding.

    A text stream that would encode them as UTF-8 with "\\n" line ends gets the bytes in its binary buffer,
    as they are; any other gets them decoded.
    """

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.lines: list[bytes] = []
        self.size = 0
        self._buffer = _utf8_buffer(stream)

    def add(self, line: bytes) -> None:
        self.lines.append(line)
        self.size += len(line)
        if self.size >= _WRITE_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.lines.append(b"")  # for the last line's "\n"
            batch = b"\n".join(self.lines)
            self.lines, self.size = [], 0
            if self._buffer is not None:
                self._buffer.write(batch)
            else:
                self.stream.write(batch.decode("utf-8"))


def _utf8_buffer(stream: Any) -> BinaryIO | None:
    """*stream*'s binary buffer, flushed, if writing UTF-8 bytes there is what writing the text would do."""
    # A TextIOWrapper does not show its newline argument; where os.linesep is "\n" it writes "\n" as it is
    # unless it was opened with newline="\r\n" or "\r", which no JSON Lines file wants.
    if not isinstance(stream, io.TextIOWrapper) or os.linesep != "\n":
        return None
    try:
        if codecs.lookup(stream.encoding).name != "utf-8":
            return None
    except LookupError:
        return None
    stream.flush()  # what was written to the text stream before comes first
    return stream.buffer


_WRITE_SIZE = 1 << 20  # bytes of export output gathered before each write


def _existing_file(path: str | os.PathLike[str] | None) -> Path:
    """The examples file (resolved as for capture); FileNotFoundError naming it, as open() raises, if missing."""
    target = resolve_path(path)
    if not target.exists():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(target))
    return target


def llamafactory_entry(export_format: str, file_name: str) -> dict[str, Any]:
    """The LLaMA-Factory dataset_info.json entry that reads an export of *export_format* faithfully.

    ValueError for a format LLaMA-Factory has no reader for (see EXPORT_TABLE).
    """
    entry = _export_format(export_format).llamafactory
    if entry is None:
        raise ValueError(f"LLaMA-Factory reads no {export_format} export (train it with TRL: docs/training.md);"
                         f" dataset_info.json takes {', '.join(DATASET_INFO_FORMATS)}")
    return {"file_name": file_name, **json.loads(json.dumps(entry))}  # a deep copy: the table stays as it is


def _read_dataset_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The entries of a dataset_info.json file, or none if there is no file yet."""
    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not JSON ({error})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a JSON object of dataset entries")
    return data


def write_dataset_info(path: str | os.PathLike[str], entries: Mapping[str, Any]) -> None:
    """Add *entries* to the dataset_info.json at *path*, replacing those of the same name only.

    Every other entry is kept as it was; the file is replaced atomically.
    """
    merged = _read_dataset_info(path)
    merged.update(entries)
    with _AtomicOutput(path) as stream:
        stream.write(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")


def remove_examples(ids: Iterable[str], *, path: str | os.PathLike[str] | None = None) -> list[str]:
    """Delete the examples with these ids; return the ids removed, in file order.

    The file is rewritten whole (temp file, fsync, rename) while holding the
    lock capture uses, so a capture running at the same moment waits and then
    appends to the new file: nothing is lost.  Everything else, damaged blocks
    included, is copied byte for byte.  Unknown ids raise KeyError and change
    nothing.
    """
    wanted = {identifier.strip().lower() for identifier in ids}
    target = _existing_file(path)
    with _LockedFile(target):
        spans: list[tuple[int, int, str]] = []
        for block in _read_blocks(target, strict=False, on_error=lambda error: None):
            identifier = example_id(block.example)
            if identifier in wanted:
                spans.append((block.start, block.end, identifier))
        missing = wanted - {identifier for _, _, identifier in spans}
        if missing:
            raise KeyError(f"no example with id {', '.join(sorted(missing))}")
        _rewrite_without(target, [(start, end) for start, end, _ in spans])
    return [identifier for _, _, identifier in spans]


def _rewrite_without(target: Path, spans: list[tuple[int, int]]) -> None:
    """Replace *target* by a copy without the byte *spans* (and the blank lines after each)."""
    with open(target, "rb") as source, _AtomicOutput(target, binary=True) as copy:
        position = 0
        for start, end in spans:
            _copy_range(source, copy, position, start)
            source.seek(end)
            while source.read(1) == b"\n":
                end += 1
            position = end
        _copy_range(source, copy, position, None)


def _copy_range(source: BinaryIO, copy: BinaryIO, start: int, end: int | None, chunk: int = 1 << 20) -> None:
    source.seek(start)
    remaining = None if end is None else end - start
    while remaining is None or remaining > 0:
        data = source.read(chunk if remaining is None else min(chunk, remaining))
        if not data:
            return
        copy.write(data)
        if remaining is not None:
            remaining -= len(data)


@dataclass
class BackfillReport:
    """What a backfill captured and what it could not read."""

    conversations: int = 0
    captured: int = 0
    already_captured: int = 0
    problems: list[str] = field(default_factory=list)


def backfill(logs: Iterable[str | os.PathLike[str]], *, path: str | os.PathLike[str] | None = None) -> BackfillReport:
    """Capture the praised exchanges of past conversations stored as JSON Lines.

    Each line of a log is one conversation, ``{"messages": [{"role": ...,
    "content": ...}, ...]}``.  Every user message that follows an assistant
    reply goes through the same praise detection and the same choice of
    exchange as live capture, and a praised exchange is captured with the
    system message that preceded its reply.  Exchanges already in the
    examples file (same system prompt, user message and reply) are not
    captured again, so a second run over the same logs adds nothing.
    """
    report = BackfillReport()
    target = resolve_path(path)
    existing: set[bytes] = set()
    if target.exists():
        existing = {_block_key(block) for block in _read_blocks(target, strict=False, on_error=lambda error: None)}
    for log in logs:
        log_path = Path(os.path.abspath(os.fspath(log)))
        try:
            stream = open(log_path, encoding="utf-8", errors="strict")
        except OSError as error:
            report.problems.append(f"{log_path}: cannot read: {error.strerror or error}")
            continue
        with stream:
            for number, line in enumerate(_lines_or_problem(stream, log_path, report), 1):
                if not line.strip():
                    continue
                try:
                    messages = _conversation_messages(json.loads(line))
                except ValueError as error:
                    report.problems.append(f"{log_path}:{number}: {error}")
                    continue
                report.conversations += 1
                for exchange, praise, match in _praised_exchanges(messages):
                    key = _texts_key(*map(clean_text, (exchange.system_prompt, exchange.user_message,
                                                        exchange.assistant_response)))
                    if key in existing:
                        report.already_captured += 1
                        continue
                    metadata = {"source": str(log_path), "line": number, "backfilled": True,
                                "praise_match": match.as_metadata()}
                    capture_fine_tuning_example(exchange.user_message, exchange.system_prompt,
                                                exchange.assistant_response, praise, metadata, path=target)
                    existing.add(key)
                    report.captured += 1
    return report


def _lines_or_problem(stream: Any, log_path: Path, report: BackfillReport) -> Iterator[str]:
    """The lines of a log; a line that is not UTF-8 ends the file with a problem noted."""
    number = 0
    try:
        for number, line in enumerate(stream, 1):  # noqa: B007 - number is read after the loop
            yield line
    except UnicodeDecodeError as error:
        report.problems.append(f"{log_path}:{number + 1}: not UTF-8 text ({error.reason}); the rest was skipped")


def _conversation_messages(data: Any) -> list[tuple[str, str]]:
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise ValueError('expected an object like {"messages": [...]}')
    messages = []
    for message in data["messages"]:
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ValueError('every message needs a "role"')
        messages.append((message["role"], _message_text(message.get("content"))))
    return messages


def _message_text(content: Any) -> str:
    """Message content as text: a string, or the text parts of a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict)
                       and isinstance(part.get("text"), str))
    raise ValueError("message content must be text or a list of text parts")


def _praised_exchanges(messages: list[tuple[str, str]]) -> list[tuple[Exchange, str, PraiseMatch]]:
    """Replay a conversation as the chat hook sees it: each exchange praise captures, with the praise and match."""
    found: list[tuple[Exchange, str, PraiseMatch]] = []
    history: list[Exchange] = []
    system = ""
    pending_user: str | None = None
    previous_role = ""  # of the last user or assistant message: system messages may sit between
    for role, text in messages:
        if role == "system":
            system = text
            continue
        if role == "user":
            if previous_role == "assistant":
                _capture_praised_exchange(history, text, lambda *praised: found.append(praised))
            pending_user = text
        elif role == "assistant" and pending_user is not None:
            history.append(Exchange(pending_user, system, text))
            pending_user = None
        previous_role = role
    return found


# ---------------------------------------------------------------------------
# Command line: python -m fine_tuning_capture COMMAND
# ---------------------------------------------------------------------------


# Every command, in the order `--help` lists them: (name, function, its arguments, whether it takes --file).
# The @_command decorator above each cmd_ function fills this in, so a command's options stand beside it.
_COMMANDS: list[tuple[str, Callable[[argparse.Namespace], int], tuple[tuple[tuple[str, ...], dict[str, Any]], ...],
                      bool]] = []


def _command(name: str, *arguments: tuple[tuple[str, ...], dict[str, Any]],
             examples_file: bool = True) -> Callable[[Callable[[argparse.Namespace], int]],
                                                      Callable[[argparse.Namespace], int]]:
    """Register a cmd_ function as the subcommand *name*, with its arguments made by _arg()."""
    def register(function: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        _COMMANDS.append((name, function, arguments, examples_file))
        return function
    return register


def _arg(*flags: str, **options: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    """One argument of a command, as argparse's add_argument takes it."""
    return flags, options


class CommandError(Exception):
    """A problem the command line reports as one line on stderr, with exit status 2."""


def _one_line_preview(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _report_damaged(errors: list[FormatError], target: Path) -> None:
    for error in errors:
        print(_skipped_message(target, error), file=sys.stderr)


@_command("stats")
def cmd_stats(args: argparse.Namespace) -> int:
    """Count the examples: date range, sessions, median sizes, duplicates, damaged blocks."""
    target = resolve_path(args.file)
    damaged: list[FormatError] = []
    count, sessions, without_session, duplicates = 0, set(), 0, 0
    first = last = None
    sizes: dict[str, list[int]] = {"user message": [], "system prompt": [], "reply": []}
    seen: set[bytes] = set()
    for block in _read_blocks(target, strict=False, on_error=damaged.append):
        example = block.example
        count += 1
        first = example.captured_at if first is None else min(first, example.captured_at)
        last = example.captured_at if last is None else max(last, example.captured_at)
        session = example.metadata.get("session_id")
        if session is None:
            without_session += 1
        else:
            sessions.add(str(session))
        sizes["user message"].append(len(example.user_message))
        sizes["system prompt"].append(len(example.system_prompt))
        sizes["reply"].append(len(example.assistant_response))
        key = _block_key(block)
        duplicates += key in seen
        seen.add(key)
    print(f"file: {target}")
    print(f"examples: {count}")
    if count:
        print(f"captured: {first:%Y-%m-%d %H:%M:%S} to {last:%Y-%m-%d %H:%M:%S}")
        print(f"sessions: {len(sessions)}" + (f" (and {without_session} examples without a session_id)"
                                              if without_session else ""))
        print("median characters: " + ", ".join(f"{name} {statistics.median(values):.0f}"
                                                 for name, values in sizes.items()))
    print(f"duplicates: {duplicates}")
    print(f"damaged blocks: {len(damaged)}")
    _report_damaged(damaged, target)
    return 1 if damaged else 0


@_command("check")
def cmd_check(args: argparse.Namespace) -> int:
    """Check the file: every problem with its line number; exit status 1 if there is any."""
    target = resolve_path(args.file)
    problems: list[tuple[int, str]] = []
    count = 0
    for block in _read_blocks(target, strict=False,
                              on_error=lambda error: problems.append((error.lineno, error.msg))):
        count += 1
        for name, text in (("reply", block.example.assistant_response),
                           ("user message", block.example.user_message),
                           ("system prompt", block.example.system_prompt)):
            if not text.strip():
                problems.append((block.line, f"example {example_id(block.example)} has an empty {name}"))
        for number, text in enumerate(block.example.rejected_responses, 1):
            if not text.strip():
                problems.append((block.line, f"example {example_id(block.example)} has an empty rejected "
                                             f"response {number}"))
            elif text == block.example.assistant_response:
                problems.append((block.line, f"example {example_id(block.example)} has rejected response {number}"
                                             " equal to its reply"))
    for line, message in sorted(problems):
        print(f"{target}:{line}: {message}")
    print(f"{count} examples read, {len(problems)} problem{'s' if len(problems) != 1 else ''}")
    return 1 if problems else 0


@_command("list")
def cmd_list(args: argparse.Namespace) -> int:
    """List the examples, one a line: id, capture time, praise, and the start of the user message."""
    target = resolve_path(args.file)
    damaged: list[FormatError] = []
    for example in read_examples(target, strict=False, on_error=damaged.append):
        print(f"{example_id(example)}  {example.captured_at:%Y-%m-%d %H:%M}  "
              f"{_one_line_preview(example.praise_message, 24):24}  {_one_line_preview(example.user_message, 60)}")
    _report_damaged(damaged, target)
    return 1 if damaged else 0


@_command("remove", _arg("ids", nargs="+", metavar="ID", help="ids shown by `list`"))
def cmd_remove(args: argparse.Namespace) -> int:
    """Delete the examples with these ids (from `list`) after review; the file is rewritten atomically."""
    try:
        removed = remove_examples(args.ids, path=args.file)
    except KeyError as error:
        raise CommandError(f"{error.args[0]}; nothing was removed (see `list`)") from None
    print(f"removed {len(removed)} example{'s' if len(removed) != 1 else ''}: {' '.join(removed)}")
    return 0


@_command(
    "export",
    _arg("--format", required=True, choices=EXPORT_FORMATS, metavar="FORMAT",
         help="; ".join(f"{name}: {spec.shape}" for name, spec in EXPORT_TABLE.items())),
    _arg("-o", "--output", required=True, metavar="FILE", help="output file, or - for stdout"),
    _arg("--val-fraction", type=float, default=0.0, metavar="F",
         help="share of sessions for validation, 0 to below 1 (default 0)"),
    _arg("--val-out", metavar="FILE", help="where the validation split goes"),
    _arg("--since", metavar="DATE", help="only examples captured on or after DATE"),
    _arg("--until", metavar="DATE", help="only examples captured up to DATE, inclusive"),
    _arg("--dataset-info", metavar="FILE", help="also add the LLaMA-Factory entries for the output files to this"
                                                f" dataset_info.json ({', '.join(DATASET_INFO_FORMATS)})"),
)
def cmd_export(args: argparse.Namespace) -> int:
    """Export training data as JSON Lines in one --format; duplicates once, empty texts refused."""
    if not 0 <= args.val_fraction < 1:
        raise CommandError("--val-fraction must be at least 0 and below 1")
    if args.val_fraction and not args.val_out:
        raise CommandError("--val-fraction needs --val-out FILE for the validation split")
    if args.val_out and args.val_out == args.output:
        raise CommandError("--val-out must differ from -o")
    target = _existing_file(args.file)  # before an output file is made
    since, until = _parse_bound(args.since, "--since"), _parse_bound(args.until, "--until", end_of_day=True)
    entries = _dataset_info_entries(args) if args.dataset_info else {}
    with contextlib.ExitStack() as stack:
        out = sys.stdout if args.output == "-" else stack.enter_context(_AtomicOutput(args.output))
        validation = None
        if args.val_out:
            validation = sys.stdout if args.val_out == "-" else stack.enter_context(_AtomicOutput(args.val_out))
        report = export_examples(args.format, out, path=target, validation_out=validation,
                                 validation_fraction=args.val_fraction, since=since, until=until)
    if entries:
        write_dataset_info(args.dataset_info, entries)
    _report_export(report, args.format, target)
    if entries:
        print(f"LLaMA-Factory: dataset {', '.join(entries)} in {os.path.abspath(args.dataset_info)}",
              file=sys.stderr)
    return 1 if report.damaged or report.empty or report.unusable_alternatives else 0


def _report_export(report: ExportReport, export_format: str, target: Path) -> None:
    _report_damaged(report.damaged, target)
    for problem in report.empty:
        print(f"{target}: {problem}: skipped, a trainer would learn to answer with nothing", file=sys.stderr)
    spec = EXPORT_TABLE[export_format]
    print(f"exported {report.train} training and {report.validation} validation {spec.unit} as {export_format}"
          f" ({report.duplicates} duplicates and {report.out_of_range} outside the dates left out,"
          f" {len(report.damaged)} damaged blocks skipped, {len(report.empty)} with empty text skipped)",
          file=sys.stderr)
    if spec.uses_alternatives and report.unusable_alternatives:
        print(f"{report.unusable_alternatives} rejected replies left out: empty, or the same as the praised"
              " reply (see `check`)", file=sys.stderr)
    if report.without_alternatives:
        print(f"{report.without_alternatives} praised examples without a reply a /retry replaced give no pair",
              file=sys.stderr)
    if report.desirable or report.undesirable:
        print(f"kto labels in the training file: {report.desirable} desirable, {report.undesirable} undesirable:"
              f" {kto_weight_advice(report.desirable, report.undesirable)}", file=sys.stderr)


def _dataset_info_entries(args: argparse.Namespace) -> dict[str, Any]:
    """The dataset_info.json entries for this export, named by file stem; checked before anything is written."""
    info = Path(os.path.abspath(args.dataset_info))
    outputs = [args.output] + ([args.val_out] if args.val_out else [])
    if "-" in outputs:
        raise CommandError("--dataset-info needs the export in files, not on stdout")
    try:
        _read_dataset_info(info)  # an unreadable file stops the export before it starts
        entries = {}
        for output in map(Path, map(os.path.abspath, outputs)):
            relative = os.path.relpath(output, info.parent)
            file_name = str(output) if relative.startswith(os.pardir) else relative
            entries[output.stem] = llamafactory_entry(args.format, file_name)
    except ValueError as error:  # also a JSONDecodeError
        raise CommandError(str(error)) from None
    if len(entries) < len(outputs):
        raise CommandError("--dataset-info names each dataset by its file name: give -o and --val-out different"
                           " names")
    return entries


def _parse_bound(value: str | None, option: str, *, end_of_day: bool = False) -> _dt.datetime | None:
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = _dt.date.fromisoformat(value)
            return _dt.datetime.combine(day + _dt.timedelta(days=1 if end_of_day else 0), _dt.time())
        return _dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} takes a date like 2025-11-19 or 2025-11-19T20:10, not {value!r}") from None


@_command("backfill", _arg("logs", nargs="+", metavar="LOG", help="JSON Lines chat logs"))
def cmd_backfill(args: argparse.Namespace) -> int:
    """Capture praised exchanges from past chat logs (JSON Lines, one {"messages": [...]} a line)."""
    report = backfill(args.logs, path=args.file)
    for problem in report.problems:
        print(f"{problem}", file=sys.stderr)
    print(f"read {report.conversations} conversations: captured {report.captured} examples"
          f" ({report.already_captured} already in the file), {len(report.problems)} problems")
    return 1 if report.problems else 0


#: The keys of `explain --json`, in order: a fixed contract for scripts.
EXPLAIN_JSON_KEYS = ("praise", "rule", "matched", "veto", "score")


@_command("explain", _arg("text", nargs="+", metavar="TEXT", help="the message (several words are joined by spaces)"),
          _arg("--json", action="store_true",
               help=f"print one JSON object with the keys {', '.join(EXPLAIN_JSON_KEYS)}"),
          examples_file=False)
def cmd_explain(args: argparse.Namespace) -> int:
    """Say whether TEXT is praise and why: the rule and phrase that matched, or the veto that rejected it, and
    the features that moved the scorer most."""
    text = " ".join(args.text)
    explained = explain_praise(text)
    if args.json:
        print(json.dumps({key: explained[key] for key in EXPLAIN_JSON_KEYS}, ensure_ascii=False))
        return 0
    if explained["praise"]:
        print(f"praise: yes, by rule {explained['rule']!r} on {explained['matched']!r}")
    elif explained["veto"]:
        print(f"praise: no, vetoed by {explained['veto']!r} (it rejected {explained['vetoed']!r})")
    else:
        print("praise: no, no rule matched" + (" and the scorer is below its threshold" if explained["score"]
                                                 is not None else ""))
    if explained["score"] is None:
        print("scorer: not used" if _current_scorer() else "scorer: unavailable, the rules decided alone")
    else:
        against = "" if explained["threshold"] is None else f" against threshold {explained['threshold']}"
        print(f"scorer: {explained['score']:.3f}{against}")
    for feature, weight in explained["features"]:
        print(f"  {weight:+.3f}  {feature}")
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fine_tuning_capture",
        description="Review, back-fill and export captured fine-tuning examples.",
        epilog="Exit status: 0 all well, 1 something was skipped or found wrong, 2 an error.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, function, arguments, examples_file in _COMMANDS:
        command = commands.add_parser(name, help=function.__doc__, description=function.__doc__)
        command.set_defaults(handler=function)
        if examples_file:
            command.add_argument("--file", help=f"the examples file (default: ${OUTPUT_ENV_VAR}, else "
                                                f"{DEFAULT_OUTPUT_PATH.name} beside the module)")
        for flags, options in arguments:
            command.add_argument(*flags, **options)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:
        # The reader of our output went away (`... | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
    except FileNotFoundError as error:
        print(f"error: no such file: {error.filename or error}", file=sys.stderr)
    except IsADirectoryError as error:
        print(f"error: a folder, not an examples file: {error.filename}", file=sys.stderr)
    except OSError as error:
        print(f"error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
    except FormatError as error:
        print(f"error: {error}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
