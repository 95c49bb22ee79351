"""Memory: how a message is read, whose fact it is, how recall ranks, the prompt's limits, and migration."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from pathlib import Path

import pytest
from conftest import ROOT, make_app

import app as timmy

NOW = dt.datetime(2025, 11, 19, 20, 0)


@pytest.fixture
def memory(tmp_path: Path):
    store = timmy.MemoryStore(tmp_path / "memory.sqlite3")
    yield store
    store.close()


def remember(store: timmy.MemoryStore, text: str, days_ago: float) -> None:
    """Store *text* as remember() would have, *days_ago* days before NOW."""
    assert store.remember(text, now=NOW - dt.timedelta(days=days_ago)) is not None, text


def recalled(store: timmy.MemoryStore, question: str, k: int = 5) -> list[str]:
    return [m.content for m in store.recall(question, k, now=NOW)]


# --- reading a message ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("What's my cat's name?", ["what", "my", "cat", "name"]),
    ("What\u2019s my cat\u2019s name?", ["what", "my", "cat", "name"]),
    ("I can't stand coriander", ["i", "can", "not", "stand", "coriander"]),
    ("I don't know, and I won't go", ["i", "do", "not", "know", "and", "i", "will", "not", "go"]),
    ("I'm sure they're sure we've seen it", ["i", "sure", "they", "sure", "we", "seen", "it"]),
    ("the kids' school at 5 o'clock", ["the", "kids", "school", "at", "5", "o", "clock"]),
    ("Café crème", ["cafe", "creme"]),
])
def test_contractions_and_possessives_are_split(text: str, expected: list[str]):
    assert timmy.words(text) == expected


def test_a_question_keeps_no_contraction_fragments():
    query = timmy.read_query("What's my cat's name? I'm asking")
    assert [group.exact[0] for group in query.groups] == ["cat", "name", "asking"]
    assert query.owner == {"user"}
    assert query.wants == {"name"}


@pytest.mark.parametrize(("text", "owner"), [
    ("My cat is Winston", "user"),
    ("I'm allergic to penicillin", "user"),
    ("We have a beagle called Biscuit", "biscuit user"),
    ("My cat Winston hates the vet", "user winston"),
    ("My sister's cat is Luna", "family sister"),
    ("My sister Emma lives in Cardiff", "emma family sister"),
    ("My mum's name is Margaret", "family margaret mother"),
    ("My best friend Maya lives in Toronto", "friend maya"),
    ("My mother-in-law is visiting over Christmas", "family motherinlaw"),
    ("My old teacher lives in Leeds", "teacher"),
    ("My GP is Dr Patel", "doctor"),
    ("My dentist appointment is on Thursday", "user"),
    ("Tom's dog is called Rex", "rex tom"),
    ("Sarah lives in Leeds", "sarah"),
    ("The cat next door is loud", ""),
    ("It rained all day in Leeds", ""),
])
def test_memory_owner(text: str, owner: str):
    assert timmy.memory_owner(text) == owner


@pytest.mark.parametrize(("question", "owner"), [
    ("What's my cat's name?", {"user"}),
    ("Where does my sister live?", {"sister"}),
    ("What's my husband called?", {"husband"}),
    ("Which city is Emma in?", {"emma"}),
    ("What is Tom's dog called?", {"tom"}),
    ("When is grandad's birthday?", {"grandfather"}),
    ("When's the Henderson meeting?", set()),
])
def test_a_question_asks_about_one_person(question: str, owner: set[str]):
    assert timmy.read_query(question).owner == owner


def test_stems_are_the_full_text_indexs_stems():
    words = ("cats running ran happily happiness relational generalization allergic allergies vegetarian "
             "hospital hospitals called calling photographer photography organisation engineering").split()
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(w, tokenize='porter unicode61')")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    db.executemany("INSERT INTO t(rowid, w) VALUES (?, ?)", list(enumerate(words, 1)))
    by_row = dict(db.execute("SELECT doc, term FROM v"))
    assert [timmy.stem(word) for word in words] == [by_row[n] for n in range(1, len(words) + 1)]


# --- ranking rules -------------------------------------------------------------------------

def test_owner_rule_the_users_own_fact_before_someone_elses(memory):
    remember(memory, "My cat is Winston", 140)
    remember(memory, "My sister's cat is called Luna", 2)
    remember(memory, "Tom's cat is called Misty", 1)
    assert recalled(memory, "What's my cat's name?", 1) == ["My cat is Winston"]
    assert recalled(memory, "What's my sister's cat called?", 1) == ["My sister's cat is called Luna"]
    assert recalled(memory, "What is Tom's cat called?", 1) == ["Tom's cat is called Misty"]


def test_a_memory_of_the_users_relation_is_no_strangers_for_a_question_about_the_user(memory):
    remember(memory, "My fiance Dev proposed on the beach at Whitby", 300)
    remember(memory, "Sue's boyfriend proposed on the beach at Whitby", 2)
    assert recalled(memory, "Where did I get engaged?", 1) == ["My fiance Dev proposed on the beach at Whitby"]


def test_newer_fact_rule(memory):
    remember(memory, "My cat is Winston", 400)
    remember(memory, "My cat is now called Felix", 10)
    assert recalled(memory, "What's my cat's name?", 2) == ["My cat is now called Felix", "My cat is Winston"]


def test_recency_breaks_a_tie_between_equally_relevant_facts(memory):
    remember(memory, "My cat is Winston", 400)
    remember(memory, "My cat is Felix", 10)
    assert recalled(memory, "What's my cat's name?", 2) == ["My cat is Felix", "My cat is Winston"]


def test_contractions_do_not_match_every_memory(memory):
    remember(memory, "My cat is Winston", 140)
    for n in range(30):  # every one of them holds "'s" and "I'm", as a quarter of real memories do
        remember(memory, f"I'm sure it's Sam's turn to cook number {n}", n)
    assert recalled(memory, "What's my cat's name?", 1) == ["My cat is Winston"]


def test_synonyms_and_kinds(memory):
    remember(memory, "My favourite film is Paddington 2", 250)
    remember(memory, "I learned to play the cello as a kid", 700)
    remember(memory, "I watched a movie about pianos last night", 3)
    assert recalled(memory, "What's my favourite movie?", 1) == ["My favourite film is Paddington 2"]
    assert recalled(memory, "What instrument do I play?", 1) == ["I learned to play the cello as a kid"]


@pytest.mark.parametrize(("fact", "question", "decoy"), [
    # irregular verbs: Porter leaves "grew" apart from "grow"
    ("I grew up in Aberdeen", "Where did I grow up?", "I want to grow tomatoes on the balcony this year"),
    # a job is answered by an occupation, and "what does my wife do?" asks for one
    ("I'm a software developer at a fintech startup", "What do I do for work?", "I left work early on Tuesday"),
    ("My wife Sophie is a primary school teacher", "What does my wife do?", "My wife loves the garden"),
    # a festival by its name, a country for a trip abroad
    ("I'm going to Glastonbury with Priya in June", "Who am I going to the festival with?",
     "I went to a food festival with Lucy on Tuesday"),
    ("I want to visit Japan next spring", "Where do I want to travel?", "Tom wants to travel more"),
    # "report to" is a boss; a who-question about the user is answered by one of the user's people
    ("My boss is called Sandra", "Who do I report to at work?", "I need to finish the audit report by Monday"),
])
def test_paraphrase_rules(memory, fact: str, question: str, decoy: str):
    """The fact shares no word with the question: without the rule it is not a candidate at all."""
    remember(memory, fact, 400)
    remember(memory, decoy, 2)
    assert fact in recalled(memory, question, 2)


# --- names for relations: "my husband's name is Raj", then "Raj is allergic to walnuts" ------------------

@pytest.mark.parametrize(("text", "aliases"), [
    ("My husband's name is Raj", {("raj", "husband"), ("raj", "partner"), ("raj", "family")}),
    ("My sister Emma lives in Cardiff", {("emma", "sister"), ("emma", "family")}),
    ("My son is called Oliver", {("oliver", "son"), ("oliver", "child"), ("oliver", "family")}),
    ("Raj, my husband, hates cheese", {("raj", "husband"), ("raj", "partner"), ("raj", "family")}),
    ("Our dog Biscuit is afraid of the hoover", {("biscuit", "dog")}),
    ("We have a beagle called Biscuit", {("biscuit", "beagle")}),
    ("My cat is Winston", {("winston", "cat")}),
    ("Bella's son is called Owen", set()),  # someone else's son
    ("Sara just adopted a ferret called Alfie", set()),  # someone else's pet
    ("My husband is Welsh", set()),  # "is" + a capital names a pet, not a relation
])
def test_memory_aliases(text: str, aliases: set[tuple[str, str]]):
    assert {(name, relation) for name, relation, _ in timmy.json.loads(timmy.memory_aliases(text))} == aliases


@pytest.mark.parametrize("introduced_first", [True, False])
def test_a_relation_finds_the_memories_of_its_name(memory, introduced_first: bool):
    facts = ["My husband's name is Raj", "Raj is allergic to walnuts"]
    for n, text in enumerate(facts if introduced_first else facts[::-1]):
        remember(memory, text, 100 - n)
    remember(memory, "Tom is allergic to cats", 1)
    remember(memory, "I'm allergic to penicillin", 500)
    assert recalled(memory, "Is my husband allergic to anything?", 1) == ["Raj is allergic to walnuts"]
    # and the other way: a question naming Raj finds what the husband's memories say
    remember(memory, "My husband works as a plumber", 3)
    assert "My husband works as a plumber" in recalled(memory, "What does Raj do for a living?", 2)


def test_a_memory_that_mentions_the_name_is_about_the_relation(memory):
    remember(memory, "My husband Raj loves jumpers", 300)
    remember(memory, "I'm knitting Raj a cable-knit jumper for Christmas", 30)
    remember(memory, "I'm knitting a scarf for Tom", 2)
    assert recalled(memory, "What am I making for my husband?", 1)[0].startswith("I'm knitting Raj")


def test_two_people_of_one_relation_are_both_found(memory):
    remember(memory, "My son Oliver starts secondary school in September", 60)
    remember(memory, "My son Leo is learning the trumpet", 40)
    remember(memory, "Oliver plays in goal for the Redland Rovers", 20)
    remember(memory, "Leo plays the trumpet in the school band", 10)
    remember(memory, "Tom plays in goal for his pub team", 2)
    found = recalled(memory, "What position does my son play?", 2)
    assert found[0] == "Oliver plays in goal for the Redland Rovers"
    assert "Tom plays in goal for his pub team" not in recalled(memory, "What does my son play?", 3)


@pytest.mark.parametrize(("introduction", "fact", "decoy", "question"), [
    ("My father-in-law Gerald restores old motorbikes", "Gerald plays golf at the cricket club on Sundays",
     "Tom plays golf at the cricket club on Sundays", "Where does my father-in-law play golf?"),
    ("My stepdad Clive was a trawlerman out of Grimsby", "Clive's on warfarin so he bruises really easily",
     "Tom's on warfarin so he bruises really easily", "Does my stepfather bruise easily?"),
])
def test_relations_by_marriage_and_step_relations_find_their_names(memory, introduction: str, fact: str,
                                                                  decoy: str, question: str):
    remember(memory, introduction, 300)
    remember(memory, fact, 200)
    remember(memory, decoy, 1)
    assert recalled(memory, question, 1) == [fact]


def test_the_law_of_in_law_is_no_word_of_the_question():
    query = timmy.read_query("Where is my father-in-law's birthday do?")
    assert query.owner == {"fatherinlaw"} and [group.exact[0] for group in query.groups] == ["birthday", "party"]


def test_forgetting_the_introduction_forgets_the_alias(memory):
    remember(memory, "My husband's name is Raj", 100)
    remember(memory, "Raj is allergic to walnuts", 50)
    introduction = next(m for m in memory.memories() if m.content == "My husband's name is Raj")
    assert memory.forget(introduction.id) is not None
    with memory._lock:
        assert memory._db.execute("SELECT count(*) FROM memory_aliases").fetchone()[0] == 0
    remember(memory, "My husband has a cold", 5)
    wanted, mentions = memory._with_aliases(timmy.read_query("Is my husband allergic to anything?"))
    assert mentions == frozenset() and "raj" not in wanted.owner


def test_a_pet_kind_finds_the_pets_name(memory):
    remember(memory, "We have a beagle called Biscuit", 400)
    remember(memory, "Biscuit sleeps in the kitchen", 30)
    remember(memory, "Tom's dog sleeps in the garage", 2)
    assert recalled(memory, "Where does the dog sleep?", 1) == ["Biscuit sleeps in the kitchen"]


# --- general words find the particular ones (hypernyms) ---------------------------------------------

@pytest.mark.parametrize(("fact", "question", "decoy"), [
    ("The kids named the two goldfish Bubble and Squeak", "What are the fish called?", "Tom called about the car"),
    ("We've got four hens now", "How many chickens do we have?", "We have two cars now"),
    ("My leopard gecko is called Norbert", "What's my lizard called?", "My cousin is called Norbert's dad"),
    ("I've got a hamster called Nibbles", "What pets do I have?", "I have a meeting on Friday"),
    ("I've only got six days of annual leave left", "How many days off do I have left?",
     "I have three days left on the project"),
    ("Oliver plays in goal for the Redland Rovers", "What position does Oliver play?",
     "Oliver played a game on his phone"),
    ("I've got a podiatrist appointment on Friday", "When am I seeing the foot doctor?", "Tom stubbed his foot"),
    ("Peroni's my beer of choice", "What should I order at the bar?", "I need to order a new sofa"),
    ("Agnieszka cleans for us on Tuesday mornings", "Who's our cleaner?", "I bought a new vacuum cleaner"),
])
def test_hypernym_rules(memory, fact: str, question: str, decoy: str):
    """The question's word is a general one; the fact says the particular thing: without the rule the fact is not
    a candidate at all."""
    remember(memory, fact, 400)
    remember(memory, decoy, 2)
    assert fact in recalled(memory, question, 2)


def test_an_activity_does_not_bring_the_kinds_of_the_noun_porter_joins_it_to(memory):
    """"fishing" stems to "fish", whose kinds are goldfish and koi; the activity is not about them."""
    remember(memory, "I go fly fishing on the River Wye with Clive most summers", 400)
    memory.add_many(timmy.Memory(f"My goldfish was sick again on day {n}", "Personal Data", 5, "User",
                                 NOW - dt.timedelta(days=n % 300)) for n in range(600))
    assert recalled(memory, "Where do I go fishing?", 1) == [
        "I go fly fishing on the River Wye with Clive most summers"]
    assert "salsa" in timmy._kinds_of("dancing") and "tesco" in timmy._kinds_of("shopping")  # grouped: kept


@pytest.mark.parametrize(("fact", "question", "decoy"), [
    # a light verb says nothing of its own: "use" is not what the question is about
    ("I do the big food shop at Sainsbury's on Sunday evenings", "Which supermarket do I use?",
     "I used to live in Hong Kong"),
    ("The cat has to have a tablet every night", "Does the cat take any medicine?", "The cat takes ages to eat"),
    # "play" is mostly a verb, not a kind of theatre
    ("We've got tickets to see Hamilton at the Hippodrome", "Which musical are we going to?",
     "I play five-a-side football on Wednesday nights"),
])
def test_words_that_say_little_do_not_decide(memory, fact: str, question: str, decoy: str):
    remember(memory, fact, 400)
    remember(memory, decoy, 2)
    assert recalled(memory, question, 1) == [fact]


def test_who_lives_next_door_is_not_about_where_anyone_lives(memory):
    remember(memory, "My neighbour lives in Belfast", 400)
    remember(memory, "Our neighbours at number 12 are the Wilsons", 200)
    assert recalled(memory, "Who lives next door?", 1) == ["Our neighbours at number 12 are the Wilsons"]


# --- the general lexicon (related_words.txt) ----------------------------------------------------------

@pytest.mark.parametrize(("fact", "question", "decoy"), [
    # a multi-word kind in the memory: a lemon drizzle is a cake
    ("Bronwen's doing a lemon drizzle for the party", "Who is making the cake?", "The lemon tree needs water"),
    # the lexicon's synonyms and kinds of single words
    ("My fiance Dev proposed on the beach at Whitby", "Where did I get engaged?", "We went to Whitby in May"),
    ("Dev's got a white Transit van", "What vehicle does Dev have?", "Dev has a new phone"),
])
def test_lexicon_rules(memory, fact: str, question: str, decoy: str):
    remember(memory, fact, 400)
    remember(memory, decoy, 2)
    assert recalled(memory, question, 1) == [fact]


def test_a_multi_word_term_of_the_question_is_read_as_one():
    query = timmy.read_query("What does the bearded dragon eat?")
    assert "bearded dragon" in query.groups[1].exact and query.groups[0].exact == ("bearded",)


def test_the_tables_keep_their_senses_against_the_lexicon():
    assert "parents" not in timmy._expand("old")  # the lexicon's "olds" (parents) stems to "old"
    assert "tea" not in timmy._expand("meal")  # trimmed in the file: tea is a drink far more often
    assert "christmas" not in timmy._expand("festival")  # the tables' festival is Glastonbury
    assert "salsa" in timmy._expand("dance") and "labrador" in timmy._expand("dog")  # the lexicon adds kinds
    assert "gift" not in timmy._expand("presentation")  # looked up by word: Porter makes it "present", a gift


def test_words_the_store_never_uses_are_not_asked_for(memory, tmp_path: Path):
    remember(memory, "I drive a blue Honda Jazz", 400)
    run = statements_run(memory, "What car do I have?")
    assert any('"honda"' in sql for sql in run) and not any('"toyota"' in sql for sql in run)
    other = timmy.MemoryStore(tmp_path / "memory.sqlite3")  # another connection stores a word the store lacked
    other.add("My partner has a Toyota Yaris", "Misc", 2, created_at=NOW)
    other.close()
    assert "My partner has a Toyota Yaris" in recalled(memory, "What car do I have?")


def test_without_the_lexicon_file_recall_uses_the_tables_alone(tmp_path: Path):
    assert timmy.read_lexicon(tmp_path / "missing.txt") == ((), {})
    (tmp_path / "words.txt").write_text("# a comment\n[synonyms]\nlift elevator\n[kinds]\ncake: lemon_drizzle sponge\n")
    assert timmy.read_lexicon(tmp_path / "words.txt") == ((("lift", "elevator"),),
                                                          {"cake": ("lemon drizzle", "sponge")})


def test_a_field_finds_the_one_who_practises_it(memory):
    """Porter leaves "photography" and "photographer" apart, as it does "biology" and "biologist"."""
    remember(memory, "I'm self-employed as a wedding photographer", 400)
    remember(memory, "I took some photos at the party", 2)
    assert recalled(memory, "What kind of photography do I do?", 1) == ["I'm self-employed as a wedding photographer"]
    assert "biology" in timmy._expand("biologist") and "physicist" in timmy._expand("physics")


def test_near_repeats_come_after_other_memories(memory):
    remember(memory, "I'm reading The Name of the Wind at the moment", 100)
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        remember(memory, f"I need to book a haircut for {day}", 1)
    first, second = recalled(memory, "What book am I reading?", 2)
    assert first.startswith("I need to book a haircut for ")  # one of them, then the fact, then the others
    assert second == "I'm reading The Name of the Wind at the moment"


def test_called_asks_for_a_name_not_a_call():
    query = timmy.read_query("What's our bunny called?")
    assert [group.exact for group in query.groups] == [("bunny",), ("name", "named", "nickname")]
    assert query.wants == {"name"}


def test_two_words_of_one_synonym_group_are_one_term():
    query = timmy.read_query("What book am I reading?")
    assert [set(group.exact) for group in query.groups] == [{"book", "reading"}]


def test_a_relation_asked_after_the_user_brings_its_name(memory):
    remember(memory, "Cormac and I have been mates since we were in Cubs together", 300)
    remember(memory, "My friend from school's favourite band is Coldplay", 2)
    assert timmy.read_query("Where did I meet my mate Cormac?").owner == {"friend", "cormac"}
    assert recalled(memory, "Where did I meet my mate Cormac?", 1) == [
        "Cormac and I have been mates since we were in Cubs together"]


def test_what_year_asks_for_a_time_not_for_the_word(memory):
    remember(memory, "I was born in 1988", 900)
    remember(memory, "My goal this year is to run a marathon under four hours", 10)
    remember(memory, "I've got 17 days of annual leave left this year", 10)
    query = timmy.read_query("What year was I born?")
    assert [group.exact for group in query.groups] == [("born",)] and query.wants == {"time"}
    assert recalled(memory, "What year was I born?", 1) == ["I was born in 1988"]


def test_a_who_question_about_the_user_asks_for_their_people_too():
    assert {"user", "landlord", "boss", "sister"} <= timmy.read_query("Who do we rent from?").owner
    assert timmy.read_query("Where do we live?").owner == {"user"}


def test_words_together_rank_above_scattered_words(memory):
    remember(memory, "My band plays at the pub near my favourite", 300)
    remember(memory, "My favourite band plays at the pub near me", 300)
    assert recalled(memory, "What's my favourite band?", 2) == [
        "My favourite band plays at the pub near me", "My band plays at the pub near my favourite"]


def test_a_plan_before_a_past_event(memory):
    remember(memory, "I met Ben for lunch on Friday", 2)
    remember(memory, "I've got a meeting with the Henderson client on Friday", 3)
    assert recalled(memory, "Who am I meeting on Friday?", 1) == [
        "I've got a meeting with the Henderson client on Friday"]


PETS = ("cat", "dog", "rabbit", "budgie")
EVENTS = ("was sick on the carpet", "knocked a glass off the table", "slept all afternoon", "got out again")
NAMES = ("Alice", "Ben", "Kate", "Liam", "Nadia", "Owen", "Ravi", "Zoe")


def generated_memories(count: int) -> list[timmy.Memory]:
    """*count* recent memories about the user's and other people's pets: the same nouns as the lasting fact."""
    found = []
    for n in range(count):
        pet, event, name = PETS[n % 4], EVENTS[n // 4 % 4], NAMES[n // 16 % 8]
        text = (f"My {pet} {event} on day {n}" if n % 2 else f"{name}'s {pet} is called Pip number {n}")
        found.append(timmy.Memory(text, "Personal Data", 5, "User", NOW - dt.timedelta(days=n % 300)))
    return found


def test_a_lasting_fact_a_year_old_is_found_among_10k_newer_memories(memory):
    remember(memory, "My cat is Winston", 365)
    assert memory.add_many(generated_memories(10_000)) == 10_000  # one executemany
    assert recalled(memory, "What's my cat's name?", 1) == ["My cat is Winston"]


def scored_rows(store: timmy.MemoryStore, message: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many memories recall() scores in Python for *message*."""
    calls = []
    score = timmy._Scorer.score
    monkeypatch.setattr(timmy._Scorer, "score", lambda self, row: calls.append(row) or score(self, row))
    store.recall(message, 5, now=NOW)
    return len(calls)


def test_a_long_message_is_recalled_from_fewer_candidates(memory, monkeypatch: pytest.MonkeyPatch):
    """A statement's many words would make many queries and a full budget of candidates: it is recalled from its
    rarest groups and LONG_MESSAGE_ROWS candidates, a question from up to CANDIDATE_ROWS."""
    memory.add_many(generated_memories(2_000))
    statement = "My cat was sick on the carpet and my dog got out again at the table"
    assert len(timmy.read_query(statement).groups) > timmy.LONG_MESSAGE_GROUPS
    assert scored_rows(memory, statement, monkeypatch) <= timmy.LONG_MESSAGE_ROWS + timmy.SHORTEST_PER_QUERY
    assert scored_rows(memory, "Was my cat sick on the carpet?", monkeypatch) > timmy.LONG_MESSAGE_ROWS * 2


def statements_run(store: timmy.MemoryStore, message: str) -> list[str]:
    """The SQL statements recall() runs for *message*."""
    run: list[str] = []
    store._db.set_trace_callback(run.append)
    try:
        store.recall(message, 5, now=NOW)
    finally:
        store._db.set_trace_callback(None)
    return run


def test_an_empty_store_is_asked_one_statement(memory):
    assert len(statements_run(memory, "What's my cat's name?")) == 1


def test_no_candidate_query_reads_every_match_once_the_budget_is_spent(memory, monkeypatch: pytest.MonkeyPatch):
    """A negative LIMIT is no limit in SQLite: once a query's shortest memories took the candidates past the budget,
    the next query must still read only a row or two, not every memory that matches."""
    memory.add_many(generated_memories(3_000))
    monkeypatch.setattr(timmy, "CANDIDATE_ROWS", 10)  # one query's newest and shortest are more
    limits = [sql.rsplit("LIMIT", 1)[1] for sql in statements_run(memory, "Did my cat get out on the carpet again?")
              if sql.startswith("SELECT rowid FROM memories_fts WHERE memories_fts MATCH")]
    assert " 1" in limits  # the budget was spent
    assert not any(limit.strip().startswith("-") for limit in limits)


QUESTIONS = ("What's my cat's name?", "Whose dog was sick?", "What did Kate's rabbit do?", "Is Pip a cat?")


def test_a_small_store_asks_its_candidate_queries_as_one(memory, monkeypatch: pytest.MonkeyPatch):
    """In a store that fits twice in the candidate budget every query gives all its rows: their union is asked in
    one query, and the answers are those of the queries asked one by one."""
    memory.add_many(generated_memories(60))
    candidate_queries = [sql for sql in statements_run(memory, QUESTIONS[0]) if "ORDER BY rowid DESC" in sql]
    assert len(candidate_queries) == 1
    as_one = [recalled(memory, question) for question in QUESTIONS]
    monkeypatch.setattr(timmy, "CANDIDATE_ROWS", 119)  # 60 memories no longer fit twice: one query at a time
    assert len([sql for sql in statements_run(memory, QUESTIONS[0]) if "ORDER BY rowid DESC" in sql]) > 1
    assert [recalled(memory, question) for question in QUESTIONS] == as_one


def test_with_no_word_in_common_the_most_important_recent_memories_come_from_an_index(memory):
    remember(memory, "The train was late again", 1)
    remember(memory, "I'm allergic to penicillin", 30)
    assert recalled(memory, "zebra", 1) == ["I'm allergic to penicillin"]
    plan = " ".join(row[-1] for row in memory._db.execute(
        f"EXPLAIN QUERY PLAN SELECT {timmy._MEMORY_COLUMNS} FROM memories"
        " ORDER BY importance DESC, created_at DESC LIMIT 5"))
    assert plan == "SCAN memories USING INDEX memories_fallback"


def test_forgotten_memories_leave_both_indexes(memory):
    remember(memory, "My cat is Winston", 10)
    remember(memory, "My dog is Rex", 10)
    (dog,) = [m for m in memory.memories() if "Rex" in m.content]
    assert memory.forget(dog.id) == dog
    for table in ("memories_fts", "memories_by_length"):
        memory._db.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
        assert memory._db.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH 'rex'").fetchone() == (0,)
    assert recalled(memory, "What is my dog called?") == ["My cat is Winston"]  # the fallback


# --- recall by meaning (--embed-model) -------------------------------------------------------
# The fake server's embeddings are bags of meanings (tests/fake_model_server.py): "zorblat" and "flumox" share no
# letter, and mean the same once `meanings` says so.

FILLER = [f"Note {n}: the {thing} was {state} on {day}" for n, (thing, state, day) in enumerate(
    (thing, state, day) for thing in ("bus", "heating", "kettle", "printer", "lift", "router", "oven", "car")
    for state in ("broken", "fixed", "late", "noisy", "cold") for day in ("Monday", "Friday", "Sunday"))]


def embedded(memory: timmy.MemoryStore, model, meanings: dict[str, str]) -> timmy.MemoryStore:
    model.meanings.update(meanings)
    memory.embedder = timmy.ChatClient(model.base_url, "fake-embedder", timeout=2, model_option="--embed-model")
    return memory


def test_meaning_finds_a_fact_that_shares_no_word_with_the_question(memory, model):
    remember(memory, "I keep the zorblat in the shed", 300)
    for n, text in enumerate(FILLER):
        remember(memory, text, n % 50)
    question = "Where is the flumox?"
    assert "I keep the zorblat in the shed" not in recalled(memory, question)  # words alone: the fallback's plans
    embedded(memory, model, {"zorblat": "tool", "flumox": "tool"})
    assert memory.embed_all() == len(FILLER) + 1
    assert memory.embed_all() == 0  # nothing left to embed
    assert recalled(memory, question, 1) == ["I keep the zorblat in the shed"]


def test_meaning_and_words_are_fused(memory, model):
    remember(memory, "My cat is Winston", 140)
    remember(memory, "I keep the zorblat in the shed", 300)
    remember(memory, "The heating was fixed on Monday", 2)
    embedded(memory, model, {"zorblat": "cat", "shed": "cat"}).embed_all()
    # words rank the cat first, meaning ranks the zorblat first: each is in both lists' tops, the cat by words
    assert recalled(memory, "What's my cat's name?", 2) == ["My cat is Winston", "I keep the zorblat in the shed"]


def test_fusion_puts_a_first_place_above_a_seventh_place_in_both():
    # FUSION_K = 5: first in one ranking earns 1/5, seventh in both 2/11; with 10 the seventh would win (2/16 > 1/10)
    words = [1, 11, 12, 13, 14, 15, 7]
    meaning = [2, 21, 22, 23, 24, 25, 7]
    assert timmy._fused(words, meaning, k=3) == [1, 2, 7]  # a tie goes to the earlier ranking


def test_many_vectors_get_a_centre_and_sign_codes(memory, model, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(timmy, "CENTRE_SAMPLE", 16)
    monkeypatch.setattr(timmy, "DENSE_SCAN_ROWS", 60)  # of 121: the scan picks half
    for n, text in enumerate(FILLER):
        remember(memory, text, n % 50)
    embedded(memory, model, {"zorblat": "tool", "flumox": "tool"}).embed_all()
    assert memory._db.execute("SELECT count(*) FROM vector_centres").fetchone() == (1,)
    assert memory._db.execute("SELECT count(*) FROM memory_vectors WHERE code IS NULL").fetchone() == (0,)
    remember(memory, "I keep the zorblat in the shed", 300)
    (stored,) = [m for m in memory.memories(200) if "zorblat" in m.content]
    assert memory.embed_memory(stored.id)  # as a turn does: its code is written at once
    assert recalled(memory, "Where is the flumox?", 1) == ["I keep the zorblat in the shed"]
    assert len(memory._codes.ids) == len(FILLER) + 1  # read once, then only the new row


def test_a_forgotten_memory_is_not_found_by_meaning(memory, model):
    remember(memory, "I keep the zorblat in the shed", 300)
    remember(memory, "The heating was fixed on Monday", 2)
    embedded(memory, model, {"zorblat": "tool", "flumox": "tool"}).embed_all()
    (zorblat,) = [m for m in memory.memories() if "zorblat" in m.content]
    memory.forget(zorblat.id)
    assert memory._db.execute("SELECT count(*) FROM memory_vectors").fetchone() == (1,)
    assert recalled(memory, "Where is the flumox?") == ["The heating was fixed on Monday"]


def test_without_the_embedding_server_recall_goes_by_words(memory, model, caplog: pytest.LogCaptureFixture):
    remember(memory, "My cat is Winston", 140)
    embedded(memory, model, {}).embed_all()
    model.failure = "500"
    assert recalled(memory, "What's my cat's name?") == ["My cat is Winston"]
    assert recalled(memory, "Is my cat called Winston?") == ["My cat is Winston"]
    assert caplog.messages == ["recall goes by words alone until the embedding model answers: "
                               "the model server failed (HTTP 500): out of memory"]  # once, not every turn
    remember(memory, "My dog is Rex", 10)
    assert memory.embed_all() == 0  # logged, and left for the next start
    assert "stopped embedding memories after 0" in caplog.text
    model.failure = None
    assert memory.embed_all() == 1
    assert recalled(memory, "What's my cat's name?")[0] == "My cat is Winston"
    assert caplog.messages[-1] == "recall goes by meaning again"


@pytest.mark.parametrize(("failure", "expected"), [
    ("unknown model", "does not know the model 'fake-embedder'.*choose another with --embed-model"),
    ("malformed json", "not Embeddings JSON"),
    ("no route", "no /embeddings endpoint at"),
])
def test_embedding_errors_say_what_to_do(model, failure: str, expected: str):
    model.failure = failure
    client = timmy.ChatClient(model.base_url, "fake-embedder", timeout=2, model_option="--embed-model")
    with pytest.raises(timmy.ModelError, match=expected):
        client.embed(["hello"])


def test_embedding_vectors_are_checked(model, monkeypatch: pytest.MonkeyPatch):
    client = timmy.ChatClient(model.base_url, "fake-embedder", timeout=2)
    (vector,) = client.embed(["the cat the cat"])
    assert abs(sum(x * x for x in vector) - 1) < 1e-6  # scaled to length 1
    import fake_model_server
    monkeypatch.setattr(fake_model_server, "bag_of_meanings", lambda text, meanings: [float("nan")] * 4)
    with pytest.raises(timmy.ModelError, match="not finite"):
        client.embed(["x"])
    monkeypatch.setattr(fake_model_server, "bag_of_meanings", lambda text, meanings: [1.0] * len(text))
    with pytest.raises(timmy.ModelError, match="uneven"):
        client.embed(["ab", "abc"])


def test_a_turn_embeds_the_memory_it_stores(model, memory, output_file: Path):
    app = make_app(model, memory, output_file)
    embedded(memory, model, {})
    app.turn(app.session(), "My sister Emma lives in Cardiff")
    assert memory._db.execute("SELECT m.content FROM memory_vectors JOIN memories AS m ON m.id = memory_id"
                              ).fetchall() == [("My sister Emma lives in Cardiff",)]


# --- the prompt's limits -------------------------------------------------------------------

def test_a_long_memory_is_clipped_to_one_line():
    long = timmy.Memory("My cat\nis " + "very " * 50_000 + "fluffy", "Personal Data", 5, "User", NOW)
    line = timmy.format_memory(long, NOW)
    assert len(line) == timmy.MEMORY_LINE_CHARS
    assert line.startswith("• [Personal Data, Importance: 5] User (just now) - My cat is very very")
    assert line.endswith("…") and "\n" not in line


def test_the_memory_section_never_exceeds_its_limit_whatever_the_memories_hold():
    huge = [timmy.Memory(f"Fact {n}: " + "x" * 100_000, "Misc", 2, "User", NOW) for n in range(10)]
    prompt = timmy.build_system_prompt("You are Timmy.", NOW, huge, [])
    section = prompt[prompt.index("Memories:"):]
    assert len(section) <= timmy.MEMORY_SECTION_CHARS
    assert section.count("\n• ") == timmy.MEMORY_SECTION_CHARS // (timmy.MEMORY_LINE_CHARS + 1)
    assert "Fact 0:" in section  # the best memory is the one kept first


def test_an_empty_memory_section_says_so():
    assert timmy.build_system_prompt("P", NOW, [], []).endswith("Memories:\n(none yet)")


# --- migration -----------------------------------------------------------------------------

@pytest.mark.parametrize("version", [2, 3])
def test_migration_keeps_every_memory_and_finds_it(tmp_path: Path, version: int):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    for script in timmy.MIGRATIONS[:version]:
        db.executescript(script)
    db.execute(f"PRAGMA user_version = {version}")
    old = [("My cat is Winston", "Personal Data", 5, NOW - dt.timedelta(days=140)),
           ("My sister's cat is called Luna", "Personal Data", 5, NOW - dt.timedelta(days=2)),
           ("I'm allergic to penicillin", "Personal Data", 5, NOW - dt.timedelta(days=700))]
    db.executemany("INSERT INTO memories (content, topic, importance, role, created_at) VALUES (?, ?, ?, 'User', ?)",
                   [(c, t, i, at.timestamp()) for c, t, i, at in old])
    db.close()

    store = timmy.MemoryStore(path)
    assert store.schema_version == len(timmy.MIGRATIONS)
    kept = sorted(store.memories(), key=lambda m: m.id)
    assert [(m.content, m.topic, m.importance, m.created_at) for m in kept] == [
        (c, t, i, at) for c, t, i, at in old]
    assert [m.owner for m in kept] == ["user", "family luna sister", "user"]
    assert recalled(store, "What's my cat's name?", 1) == ["My cat is Winston"]
    assert recalled(store, "What am I allergic to?", 1) == ["I'm allergic to penicillin"]
    assert store.add("My cat is Winston", "Personal Data", 5) is False  # still stored once
    store.close()


def test_migration_5_learns_the_aliases_of_memories_already_stored(tmp_path: Path):
    path = tmp_path / "v4.sqlite3"
    db = timmy.connect(path)
    for script in timmy.MIGRATIONS[:4]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 4")
    db.executemany("INSERT INTO memories (content, topic, importance, role, created_at) VALUES (?, 'Personal Data', 5,"
                   " 'User', ?)", [("Raj is allergic to walnuts", NOW.timestamp() - 86400),
                                   ("My husband's name is Raj", NOW.timestamp() - 2 * 86400)])
    db.close()
    store = timmy.MemoryStore(path)
    assert recalled(store, "Is my husband allergic to anything?", 1) == ["Raj is allergic to walnuts"]
    store.close()


def test_migration_7_keeps_a_version_6_store_and_embeds_it_at_start(tmp_path: Path, model):
    path = tmp_path / "v6.sqlite3"
    db = timmy.connect(path)
    for script in timmy.MIGRATIONS[:6]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 6")
    for text, days in (("My cat is Winston", 140), ("I keep the zorblat in the shed", 300)):  # as version 6 stored
        db.execute(timmy._INSERT, (text, "Misc", 2, "User", (NOW - dt.timedelta(days=days)).timestamp(), None,
                                   *timmy._derived(text)))
    db.close()
    store = embedded(timmy.MemoryStore(path), model, {"zorblat": "tool", "flumox": "tool"})
    assert store.schema_version == 7
    assert store.embed_all() == 2  # what a start with --embed-model does in the background
    assert recalled(store, "Where is the flumox?", 1) == ["I keep the zorblat in the shed"]
    assert recalled(store, "What's my cat's name?", 1) == ["My cat is Winston"]
    store.close()


# --- the benchmark's fresh set: a file of facts written elsewhere -----------------------------------

def test_benchmark_stores_and_scores_extra_facts(tmp_path: Path):
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_recall

    facts = tmp_path / "fresh.py"
    facts.write_text('from recall_fixture import Fact\n\n'
                     'FRESH = (Fact("My cousin Dylan keeps bees in Devon", ("Who keeps bees?",), 30),\n'
                     '         Fact("I\'m allergic to penicillin", ("Which antibiotic can\'t I have?",), 700))\n')
    fresh = bench_recall.load_facts(facts)
    store, _ = bench_recall.build(tmp_path / "memory.sqlite3", 400, fresh)  # a TUNE text given again is stored once
    try:
        assert bench_recall.score(store, fresh[:1]).top == 1
    finally:
        store.close()
    (tmp_path / "bad.py").write_text("FRESH = ['not a fact']\n")
    with pytest.raises(SystemExit, match="FRESH must be a tuple"):
        bench_recall.load_facts(tmp_path / "bad.py")
