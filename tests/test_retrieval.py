"""Hybrid retrieval, fusion and MMR on a small corpus with the fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_bot.bot import QABot
from qa_bot.embedding import HashEmbedder
from qa_bot.retrieval import DENSE_ONLY, RetrievalSettings

pytestmark = pytest.mark.unit


@pytest.fixture
def bot(small_corpus: Path, tmp_path: Path) -> QABot:
    return QABot.from_corpus(small_corpus, tmp_path / "index", embedder=HashEmbedder(512))


def test_known_passage_comes_first(bot: QABot) -> None:
    hits = bot.retrieve("How long does the tram take to the airport?", k=3)
    assert hits[0].passage.doc_id == "rail.md"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(0.0 <= h.bm25 <= 1.0 for h in hits)
    assert hits[0].bm25 == pytest.approx(1.0)


def test_scores_are_sorted_without_mmr(small_corpus: Path, tmp_path: Path) -> None:
    bot = QABot.from_corpus(
        small_corpus,
        tmp_path / "i",
        embedder=HashEmbedder(512),
        retrieval=RetrievalSettings(mmr_lambda=1.0),
    )
    hits = bot.retrieve("chess grandmasters", k=5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_k_larger_than_index_returns_each_passage_once(bot: QABot) -> None:
    hits = bot.retrieve("bees", k=1000)
    ids = [h.passage.passage_id for h in hits]
    assert len(ids) == len(set(ids)) <= len(bot.passages)
    assert all(h.passage in bot.passages for h in hits)


def test_dense_only_has_no_keyword_component(small_corpus: Path, tmp_path: Path) -> None:
    bot = QABot.from_corpus(
        small_corpus, tmp_path / "i", embedder=HashEmbedder(512), retrieval=DENSE_ONLY
    )
    hits = bot.retrieve("tram airport", k=2)
    assert all(h.bm25 == 0.0 for h in hits)
    assert hits[0].score == pytest.approx(hits[0].dense)


def test_rrf_fusion(small_corpus: Path, tmp_path: Path) -> None:
    bot = QABot.from_corpus(
        small_corpus,
        tmp_path / "i",
        embedder=HashEmbedder(512),
        retrieval=RetrievalSettings(fusion="rrf"),
    )
    assert bot.retrieve("tram airport", k=1)[0].passage.doc_id == "rail.md"


def test_settings_validation() -> None:
    with pytest.raises(ValueError, match="fusion"):
        RetrievalSettings(fusion="magic")
    with pytest.raises(ValueError, match="mmr_lambda"):
        RetrievalSettings(mmr_lambda=2.0)
