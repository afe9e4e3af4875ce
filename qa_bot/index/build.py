"""Building the index: chunk, embed (reusing what the live index has), write, switch.

A build takes a lock on the index folder (one writer at a time), writes a complete new version
folder under a temporary name, fsyncs it, renames it into place, then swaps ``CURRENT`` with
``os.replace``: a crash at any moment leaves the previous version live. The layout of a version
folder and how it is read and verified are in :mod:`qa_bot.index.store`.

Thread-safety: builds of the same folder are serialized by a file lock; readers never take it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from qa_bot.errors import CorpusMismatchError, IndexCorruptError, QABotError, VectorStoreError
from qa_bot.index.ann.base import PASSAGES, SENTENCES, TITLES, WINDOWS
from qa_bot.index.ann.factory import check_store, create_store, prune_stores, unchecked_paths
from qa_bot.index.bundled_model import BUNDLED_MODEL_ID, bundled_model_path
from qa_bot.index.checksums import sha256_file
from qa_bot.index.embedding import Embedder, fingerprint
from qa_bot.index.onnx_embedding import ensure_export
from qa_bot.index.settings import IndexSettings
from qa_bot.index.store import (
    CURRENT,
    FORMAT_VERSION,
    MANIFEST,
    VECTOR_FILES,
    IndexStore,
    bm25_tokens,
    current_version,
    load_index,
    read_manifest,
    recorded_corpus,
)
from qa_bot.ingest.chunking import Chunker, ChunkerSettings
from qa_bot.ingest.corpus import CorpusLoad, SkippedFile, load_corpus
from qa_bot.ingest.duplicates import DuplicateGroup, find_duplicates
from qa_bot.models import Document, Passage
from qa_bot.version import __version__

if TYPE_CHECKING:
    from qa_bot.index.ray_build import RaySettings


@dataclass(frozen=True)
class BuildReport:
    """What a build did. ``status`` is ``"built"``, ``"updated"`` or ``"reused"``.

    ``documents`` counts the documents indexed: of a group of near-duplicates (``duplicates``)
    only the kept one.

    ``embedded_sentences`` counts the short texts embedded: sentences, sentence windows and
    headlines (each distinct text once; the rest came from the live index);
    ``new_sentences`` counts the sentences among them (what the summary calls embedded).
    ``store`` is the verified live index when it was reused (so a caller need not load and
    checksum it again), else ``None``.
    """

    status: str
    index_dir: str
    documents: int
    passages: int
    sentences: int
    embedded_passages: int
    embedded_sentences: int
    skipped: tuple[SkippedFile, ...]
    seconds: float
    store: IndexStore | None = field(default=None, repr=False, compare=False)
    # Near-duplicate groups collapsed: (the doc_id indexed, the doc_ids of its copies).
    duplicates: tuple[tuple[str, tuple[str, ...]], ...] = ()
    new_sentences: int = 0
    # The ONNX export of the bundled model that answers questions, when this build made it
    # (it was missing or stale); None when it was there already or the model is another one.
    exported_query_model: Path | None = None

    def summary(self) -> str:
        """What the build did, in plain words (one line)."""
        where = Path(self.index_dir).resolve()
        counts = (
            f"{_plural(self.documents, 'article')} → {_plural(self.passages, 'passage')}, "
            f"{_plural(self.sentences, 'sentence')}"
        )
        if self.status == "reused":
            return f"The index in {where} is up to date: {counts}; nothing to embed."
        if self.status == "built":
            return f"Built the index in {where}: {counts}; all embedded in {self.seconds:.1f} s."
        return (
            f"Updated the index in {where}: {counts}; "
            f"{_plural(self.embedded_passages, 'passage')} and "
            f"{_plural(self.new_sentences, 'sentence')} embedded, the rest reused "
            f"({self.seconds:.1f} s)."
        )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _remove_leftovers(index_dir: Path) -> None:
    """Remove what a killed build left behind (called under the build lock)."""
    for stale in index_dir.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    (index_dir / f".{CURRENT}.tmp").unlink(missing_ok=True)


@contextlib.contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    # One writer at a time; readers never take it (they read a complete version folder).
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# Texts handed to the embedder at a time while a progress bar is shown (one bar advanced by
# these slices, instead of the embedder's own per-batch bars).
_PROGRESS_SLICE = 128


class _Stages(Protocol):
    """The expensive stages of a build: here, or on a Ray cluster (``ray_build.RayStages``)."""

    def load_corpus(self, corpus_dir: str | Path) -> CorpusLoad: ...

    def chunk(
        self, documents: Sequence[Document], settings: ChunkerSettings
    ) -> list[list[Passage]]: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class _LocalStages:
    """The stages in this process, with the build's embedder."""

    def __init__(self, embedder: Embedder, show_progress: bool) -> None:
        self._embedder = embedder
        self._show_progress = show_progress

    def load_corpus(self, corpus_dir: str | Path) -> CorpusLoad:
        return load_corpus(corpus_dir)

    def chunk(
        self, documents: Sequence[Document], settings: ChunkerSettings
    ) -> list[list[Passage]]:
        chunker = Chunker(settings, model_token_count=self._embedder.count_tokens)
        return [chunker.chunk(document) for document in documents]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' vectors, under one progress bar (not the embedder's per-batch bars)."""
        if not self._show_progress:
            return self._embedder.encode(texts, show_progress=False)
        from tqdm import tqdm

        parts = []
        with tqdm(
            total=len(texts),
            desc="Embedding passages, sentences, windows, headlines",
            unit="text",
            leave=True,
        ) as bar:
            for first in range(0, len(texts), _PROGRESS_SLICE):
                part = texts[first : first + _PROGRESS_SLICE]
                parts.append(self._embedder.encode(part, show_progress=False))
                bar.update(len(part))
        return np.concatenate(parts) if parts else self._embedder.encode(texts)


@contextlib.contextmanager
def _stages(embedder: Embedder, ray: RaySettings | None, show_progress: bool) -> Iterator[_Stages]:
    if ray is None:
        yield _LocalStages(embedder, show_progress)
        return
    from qa_bot.index.ray_build import ray_stages

    with ray_stages(ray, embedder, show_progress=show_progress) as stages:
        yield stages


def corpus_metadata_hash(corpus: CorpusLoad) -> str:
    """A hash of every document's title and metadata.

    File hashes alone miss an edited metadata sidecar, which changes titles without touching
    the articles.
    """
    data = [(d.doc_id, d.title, sorted(d.metadata.items())) for d in corpus.documents]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode("utf-8")).hexdigest()


def _settings_key(settings: IndexSettings, embedder: Embedder) -> dict[str, Any]:
    return {"settings": settings.to_json(), "model": embedder.model_id}


def corpus_folder(corpus_dir: str | Path) -> Path:
    """A corpus folder as the manifest records it: absolute, symlinks resolved."""
    return Path(corpus_dir).expanduser().resolve()


def check_corpus_folder(index_dir: str | Path, corpus_dir: str | Path) -> None:
    """Refuse to build an index from another folder than the one it was built from.

    An index with no readable manifest, or one that records no folder (written before qa_bot
    recorded it), accepts any folder.

    Raises:
        CorpusMismatchError: the index records another corpus folder.
    """
    try:
        recorded = recorded_corpus(read_manifest(index_dir))
    except QABotError:
        return
    if recorded is not None and recorded != corpus_folder(corpus_dir):
        raise CorpusMismatchError(
            f"the index in {index_dir} was built from {recorded}, not {corpus_dir}; "
            f"use --force to rebuild it from {corpus_dir}, or another --index-dir"
        )


def is_fresh(
    index_dir: Path,
    corpus: CorpusLoad,
    embedder: Embedder,
    settings: IndexSettings,
    folder: Path | None = None,
) -> bool:
    """True when the live index was built from these files with this model and settings (and,
    when ``folder`` is given, records that corpus folder)."""
    try:
        manifest = read_manifest(index_dir)
    except QABotError:
        return False
    return bool(
        manifest.get("format_version") == FORMAT_VERSION
        and (folder is None or recorded_corpus(manifest) == folder)
        and manifest.get("corpus", {}).get("files") == corpus.file_hashes
        and manifest.get("corpus", {}).get("metadata") == corpus_metadata_hash(corpus)
        and manifest.get("build_key") == _settings_key(settings, embedder)
    )


def _verified(index_dir: Path) -> IndexStore | None:
    """The live index if it loads and passes its checks (a damaged one is rebuilt, not reused)."""
    try:
        return load_index(index_dir)
    except QABotError:
        return None


def _previous_vectors(
    index_dir: Path, embedder: Embedder
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Vectors of the live index by passage id and by sentence, window or headline text hash."""
    try:
        store = load_index(index_dir, embedder, verify_model=False)
    except QABotError:
        return {}, {}
    try:
        if store.model_id != embedder.model_id:
            return {}, {}
        # Whole matrices: memory-mapped files, or (Milvus) fetched from the store; a build holds
        # every vector of the new version in memory anyway.
        return _vectors_by_key(store)
    except (VectorStoreError, KeyError, OSError, ValueError):  # unreadable: embed them again
        return {}, {}
    finally:
        store.close()


def _vectors_by_key(store: IndexStore) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    passage_vectors = store.passage_vectors
    by_passage = {p.passage_id: passage_vectors[i] for i, p in enumerate(store.passages)}
    sentence_vectors, window_vectors = store.sentence_vectors, store.window_vectors
    by_text: dict[str, np.ndarray] = {}
    texts: dict[int, tuple[list[str], list[str]]] = {}  # per passage, computed once
    for row, (p_idx, s_idx) in enumerate(store.sentence_rows):
        if int(p_idx) not in texts:
            passage = store.passages[int(p_idx)]
            texts[int(p_idx)] = (passage.sentence_texts(), passage.sentence_windows())
        sentences, windows = texts[int(p_idx)]
        by_text[_text_key(sentences[int(s_idx)])] = sentence_vectors[row]
        by_text[_text_key(windows[int(s_idx)])] = window_vectors[row]
    for info, vector in zip(store.documents.values(), store.title_vectors, strict=True):
        by_text[_text_key(info.title)] = vector
    return by_passage, by_text


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _embed_with_cache(
    jobs: Sequence[tuple[list[str], list[str], dict[str, np.ndarray]]],
    embedder: Embedder,
    stages: _Stages,
) -> list[tuple[np.ndarray, int]]:
    """Each job's ``(texts, keys, cache)`` vectors and how many were embedded.

    What no cache has is embedded in one call for all jobs: one pass over the model (on Ray,
    one actor pool, each actor loading the model once).
    """
    missing = [
        sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
        for texts, keys, cache in jobs
    ]
    todo = [text for job in missing for _, text in job]
    vectors = stages.encode(todo) if todo else np.zeros((0, embedder.dimension), np.float32)
    at = 0
    for job, (_, _, cache) in zip(missing, jobs, strict=True):
        for (key, _), vector in zip(job, vectors[at : at + len(job)], strict=True):
            cache[key] = vector
        at += len(job)
    return [
        (
            np.stack([cache[k] for k in keys]).astype(np.float32)
            if keys
            else np.zeros((0, embedder.dimension), dtype=np.float32),
            len(job),
        )
        for job, (_, keys, cache) in zip(missing, jobs, strict=True)
    ]


def build_index(
    corpus_dir: str | Path,
    index_dir: str | Path,
    embedder: Embedder,
    *,
    settings: IndexSettings | None = None,
    force: bool = False,
    replace_corpus: bool = False,
    show_progress: bool = False,
    ray: RaySettings | None = None,
) -> BuildReport:
    """Build (or reuse, or update) the index of a corpus folder.

    Unchanged corpus, model and settings: the live index is reused as it is. Otherwise a new
    version is written, re-embedding only passages and sentences the live index does not have.
    The manifest records the corpus folder (``corpus.folder``): an index belongs to its folder,
    and building it from another one is refused unless ``replace_corpus`` (or ``force``).

    An index of the bundled model also gets the ONNX export that answers its questions
    without torch (``onnx_embedding.ensure_export``): checked by hash and reused when it is
    there, exported (while torch is loaded for the build anyway) when it is not.

    With ``ray``, reading and cleaning the files, chunking and embedding run on a Ray cluster
    (:mod:`qa_bot.index.ray_build`); everything else, and the result, is the same.

    Raises:
        CorpusError: the corpus folder is missing, empty or has nothing readable.
        CorpusMismatchError: the index was built from another folder (and neither
            ``replace_corpus`` nor ``force``).
        ModelLoadError: the embedding model cannot be loaded, or its ONNX export fails.
        ClusterError: ``ray`` is given but not installed, or its cluster cannot be reached.
        VectorStoreError: ``settings`` choose Milvus but pymilvus is not installed or the
            Milvus does not answer (checked before anything is embedded).
    """
    with _stages(embedder, ray, show_progress) as stages:
        return _build(
            corpus_dir, Path(index_dir), embedder, settings or IndexSettings(), stages,
            force=force, replace_corpus=replace_corpus,
        )  # fmt: skip


def _build(
    corpus_dir: str | Path,
    index_dir: Path,
    embedder: Embedder,
    settings: IndexSettings,
    stages: _Stages,
    *,
    force: bool,
    replace_corpus: bool,
) -> BuildReport:
    started = time.perf_counter()
    folder = corpus_folder(corpus_dir)
    if not (force or replace_corpus):
        check_corpus_folder(index_dir, corpus_dir)  # before reading a big folder for nothing
    check_store(settings)  # a missing pymilvus or a Milvus that does not answer: before embedding
    corpus = stages.load_corpus(corpus_dir)
    with _build_lock(index_dir):
        _remove_leftovers(index_dir)
        if not (force or replace_corpus):
            check_corpus_folder(index_dir, corpus_dir)  # another build may have finished
        fresh = not force and is_fresh(index_dir, corpus, embedder, settings, folder)
        live = _verified(index_dir) if fresh else None
        if live is not None:
            exported = _query_model(embedder, verify=False)
            counts = live.manifest["counts"]
            collapsed_groups = tuple(
                (info.doc_id, tuple(c.doc_id for c in info.copies))
                for info in live.documents.values()
                if info.copies
            )
            return BuildReport(
                "reused",
                str(index_dir),
                counts["documents"],
                counts["passages"],
                counts["sentences"],
                0,
                0,
                corpus.skipped,
                time.perf_counter() - started,
                store=live,
                duplicates=collapsed_groups,
                exported_query_model=exported,
            )
        embedder.warm_up()
        passage_cache, sentence_cache = (
            ({}, {}) if force else _previous_vectors(index_dir, embedder)
        )
        had_previous = bool(passage_cache)
        passages: list[Passage] = []
        seen: set[str] = set()
        groups = (
            find_duplicates(corpus.documents, threshold=settings.duplicate_threshold)
            if settings.duplicate_threshold is not None
            else ()
        )
        collapsed = {copy.doc_id for group in groups for copy in group.copies}
        documents = [d for d in corpus.documents if d.doc_id not in collapsed]
        for chunks in stages.chunk(documents, settings.chunker):
            for passage in chunks:
                if passage.passage_id not in seen:
                    seen.add(passage.passage_id)
                    passages.append(passage)
        rows = [(i, j) for i, p in enumerate(passages) for j in range(len(p.sentences))]
        sentence_texts = [passages[i].sentence_texts()[j] for i, j in rows]
        window_texts = [passages[i].sentence_windows()[j] for i, j in rows]
        titles = [d.title for d in documents]
        # Sentences, windows and titles share one cache keyed by their text.
        texts = sentence_texts + window_texts + titles
        text_keys = [_text_key(t) for t in texts]
        new_sentences = len(
            {k for k in text_keys[: len(sentence_texts)] if k not in sentence_cache}
        )
        (passage_vectors, embedded_p), (text_vectors, embedded_s) = _embed_with_cache(
            [
                ([p.text for p in passages], [p.passage_id for p in passages], passage_cache),
                (texts, text_keys, sentence_cache),
            ],
            embedder,
            stages,
        )
        # Before the new version goes live: a failed export leaves the previous one serving.
        exported = _query_model(embedder, verify=True)
        n = len(sentence_texts)
        built = _Built(
            passages=passages,
            passage_vectors=passage_vectors,
            sentence_rows=np.asarray(rows, dtype=np.int32).reshape(-1, 2),
            sentence_texts=sentence_texts,
            sentence_vectors=text_vectors[:n],
            window_vectors=text_vectors[n : 2 * n],
            title_vectors=text_vectors[2 * n :],
        )
        version = _write_version(
            index_dir, corpus, folder, documents, groups, built, embedder, settings
        )
        kept = _switch(index_dir, version)
        # The vector store's collections of removed versions (and of killed builds). Best effort:
        # the new version is live already, and the next build prunes what this one could not.
        with contextlib.suppress(VectorStoreError):
            prune_stores(settings, index_dir, kept)
    return BuildReport(
        "updated" if had_previous else "built",
        str(index_dir),
        len(documents),
        len(passages),
        len(rows),
        embedded_p,
        embedded_s,
        corpus.skipped,
        time.perf_counter() - started,
        duplicates=tuple((g.kept.doc_id, tuple(c.doc_id for c in g.copies)) for g in groups),
        new_sentences=new_sentences,
        exported_query_model=exported,
    )


def _query_model(embedder: Embedder, *, verify: bool) -> Path | None:
    """Make sure the bundled model's ONNX export (the query path) exists; its path when it was
    exported now. ``verify`` re-hashes the weights and the export (a real build; a reused
    index only checks that the export is there)."""
    if embedder.model_id != BUNDLED_MODEL_ID:
        return None
    path, exported = ensure_export(bundled_model_path(), verify=verify)
    return path if exported else None


def update_from_recorded_corpus(
    index_dir: str | Path, embedder: Embedder, *, show_progress: bool = False
) -> BuildReport | None:
    """Update an index from the corpus folder its manifest records, with the model and settings
    it was built with: ``"reused"`` when that folder is unchanged, ``"updated"`` when it
    changed. ``None`` when the index records no folder or the folder no longer exists (the
    index is then served as built). The index itself is never rebuilt from any other folder.

    Raises:
        IndexNotFoundError: no index in ``index_dir``.
        IndexCorruptError: its manifest cannot be read.
        CorpusError: the recorded folder now holds nothing readable.
    """
    manifest = read_manifest(index_dir)
    folder = recorded_corpus(manifest)
    if folder is None or not folder.is_dir():
        return None
    try:
        settings = IndexSettings.from_json(manifest["settings"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise IndexCorruptError(f"the manifest in {index_dir} has bad settings: {exc}") from exc
    started = time.perf_counter()
    corpus = load_corpus(folder)
    if is_fresh(Path(index_dir), corpus, embedder, settings, folder):
        # Only the manifest is read: the caller has loaded (and verified) the index already.
        counts = manifest.get("counts", {})
        return BuildReport(
            "reused", str(index_dir), counts.get("documents", 0), counts.get("passages", 0),
            counts.get("sentences", 0), 0, 0, corpus.skipped, time.perf_counter() - started,
        )  # fmt: skip
    return build_index(folder, index_dir, embedder, settings=settings, show_progress=show_progress)


@dataclass(frozen=True)
class _Built:
    """Everything a build computed, before it is written."""

    passages: list[Passage]
    passage_vectors: np.ndarray
    sentence_rows: np.ndarray
    sentence_texts: list[str]
    sentence_vectors: np.ndarray
    window_vectors: np.ndarray
    title_vectors: np.ndarray


def _write_version(
    index_dir: Path,
    corpus: CorpusLoad,
    folder: Path,
    documents: list[Document],
    groups: tuple[DuplicateGroup, ...],
    built: _Built,
    embedder: Embedder,
    settings: IndexSettings,
) -> Path:
    import bm25s

    name = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir(parents=True)
    copies = {g.kept.doc_id: g.copies for g in groups}
    _write_json(
        tmp / "documents.json",
        [
            {**_document_json(d), "copies": [_document_json(c) for c in copies[d.doc_id]]}
            if d.doc_id in copies
            else _document_json(d)
            for d in documents
        ],
    )
    _write_json(tmp / "passages.json", [_passage_json(p) for p in built.passages])
    np.save(tmp / "sentences.npy", built.sentence_rows, allow_pickle=False)
    # The vector store's collections (FAISS: passages.faiss, sentences.faiss in the folder);
    # the vectors it does not return by row go into .npy files (memory-mapped when loaded).
    vectors = {
        PASSAGES: built.passage_vectors,
        SENTENCES: built.sentence_vectors,
        WINDOWS: built.window_vectors,
        TITLES: built.title_vectors,
    }
    with create_store(settings, tmp, name, index_dir) as store:
        for collection in store.collections:
            store.add(collection, vectors[collection])
        if not store.holds_vectors:
            for collection, file in VECTOR_FILES.items():
                np.save(tmp / file, vectors[collection], allow_pickle=False)
        vector_store = store.save(tmp)
    unchecked = unchecked_paths(vector_store)
    # BM25 over sentences, not passages: evidence lives in sentences, and a passage's keyword
    # score is its best sentence's (measured better on the question set than passage BM25).
    bm25 = bm25s.BM25()
    bm25.index(bm25_tokens(built.sentence_texts), show_progress=False)
    bm25.save(str(tmp / "bm25"), show_progress=False)
    files = {
        str(path.relative_to(tmp)): sha256_file(path)
        for path in sorted(tmp.rglob("*"))
        if path.is_file() and path.relative_to(tmp).parts[0] not in unchecked
    }
    manifest = {
        "format_version": FORMAT_VERSION,
        "qa_bot_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": {
            "id": embedder.model_id,
            "dimension": int(embedder.dimension),
            "max_tokens": int(embedder.max_tokens),
            "fingerprint": fingerprint(embedder),
        },
        "settings": settings.to_json(),
        "build_key": _settings_key(settings, embedder),
        "corpus": {
            "folder": str(folder),
            "files": corpus.file_hashes,
            "metadata": corpus_metadata_hash(corpus),
        },
        "counts": {
            "documents": len(documents),
            "passages": len(built.passages),
            "sentences": int(built.sentence_rows.shape[0]),
        },
        "files": files,
        "vector_store": vector_store,
    }
    _write_json(tmp / MANIFEST, manifest)
    _fsync_tree(tmp)
    final = index_dir / name
    os.replace(tmp, final)
    return final


def _switch(index_dir: Path, version: Path) -> set[str]:
    """Make ``version`` live; the names of the versions kept (it and the one it replaced)."""
    pointer_tmp = index_dir / f".{CURRENT}.tmp"
    with pointer_tmp.open("w", encoding="utf-8") as handle:
        handle.write(version.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    previous = current_version(index_dir) if (index_dir / CURRENT).exists() else None
    os.replace(pointer_tmp, index_dir / CURRENT)
    fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    # Keep the version just replaced (a reader may still be loading it); drop older ones.
    keep = {version.name} | ({previous.name} if previous else set())
    for old in index_dir.glob("v-*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    return keep


def _document_json(document: Document) -> dict[str, Any]:
    return {
        "doc_id": document.doc_id,
        "title": document.title,
        "source_path": document.source_path,
        "metadata": dict(document.metadata),
    }


def _passage_json(passage: Passage) -> dict[str, Any]:
    return {
        "passage_id": passage.passage_id,
        "doc_id": passage.doc_id,
        "title": passage.title,
        "text": passage.text,
        "start": passage.start,
        "end": passage.end,
        "sentences": [[s.start, s.end] for s in passage.sentences],
    }
