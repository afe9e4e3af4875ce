"""The stored index: build, save, load and verify what lives in ``embeddings/``.

Layout of an index folder::

    embeddings/
      CURRENT            name of the live version folder (replaced atomically)
      v-<stamp>/         one complete build: manifest.json, documents.json, passages.json,
                         passage_vectors.npy, sentence_vectors.npy, sentences.npy,
                         title_vectors.npy, passages.faiss, sentences.faiss,
                         bm25/ (bm25s index over the sentences)

A build writes a new version folder, fsyncs it, then swaps ``CURRENT`` with ``os.replace``: a
crash at any moment leaves the previous version live. Nothing is pickled. Loading checks the
format version, every file's checksum and the counts, and that the embedder is the one the
index was built with (by id and by the fingerprint of its weights).

Thread-safety: a loaded ``IndexStore`` is read-only and safe to share between threads.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa_bot import __version__
from qa_bot.chunking import Chunker, ChunkerSettings
from qa_bot.corpus import CorpusLoad, SkippedFile, load_corpus
from qa_bot.embedding import Embedder, fingerprint
from qa_bot.errors import (
    IndexCorruptError,
    IndexNotFoundError,
    IndexVersionError,
    ModelMismatchError,
    QABotError,
)
from qa_bot.models import Document, Passage, Span
from qa_bot.vectors import build_vector_index, read_vector_index, write_vector_index

# 2: title vectors and a sentence-level BM25 index (1 had passage-level BM25).
FORMAT_VERSION = 2
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
FINGERPRINT_TOLERANCE = 1e-3


@dataclass(frozen=True)
class IndexSettings:
    """How an index is built. ``ann`` is ``"flat"`` (exact) or ``"hnsw"`` (approximate)."""

    chunker: ChunkerSettings = field(default_factory=ChunkerSettings)
    ann: str = "flat"
    hnsw_m: int = 32
    hnsw_ef_search: int = 128

    def __post_init__(self) -> None:
        if self.ann not in ("flat", "hnsw"):
            raise ValueError(f"ann must be 'flat' or 'hnsw'. Currently, ann is {self.ann!r}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BuildReport:
    """What a build did. ``status`` is ``"built"``, ``"updated"`` or ``"reused"``."""

    status: str
    index_dir: str
    documents: int
    passages: int
    sentences: int
    embedded_passages: int
    embedded_sentences: int
    skipped: tuple[SkippedFile, ...]
    seconds: float


@dataclass(frozen=True)
class DocumentInfo:
    """What the index keeps of a document besides its passages."""

    doc_id: str
    title: str
    source_path: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class IndexStore:
    """A loaded, verified index. Read-only."""

    path: Path
    manifest: dict[str, Any]
    documents: dict[str, DocumentInfo]
    passages: tuple[Passage, ...]
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray
    title_vectors: np.ndarray  # row i is the title of the i-th document of ``documents``
    # Row i of sentence_vectors is sentence sentence_rows[i, 1] of passage sentence_rows[i, 0].
    sentence_rows: np.ndarray
    passage_index: Any
    sentence_index: Any
    bm25: Any

    @property
    def model_id(self) -> str:
        return str(self.manifest["model"]["id"])


# ---------------------------------------------------------------- helpers


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def current_version(index_dir: Path) -> Path | None:
    """The live version folder of an index, or None when there is none."""
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        return None
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{pointer} names no valid version folder ({exc})") from exc
    if not name or "/" in name or name.startswith("."):
        raise IndexCorruptError(f"{pointer} names no valid version folder")
    return index_dir / name


def _remove_leftovers(index_dir: Path) -> None:
    """Remove what a killed build left behind (called under the build lock)."""
    for stale in index_dir.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    (index_dir / f".{CURRENT}.tmp").unlink(missing_ok=True)


def read_manifest(index_dir: str | Path) -> dict[str, Any]:
    """The live version's manifest, read without loading or verifying the index."""
    version = current_version(Path(index_dir))
    if version is None:
        raise IndexNotFoundError(f"no index in {index_dir}")
    try:
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"cannot read the manifest of {version}: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("model"), dict):
        raise IndexCorruptError(f"the manifest of {version} is incomplete")
    return manifest


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


def bm25_tokens(texts: list[str]) -> list[list[str]]:
    """BM25 tokens: lower-cased words, English stop words out, Snowball-stemmed."""
    import bm25s
    import Stemmer

    stemmer = _stemmer(Stemmer)
    tokens = bm25s.tokenize(
        texts, stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False
    )
    return [list(t) for t in tokens]


_STEMMER: Any = None


def _stemmer(module: Any) -> Any:
    global _STEMMER
    if _STEMMER is None:
        _STEMMER = module.Stemmer("english")
    return _STEMMER


# ---------------------------------------------------------------- build


def corpus_metadata_hash(corpus: CorpusLoad) -> str:
    """A hash of every document's title and metadata.

    File hashes alone miss an edited metadata sidecar, which changes titles without touching
    the articles.
    """
    data = [(d.doc_id, d.title, sorted(d.metadata.items())) for d in corpus.documents]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode("utf-8")).hexdigest()


def _settings_key(settings: IndexSettings, embedder: Embedder) -> dict[str, Any]:
    return {"settings": settings.to_json(), "model": embedder.model_id}


def is_fresh(
    index_dir: Path, corpus: CorpusLoad, embedder: Embedder, settings: IndexSettings
) -> bool:
    """True when the live index was built from these files with this model and settings."""
    try:
        version = current_version(index_dir)
        if version is None:
            return False
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, QABotError):
        return False
    return bool(
        manifest.get("format_version") == FORMAT_VERSION
        and manifest.get("corpus", {}).get("files") == corpus.file_hashes
        and manifest.get("corpus", {}).get("metadata") == corpus_metadata_hash(corpus)
        and manifest.get("build_key") == _settings_key(settings, embedder)
    )


def _verifies(index_dir: Path) -> bool:
    """Whether the live index loads and passes its checks (a damaged one is rebuilt, not reused)."""
    try:
        load_index(index_dir)
    except QABotError:
        return False
    return True


def _previous_vectors(
    index_dir: Path, embedder: Embedder
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Vectors of the live index by passage id and by sentence text hash, for reuse."""
    try:
        store = load_index(index_dir, embedder, verify_model=False)
    except QABotError:
        return {}, {}
    if store.model_id != embedder.model_id:
        return {}, {}
    by_passage = {p.passage_id: store.passage_vectors[i] for i, p in enumerate(store.passages)}
    by_sentence: dict[str, np.ndarray] = {}
    for row, (p_idx, s_idx) in enumerate(store.sentence_rows):
        passage = store.passages[int(p_idx)]
        span = passage.sentences[int(s_idx)]
        by_sentence[_text_key(passage.text[span.start : span.end])] = store.sentence_vectors[row]
    return by_passage, by_sentence


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _embed_with_cache(
    texts: list[str],
    keys: list[str],
    cache: dict[str, np.ndarray],
    embedder: Embedder,
    show_progress: bool,
) -> tuple[np.ndarray, int]:
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    if missing:
        vectors = embedder.encode([t for _, t in missing], show_progress=show_progress)
        for (key, _), vector in zip(missing, vectors, strict=True):
            cache[key] = vector
    if not keys:
        return np.zeros((0, embedder.dimension), dtype=np.float32), 0
    return np.stack([cache[k] for k in keys]).astype(np.float32), len(missing)


def build_index(
    corpus_dir: str | Path,
    index_dir: str | Path,
    embedder: Embedder,
    *,
    settings: IndexSettings | None = None,
    force: bool = False,
    show_progress: bool = False,
) -> BuildReport:
    """Build (or reuse, or update) the index of a corpus folder.

    Unchanged corpus, model and settings: the live index is reused as it is. Otherwise a new
    version is written, re-embedding only passages and sentences the live index does not have.

    Raises:
        CorpusError: the corpus folder is missing, empty or has nothing readable.
        ModelLoadError: the embedding model cannot be loaded.
    """
    started = time.perf_counter()
    settings = settings or IndexSettings()
    index_dir = Path(index_dir)
    corpus = load_corpus(corpus_dir)
    with _build_lock(index_dir):
        _remove_leftovers(index_dir)
        if not force and is_fresh(index_dir, corpus, embedder, settings) and _verifies(index_dir):
            counts = read_manifest(index_dir)["counts"]
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
            )
        embedder.warm_up()
        passage_cache, sentence_cache = (
            ({}, {}) if force else _previous_vectors(index_dir, embedder)
        )
        had_previous = bool(passage_cache)
        chunker = Chunker(settings.chunker, model_token_count=embedder.count_tokens)
        passages: list[Passage] = []
        seen: set[str] = set()
        for document in corpus.documents:
            for passage in chunker.chunk(document):
                if passage.passage_id not in seen:
                    seen.add(passage.passage_id)
                    passages.append(passage)
        passage_vectors, embedded_p = _embed_with_cache(
            [p.text for p in passages],
            [p.passage_id for p in passages],
            passage_cache,
            embedder,
            show_progress,
        )
        rows = [(i, j) for i, p in enumerate(passages) for j in range(len(p.sentences))]
        sentence_texts = [passages[i].sentence_texts()[j] for i, j in rows]
        titles = [d.title for d in corpus.documents]
        # Titles share the text-keyed cache with sentences: both are short texts embedded alone.
        text_vectors, embedded_s = _embed_with_cache(
            sentence_texts + titles,
            [_text_key(t) for t in sentence_texts + titles],
            sentence_cache,
            embedder,
            show_progress,
        )
        built = _Built(
            passages=passages,
            passage_vectors=passage_vectors,
            sentence_rows=np.asarray(rows, dtype=np.int32).reshape(-1, 2),
            sentence_texts=sentence_texts,
            sentence_vectors=text_vectors[: len(sentence_texts)],
            title_vectors=text_vectors[len(sentence_texts) :],
        )
        version = _write_version(index_dir, corpus, built, embedder, settings)
        _switch(index_dir, version)
    return BuildReport(
        "updated" if had_previous else "built",
        str(index_dir),
        len(corpus.documents),
        len(passages),
        len(rows),
        embedded_p,
        embedded_s,
        corpus.skipped,
        time.perf_counter() - started,
    )


@dataclass(frozen=True)
class _Built:
    """Everything a build computed, before it is written."""

    passages: list[Passage]
    passage_vectors: np.ndarray
    sentence_rows: np.ndarray
    sentence_texts: list[str]
    sentence_vectors: np.ndarray
    title_vectors: np.ndarray


def _write_version(
    index_dir: Path,
    corpus: CorpusLoad,
    built: _Built,
    embedder: Embedder,
    settings: IndexSettings,
) -> Path:
    import bm25s

    name = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir(parents=True)
    _write_json(tmp / "documents.json", [_document_json(d) for d in corpus.documents])
    _write_json(tmp / "passages.json", [_passage_json(p) for p in built.passages])
    np.save(tmp / "passage_vectors.npy", built.passage_vectors, allow_pickle=False)
    np.save(tmp / "sentence_vectors.npy", built.sentence_vectors, allow_pickle=False)
    np.save(tmp / "sentences.npy", built.sentence_rows, allow_pickle=False)
    np.save(tmp / "title_vectors.npy", built.title_vectors, allow_pickle=False)
    for vectors, kind in (
        (built.passage_vectors, "passages"),
        (built.sentence_vectors, "sentences"),
    ):
        write_vector_index(build_vector_index(vectors, settings), tmp / f"{kind}.faiss")
    # BM25 over sentences, not passages: evidence lives in sentences, and a passage's keyword
    # score is its best sentence's (measured better on the question set than passage BM25).
    bm25 = bm25s.BM25()
    bm25.index(bm25_tokens(built.sentence_texts), show_progress=False)
    bm25.save(str(tmp / "bm25"), show_progress=False)
    files = {
        str(path.relative_to(tmp)): _sha256_file(path)
        for path in sorted(tmp.rglob("*"))
        if path.is_file()
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
        "corpus": {"files": corpus.file_hashes, "metadata": corpus_metadata_hash(corpus)},
        "counts": {
            "documents": len(corpus.documents),
            "passages": len(built.passages),
            "sentences": int(built.sentence_rows.shape[0]),
        },
        "files": files,
    }
    _write_json(tmp / MANIFEST, manifest)
    _fsync_tree(tmp)
    final = index_dir / name
    os.replace(tmp, final)
    return final


def _switch(index_dir: Path, version: Path) -> None:
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


# ---------------------------------------------------------------- load


def load_index(
    index_dir: str | Path, embedder: Embedder | None = None, *, verify_model: bool = True
) -> IndexStore:
    """Load and verify the live index of a folder.

    Raises:
        IndexNotFoundError: no index there.
        IndexVersionError: written in an unknown format version.
        IndexCorruptError: a file is missing, truncated, altered or the counts disagree.
        ModelMismatchError: ``embedder`` is not the model the index was built with.
    """
    import bm25s

    index_dir = Path(index_dir)
    version = current_version(index_dir)
    if version is None:
        raise IndexNotFoundError(
            f"no index in {index_dir} "
            f"(build one with: qa-bot index CORPUS_DIR --index-dir {index_dir})"
        )
    try:
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"cannot read the manifest of {version}: {exc}") from exc
    if not isinstance(manifest, dict):
        raise IndexCorruptError(f"the manifest of {version} is not a JSON object")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexVersionError(
            f"index format version {manifest.get('format_version')!r} in {version} is not "
            f"supported (this qa_bot reads version {FORMAT_VERSION}); rebuild it"
        )
    missing = [
        key for key in ("model", "counts", "files") if not isinstance(manifest.get(key), dict)
    ]
    if missing:
        raise IndexCorruptError(
            f"the manifest of {version} is incomplete (no {', '.join(missing)})"
        )
    _verify_files(version, manifest)
    if embedder is not None:
        try:
            _verify_model(manifest, embedder, check_weights=verify_model)
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexCorruptError(
                f"the manifest of {version} has a bad model entry: {exc}"
            ) from exc
    try:
        documents = {
            d["doc_id"]: DocumentInfo(d["doc_id"], d["title"], d["source_path"], d["metadata"])
            for d in json.loads((version / "documents.json").read_text(encoding="utf-8"))
        }
        passages = tuple(
            Passage(
                p["passage_id"],
                p["doc_id"],
                p["title"],
                p["text"],
                p["start"],
                p["end"],
                tuple(Span(s, e) for s, e in p["sentences"]),
            )
            for p in json.loads((version / "passages.json").read_text(encoding="utf-8"))
        )
        passage_vectors = np.load(version / "passage_vectors.npy", allow_pickle=False)
        sentence_vectors = np.load(version / "sentence_vectors.npy", allow_pickle=False)
        title_vectors = np.load(version / "title_vectors.npy", allow_pickle=False)
        sentence_rows = np.load(version / "sentences.npy", allow_pickle=False)
        passage_index = read_vector_index(version / "passages.faiss")
        sentence_index = read_vector_index(version / "sentences.faiss")
        bm25 = bm25s.BM25.load(str(version / "bm25"), show_progress=False, allow_pickle=False)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorruptError(f"cannot read index {version}: {exc}") from exc
    counts = manifest["counts"]
    dim = manifest["model"].get("dimension")
    if any(not isinstance(counts.get(k), int) for k in ("documents", "passages", "sentences")):
        raise IndexCorruptError(f"the manifest of {version} has bad counts: {counts}")
    problems = [
        (len(documents), counts["documents"], "documents"),
        (len(passages), counts["passages"], "passages"),
        (passage_vectors.shape[0], counts["passages"], "passage vectors"),
        (passage_index.ntotal, counts["passages"], "passage index entries"),
        (sentence_vectors.shape[0], counts["sentences"], "sentence vectors"),
        (sentence_rows.shape[0], counts["sentences"], "sentence rows"),
        (title_vectors.shape[0], counts["documents"], "title vectors"),
        (sentence_index.ntotal, counts["sentences"], "sentence index entries"),
        (_bm25_size(bm25), counts["sentences"], "BM25 documents"),
        (sum(len(p.sentences) for p in passages), counts["sentences"], "passage sentences"),
    ]
    for found, expected, what in problems:
        if found != expected:
            raise IndexCorruptError(
                f"index {version} is inconsistent: {found} {what}, manifest says {expected}"
            )
    if passage_vectors.ndim != 2 or (len(passages) and passage_vectors.shape[1] != dim):
        raise IndexCorruptError(f"index {version}: passage vectors are not of dimension {dim}")
    return IndexStore(
        version,
        manifest,
        documents,
        passages,
        passage_vectors,
        sentence_vectors,
        title_vectors,
        sentence_rows,
        passage_index,
        sentence_index,
        bm25,
    )


def _bm25_size(bm25: Any) -> int:
    scores = getattr(bm25, "scores", None)
    return int(scores.get("num_docs", -1)) if isinstance(scores, dict) else -1


def _verify_files(version: Path, manifest: dict[str, Any]) -> None:
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise IndexCorruptError(f"the manifest of {version} lists no files")
    for name, expected in files.items():
        path = version / name
        if not path.is_file():
            raise IndexCorruptError(f"index file {path} is missing")
        if _sha256_file(path) != expected:
            raise IndexCorruptError(f"index file {path} is damaged (checksum mismatch)")


def _verify_model(manifest: dict[str, Any], embedder: Embedder, *, check_weights: bool) -> None:
    model = manifest["model"]
    if model["id"] != embedder.model_id:
        raise ModelMismatchError(
            f"the index was built with model {model['id']!r}, not {embedder.model_id!r}; "
            "rebuild it or load it with its own model"
        )
    if int(model["dimension"]) != int(embedder.dimension):
        raise ModelMismatchError(
            f"the index has dimension {model['dimension']}, the model {embedder.dimension}"
        )
    if check_weights:
        expected = np.asarray(model["fingerprint"], dtype=np.float32)
        actual = np.asarray(fingerprint(embedder), dtype=np.float32)
        if expected.shape != actual.shape or float(np.max(np.abs(expected - actual))) > (
            FINGERPRINT_TOLERANCE
        ):
            raise ModelMismatchError(
                f"the model {embedder.model_id!r} has other weights than the one that built "
                "the index (fingerprint differs); rebuild the index"
            )
