"""What a loaded index keeps in memory: a FAISS index's vector files are memory-mapped
(read-only, only the rows a query scores are read), and its answers are those of the same
vectors held in memory (fake embedder)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from qa_bot.answering.answer import AnswerSettings
from qa_bot.answering.retrieval import Retriever
from qa_bot.bot import QABot
from qa_bot.index.ann.base import PASSAGES, SENTENCES, TITLES, WINDOWS
from qa_bot.index.build import build_index
from qa_bot.index.embedding import HashEmbedder
from qa_bot.index.store import VECTOR_FILES, IndexStore, load_index

pytestmark = pytest.mark.unit

QUESTIONS = (
    "How many bee colonies were lost over the winter?",
    "When does the tram line to the airport open?",
    "Where was the chess tournament held?",
    "tickets",
)


@pytest.fixture
def index_dir(small_corpus: Path, tmp_path: Path, hash_embedder: HashEmbedder) -> Path:
    build_index(small_corpus, tmp_path / "index", hash_embedder)
    return tmp_path / "index"


def _in_memory(store: IndexStore) -> IndexStore:
    """The same index with every vector file read into memory (as before memory-mapping)."""
    return dataclasses.replace(
        store,
        arrays={name: np.array(array) for name, array in store.arrays.items()},
        sentence_rows=np.array(store.sentence_rows),
    )


def test_a_loaded_faiss_index_memory_maps_its_vector_files(
    index_dir: Path, hash_embedder: HashEmbedder
) -> None:
    store = load_index(index_dir, hash_embedder)
    assert set(store.arrays) == {PASSAGES, SENTENCES, WINDOWS, TITLES}
    for name, array in [*store.arrays.items(), ("rows", store.sentence_rows)]:
        assert isinstance(array, np.memmap), name
        assert not array.flags.writeable, name  # nothing can change a live version's file
        assert Path(str(array.filename)).parent == store.path, name
    assert {VECTOR_FILES[name] for name in store.arrays} <= set(store.manifest["files"])
    # Rows are fetched into ordinary arrays, in the order asked for, repeats included.
    rows = np.array([2, 0, 2], dtype=np.int64)
    fetched = store.fetch(SENTENCES, rows)
    assert type(fetched) is np.ndarray and fetched.dtype == np.float32
    np.testing.assert_array_equal(fetched, np.asarray(store.arrays[SENTENCES])[rows])


def test_memory_mapped_vectors_answer_as_vectors_in_memory(
    index_dir: Path, hash_embedder: HashEmbedder
) -> None:
    mapped = load_index(index_dir, hash_embedder)
    held = _in_memory(mapped)
    assert not any(isinstance(a, np.memmap) for a in held.arrays.values())
    for question in QUESTIONS:
        a = Retriever(mapped, hash_embedder).search(question, 5)
        b = Retriever(held, hash_embedder).search(question, 5)
        assert a == b  # the same passages, every score component equal to the bit
    settings = AnswerSettings(abstain_below=0.3)
    bots = [
        QABot(s, hash_embedder, index_dir=index_dir, answering=settings) for s in (mapped, held)
    ]
    for question in QUESTIONS:
        first, second = (bot.ask(question) for bot in bots)
        assert dataclasses.replace(first, timings=second.timings) == second  # all but timings


def test_an_incremental_build_reuses_memory_mapped_vectors(
    small_corpus: Path, index_dir: Path, hash_embedder: HashEmbedder
) -> None:
    """The previous version's files are mapped while the next one is built from them."""
    before = load_index(index_dir, hash_embedder)
    bees = small_corpus / "bees.txt"
    bees.write_text(bees.read_text(encoding="utf-8") + "\nThe keepers met again.\n", "utf-8")
    report = build_index(small_corpus, index_dir, hash_embedder)
    assert report.status == "updated" and report.embedded_passages <= 2
    after = load_index(index_dir, hash_embedder)
    assert after.path != before.path
    kept = {p.passage_id: i for i, p in enumerate(before.passages)}
    for i, passage in enumerate(after.passages):
        if passage.passage_id in kept:
            np.testing.assert_array_equal(
                after.passage_vectors[i], before.passage_vectors[kept[passage.passage_id]]
            )
