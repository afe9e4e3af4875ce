"""FAISS in one place: build, save, load and search inner-product indexes of normalised vectors.

Search runs FAISS with one OpenMP thread: for single queries two threads were measured 7-57x
slower on a two-core machine (thread start-up dominates tiny searches).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

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
    """Load an index written by ``write_vector_index``."""
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
