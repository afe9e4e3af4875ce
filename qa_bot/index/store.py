"""The stored index: what lives in ``embeddings/``, and loading and verifying it.

Layout of an index folder::

    embeddings/
      CURRENT            name of the live version folder (replaced atomically)
      v-<stamp>/         one complete build: manifest.json, documents.json, passages.json,
                         sentences.npy, bm25/ (bm25s index over the sentences), and the
                         vectors: for FAISS (the default) passage_vectors.npy,
                         sentence_vectors.npy, window_vectors.npy, title_vectors.npy,
                         passages.faiss and sentences.faiss; for Milvus nothing (the vectors
                         are all in Milvus) or, without a URI, vectors.db (a Milvus Lite
                         file; see qa_bot.index.ann)

What stays in memory: the texts (documents, passages), BM25 and, for FAISS, the two FAISS
indexes that are searched. The ``.npy`` vector files are memory-mapped, so only the pages of
the rows a query scores become resident (and the OS can drop them again); a Milvus-backed index
fetches those rows from Milvus instead (``IndexStore.fetch``).

Building, writing and switching versions is in :mod:`qa_bot.index.build`, which imports this
module (never the other way). Nothing is pickled. Loading checks the format version,
every file's checksum and the counts, and that the embedder is the one the index was built with
(by id and by the fingerprint of its weights).

Thread-safety: a loaded ``IndexStore`` is read-only and safe to share between threads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
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
from qa_bot.index.ann.base import PASSAGES, SENTENCES, TITLES, WINDOWS, VectorStore
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
# The vector file of each collection (a store that ``holds_vectors`` writes none of them).
VECTOR_FILES = {
    PASSAGES: "passage_vectors.npy",
    SENTENCES: "sentence_vectors.npy",
    WINDOWS: "window_vectors.npy",
    TITLES: "title_vectors.npy",
}


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
    """A loaded, verified index. Read-only.

    Vectors are read by row with ``fetch``: from ``arrays`` (the version's ``.npy`` files,
    memory-mapped read-only) or, for the collections without a file, from the vector store
    (Milvus). Row i of ``passages`` is passage row i; row i of ``titles`` is the title of the
    i-th document of ``documents``; row i of ``sentences`` and ``windows`` is sentence
    ``sentence_rows[i, 1]`` of passage ``sentence_rows[i, 0]`` (the window: that sentence with
    its neighbours).
    """

    path: Path
    manifest: dict[str, Any]
    documents: dict[str, DocumentInfo]
    passages: tuple[Passage, ...]
    # The vector files of the version by collection (PASSAGES, ...), memory-mapped.
    arrays: Mapping[str, np.ndarray]
    sentence_rows: np.ndarray  # memory-mapped too (sentences.npy)
    # The passage and sentence vectors (and for Milvus every vector) where they are searched.
    vectors: VectorStore
    bm25: Any

    def fetch(self, name: str, ids: np.ndarray) -> np.ndarray:
        """The vectors of rows ``ids`` of collection ``name`` (PASSAGES, SENTENCES, WINDOWS,
        TITLES) in the order of ``ids``: a float32 matrix in memory, whatever holds them."""
        array = self.arrays.get(name)
        if array is None:
            return self.vectors.fetch(name, ids)
        return np.asarray(array[np.asarray(ids, dtype=np.int64)], dtype=np.float32)

    def matrix(self, name: str) -> np.ndarray:
        """All vectors of a collection: the memory-mapped file, or (Milvus) every row fetched
        into memory. For an incremental build's reuse and for tests, not for queries."""
        array = self.arrays.get(name)
        if array is not None:
            return array
        return self.vectors.fetch(name, np.arange(self.vectors.count(name), dtype=np.int64))

    @property
    def passage_vectors(self) -> np.ndarray:
        return self.matrix(PASSAGES)

    @property
    def sentence_vectors(self) -> np.ndarray:
        return self.matrix(SENTENCES)

    @property
    def window_vectors(self) -> np.ndarray:
        return self.matrix(WINDOWS)

    @property
    def title_vectors(self) -> np.ndarray:
        return self.matrix(TITLES)

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
        for passages in by_document.values():
            passages.sort(key=lambda p: p.start)
        return by_document

    def document_passages(self, doc_id: str) -> tuple[Passage, ...]:
        """The passages of the article ``doc_id`` in text order; none if unknown."""
        return tuple(self._passages_by_document.get(doc_id, ()))

    def first_passage(self, doc_id: str) -> Passage | None:
        """The passage that opens the article ``doc_id``; ``None`` if unknown."""
        passages = self._passages_by_document.get(doc_id)
        return passages[0] if passages else None

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
        sentence_rows = _mmap(version / "sentences.npy")
        bm25 = bm25s.BM25.load(str(version / "bm25"), show_progress=False, allow_pickle=False)
        vectors = open_store(version, manifest.get("vector_store"))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorruptError(f"cannot read index {version}: {exc}") from exc
    try:
        arrays = _vector_arrays(version, manifest, vectors)
        _check_counts(version, manifest, documents, passages, vectors, bm25, arrays, sentence_rows)
    except BaseException:
        vectors.close()
        raise
    return IndexStore(version, manifest, documents, passages, arrays, sentence_rows, vectors, bm25)


def _mmap(path: Path) -> np.ndarray:
    """A ``.npy`` file memory-mapped read-only (an empty one read: there is nothing to map)."""
    array: np.ndarray = np.load(path, mmap_mode="r", allow_pickle=False)
    if array.size == 0:
        array = np.load(path, allow_pickle=False)
    return array


def _vector_arrays(
    version: Path, manifest: dict[str, Any], vectors: VectorStore
) -> dict[str, np.ndarray]:
    """The memory-mapped vector file of each collection the vector store does not return.

    Raises:
        IndexCorruptError: a collection is neither in a file nor in the store, or unreadable.
    """
    arrays: dict[str, np.ndarray] = {}
    for name, file in VECTOR_FILES.items():
        if file in manifest["files"]:  # FAISS, or Milvus indexes built before titles moved
            try:
                arrays[name] = _mmap(version / file)
            except (OSError, ValueError) as exc:
                raise IndexCorruptError(f"cannot read index {version}: {exc}") from exc
        elif not (vectors.holds_vectors and vectors.holds(name)):
            raise IndexCorruptError(f"index {version} has no {name} vectors (no {file})")
    return arrays


def _check_counts(
    version: Path,
    manifest: dict[str, Any],
    documents: dict[str, DocumentInfo],
    passages: tuple[Passage, ...],
    vectors: VectorStore,
    bm25: Any,
    arrays: dict[str, np.ndarray],
    sentence_rows: np.ndarray,
) -> None:
    """Every count of a loaded index against the manifest's.

    Raises:
        IndexCorruptError: a count differs, or the passage vectors have another dimension.
    """
    counts = manifest["counts"]
    dim = manifest["model"].get("dimension")
    if any(not isinstance(counts.get(k), int) for k in ("documents", "passages", "sentences")):
        raise IndexCorruptError(f"the manifest of {version} has bad counts: {counts}")
    expected = {
        PASSAGES: counts["passages"],
        SENTENCES: counts["sentences"],
        WINDOWS: counts["sentences"],
        TITLES: counts["documents"],
    }
    singular = {PASSAGES: "passage", SENTENCES: "sentence", WINDOWS: "window", TITLES: "title"}
    problems = [
        (len(documents), counts["documents"], "documents"),
        (len(passages), counts["passages"], "passages"),
        *((array.shape[0], expected[n], f"{singular[n]} vectors") for n, array in arrays.items()),
        *(
            (vectors.count(n), expected[n], f"{singular[n]} index entries")
            for n in expected
            if vectors.holds(n)
        ),
        (sentence_rows.shape[0], counts["sentences"], "sentence rows"),
        (_bm25_size(bm25), counts["sentences"], "BM25 documents"),
        (sum(len(p.sentences) for p in passages), counts["sentences"], "passage sentences"),
    ]
    for found, wanted, what in problems:
        if found != wanted:
            raise IndexCorruptError(
                f"index {version} is inconsistent: {found} {what}, manifest says {wanted}"
            )
    passage_vectors = arrays.get(PASSAGES)
    if passage_vectors is not None and (
        passage_vectors.ndim != 2 or (len(passages) and passage_vectors.shape[1] != dim)
    ):
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
