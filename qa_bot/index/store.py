"""The stored index: what lives in ``embeddings/``, and loading and verifying it.

Layout of an index folder::

    embeddings/
      CURRENT            name of the live version folder (replaced atomically)
      v-<stamp>/         one complete build: manifest.json, documents.json, passages.json,
                         passage_vectors.npy, sentence_vectors.npy, window_vectors.npy,
                         sentences.npy, title_vectors.npy, bm25/ (bm25s index over the
                         sentences), and the vector store's files: passages.faiss and
                         sentences.faiss (FAISS, the default) or, for Milvus without a URI,
                         vectors.db (a Milvus Lite file; see qa_bot.index.ann)

Building, writing and switching versions is in :mod:`qa_bot.index.build`, which imports this
module (never the other way). Nothing is pickled. Loading checks the format version,
every file's checksum and the counts, and that the embedder is the one the index was built with
(by id and by the fingerprint of its weights).

Thread-safety: a loaded ``IndexStore`` is read-only and safe to share between threads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from qa_bot.errors import (
    IndexCorruptError,
    IndexNotFoundError,
    IndexVersionError,
    ModelMismatchError,
)
from qa_bot.index.ann.base import PASSAGES, SENTENCES, WINDOWS, VectorStore
from qa_bot.index.ann.factory import open_store
from qa_bot.index.checksums import sha256_file
from qa_bot.index.embedding import Embedder, fingerprint
from qa_bot.models import Passage, Span

# 2: title vectors and a sentence-level BM25 index (1 had passage-level BM25).
# 3: sentence window vectors (each sentence with its neighbours).
FORMAT_VERSION = 3
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
FINGERPRINT_TOLERANCE = 1e-3


@dataclass(frozen=True)
class DocumentInfo:
    """What the index keeps of a document besides its passages.

    ``copies`` are the near-duplicates of the document (the same story from other outlets, or
    the page saved again): not indexed, named on its citations (``also_published``).
    """

    doc_id: str
    title: str
    source_path: str
    metadata: dict[str, str]
    copies: tuple[DocumentInfo, ...] = ()

    @property
    def also_published(self) -> tuple[str, ...]:
        """Who else published it: each copy's outlet, or its file (``doc_id``, the path in the
        corpus) when the outlet is unknown or this document's own (a page saved twice); each
        name once."""
        own = self.metadata.get("outlet")
        labels = (
            outlet if (outlet := c.metadata.get("outlet")) and outlet != own else c.doc_id
            for c in self.copies
        )
        return tuple(dict.fromkeys(labels))


@dataclass(frozen=True)
class Article:
    """A whole cleaned article as the index holds it: its passages in order, overlaps merged.

    ``offsets[passage_id]`` is where that passage's text starts in ``text``, so a span of a
    passage (a citation's ``start``/``end``) is ``offsets[passage_id] + start`` in the article.
    The index keeps where each passage starts and ends in the article but not the white space
    between two passages that do not overlap: a one-character gap (between two sentences of a
    paragraph) comes back as a space, a longer one (a paragraph break) as a blank line. A
    passage repeating an earlier one's text was never indexed, so the article lacks it.
    """

    doc_id: str
    title: str
    text: str
    offsets: dict[str, int]

    def span(self, passage_id: str, start: int, end: int) -> tuple[int, int] | None:
        """A span of a passage as a span of the article; ``None`` for a passage not in it."""
        base = self.offsets.get(passage_id)
        return None if base is None else (base + start, base + end)


def assemble_article(doc_id: str, title: str, passages: Iterable[Passage]) -> Article:
    """The article ``doc_id`` put back together from its passages (see ``Article``)."""
    parts: list[str] = []
    offsets: dict[str, int] = {}
    length = 0  # of the text so far
    doc_end = None  # the document offset the text so far ends at
    for passage in sorted((p for p in passages if p.doc_id == doc_id), key=lambda p: p.start):
        if doc_end is not None and passage.start < doc_end:  # overlaps the text so far
            offsets[passage.passage_id] = length - (doc_end - passage.start)
            tail = passage.text[doc_end - passage.start :]
        else:
            if doc_end is not None:
                gap = " " if passage.start - doc_end == 1 else "\n\n"
                parts.append(gap)
                length += len(gap)
            offsets[passage.passage_id] = length
            tail = passage.text
        parts.append(tail)
        length += len(tail)
        doc_end = max(doc_end or 0, passage.end)
    return Article(doc_id, title, "".join(parts), offsets)


@dataclass(frozen=True)
class IndexStore:
    """A loaded, verified index. Read-only."""

    path: Path
    manifest: dict[str, Any]
    documents: dict[str, DocumentInfo]
    passages: tuple[Passage, ...]
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray
    # Row i of window_vectors is the window (previous, sentence, next) of sentence row i.
    window_vectors: np.ndarray
    title_vectors: np.ndarray  # row i is the title of the i-th document of ``documents``
    # Row i of sentence_vectors is sentence sentence_rows[i, 1] of passage sentence_rows[i, 0].
    sentence_rows: np.ndarray
    # The passage and sentence vectors (and for Milvus the windows) where they are searched.
    vectors: VectorStore
    bm25: Any

    @property
    def model_id(self) -> str:
        return str(self.manifest["model"]["id"])

    def close(self) -> None:
        """Release the vector store's connection (a no-op for FAISS)."""
        self.vectors.close()

    @cached_property
    def _passages_by_document(self) -> dict[str, list[Passage]]:
        by_document: dict[str, list[Passage]] = {}
        for passage in self.passages:
            by_document.setdefault(passage.doc_id, []).append(passage)
        return by_document

    def article(self, doc_id: str) -> Article | None:
        """The whole cleaned article ``doc_id`` from its indexed passages; ``None`` if unknown."""
        info = self.documents.get(doc_id)
        if info is None:
            return None
        return assemble_article(doc_id, info.title, self._passages_by_document.get(doc_id, ()))


# ---------------------------------------------------------------- helpers


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


def _no_index(index_dir: str | Path) -> IndexNotFoundError:
    """The error for a folder without an index, naming it in full and what to do next."""
    where = Path(index_dir).resolve()
    return IndexNotFoundError(
        f"no index in {where}: build one with `qa-bot index FOLDER --index-dir {where}`, "
        "or pass --index-dir with the folder of an existing index"
    )


def read_manifest(index_dir: str | Path) -> dict[str, Any]:
    """The live version's manifest, read without loading or verifying the index."""
    version = current_version(Path(index_dir))
    if version is None:
        raise _no_index(index_dir)
    try:
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"cannot read the manifest of {version}: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("model"), dict):
        raise IndexCorruptError(f"the manifest of {version} is incomplete")
    return manifest


def recorded_corpus(manifest: dict[str, Any]) -> Path | None:
    """The corpus folder an index was built from (absolute), or None when the manifest records
    none (indexes written before qa_bot recorded it)."""
    corpus = manifest.get("corpus")
    folder = corpus.get("folder") if isinstance(corpus, dict) else None
    return Path(folder) if isinstance(folder, str) and folder else None


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
        raise _no_index(index_dir)
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
        check_model(version, manifest, embedder, check_weights=verify_model)
    try:
        documents = {
            d["doc_id"]: _document_info(d)
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
        window_vectors = np.load(version / "window_vectors.npy", allow_pickle=False)
        title_vectors = np.load(version / "title_vectors.npy", allow_pickle=False)
        sentence_rows = np.load(version / "sentences.npy", allow_pickle=False)
        bm25 = bm25s.BM25.load(str(version / "bm25"), show_progress=False, allow_pickle=False)
        vectors = open_store(version, manifest.get("vector_store"))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorruptError(f"cannot read index {version}: {exc}") from exc
    try:
        _check_counts(version, manifest, documents, passages, vectors, bm25, {
            "passage vectors": passage_vectors, "sentence vectors": sentence_vectors,
            "window vectors": window_vectors, "sentence rows": sentence_rows,
            "title vectors": title_vectors,
        })  # fmt: skip
    except BaseException:
        vectors.close()
        raise
    return IndexStore(
        version,
        manifest,
        documents,
        passages,
        passage_vectors,
        sentence_vectors,
        window_vectors,
        title_vectors,
        sentence_rows,
        vectors,
        bm25,
    )


def _check_counts(
    version: Path,
    manifest: dict[str, Any],
    documents: dict[str, DocumentInfo],
    passages: tuple[Passage, ...],
    vectors: VectorStore,
    bm25: Any,
    arrays: dict[str, np.ndarray],
) -> None:
    """Every count of a loaded index against the manifest's.

    Raises:
        IndexCorruptError: a count differs, or the passage vectors have another dimension.
    """
    passage_vectors = arrays["passage vectors"]
    counts = manifest["counts"]
    dim = manifest["model"].get("dimension")
    if any(not isinstance(counts.get(k), int) for k in ("documents", "passages", "sentences")):
        raise IndexCorruptError(f"the manifest of {version} has bad counts: {counts}")
    problems = [
        (len(documents), counts["documents"], "documents"),
        (len(passages), counts["passages"], "passages"),
        (passage_vectors.shape[0], counts["passages"], "passage vectors"),
        (vectors.count(PASSAGES), counts["passages"], "passage index entries"),
        (arrays["sentence vectors"].shape[0], counts["sentences"], "sentence vectors"),
        (arrays["window vectors"].shape[0], counts["sentences"], "window vectors"),
        (arrays["sentence rows"].shape[0], counts["sentences"], "sentence rows"),
        (arrays["title vectors"].shape[0], counts["documents"], "title vectors"),
        (vectors.count(SENTENCES), counts["sentences"], "sentence index entries"),
        *(
            [(vectors.count(WINDOWS), counts["sentences"], "window index entries")]
            if WINDOWS in vectors.collections
            else []
        ),
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


def _document_info(data: dict[str, Any]) -> DocumentInfo:
    return DocumentInfo(
        data["doc_id"],
        data["title"],
        data["source_path"],
        data["metadata"],
        tuple(_document_info(c) for c in data.get("copies", ())),
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
        if sha256_file(path) != expected:
            raise IndexCorruptError(f"index file {path} is damaged (checksum mismatch)")


def check_model(
    version: Path, manifest: dict[str, Any], embedder: Embedder, *, check_weights: bool = True
) -> None:
    """Check that ``embedder`` is the model the index version was built with.

    Raises:
        ModelMismatchError: another model id, dimension or (``check_weights``) other weights.
        IndexCorruptError: the manifest's model entry is malformed.
    """
    try:
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
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexCorruptError(f"the manifest of {version} has a bad model entry: {exc}") from exc
