"""Hybrid retrieval, fusion and MMR on a small corpus with the fake embedder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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


def _archive(root: Path, articles: int) -> Path:
    """``articles`` short articles on sanctions, half of them quoting Peskov, and one long
    article whose last passage alone names Suslov and the EU."""
    root.mkdir()
    for i in range(articles):
        speaker = "Peskov said" if i % 2 else "Officials said"
        (root / f"a{i:03}.txt").write_text(
            f"Sanctions report {i}\n\n{speaker} that sanctions on trade would stay in week {i}. "
            f"Exporters in region {i} looked for new buyers.\n",
            encoding="utf-8",
        )
    filler = " ".join(
        f"The harbour committee reviewed budget line {j} of the port authority in session {j}."
        for j in range(40)
    )
    (root / "suslov.txt").write_text(
        f"The harbour budget\n\n{filler}\n\nDmitry Suslov said EU sanctions on trade would stay.\n",
        encoding="utf-8",
    )
    return root


def test_rare_name_weighs_by_how_few_articles_name_it(tmp_path: Path) -> None:
    """A name one article of 61 holds weighs 1 - (1/61) / name_share in the passage naming it,
    half that in the rest of its article, 0 elsewhere; a name half the articles hold, or an
    abbreviation, nothing."""
    bot = QABot.from_corpus(
        _archive(tmp_path / "c", 60), tmp_path / "i", embedder=HashEmbedder(512)
    )
    retriever = bot._state.retriever
    ids = np.arange(len(bot.passages))
    named = [i for i, p in enumerate(bot.passages) if "Suslov" in p.text]
    same_article = [
        i for i, p in enumerate(bot.passages) if p.doc_id == "suslov.txt" and i not in named
    ]
    assert len(named) == 1 and same_article  # the long article is more than one passage
    weight = 1 - (1 / 61) / RetrievalSettings().name_share
    scores = retriever._rare_names("What did Suslov and Peskov say about sanctions?", ids)
    assert scores[named[0]] == pytest.approx(weight)
    assert scores[same_article] == pytest.approx(weight / 2)
    others = [i for i, p in enumerate(bot.passages) if p.doc_id != "suslov.txt"]
    assert not scores[others].any()  # Peskov, in 30 of 61 articles, is no rare name
    assert not retriever._rare_names("What did Peskov say about sanctions?", ids).any()
    # An abbreviation is no rare name: other articles may write "European Union".
    assert not retriever._rare_names("What did the EU decide on sanctions?", ids).any()


def test_rare_name_brings_its_passage_first(tmp_path: Path) -> None:
    """The query's meaning points at another article; the rare name's passage comes first only
    with the name weighed, and its hit says why."""
    corpus = _archive(tmp_path / "c", 60)
    query = "What did Suslov say about sanctions on trade?"
    firsts = {}
    for weight in (0.0, 1.0):
        bot = QABot.from_corpus(
            corpus, tmp_path / f"i{weight}", embedder=HashEmbedder(512),
            retrieval=RetrievalSettings(name_weight=weight),
        )  # fmt: skip
        retriever = bot._state.retriever
        other = next(p for p in bot.passages if p.doc_id == "a001.txt")
        vector = retriever.store.passage_vectors[retriever.position(other.passage_id)]
        firsts[weight] = retriever.search_vector(query, vector, 3)[0]
    assert "Suslov" not in firsts[0.0].passage.text and firsts[0.0].name == 0.0
    assert "Suslov" in firsts[1.0].passage.text and firsts[1.0].name > 0.5


def test_no_name_is_rare_among_five_articles(small_corpus: Path, tmp_path: Path) -> None:
    """Each name of five articles is held by a fifth of them or more: ranking is unchanged."""
    bot = QABot.from_corpus(small_corpus, tmp_path / "i", embedder=HashEmbedder(512))
    retriever = bot._state.retriever
    names = " ".join(p.title for p in bot.passages)
    scores = retriever._rare_names(names, np.arange(len(bot.passages)))
    assert not scores.any()
    plain = QABot.from_corpus(
        small_corpus, tmp_path / "j", embedder=HashEmbedder(512),
        retrieval=RetrievalSettings(name_weight=0.0),
    )  # fmt: skip
    query = "Who won the Paris chess open in Lyon?"
    assert [h.passage.passage_id for h in bot.retrieve(query, k=5)] == [
        h.passage.passage_id for h in plain.retrieve(query, k=5)
    ]


@pytest.mark.parametrize(
    "field, value", [("name_share", 0.0), ("name_share", 1.5), ("name_weight", -0.1)]
)
def test_rare_name_settings_are_checked(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        RetrievalSettings(**{field: value})
