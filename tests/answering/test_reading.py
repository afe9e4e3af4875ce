"""The reader in answers: passage reranking, sentence choice, concise answers, abstention."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qa_bot.answering.reading import ReaderSettings, rerank_hits
from qa_bot.bot import QABot
from qa_bot.index.embedding import Embedder
from qa_bot.models import Hit, Passage, Span


def _hit(pid: str, score: float, rank: int) -> Hit:
    text = f"Passage {pid} says something."
    passage = Passage(pid, "d", "T", text, 0, len(text), (Span(0, len(text)),))
    return Hit(passage, score, score, score, 0.0, rank)


@pytest.mark.unit
def test_rerank_blends_the_best_sentence_probability() -> None:
    hits = [_hit("a", 0.60, 1), _hit("b", 0.55, 2), _hit("c", 0.50, 3)]
    out = rerank_hits(hits, {"a": 0.1, "b": 0.9}, weight=0.5)
    assert [h.passage.passage_id for h in out] == ["b", "a", "c"]
    assert [h.rank for h in out] == [1, 2, 3]
    assert out[0].reader == 0.9 and out[2].reader is None
    assert out[0].score == pytest.approx(0.55 + 0.45)
    # weight 0: the retrieval order stays, the probabilities are still shown
    same = rerank_hits(hits, {"b": 0.9}, weight=0.0)
    assert [h.passage.passage_id for h in same] == ["a", "b", "c"]
    assert same[1].reader == 0.9


@pytest.fixture
def bot(small_corpus: Path, tmp_path: Path, real_embedder: Embedder) -> QABot:
    return QABot.from_corpus(small_corpus, tmp_path / "index", embedder=real_embedder)


@pytest.mark.integration
def test_the_reader_orders_the_answer_and_shows_its_scores(bot: QABot) -> None:
    question = "How long does the tram take from the airport to the central station?"
    bot.reader_settings = replace(bot.reader_settings, concise_above=0.0)
    answer = bot.ask(question)
    assert not answer.abstained
    assert "25 minutes" in answer.citations[0].quote
    assert all(h.reader is not None for h in answer.hits[:2])


@pytest.mark.integration
def test_one_sentence_when_the_reader_is_sure_of_it_else_the_next_best_too(bot: QABot) -> None:
    question = "Who won the Paris chess open?"
    winner = "A twelve-year-old from Lyon won the Paris chess open on Sunday."
    probability = bot.ask(question).hits[0].reader
    assert probability is not None
    bot.reader_settings = replace(bot.reader_settings, concise_above=probability)
    assert [c.quote for c in bot.ask(question).citations] == [winner]
    bot.reader_settings = replace(bot.reader_settings, concise_above=probability + 0.01)
    # The next sentence follows it in the same passage: one quote of the two.
    assert [c.quote for c in bot.ask(question).citations] == [
        f"{winner} She beat three grandmasters on her way to the title."
    ]


@pytest.mark.integration
def test_a_sentence_the_reader_is_sure_of_answers_however_weak_its_cosine(bot: QABot) -> None:
    question = "How long does the tram take from the airport to the central station?"
    probability = bot.ask(question).hits[0].reader
    assert probability is not None
    bot.answer_settings = replace(bot.answer_settings, abstain_below=0.95)
    bot.reader_settings = replace(bot.reader_settings, sure_above=probability)
    assert "25 minutes" in bot.ask(question).text
    bot.reader_settings = replace(bot.reader_settings, sure_above=probability + 0.01)
    assert bot.ask(question).abstained
    # The rules still hold: a year the sentences do not give is asked for.
    bot.reader_settings = replace(bot.reader_settings, sure_above=0.0)
    bot.answer_settings = replace(bot.answer_settings, missing_number_penalty=1.0)
    assert bot.ask(f"{question[:-1]} in 1990?").abstained


@pytest.mark.integration
def test_the_reader_can_abstain_and_can_be_switched_off(bot: QABot) -> None:
    question = "Who designed the tram line to the airport?"
    bot.reader_settings = ReaderSettings(abstain_below=0.99)
    assert bot.ask(question).abstained
    bot.reader = None
    answer = bot.ask("Who won the Paris chess open?")
    assert all(h.reader is None for h in answer.hits)
