"""The answer-type check: a question asking for a person, organisation or place."""

from __future__ import annotations

import pytest

from qa_bot.answering.answer_type import (
    BRAND,
    ORGANISATION,
    PERSON,
    PLACE,
    expected_entities,
    has_new_entity,
    unnamed_mention,
)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who did Trump choose as CIA director?", PERSON),
        ("Which Russian tabloid wrote about the meeting?", ORGANISATION),
        ("Which senior official criticised the plan?", PERSON),
        ("Where will the summit be held?", PLACE),
        ("In which city did they meet?", PLACE),
        ("Who is the audience for the flattery?", None),  # answered by a common noun
        ("Who is Mark Galeotti?", None),  # asks for a description
        ("Why is Moscow wary of Trump?", None),
        ("How many brands left Russia?", None),  # numbers: question_type.py
        # plurals, and up to two words before the noun
        ("Which Russian business tycoons want a reset?", PERSON),
        ("Which Russian oligarchs were taken off the lists?", PERSON),
        ("Which senior officials spoke?", PERSON),
        ("Which European countries are keen to talk again?", PLACE),
        ("In which Syrian town did it happen?", PLACE),
        ("In which regions could tensions rise?", PLACE),
        # a brand is a company or a product, never a nationality
        ("Which Western brands have reopened their stores?", BRAND),
        # not names: sectors, posts, a book
        ("Which sectors do the pitches offer?", None),
        ("Which posts in Trump's new team are watched?", None),
        ("Which famous book did Trump co-write?", None),
    ],
)
def test_expected_entities(question: str, expected: frozenset[str] | None) -> None:
    assert expected_entities(question) == expected


@pytest.mark.integration
def test_a_new_entity_of_the_asked_kind_must_be_quoted() -> None:
    question = "Who did Trump choose as CIA director?"
    assert has_new_entity(question, ["Trump picked John Ratcliffe to lead the CIA."], PERSON)
    # Trump is named by the question already: not an answer to "who"
    assert not has_new_entity(
        question, ["Moscow is watching whom Trump picks for the CIA."], PERSON
    )
    assert has_new_entity("Where did they meet?", ["They met in Helsinki in 2018."], PLACE)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("question", "text", "unnamed"),
    [
        ("Which official said the pier would reopen?", "A senior official said so.", True),
        ("Which officials backed the plan?", "Some officials backed it.", True),
        ("Which analyst warned of a gamble?", "As one seasoned analyst put it, a gamble.", True),
        ("Which tabloid ran the line?", "A popular Russian tabloid remarked on it.", True),
        # named after the noun, or instead of it
        ("Which official said so?", "A senior official, Sergei Ryabkov, said so.", False),
        ("Which official said so?", "An official named Ivan Petrov said so.", False),
        ("Which official said so?", "Deputy minister Sergei Ryabkov said so.", False),
        ("Which company left?", "A company called Acme left.", False),
        # not a "which source" question, or a noun that also names what is not a source
        ("Why did the official say so?", "An official said so.", False),
        ("What general principle applies?", "A general principle applies.", False),
    ],
)
def test_an_unnamed_source_does_not_answer_which_source(
    question: str, text: str, unnamed: bool
) -> None:
    assert unnamed_mention(question, text) is unnamed
