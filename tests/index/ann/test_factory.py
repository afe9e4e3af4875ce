"""Choosing a vector store: settings at build time, the manifest at load time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_bot.errors import IndexCorruptError
from qa_bot.index.ann.dense.faiss import FaissStore
from qa_bot.index.ann.factory import create_store, open_store, unchecked_paths
from qa_bot.index.build import build_index
from qa_bot.index.settings import IndexSettings
from qa_bot.index.store import current_version, load_index

pytestmark = pytest.mark.unit


def test_settings_validate_the_store() -> None:
    with pytest.raises(ValueError, match="vector_store"):
        IndexSettings(vector_store="qdrant")
    with pytest.raises(ValueError, match="milvus_uri needs"):
        IndexSettings(milvus_uri="http://localhost:19530")
    with pytest.raises(ValueError, match="empty"):
        IndexSettings(vector_store="milvus", milvus_uri=" ")


def test_a_milvus_lite_path_is_recorded_absolute(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    settings = IndexSettings(vector_store="milvus", milvus_uri="vectors.db")
    assert settings.milvus_uri == str(tmp_path / "vectors.db")
    server = IndexSettings(vector_store="milvus", milvus_uri="http://db:19530")
    assert server.milvus_uri == "http://db:19530"
    assert IndexSettings.from_json(settings.to_json()) == settings


def test_faiss_settings_serialise_as_before_stores_could_be_chosen() -> None:
    """The default's ``settings`` (and so ``build_key``) are unchanged: no index rebuilds."""
    data = IndexSettings().to_json()
    assert "vector_store" not in data and "milvus_uri" not in data
    assert IndexSettings.from_json(data) == IndexSettings()
    milvus = IndexSettings(vector_store="milvus").to_json()
    assert milvus["vector_store"] == "milvus" and milvus["milvus_uri"] is None


def test_the_factory_picks_the_backend(tmp_path: Path) -> None:
    assert isinstance(create_store(IndexSettings(), tmp_path, "v-1", tmp_path), FaissStore)
    with pytest.raises(IndexCorruptError, match="unknown vector store"):
        open_store(tmp_path, {"backend": "qdrant"})
    with pytest.raises(IndexCorruptError, match="unknown vector store"):
        open_store(tmp_path, ["faiss"])
    assert unchecked_paths({"backend": "faiss"}) == ()
    assert unchecked_paths({"backend": "milvus", "local": "vectors.db"}) == ("vectors.db",)


def _default_index(small_corpus: Path, tmp_path: Path, embedder: object) -> tuple[Path, Path]:
    """An index of the small corpus built with the defaults, and its live version folder."""
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, embedder)  # type: ignore[arg-type]
    version = current_version(index_dir)
    assert version is not None
    return index_dir, version


def test_a_default_index_records_faiss_and_keeps_its_files(
    small_corpus: Path, tmp_path: Path, hash_embedder
) -> None:  # type: ignore[no-untyped-def]
    index_dir, version = _default_index(small_corpus, tmp_path, hash_embedder)
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["vector_store"] == {"backend": "faiss"}
    assert {"passages.faiss", "sentences.faiss"} <= set(manifest["files"])
    assert not (version / "vectors.db").exists()
    assert isinstance(load_index(index_dir, hash_embedder).vectors, FaissStore)


def test_a_manifest_without_a_store_entry_is_faiss(
    small_corpus: Path, tmp_path: Path, hash_embedder
) -> None:  # type: ignore[no-untyped-def]
    """Indexes written before stores could be chosen load as they are."""
    index_dir, version = _default_index(small_corpus, tmp_path, hash_embedder)
    path = version / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    del manifest["vector_store"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    store = load_index(index_dir, hash_embedder)
    assert isinstance(store.vectors, FaissStore) and store.vectors.count("passages") > 0
    # ...and it is still up to date (same build key): nothing is rebuilt.
    report = build_index(small_corpus, index_dir, hash_embedder)
    assert report.status == "reused"
