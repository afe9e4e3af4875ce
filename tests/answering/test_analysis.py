"""The one analysis of a question (answering/analysis.py): wh-type, expected answer kinds, names,
numbers and speaker, with names found by the recogniser in any folder's world."""

from __future__ import annotations

import pytest

from qa_bot.answering.analysis import analyse, entities, new_entity

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("question", "wh", "expects"),
    [
        ("Who chairs the finance committee?", "who", {"PERSON", "ORG", "NORP"}),
        ("When will the bridge reopen?", "when", {"DATE", "TIME"}),
        ("Where did the landslide cut the road?", "where", {"GPE", "LOC", "FAC", "ORG"}),
        ("How many residents spoke at the meeting?", "quantity", {"CARDINAL", "MONEY"}),
        ("Why did the council delay the vote?", "why", set()),
        ("Which company makes the batteries?", "which", {"ORG", "PRODUCT"}),
        ("In which town did the flood start?", "which", {"GPE", "LOC", "FAC"}),
        ("Did the striker score twice?", "yesno", set()),
    ],
)
def test_wh_type_and_expected_kinds(question: str, wh: str, expects: set[str]) -> None:
    analysis = analyse(question)
    assert analysis.wh == wh
    assert expects <= analysis.expects if expects else not analysis.expects


def test_names_numbers_and_speaker_of_a_world_no_list_knows() -> None:
    analysis = analyse("What did Hannah Voss say about the 18 percent rise at Fenwick Street?")
    assert "Voss" in analysis.speaker if analysis.speaker else False
    assert "18" in analysis.numbers
    assert any("Voss" in n for n in analysis.names)
    assert any("Fenwick" in n for n in analysis.names)


def test_a_question_is_analysed_once() -> None:
    assert analyse("Who won the cup final?") is analyse("Who won the cup final?")


def test_a_new_entity_of_the_expected_kind() -> None:
    who = analyse("Who scored the winning goal for Harbor United?")
    assert entities("Mateo Ruiz scored in the 89th minute.")
    assert new_entity(who, "Mateo Ruiz scored in the 89th minute.")
    assert not new_entity(who, "The goal came late in the second half.")
    # A name the question gives is not an answer to it.
    assert not new_entity(analyse("Who is Mateo Ruiz?"), "Mateo Ruiz played well.")
