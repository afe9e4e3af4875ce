"""The embedded FAISS store (``qa_bot.index.ann.dense.faiss``) on small fixtures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa_bot.index.ann.base import PASSAGES, SENTENCES, Neighbours
from qa_bot.index.ann.dense.faiss import FaissStore, read_vector_index
from qa_bot.index.settings import IndexSettings

pytestmark = pytest.mark.unit


def _unit_rows(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _exact(vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    return [int(i) for i in np.argsort(-(vectors @ query), kind="stable")[:k]]


@pytest.fixture
def store() -> FaissStore:
    store = FaissStore(IndexSettings())
    store.add(PASSAGES, _unit_rows(50))
    store.add(SENTENCES, _unit_rows(120, seed=1))
    return store


def test_search_is_exact_inner_product(store: FaissStore) -> None:
    vectors = _unit_rows(50)
    for query in _unit_rows(10, seed=7):
        (found,) = store.search(PASSAGES, query, 5)
        assert list(found.ids) == _exact(vectors, query, 5)
        np.testing.assert_allclose(found.scores, np.sort(vectors @ query)[::-1][:5], atol=1e-5)


def test_a_matrix_of_queries_gives_one_result_each(store: FaissStore) -> None:
    queries = _unit_rows(4, seed=3)
    batch = store.search(SENTENCES, queries, 3)
    assert [list(n.ids) for n in batch] == [
        list(store.search(SENTENCES, q, 3)[0].ids) for q in queries
    ]
    assert all(isinstance(n, Neighbours) and len(n) == 3 for n in batch)


def test_k_beyond_the_collection_and_k_zero(store: FaissStore) -> None:
    (everything,) = store.search(PASSAGES, _unit_rows(1, seed=9)[0], 500)
    assert sorted(everything.ids) == list(range(50))  # no -1 padding
    assert list(store.search(PASSAGES, _unit_rows(1)[0], 0)[0]) == []
    empty = FaissStore(IndexSettings())
    empty.add(PASSAGES, np.zeros((0, 16), dtype=np.float32))
    assert empty.count(PASSAGES) == 0 and list(empty.search(PASSAGES, _unit_rows(1)[0], 3)[0]) == []


def test_count_memory_and_pairs(store: FaissStore) -> None:
    assert store.count(PASSAGES) == 50 and store.count(SENTENCES) == 120
    assert store.count("windows") == 0  # FAISS keeps no window collection
    assert store.memory() == (50 + 120) * 16 * 4
    (found,) = store.search(PASSAGES, _unit_rows(50)[7], 1)
    ((row, score),) = list(found)
    assert row == 7 and abs(score - 1.0) < 1e-5


def test_save_writes_the_files_it_always_wrote_and_opens_them(
    store: FaissStore, tmp_path: Path
) -> None:
    entry = store.save(tmp_path)
    assert entry == {"backend": "faiss"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["passages.faiss", "sentences.faiss"]
    assert read_vector_index(tmp_path / "passages.faiss").ntotal == 50
    opened = FaissStore.open(tmp_path)
    query = _unit_rows(1, seed=5)[0]
    assert opened.search(SENTENCES, query, 10) == store.search(SENTENCES, query, 10)
    with pytest.raises(ValueError, match="read-only"):
        opened.add("windows", _unit_rows(3))


def test_a_collection_is_built_once_and_must_be_a_matrix(store: FaissStore) -> None:
    with pytest.raises(ValueError, match="exists already"):
        store.add(PASSAGES, _unit_rows(3))
    with pytest.raises(ValueError, match="matrix"):
        FaissStore(IndexSettings()).add(PASSAGES, np.zeros(16, dtype=np.float32))


def test_hnsw_finds_the_exact_neighbours_on_a_small_collection() -> None:
    vectors = _unit_rows(300, dim=32)
    store = FaissStore(IndexSettings(ann="hnsw", hnsw_m=16, hnsw_ef_search=64))
    store.add(PASSAGES, vectors)
    hits = [
        len(set(store.search(PASSAGES, q, 10)[0].ids) & set(_exact(vectors, q, 10)))
        for q in _unit_rows(20, dim=32, seed=4)
    ]
    assert sum(hits) / (10 * len(hits)) >= 0.95
    assert store.memory() > 300 * 32 * 4  # the graph on top of the vectors


def test_a_damaged_file_is_a_value_error(tmp_path: Path, store: FaissStore) -> None:
    store.save(tmp_path)
    (tmp_path / "sentences.faiss").write_bytes(b"not faiss")
    with pytest.raises(ValueError, match=r"sentences\.faiss"):
        FaissStore.open(tmp_path)
