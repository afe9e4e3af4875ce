"""Comparisons are answered person by person, each quote cited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from qa_bot.answering.comparison import comparison_queries
from qa_bot.bot import QABot

pytestmark = pytest.mark.unit


def test_each_person_is_asked_about_on_their_own() -> None:
    assert comparison_queries("Rowe", "Pike", "the pier") == [
        ("Rowe", "What does Rowe say about the pier?", None),
        ("Pike", "What does Pike say about the pier?", None),
    ]
    assert (
        comparison_queries("Rowe", "Pike", "each other")[1][1] == "What does Pike say about Rowe?"
    )
    # Their views in general: the sentences that name them.
    assert comparison_queries("Rowe", "Pike", "")[0] == ("Rowe", "Rowe", "Rowe")


ROWE = "“The pier needs a new deck before summer,” says Tamsin Rowe of the harbour trust."
PIKE = "Councillor Owen Pike says the pier repairs can wait until the autumn."


@pytest.fixture
def bot(hashed_bot: Callable[[dict[str, str]], QABot]) -> QABot:
    qa = hashed_bot(
        {
            "pier.txt": f"Pier repairs\n\nStorms closed the north pier this winter. {ROWE}\n\n"
            f"The council meets next week.\n\n{PIKE}\n",
            "market.txt": "Market news\n\nThe fish market reopened on Monday. Prices doubled.\n",
        }
    )
    # Hashed embeddings score low: the threshold is not what is tested here.
    qa.answer_settings = replace(qa.answer_settings, abstain_below=0.3)
    return qa


def test_a_comparison_quotes_each_person(bot: QABot) -> None:
    answer = bot.ask("How do Rowe and Pike differ on the pier repairs?")
    assert not answer.abstained
    rowe, pike = answer.citations
    assert answer.text == f"Rowe: {rowe.quote} [1] Pike: {pike.quote} [1]"
    # Rowe's quote is read with the sentence before it (quotes that follow one another merge).
    assert rowe.quote.endswith(ROWE) and pike.quote == PIKE
    for citation in answer.citations:
        passage = next(
            h.passage for h in answer.hits if h.passage.passage_id == citation.passage_id
        )
        assert passage.text[citation.start : citation.end] == citation.quote


def test_someone_the_articles_do_not_quote_is_said_to_be_missing(bot: QABot) -> None:
    answer = bot.ask("Compare the views of Rowe and Scholz")
    assert not answer.abstained
    assert answer.text.endswith("Scholz: the articles quote nothing of theirs on this.")
    assert [c.quote for c in answer.citations] == [ROWE]
