"""Follow-up rewriting without an LLM: ``contextualize`` carries the subject of earlier turns."""

from __future__ import annotations

import pytest

from qa_bot.answering.article_facts import fact_question
from qa_bot.answering.followup import (
    asks_for_more,
    contextualize,
    needs_context,
    wants_new_quotes,
)
from qa_bot.models import Turn

pytestmark = pytest.mark.unit

MOSCOW = ["Why is Moscow wary of Trump?"]


def test_pronoun_is_replaced_by_the_person_and_the_subject_is_appended() -> None:
    assert contextualize("What did he do in 2017?", MOSCOW) == "What did Trump do in 2017? (Moscow)"


def test_possessive_pronoun_becomes_a_possessive_name() -> None:
    query = contextualize("And his views on sanctions?", MOSCOW)
    assert query.startswith("And Trump's views on sanctions?")
    assert "Moscow" in query


def test_object_pronoun_after_another_name_still_points_back() -> None:
    assert contextualize("Did Putin congratulate him?", MOSCOW).startswith(
        "Did Putin congratulate Trump?"
    )


@pytest.mark.parametrize(
    "question",
    [
        "What is the population of Brazil?",
        "How did the Kremlin react to the election?",
        "Did Putin say he would meet Trump?",  # "he" has its antecedent in the question
        "Who spoke at the Valdai Discussion Club?",
    ],
)
def test_standalone_questions_are_unchanged(question: str) -> None:
    assert contextualize(question, MOSCOW) == question
    assert not needs_context(question)


def test_without_history_nothing_changes() -> None:
    assert contextualize("What did he do in 2017?", []) == "What did he do in 2017?"
    assert contextualize("  Why?  ", ()) == "Why?"


@pytest.mark.parametrize(
    "question", ["Why?", "What about the sanctions?", "And in 2020?", "Is it true?"]
)
def test_short_or_leaning_questions_get_the_subject(question: str) -> None:
    query = contextualize(question, MOSCOW)
    assert query.startswith(question)
    assert "Moscow" in query


@pytest.mark.parametrize(
    ("history", "question", "query"),
    [
        (["What does Markov think of Trump?"], "And Suslov?", "What does Suslov think of Trump?"),
        (
            ["What does Markov think of Trump?"],
            "What about Dmitry Suslov?",
            "What does Dmitry Suslov think of Trump?",
        ),
        (MOSCOW, "How about Beijing?", "Why is Beijing wary of Trump?"),  # a place for a place
        (MOSCOW, "and Harris?", "Why is Moscow wary of Harris?"),  # a person for a person
        (
            ["Who did Putin praise?", "What did he say about Trump?"],  # resolved first
            "And Biden?",
            "What did Biden say about Trump?",
        ),
    ],
)
def test_and_another_name_asks_the_earlier_question_of_it(
    history: list[str], question: str, query: str
) -> None:
    assert contextualize(question, history) == query


def test_he_after_and_another_name_is_that_one() -> None:
    history = ["What does Markov think of Trump?", "And Suslov?"]  # asked of Suslov and Trump
    assert contextualize("Where does he work?", history).startswith("Where does Suslov work?")


@pytest.mark.parametrize(
    "question",
    [
        "What about Putin?",  # the earlier question's own name: nothing to swap
        "And the technocrats?",  # not a name
        "And what did Putin say?",  # a question of its own
    ],
)
def test_and_without_another_name_is_not_a_swap(question: str) -> None:
    history = ["What did Putin say about Trump?"]
    assert contextualize(question, history).startswith(question)


def test_ambiguous_person_is_not_guessed() -> None:
    query = contextualize("What did she say?", ["Did Putin meet Trump?"])
    assert query.startswith("What did she say?")  # two people named: no replacement
    assert "Putin" in query and "Trump" in query


def test_places_are_not_taken_for_people() -> None:
    query = contextualize("What did he say?", ["What did Zelensky tell Moscow and Ukraine?"])
    assert query.startswith("What did Zelensky say?")


def test_subject_carries_through_a_chain_of_follow_ups() -> None:
    history = ["Why is Moscow wary of Trump?", "What did he do in 2017?"]
    query = contextualize("Why?", history)
    assert "Trump" in query and "Moscow" in query


def test_without_entities_the_earlier_nouns_are_carried() -> None:
    query = contextualize("What happened after that?", ["Why did oil prices fall?"])
    assert query.startswith("What happened after that?")
    assert "oil" in query and "prices" in query


@pytest.mark.parametrize(
    "question", ["Why?", "How so?", "Why would she bother?", "Is that likely?"]
)
def test_an_elliptic_follow_up_keeps_the_earlier_question_s_matter(question: str) -> None:
    # One word or none of its own: it asks about the earlier question's matter, so that
    # question's words come too, not only its names ("sanctions" has no capital letter).
    query = contextualize(question, ["Will Merkel lift the sanctions on coal imports?"])
    assert "Merkel" in query
    assert all(word in query for word in ("lift", "sanctions", "coal", "imports"))


def test_a_follow_up_with_words_of_its_own_gets_only_the_earlier_names() -> None:
    query = contextualize(
        "What did she say about the grain deal?", ["Will Merkel lift the sanctions on coal?"]
    )
    assert query == "What did Merkel say about the grain deal?"
    query = contextualize("And the farm subsidies?", ["Will Merkel lift the sanctions on coal?"])
    assert "Merkel" in query and "sanctions" not in query


def test_group_pronoun_appends_rather_than_replaces() -> None:
    history = ["What did Russian officials say about Donald Trump's election?"]
    query = contextualize("What did they expect?", history)
    assert query.startswith("What did they expect?")
    assert "Donald Trump" in query


def test_a_turn_that_found_nothing_lends_nothing_to_a_topic_switch() -> None:
    history = [Turn("Who is Olaf Scholz?", answered=False)]
    assert contextualize("wat dose putn want from trmp", history) == "wat dose putn want from trmp"
    # A plain string is an answered turn, and lends as before.
    assert "Olaf Scholz" in contextualize("wat dose putn want from trmp", ["Who is Olaf Scholz?"])


def test_an_unanswered_turn_lends_only_to_a_pronoun_right_after_it() -> None:
    history = [Turn("Who is Olaf Scholz?", answered=False)]
    assert contextualize("What did he say about Putin?", history).startswith(
        "What did Olaf Scholz say about Putin?"
    )
    later = [*history, Turn("Why is Moscow wary of Trump?")]
    assert "Scholz" not in contextualize("What did he do in 2017?", later)


def test_after_an_unanswered_turn_the_last_answered_subject_carries() -> None:
    history = [Turn("Why is Moscow wary of Trump?"), Turn("Who is Olaf Scholz?", answered=False)]
    query = contextualize("what about the sanctions", history)
    assert "Moscow" in query and "Scholz" not in query


WROTE = Turn(
    "Who wrote the Jadetimes piece on Russian elites and Trump?",
    answer="“Why the Russian Elite Courts Trump” was written by Khoshnaw Rahmani [1].",
)


def test_he_after_a_who_question_is_the_person_its_answer_named() -> None:
    query = contextualize("How many years has he been covering politics?", [WROTE])
    assert query.startswith("How many years has Khoshnaw Rahmani been covering politics?")
    # Without the answer, the only person to hand is the one the question named in passing.
    plain = contextualize("How many years has he been covering politics?", [WROTE.question])
    assert "Khoshnaw" not in plain


def test_the_answer_is_read_for_people_not_capitalised_words_or_quotations() -> None:
    diplomat = Turn(
        "Which former diplomat resigned over the invasion?",
        answer="Former diplomat Boris Bondarev, who resigned, explained, “Donald Trump is a show.”",
    )
    query = contextualize("What did he say about US politics?", [diplomat])
    assert query.startswith("What did Boris Bondarev say about US politics?")
    spokesman = Turn(
        "Who is the Kremlin spokesman?",
        answer="The Kremlin is now a player in what some might call “Trumpworld.” [1]",
    )
    assert contextualize("What did he say about Trump?", [spokesman]).startswith(
        "What did he say about Trump?"
    )
    # A name the small recogniser misses is still found as a capitalised run of words.
    minister = Turn(
        "Which British minister resigned?",
        answer="The resignation of Anneliese Dodds, the UK development minister, was covered.",
    )
    assert contextualize("Why did she quit?", [minister]).startswith(
        "Why did Anneliese Dodds quit?"
    )


def test_he_stays_the_subject_of_the_who_question() -> None:
    said = Turn(
        "Who did Putin say during the campaign was the best candidate for Russia?",
        answer="Putin had repeatedly stated that President Joe Biden would be the best [1]",
    )
    assert contextualize("Was he being sincere?", [said]).startswith("Was Putin being sincere?")


def test_an_unanswered_who_question_lends_no_person_from_its_reply() -> None:
    unanswered = Turn(WROTE.question, answered=False, answer="I found nothing by Mark Smith.")
    assert "Smith" not in contextualize("What else has he written?", [unanswered])


def test_it_after_a_question_about_an_article_is_that_article() -> None:
    wrote = "Who wrote the piece about Putin riding a tiger?"
    asked = fact_question(contextualize("When was it published?", [wrote]))
    assert asked is not None and (asked.fact, asked.topic) == ("date", "Putin riding tiger")
    later = [wrote, "When was it published?"]
    asked = fact_question(contextualize("Which outlet ran it?", later))
    assert asked is not None and (asked.fact, asked.topic) == ("outlet", "Putin riding tiger")
    # Not a question about the article: the usual follow-up.
    assert fact_question(contextualize("When was it signed?", [wrote])) is None


@pytest.mark.parametrize(
    ("question", "more"),
    [
        ("Tell me more", True),
        ("tell me more about that", True),
        ("Anything else?", True),
        ("And what else?", True),
        ("More please", True),
        ("Go on", True),
        ("Tell me more about the sanctions", False),  # a subject of its own
        ("What else has he written?", False),
        ("Why?", False),
    ],
)
def test_asks_for_more(question: str, more: bool) -> None:
    assert asks_for_more(question) is more


def test_more_about_one_named_subject_asks_about_it() -> None:
    assert contextualize("Tell me more", ["Who is Tamsin Rowe?"]) == "Tell me more about Rowe"
    assert contextualize("Anything else?", ["What is NATO?"]) == "Tell me more about NATO"
    # Two subjects: searched together, as any follow-up.
    assert contextualize("Tell me more", MOSCOW) == "Tell me more (Moscow, Trump, wary)"


def test_an_organisation_or_a_thing_named_after_the_is_not_a_person() -> None:
    """What is a person is the recogniser's call, with no list of any folder's places: a name
    that is part of a longer organisation's ("Agrarian People" of "the Agrarian People's
    Party"), a place, or a name after "the" is not "she"; a person's name still is."""
    party = Turn("Who leads the Agrarian People's Party?")
    query = contextualize("What did she accuse the prime minister of?", [party])
    assert query.startswith("What did she accuse the prime minister of?")
    assert "Agrarian People" in query  # the subject is still carried, in brackets
    museum = Turn(
        "Who is the museum's director?",
        answer="The director of Rotterdam's Vanderlinde Museum of World Cultures signed it. [1]",
    )
    asked = contextualize("How did he answer the councillor's worry?", [museum])
    assert asked.startswith("How did he answer the councillor's worry?")
    flood = Turn("What did Ilse Brandt say about the Lower Rhine dykes?")
    assert contextualize("Why is she worried?", [flood]).startswith("Why is Ilse Brandt worried?")


def test_a_subject_named_before_a_comma_is_what_the_pronoun_after_it_means() -> None:
    earlier = [Turn("What worries Lena Marsh about the harbour plan?")]
    switched = contextualize("And the port director, what's her view?", earlier)
    assert switched.startswith("And the port director, what's her view?")
    # A pronoun before the comma still points back: his deputy is Tomas Brel's.
    deputy = contextualize(
        "And his deputy, how did he explain it?", [Turn("Why did Tomas Brel resign?")]
    )
    assert deputy.startswith("And Tomas Brel's deputy, how did he explain it?")


@pytest.mark.parametrize(
    "question",
    [
        "And how did Ada Okoro react to the result?",
        "And the port director, what's her view?",
        "And the harbour master, how did he take it?",
    ],
)
def test_a_follow_up_about_another_person_does_not_carry_the_earlier_one(question: str) -> None:
    earlier = [Turn("How did Lena Marsh describe the harbour plan?")]
    assert "Lena Marsh" not in contextualize(question, earlier)


def test_a_follow_up_about_the_same_person_still_carries_the_name() -> None:
    earlier = [Turn("How did Lena Marsh describe the harbour plan?")]
    assert "Lena Marsh" in contextualize("Why did she change her mind?", earlier)
    assert "Lena Marsh" in contextualize("And her deputy, how did he take it?", earlier)


@pytest.mark.parametrize(
    ("question", "more"),
    [
        ("Tell me more", True),
        ("Tell me more about his finances.", True),
        ("Can you say more about what that involves?", True),
        ("Could you be more specific about what they found?", True),
        ("Anything else?", True),
        ("Is there more risk of a slide?", False),
        ("More people were hurt?", False),
        ("Why would he say more?", False),
    ],
)
def test_wants_new_quotes(question: str, more: bool) -> None:
    assert wants_new_quotes(question) is more
