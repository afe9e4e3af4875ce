"""Pick a vector store: from ``IndexSettings`` when an index is built, from the manifest's
``vector_store`` entry when it is loaded (so a query opens whatever the build chose).

The backends' modules are imported here only when chosen: loading a FAISS index never imports
pymilvus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa_bot.errors import IndexCorruptError
from qa_bot.index.ann.base import VectorStore
from qa_bot.index.settings import IndexSettings

# What a manifest written before vector stores could be chosen means.
FAISS_ENTRY: dict[str, Any] = {"backend": "faiss"}


def create_store(
    settings: IndexSettings, folder: Path, generation: str, index_dir: Path
) -> VectorStore:
    """An empty store for a version being written in ``folder`` (named ``generation``) of the
    index in ``index_dir``, of the backend ``settings.vector_store`` names.

    Raises:
        VectorStoreError: the backend's library is missing or its server cannot be reached.
    """
    if settings.vector_store == "milvus":
        from qa_bot.index.ann.dense.milvus import MilvusStore

        return MilvusStore.create(settings, folder, generation, index_dir)
    from qa_bot.index.ann.dense.faiss import FaissStore

    return FaissStore(settings)


def open_store(folder: Path, entry: Any) -> VectorStore:
    """The store of version folder ``folder``, as its manifest's ``vector_store`` entry
    (``None`` for manifests without one: FAISS) describes it.

    Raises:
        IndexCorruptError: the entry is malformed or names an unknown backend.
        VectorStoreError: the backend's library is missing or its server cannot be reached.
        OSError, ValueError: a FAISS file is missing or unreadable.
    """
    entry = FAISS_ENTRY if entry is None else entry
    backend = entry.get("backend") if isinstance(entry, dict) else None
    if backend == "faiss":
        from qa_bot.index.ann.dense.faiss import FaissStore

        return FaissStore.open(folder)
    if backend == "milvus":
        from qa_bot.index.ann.dense.milvus import MilvusStore

        return MilvusStore.open(folder, entry)
    raise IndexCorruptError(f"the manifest of {folder} names an unknown vector store: {entry!r}")


def check_store(settings: IndexSettings) -> None:
    """Fail before a build embeds anything if its vector store cannot be used.

    Raises:
        VectorStoreError: the backend's library is missing or its server cannot be reached.
    """
    if settings.vector_store == "milvus":
        from qa_bot.index.ann.dense.milvus import MilvusStore

        MilvusStore.check(settings)


def prune_stores(settings: IndexSettings, index_dir: Path, keep: set[str]) -> list[str]:
    """Drop what a server-side store keeps for versions of ``index_dir`` other than ``keep``
    (version folder names); what was dropped. FAISS keeps nothing outside the folders.

    Raises:
        VectorStoreError: the store's server cannot be reached.
    """
    if settings.vector_store != "milvus":
        return []
    from qa_bot.index.ann.dense.milvus import MilvusStore

    return MilvusStore.prune(settings, index_dir, keep)


def unchecked_paths(entry: dict[str, Any]) -> tuple[str, ...]:
    """Paths of a version folder the store rewrites while it is open (a Milvus Lite file),
    left out of the manifest's checksums; its counts are checked on load instead."""
    local = entry.get("local")
    return (str(local),) if local else ()
