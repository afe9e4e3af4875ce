"""The vector-store interface behind retrieval: named collections of normalised vectors.

A store holds one or more *collections* (``passages``, ``sentences``, ``windows``): a matrix
of L2-normalised float32 vectors whose row numbers are the ids (row ``i`` of
``passage_vectors.npy`` is id ``i`` of ``passages``). Search is by inner product, so scores are
cosines. A store is built once per index version (``add`` each collection, then ``save`` into
the version folder, then ``close``), and opened read-only when the index is loaded
(``factory.open_store``); it is never changed after its version went live, which is what keeps a
rebuild's switch atomic whatever the backend.

Thread-safety: an opened store is read-only; ``search`` may run in many threads.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

# The collections an index can hold. Retrieval searches passages and sentences; windows and
# titles (row i: the headline of the i-th document) are only fetched by row for the candidates,
# so only stores that keep every vector server-side (Milvus) hold them; the others' come from
# the version folder's memory-mapped .npy files.
PASSAGES = "passages"
SENTENCES = "sentences"
WINDOWS = "windows"
TITLES = "titles"
COLLECTIONS = (PASSAGES, SENTENCES, WINDOWS, TITLES)


@dataclass(frozen=True)
class Neighbours:
    """One query's nearest rows of a collection, best first: ``ids[i]`` scored ``scores[i]``."""

    ids: tuple[int, ...]
    scores: tuple[float, ...]

    def __iter__(self) -> Iterator[tuple[int, float]]:
        return iter(zip(self.ids, self.scores, strict=True))

    def __len__(self) -> int:
        return len(self.ids)


class VectorStore(ABC):
    """A backend's collections of vectors: built, saved, opened, searched."""

    #: The backend's name, as ``IndexSettings.vector_store`` and the manifest record it.
    backend: ClassVar[str]
    #: The collections this backend keeps of an index (the builder adds these).
    collections: ClassVar[tuple[str, ...]] = (PASSAGES, SENTENCES)
    #: True when the store returns its vectors by row (``fetch``): an index of it then writes
    #: no .npy file of those collections, and queries fetch just the rows they score.
    holds_vectors: ClassVar[bool] = False

    @abstractmethod
    def add(self, name: str, vectors: np.ndarray) -> None:
        """Build collection ``name`` from ``vectors`` (rows × dim; row ``i`` gets id ``i``).

        Raises:
            ValueError: the collection exists already or ``vectors`` is not a matrix.
        """

    @abstractmethod
    def search(self, name: str, queries: np.ndarray, k: int) -> list[Neighbours]:
        """The ``k`` nearest rows of collection ``name`` for each query (a vector or a matrix of
        them), best first; fewer when the collection is smaller, none when ``k`` <= 0."""

    @abstractmethod
    def save(self, folder: Path) -> dict[str, Any]:
        """Make the collections durable (files go into the version folder ``folder``) and
        return the manifest's ``vector_store`` entry that ``factory.open_store`` reads back."""

    @abstractmethod
    def count(self, name: str) -> int:
        """The number of vectors in collection ``name`` (0 when it does not exist)."""

    def holds(self, name: str) -> bool:
        """True when this store (as built or opened) has collection ``name``."""
        return name in self.collections

    def fetch(self, name: str, ids: np.ndarray) -> np.ndarray:
        """The vectors of rows ``ids`` of collection ``name``, in the order of ``ids``
        (repeats allowed): a float32 matrix ``len(ids)`` × dim. Only for stores that
        ``holds_vectors``.

        Raises:
            NotImplementedError: the store does not return its vectors.
            KeyError: a row or the collection does not exist.
        """
        raise NotImplementedError(f"the {self.backend} store does not return its vectors")

    @abstractmethod
    def memory(self) -> int:
        """Bytes the collections take where they are searched (vectors plus any graph):
        in this process for FAISS, in the server (or Milvus Lite) for Milvus."""

    def close(self) -> None:  # noqa: B027 - an optional hook, a no-op for embedded stores
        """Release connections and servers; the store must not be used afterwards."""

    def __enter__(self) -> VectorStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def as_matrix(queries: np.ndarray) -> np.ndarray:
    """Queries as a C-contiguous float32 matrix (one vector becomes one row)."""
    matrix = np.asarray(queries, dtype=np.float32)
    return np.ascontiguousarray(matrix.reshape(1, -1) if matrix.ndim == 1 else matrix)


def check_vectors(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` as a C-contiguous float32 matrix.

    Raises:
        ValueError: not two-dimensional.
    """
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError(f"vectors must be a matrix (rows × dim), not of shape {matrix.shape}")
    return matrix
