"""Hybrid retrieval: dense passage score, best-sentence score and BM25, fused, then MMR.

Candidates come from three searches (passage vectors, sentence vectors, BM25); each candidate
then gets all three component scores exactly, so a ``Hit`` can explain why it came up.

Thread-safety: a ``Retriever`` holds only read-only arrays; ``search`` may run in many threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qa_bot.index import bm25_tokens
from qa_bot.models import Hit
from qa_bot.vectors import search as vector_search

if TYPE_CHECKING:
    from qa_bot.embedding import Embedder
    from qa_bot.index import IndexStore


@dataclass(frozen=True)
class RetrievalSettings:
    """Fusion weights and candidate pool sizes.

    ``fusion`` is ``"weighted"`` (weighted sum of the component scores, BM25 scaled to 0..1 by
    the best BM25 score of the query) or ``"rrf"`` (reciprocal rank fusion, constant ``rrf_k``).
    """

    fusion: str = "weighted"
    dense_weight: float = 0.35
    sentence_weight: float = 0.45
    bm25_weight: float = 0.20
    rrf_k: int = 60
    candidates: int = 40
    sentence_candidates: int = 80
    mmr_lambda: float = 0.8
    use_dense: bool = True
    use_sentence: bool = True
    use_bm25: bool = True

    def __post_init__(self) -> None:
        if self.fusion not in ("weighted", "rrf"):
            raise ValueError(
                f"fusion must be 'weighted' or 'rrf'. Currently, fusion is {self.fusion!r}"
            )
        if not 0.0 <= self.mmr_lambda <= 1.0:
            raise ValueError(
                f"mmr_lambda must be between 0 and 1. Currently, mmr_lambda is {self.mmr_lambda}"
            )
        if self.candidates <= 0:
            raise ValueError(
                f"candidates must be greater than 0. Currently, candidates is {self.candidates}"
            )


DENSE_ONLY = RetrievalSettings(
    dense_weight=1.0,
    sentence_weight=0.0,
    bm25_weight=0.0,
    mmr_lambda=1.0,
    use_sentence=False,
    use_bm25=False,
)


class Retriever:
    """Hybrid search over a loaded ``IndexStore``."""

    def __init__(
        self, store: IndexStore, embedder: Embedder, settings: RetrievalSettings | None = None
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings or RetrievalSettings()
        counts = (
            np.bincount(store.sentence_rows[:, 0].astype(np.int64), minlength=len(store.passages))
            if len(store.sentence_rows)
            else np.zeros(len(store.passages), dtype=np.int64)
        )
        # Sentence rows are written passage by passage, so each passage owns a contiguous range.
        self._sentence_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self._sentence_count = counts.astype(np.int64)
        self._positions = {p.passage_id: i for i, p in enumerate(store.passages)}

    def position(self, passage_id: str) -> int:
        """The row of a passage in the store."""
        return self._positions[passage_id]

    def sentence_vectors(self, passage_index: int) -> np.ndarray:
        """The vectors of a passage's sentences, in sentence order."""
        start = int(self._sentence_start[passage_index])
        return self.store.sentence_vectors[start : start + int(self._sentence_count[passage_index])]

    def embed(self, query: str) -> np.ndarray:
        """The query's vector."""
        vector: np.ndarray = self.embedder.encode([query])[0]
        return vector

    def sentence_scores(self, passage_index: int, query_vector: np.ndarray) -> np.ndarray:
        """Cosine of the query with each sentence of a passage, in sentence order."""
        block = self.sentence_vectors(passage_index)
        return block @ query_vector if len(block) else np.zeros(0, dtype=np.float32)

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The ``k`` best passages for ``query``, best first, each at most once."""
        return self.search_vector(query, self.embed(query), k)

    def search_vector(self, query: str, query_vector: np.ndarray, k: int = 5) -> list[Hit]:
        """Like ``search`` with the query already embedded."""
        n = len(self.store.passages)
        if k <= 0 or n == 0:
            return []
        s = self.settings
        pool = max(s.candidates, k * 3)
        candidates: dict[int, None] = {}
        if s.use_dense:
            for row, _ in vector_search(self.store.passage_index, query_vector, pool):
                candidates.setdefault(row)
        if s.use_sentence:
            for row, _ in vector_search(
                self.store.sentence_index, query_vector, max(s.sentence_candidates, pool)
            ):
                candidates.setdefault(int(self.store.sentence_rows[row, 0]))
        bm25_all = self._bm25_scores(query) if s.use_bm25 else np.zeros(n, dtype=np.float32)
        if s.use_bm25 and bm25_all.max(initial=0.0) > 0:
            for row in np.argsort(-bm25_all)[:pool]:
                if bm25_all[row] > 0:
                    candidates.setdefault(int(row))
        ids = np.fromiter(candidates, dtype=np.int64)
        if len(ids) == 0:
            return []
        dense = self.store.passage_vectors[ids] @ query_vector
        sentence = np.array(
            [float(self.sentence_scores(int(i), query_vector).max(initial=-1.0)) for i in ids],
            dtype=np.float32,
        )
        top_bm25 = float(bm25_all.max(initial=0.0))
        bm25 = bm25_all[ids] / top_bm25 if top_bm25 > 0 else np.zeros(len(ids), dtype=np.float32)
        fused = self._fuse(dense, sentence, bm25)
        order = self._mmr(ids, fused, min(k, len(ids)))
        return [
            Hit(
                passage=self.store.passages[int(ids[j])],
                score=float(fused[j]),
                dense=float(dense[j]),
                sentence=float(sentence[j]),
                bm25=float(bm25[j]),
                rank=rank,
            )
            for rank, j in enumerate(order, start=1)
        ]

    def _bm25_scores(self, query: str) -> np.ndarray:
        tokens = bm25_tokens([query])[0]
        if not tokens:
            return np.zeros(len(self.store.passages), dtype=np.float32)
        return np.asarray(self.store.bm25.get_scores(tokens), dtype=np.float32)

    def _fuse(self, dense: np.ndarray, sentence: np.ndarray, bm25: np.ndarray) -> np.ndarray:
        s = self.settings
        weights = [
            (dense, s.dense_weight if s.use_dense else 0.0),
            (sentence, s.sentence_weight if s.use_sentence else 0.0),
            (bm25, s.bm25_weight if s.use_bm25 else 0.0),
        ]
        if s.fusion == "weighted":
            total = sum(w for _, w in weights) or 1.0
            return np.asarray(sum(w * v for v, w in weights) / total, dtype=np.float32)
        fused = np.zeros(len(dense), dtype=np.float32)
        for values, weight in weights:
            if weight > 0:
                ranks = np.empty(len(values), dtype=np.float32)
                ranks[np.argsort(-values, kind="stable")] = np.arange(1, len(values) + 1)
                fused += weight / (s.rrf_k + ranks)
        return fused

    def _mmr(self, ids: np.ndarray, fused: np.ndarray, k: int) -> list[int]:
        """Maximal marginal relevance: trade score against similarity to passages already picked."""
        lam = self.settings.mmr_lambda
        order = list(np.argsort(-fused, kind="stable"))
        if lam >= 1.0:
            return [int(j) for j in order[:k]]
        vectors = self.store.passage_vectors[ids]
        chosen: list[int] = []
        max_sim = np.full(len(ids), -np.inf, dtype=np.float32)
        remaining = set(order)
        while remaining and len(chosen) < k:
            best = max(
                remaining,
                key=lambda j: (lam * fused[j] - (1 - lam) * (max_sim[j] if chosen else 0.0), -j),
            )
            chosen.append(int(best))
            remaining.discard(best)
            max_sim = np.maximum(max_sim, vectors @ vectors[best])
        return chosen
