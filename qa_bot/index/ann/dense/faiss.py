"""The embedded FAISS store, the default: one FAISS file per collection in the version folder.

This module is the only one that touches FAISS (``passages.faiss`` and ``sentences.faiss``,
written exactly as before stores could be chosen). Inner-product indexes of normalised vectors:
exact (``IndexFlatIP``) or HNSW when ``IndexSettings.ann`` says so.

Search runs FAISS with one OpenMP thread: for single queries two threads were measured 7-57x
slower on a two-core machine (thread start-up dominates tiny searches).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa_bot.index.ann.base import (
    PASSAGES,
    SENTENCES,
    Neighbours,
    VectorStore,
    as_matrix,
    check_vectors,
)

if TYPE_CHECKING:
    from qa_bot.index.settings import IndexSettings

_THREADS_SET = False


def _faiss() -> Any:
    global _THREADS_SET
    import faiss

    if not _THREADS_SET:
        faiss.omp_set_num_threads(1)
        _THREADS_SET = True
    return faiss


def build_vector_index(vectors: np.ndarray, settings: IndexSettings) -> Any:
    """An inner-product FAISS index over ``vectors`` (exact, or HNSW when settings say so)."""
    faiss = _faiss()
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = int(vectors.shape[1]) if vectors.ndim == 2 and vectors.shape[1] else 1
    if settings.ann == "hnsw":
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = max(40, settings.hnsw_m * 2)
        index.hnsw.efSearch = settings.hnsw_ef_search
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        # Building (HNSW above all) is a big batch job that uses every core; searching stays on
        # one thread.
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        try:
            index.add(vectors)
        finally:
            faiss.omp_set_num_threads(1)
    return index


def write_vector_index(index: Any, path: Path) -> None:
    """Save with FAISS's own binary format (no pickle)."""
    _faiss().write_index(index, str(path))


def read_vector_index(path: Path) -> Any:
    """Load an index written by ``write_vector_index``.

    Raises:
        ValueError: not a FAISS file (truncated, altered).
    """
    try:
        return _faiss().read_index(str(path))
    except RuntimeError as exc:
        raise ValueError(f"bad FAISS file {path}: {str(exc).splitlines()[0]}") from exc


def search(index: Any, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Top-``k`` ``(row, score)`` pairs for one query vector, best first.

    FAISS pads missing results with id -1 when ``k`` exceeds the index size; those are
    dropped here so they can never be mapped to a passage.
    """
    if k <= 0 or index.ntotal == 0:
        return []
    k = min(k, int(index.ntotal))
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


def index_bytes(index: Any) -> int:
    """Memory held by a flat or HNSW FAISS index: vectors plus graph links."""
    flat = getattr(index, "storage", index)
    size = int(flat.ntotal) * int(flat.d) * 4
    graph = getattr(index, "hnsw", None)
    if graph is not None:
        size += 4 * (graph.neighbors.size() + graph.levels.size()) + 8 * graph.offsets.size()
    return int(size)


class FaissStore(VectorStore):
    """Collections as in-process FAISS indexes, saved as ``<collection>.faiss`` files."""

    backend = "faiss"
    collections = (PASSAGES, SENTENCES)

    def __init__(
        self, settings: IndexSettings | None = None, indexes: dict[str, Any] | None = None
    ) -> None:
        self._settings = settings
        self._indexes: dict[str, Any] = dict(indexes or {})

    @classmethod
    def open(cls, folder: Path) -> FaissStore:
        """The store saved in version folder ``folder`` (read-only: ``add`` needs settings).

        Raises:
            OSError, ValueError: a file is missing or not a FAISS file.
        """
        return cls(None, {n: read_vector_index(folder / f"{n}.faiss") for n in cls.collections})

    def index(self, name: str) -> Any:
        """The FAISS index of a collection (``KeyError`` when there is none)."""
        return self._indexes[name]

    def add(self, name: str, vectors: np.ndarray) -> None:
        if name in self._indexes:
            raise ValueError(f"collection {name!r} exists already")
        if self._settings is None:
            raise ValueError("an opened FAISS store is read-only")
        self._indexes[name] = build_vector_index(check_vectors(vectors), self._settings)

    def search(self, name: str, queries: np.ndarray, k: int) -> list[Neighbours]:
        matrix = as_matrix(queries)
        index = self._indexes[name]
        if k <= 0 or index.ntotal == 0:
            return [Neighbours((), ()) for _ in matrix]
        # The FAISS call ``search`` makes for one query, for every row at once; FAISS pads with
        # id -1 past the index size, dropped here too.
        scores, ids = index.search(matrix, min(k, int(index.ntotal)))
        return [
            Neighbours(
                tuple(int(i) for i in row_ids if i >= 0),
                tuple(float(s) for i, s in zip(row_ids, row_scores, strict=True) if i >= 0),
            )
            for row_ids, row_scores in zip(ids, scores, strict=True)
        ]

    def save(self, folder: Path) -> dict[str, Any]:
        for name in self.collections:
            if name in self._indexes:  # an index build adds both
                write_vector_index(self._indexes[name], folder / f"{name}.faiss")
        return {"backend": self.backend}

    def count(self, name: str) -> int:
        index = self._indexes.get(name)
        return 0 if index is None else int(index.ntotal)

    def memory(self) -> int:
        return sum(index_bytes(index) for index in self._indexes.values())
