"""A conversation with the real bundled model over the seed articles (issue 15's first items):
a turn that found nothing lends no subject, answers are as long as their evidence, and every
quote reads on its own."""

from __future__ import annotations

import re

import pytest

from qa_bot.answering.quoting import refers_back
from qa_bot.bot import QABot
from qa_bot.models import Turn

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUESTIONS = [
    "What does Sergei Markov say about Russia?",
    "Why is Moscow wary of Trump?",
    "Did Putin congratulate Trump?",
    "What do Russian elites hope to gain from Trump?",
    "What did the Kremlin say about the election?",
    "What does Russia want from the United States?",
]


def test_a_turn_that_found_nothing_does_not_spoil_a_topic_switch(seed_bot: QABot) -> None:
    first = seed_bot.ask("Who is Olaf Scholz?")
    assert first.abstained
    history = [Turn(first.question, answered=not first.abstained)]
    answer = seed_bot.chat("wat dose putn want from trmp", history)
    assert not answer.abstained
    assert "Scholz" not in answer.query


def test_an_answer_about_a_year_is_one_sentence_long(seed_bot: QABot) -> None:
    answer = seed_bot.chat("What did he do in 2017?", ["Why is Moscow wary of Trump?"])
    assert len(answer.citations) == 1
    assert "2017 missile strike" in answer.citations[0].quote


@pytest.mark.parametrize("question", QUESTIONS)
def test_quotes_read_on_their_own(seed_bot: QABot, question: str) -> None:
    answer = seed_bot.ask(question)
    assert not answer.abstained
    assert not refers_back(answer.citations[0].quote)
    for citation in answer.citations:
        quote = citation.quote
        # No quotation cut open: straight marks pair up, curly ones open and close.
        assert quote.count('"') % 2 == 0, quote
        assert quote.count("“") == quote.count("”"), quote
        assert not re.match(r'^[^"“”]*[,.!?]["”]', quote), quote


@pytest.mark.parametrize(
    ("question", "fact", "doc"),
    [
        ("Who is the author of the piece about Putin riding a tiger?", "Mark Galeotti", "001_"),
        ("Who wrote the Jadetimes piece on Russian elites and Trump?", "Khoshnaw Rahmani", "000_"),
        ("Which outlet published the article about Russia's wary optimism?", "TRT World", "003_"),
    ],
)
def test_questions_about_the_articles_are_answered_from_their_facts(
    seed_bot: QABot, question: str, fact: str, doc: str
) -> None:
    answer = seed_bot.ask(question)
    assert not answer.abstained and fact in answer.text
    assert answer.citations[0].doc_id.startswith(doc)
