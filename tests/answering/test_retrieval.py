"""Hybrid retrieval, fusion and MMR on a small corpus with the fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_bot.answering.retrieval import DENSE_ONLY, RetrievalSettings
from qa_bot.bot import QABot
from qa_bot.index.embedding import HashEmbedder
from qa_bot.index.settings import IndexSettings

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
    bot.reader = None  # the plain pipeline: no reader reranking either
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


def test_window_component_scores_a_sentence_with_its_neighbours(bot: QABot) -> None:
    # "It" carries nothing; its window carries the tram and the airport.
    hits = bot.retrieve("tram line airport station", k=3)
    top = hits[0]
    assert top.passage.doc_id == "rail.md"
    assert -1.0 <= top.window <= 1.0 and top.window > 0
    windows = top.passage.sentence_windows()
    sentences = top.passage.sentence_texts()
    assert len(windows) == len(sentences)
    # Each window is the sentence with its neighbours, inside the passage.
    for j, window in enumerate(windows):
        assert sentences[j] in window
        assert window == " ".join(sentences[max(0, j - 1) : j + 2])


def _near_copy_corpus(root: Path) -> Path:
    root.mkdir()
    story = (
        "The harbour authority closed the northern pier after storm damage on Tuesday. "
        "Ferries to the islands will leave from the southern pier until repairs end. "
        "Engineers expect the work to take three weeks."
    )
    (root / "harbour.txt").write_text(f"Pier closed after storm\n\n{story}\n", encoding="utf-8")
    # The same story syndicated, one word changed, and a different story on the same subject.
    copy = story.replace("Tuesday", "Tuesday night")
    (root / "harbour-wire.txt").write_text(f"Storm shuts pier\n\n{copy}\n", encoding="utf-8")
    (root / "ferries.txt").write_text(
        "Ferry fares rise\n\nFerries to the islands will cost more from next month, the "
        "operator said, blaming fuel prices and storm repairs at the pier.\n",
        encoding="utf-8",
    )
    return root


def test_mmr_pushes_near_copies_down_but_not_related_passages(tmp_path: Path) -> None:
    corpus = _near_copy_corpus(tmp_path / "corpus")
    query = "Why did the harbour authority close the northern pier?"
    # Copies indexed as such (the build collapses near-duplicates by default, issue 14): MMR
    # still matters for copies under that threshold.
    every_copy = IndexSettings(duplicate_threshold=None)

    def top_docs(lam: float) -> list[str]:
        settings = RetrievalSettings(mmr_lambda=lam, mmr_similarity=0.9)
        bot = QABot.from_corpus(
            corpus, tmp_path / f"i{lam}", embedder=HashEmbedder(512), retrieval=settings,
            settings=every_copy,
        )  # fmt: skip
        return [h.passage.doc_id for h in bot.retrieve(query, k=3)]

    plain = top_docs(1.0)
    assert set(plain[:2]) == {"harbour.txt", "harbour-wire.txt"}  # the copy comes second
    diverse = top_docs(0.5)
    assert diverse[0] in {"harbour.txt", "harbour-wire.txt"}
    assert diverse[1] == "ferries.txt"  # the copy is pushed below the other story
    # With a threshold no pair reaches, MMR changes nothing.
    settings = RetrievalSettings(mmr_lambda=0.5, mmr_similarity=1.01)
    bot = QABot.from_corpus(
        corpus, tmp_path / "never", embedder=HashEmbedder(512), retrieval=settings,
        settings=every_copy,
    )  # fmt: skip
    assert [h.passage.doc_id for h in bot.retrieve(query, k=3)] == plain


def test_keyword_best_passage_is_kept_for_the_reader(small_corpus: Path, tmp_path: Path) -> None:
    """A passage that alone holds a rare word of the question but loses the fused ranking is
    still among the passages the reader reads (``keyword_best``), in the last place."""
    bot = QABot.from_corpus(
        small_corpus,
        tmp_path / "i",
        embedder=HashEmbedder(512),
        retrieval=RetrievalSettings(bm25_weight=0.01),
    )
    retriever = bot._state.retriever
    # The question's meaning points at the bees article; only its word "grandmasters" is chess.
    bees = next(p for p in bot.passages if p.doc_id == "bees.txt")
    vector = retriever.store.passage_vectors[retriever.position(bees.passage_id)]
    query = "grandmasters"
    plain = retriever.search_vector(query, vector, 2)
    kept = retriever.search_vector(query, vector, 2, keyword_best=True)
    assert plain[0].passage.doc_id == "bees.txt"
    assert "chess.txt" not in [h.passage.doc_id for h in plain]
    assert [h.passage.doc_id for h in kept] == [plain[0].passage.doc_id, "chess.txt"]
    assert [h.rank for h in kept] == [1, 2]
