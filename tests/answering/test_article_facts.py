"""Questions about the articles themselves are answered from the articles' own facts (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_bot.answering.article_facts import fact_question
from qa_bot.bot import QABot
from qa_bot.index.embedding import HashEmbedder

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("Who wrote the piece about Putin riding a tiger?", "author"),
        ("Who wrote the Jadetimes piece on Russian elites and Trump?", "author"),
        ("Who is the author of the article on the harbour storm?", "author"),
        ("Who wrote about the harbour storm?", "author"),
        ("When was the story about the harbour storm published?", "date"),
        ("What day did the report on the ferries come out?", "date"),
        ("Which outlet published the article about the harbour storm?", "outlet"),
        ("Who published the story on the ferries?", "outlet"),
        ("Where was the piece about the ferries published?", "outlet"),
        ("Summarize the article about the harbour storm", "summary"),
        ("Give me a summary of the story on the ferries", "summary"),
        ("What are the main points of the report on the ferries?", "summary"),
        ("What is the piece about the harbour storm about?", "summary"),
    ],
)
def test_questions_about_an_article(question: str, fact: str) -> None:
    asked = fact_question(question)
    assert asked is not None and asked.fact == fact
    assert "who" not in asked.topic.lower().split() and asked.topic


@pytest.mark.parametrize(
    "question",
    [
        # Answered by the text, not by an article's facts.
        "Which outlet reported that the Kremlin was quietly backing Trump?",
        "Which Russian TV channel argued that peace now would mean defeat?",
        "Who wrote the letter to the harbour board?",
        "When was the treaty published?",
        "What year did Osprey publish Mark Galeotti's book Putin's Wars?",
        "Why is Moscow wary of Trump?",
    ],
)
def test_other_questions_are_not_about_an_article(question: str) -> None:
    assert fact_question(question) is None


STORM = (
    "A storm cut the power lines of the harbour on Friday night. The harbour stayed dark for two "
    "days while crews worked. The harbour master said the damage was the worst in years.\n"
)
FERRIES = (
    "The island ferries kept their timetable through the whole week. Ferry crews worked double "
    "shifts to carry repair teams. Passengers praised the ferry crews for their calm.\n"
)


@pytest.fixture
def bot(tmp_path: Path) -> QABot:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "storm.md").write_text(
        "---\ntitle: Storm darkens the harbour\nauthor: Dana Whitfield\noutlet: Harbour Herald\n"
        "date: 2025-03-04\n---\n\n" + STORM,
        encoding="utf-8",
    )
    (corpus / "ferries.txt").write_text("Ferries keep running\n\n" + FERRIES, encoding="utf-8")
    qa = QABot.from_corpus(corpus, tmp_path / "index", embedder=HashEmbedder(512))
    qa.reader = None
    return qa


def test_author_date_and_outlet_come_from_the_article(bot: QABot) -> None:
    cases = {
        "Who wrote the article about the harbour storm?": "was written by Dana Whitfield",
        "When was the story about the storm in the harbour published?": (
            "was published on March 4, 2025"
        ),
        "Which outlet published the piece about the harbour storm?": (
            "was published by Harbour Herald"
        ),
    }
    for question, fact in cases.items():
        answer = bot.ask(question)
        assert answer.text == f"“Storm darkens the harbour” {fact} [1].", question
        assert not answer.abstained
        (citation,) = answer.citations
        assert citation.doc_id == "storm.md" and citation.number == 1
        passage = next(
            h.passage for h in answer.hits if h.passage.passage_id == citation.passage_id
        )
        assert passage.text[citation.start : citation.end] == citation.quote


def test_a_fact_the_article_does_not_give_is_said_to_be_missing(bot: QABot) -> None:
    answer = bot.ask("Who wrote the story about the island ferries and their crews?")
    assert answer.abstained and not answer.citations
    assert "“Ferries keep running”" in answer.text and "does not say who wrote" in answer.text


def test_no_article_about_the_topic_means_no_answer(bot: QABot) -> None:
    answer = bot.ask("Who wrote the article about the football world cup final in Qatar?")
    assert answer.abstained and not answer.citations
    assert "Dana Whitfield" not in answer.text


def test_a_summary_is_the_article_s_opening(bot: QABot) -> None:
    for question in (
        "Summarize the article about the harbour storm",
        "What is the Harbour Herald piece about?",  # an outlet with one article names it
    ):
        answer = bot.ask(question)
        assert not answer.abstained, question
        assert answer.text == f"“Storm darkens the harbour” opens: {' '.join(STORM.split())} [1]"
        (citation,) = answer.citations
        assert citation.doc_id == "storm.md" and citation.quote == STORM.strip()
        article = bot.article("storm.md")
        assert article is not None
        span = article.span(citation.passage_id, citation.start, citation.end)
        assert span is not None and article.text[span[0] : span[1]] == citation.quote


def test_an_outlet_with_one_article_names_it(bot: QABot) -> None:
    answer = bot.ask("Who wrote the Harbour Herald piece?")
    assert answer.text == "“Storm darkens the harbour” was written by Dana Whitfield [1]."
    assert not answer.abstained
