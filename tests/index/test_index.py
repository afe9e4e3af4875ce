"""Index build, save, load, reuse, incremental update and integrity checks (fake embedder)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa_bot.errors import (
    CorpusError,
    IndexCorruptError,
    IndexNotFoundError,
    IndexVersionError,
    ModelMismatchError,
)
from qa_bot.index.build import build_index
from qa_bot.index.embedding import HashEmbedder
from qa_bot.index.store import FORMAT_VERSION, MANIFEST, current_version, load_index

pytestmark = pytest.mark.unit


class SaltedHashEmbedder(HashEmbedder):
    """Same id and dimension as HashEmbedder(512), other 'weights'."""

    def _bucket(self, word: str) -> tuple[int, float]:
        return super()._bucket(word + "#salt")


class ExplodingEmbedder(HashEmbedder):
    def encode(self, texts, *, batch_size=64, show_progress=False):  # type: ignore[no-untyped-def]
        if len(texts) > 1:
            raise RuntimeError("simulated crash during embedding")
        return super().encode(texts)


def test_build_writes_a_complete_version(
    small_corpus: Path, tmp_path: Path, hash_embedder: HashEmbedder
) -> None:
    index_dir = tmp_path / "index"
    report = build_index(small_corpus, index_dir, hash_embedder)
    assert report.status == "built"
    assert report.documents == 3 and report.passages >= 3
    version = current_version(index_dir)
    assert version is not None and version.is_dir()
    manifest = json.loads((version / MANIFEST).read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"]["id"] == "hash:512" and manifest["model"]["dimension"] == 512
    assert len(manifest["model"]["fingerprint"]) == 512
    assert manifest["counts"]["passages"] == report.passages
    assert set(manifest["corpus"]["files"]) == {"bees.txt", "chess.txt", "rail.md"}
    assert "passages.faiss" in manifest["files"] and "bm25/vocab.index.json" in manifest["files"]
    assert not list(version.rglob("*.pkl")) and not list(version.rglob("*.pickle"))
    store = load_index(index_dir, hash_embedder)
    assert len(store.passages) == report.passages
    for passage in store.passages:
        assert passage.text and len(passage.sentences) >= 1


def test_unchanged_corpus_is_reused_and_change_reembeds_only_that_file(
    small_corpus: Path, tmp_path: Path, hash_embedder: HashEmbedder
) -> None:
    index_dir = tmp_path / "index"
    first = build_index(small_corpus, index_dir, hash_embedder)
    again = build_index(small_corpus, index_dir, hash_embedder)
    assert again.status == "reused" and again.embedded_passages == 0
    (small_corpus / "chess.txt").write_text(
        "Chess prodigy wins open\n\nA boy from Nice won the Paris chess open on Sunday.\n",
        encoding="utf-8",
    )
    updated = build_index(small_corpus, index_dir, hash_embedder)
    assert updated.status == "updated"
    chess = [p for p in load_index(index_dir, hash_embedder).passages if p.doc_id == "chess.txt"]
    assert updated.embedded_passages == len(chess) < first.passages
    assert "boy from Nice" in chess[0].text


def test_vectors_of_reused_passages_equal_fresh_ones(
    small_corpus: Path, tmp_path: Path, hash_embedder: HashEmbedder
) -> None:
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, hash_embedder)
    (small_corpus / "new.txt").write_text("Storm\n\nA storm closed the port on Friday.\n")
    build_index(small_corpus, index_dir, hash_embedder)
    store = load_index(index_dir, hash_embedder)
    fresh = hash_embedder.encode([p.text for p in store.passages])
    np.testing.assert_allclose(store.passage_vectors, fresh, atol=1e-6)
    rows = [(int(i), int(j)) for i, j in store.sentence_rows]
    sentences = [store.passages[i].sentence_texts()[j] for i, j in rows]
    windows = [store.passages[i].sentence_windows()[j] for i, j in rows]
    np.testing.assert_allclose(store.sentence_vectors, hash_embedder.encode(sentences), atol=1e-6)
    np.testing.assert_allclose(store.window_vectors, hash_embedder.encode(windows), atol=1e-6)


def test_editing_one_sentence_reembeds_only_it_and_the_windows_around_it(
    tmp_path: Path, hash_embedder: HashEmbedder
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sentences = [f"Sentence number {n} is about topic {n} in the harbour." for n in range(6)]
    (corpus / "a.txt").write_text("Harbour news\n\n" + " ".join(sentences) + "\n")
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, hash_embedder)
    sentences[3] = "Sentence number 3 now says something else entirely about ferries."
    (corpus / "a.txt").write_text("Harbour news\n\n" + " ".join(sentences) + "\n")
    report = build_index(corpus, index_dir, hash_embedder)
    assert report.status == "updated"
    # The edited sentence and the three windows that contain it; nothing else.
    assert report.embedded_sentences == 1 + 3


def test_failed_build_leaves_previous_index_usable(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, HashEmbedder(512))
    before = current_version(index_dir)
    (small_corpus / "new.txt").write_text(
        "Storm\n\nA storm closed the port on Friday. It rained.\n"
    )
    with pytest.raises(RuntimeError):
        build_index(small_corpus, index_dir, ExplodingEmbedder(512), force=True)
    assert current_version(index_dir) == before
    assert len(load_index(index_dir, HashEmbedder(512)).passages) > 0


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError):
        load_index(tmp_path / "nothing")


def test_empty_or_missing_corpus(tmp_path: Path, hash_embedder: HashEmbedder) -> None:
    with pytest.raises(CorpusError):
        build_index(tmp_path / "missing", tmp_path / "index", hash_embedder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError):
        build_index(tmp_path / "empty", tmp_path / "index", hash_embedder)
    assert current_version(tmp_path / "index") is None


@pytest.fixture
def built(small_corpus: Path, tmp_path: Path, hash_embedder: HashEmbedder) -> Path:
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, hash_embedder)
    version = current_version(index_dir)
    assert version is not None
    return version


def test_truncated_file_is_detected(built: Path, hash_embedder: HashEmbedder) -> None:
    path = built / "passage_vectors.npy"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(IndexCorruptError, match="damaged"):
        load_index(built.parent, hash_embedder)


def test_altered_passage_text_is_detected(built: Path, hash_embedder: HashEmbedder) -> None:
    path = built / "passages.json"
    path.write_text(path.read_text().replace("tram", "bus"))
    with pytest.raises(IndexCorruptError):
        load_index(built.parent, hash_embedder)


def test_missing_file_is_detected(built: Path, hash_embedder: HashEmbedder) -> None:
    (built / "sentences.faiss").unlink()
    with pytest.raises(IndexCorruptError, match="missing"):
        load_index(built.parent, hash_embedder)


def _edit_manifest(version: Path, edit) -> None:  # type: ignore[no-untyped-def]
    manifest = json.loads((version / MANIFEST).read_text())
    edit(manifest)
    (version / MANIFEST).write_text(json.dumps(manifest))


def test_count_mismatch_is_detected(built: Path, hash_embedder: HashEmbedder) -> None:
    _edit_manifest(built, lambda m: m["counts"].update(passages=m["counts"]["passages"] + 1))
    with pytest.raises(IndexCorruptError, match="inconsistent"):
        load_index(built.parent, hash_embedder)


def test_unknown_format_version(built: Path, hash_embedder: HashEmbedder) -> None:
    _edit_manifest(built, lambda m: m.update(format_version=99))
    with pytest.raises(IndexVersionError):
        load_index(built.parent, hash_embedder)


def test_other_model_is_refused(built: Path) -> None:
    with pytest.raises(ModelMismatchError):
        load_index(built.parent, HashEmbedder(32))


def test_same_id_and_dimension_but_other_weights_is_refused(built: Path) -> None:
    with pytest.raises(ModelMismatchError, match="fingerprint"):
        load_index(built.parent, SaltedHashEmbedder(512))


def test_corrupt_pointer(built: Path, hash_embedder: HashEmbedder) -> None:
    (built.parent / "CURRENT").write_text("../../etc\n")
    with pytest.raises(IndexCorruptError):
        load_index(built.parent, hash_embedder)


def test_index_of_an_older_format_is_rebuilt(
    small_corpus: Path, built: Path, hash_embedder: HashEmbedder
) -> None:
    _edit_manifest(built, lambda m: m.update(format_version=FORMAT_VERSION - 1))
    with pytest.raises(IndexVersionError):
        load_index(built.parent, hash_embedder)
    report = build_index(small_corpus, built.parent, hash_embedder)
    assert report.status == "built"
    assert load_index(built.parent, hash_embedder).manifest["format_version"] == FORMAT_VERSION
