"""The expensive stages of a build on a Ray cluster (``qa-bot index --ray``), as Ray Data.

``build_index(..., ray=RaySettings(...))`` runs the same build as a local one (same passages,
ids, reuse of the live index's vectors, written and switched in the same way by
:mod:`qa_bot.index.build`); only three stages run on the cluster, each a Ray Data pipeline
whose results come back to the driver:

1. read and clean the files: Ray tasks over the file list (``load_file`` of ingest);
2. chunk the documents: an actor pool, one embedding model (its tokenizer) per actor;
3. embed the texts the live index does not have: an actor pool, one model per actor, batched,
   one actor per CPU of the cluster (or ``RaySettings.workers``), one torch thread each.

Between them the driver does the cheap work that needs every document at once: the corpus
listing and hashes, near-duplicate detection, the freshness check and the vector cache.

Faults: Ray Data retries a task whose worker died and restarts a dead actor (its unfinished
batches are run again), so a killed worker costs time, not results. A killed driver leaves the
live index as it was (nothing is switched before every vector is back), and the next build
starts over.

Workers import ``qa_bot`` and load the model themselves: on a cluster every node needs qa_bot
and the model package installed (as for any Ray library); the driver passes its own ``qa_bot``
folder on ``PYTHONPATH`` and the offline Hugging Face settings in the job's runtime env, so a
cluster on this machine works from a source checkout too.

``ray`` is imported only inside these functions: the default install has no ray.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa_bot.errors import ClusterError, QABotError
from qa_bot.index.bundled_model import BUNDLED_MODEL_ID
from qa_bot.index.embedding import (
    HASH_SCHEME,
    ONNX_NAME,
    Embedder,
    HashEmbedder,
    SentenceTransformerEmbedder,
    load_embedder,
)
from qa_bot.ingest.chunking import Chunker, ChunkerSettings
from qa_bot.ingest.corpus import (
    CorpusLoad,
    assemble_corpus,
    list_corpus,
    load_file,
)
from qa_bot.models import Document, Passage

INSTALL_HINT = "pip install 'qa_bot[ray]'"
# Rows per block handed to a task or an actor: small enough to spread over every worker and to
# lose little work when one dies, big enough to keep the scheduling overhead small.
_FILES_PER_BLOCK = 32
_DOCS_PER_BLOCK = 16


@dataclass(frozen=True)
class RaySettings:
    """Where and how wide a distributed build runs.

    Args:
        address: ``None`` starts a local Ray instance for the build (and stops it after);
            ``"auto"`` joins the cluster this machine belongs to; ``"HOST:PORT"`` (the head's
            GCS) or ``"ray://HOST:10001"`` (Ray Client) joins that cluster. A driver already
            connected (``ray.init`` called before) uses its connection.
        workers: embedding and chunking actors; one per CPU of the cluster when None.
        batch_size: texts per embedding batch.
    """

    address: str | None = None
    workers: int | None = None
    batch_size: int = 64

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be greater than 0. Currently, it is {self.workers}")
        if self.batch_size < 1:
            raise ValueError(
                f"batch_size must be greater than 0. Currently, it is {self.batch_size}"
            )


def embedder_name(embedder: Embedder) -> str:
    """The name a worker rebuilds ``embedder`` from with ``load_embedder``.

    Raises:
        ClusterError: an embedder a worker cannot rebuild by name (a custom class).
    """
    from qa_bot.index.onnx_embedding import OnnxEmbedder

    if isinstance(embedder, OnnxEmbedder):
        if embedder.model_id != BUNDLED_MODEL_ID:
            raise ClusterError("the Ray build runs ONNX Runtime with the bundled model only")
        return ONNX_NAME
    if isinstance(embedder, SentenceTransformerEmbedder | HashEmbedder):
        return embedder.model_id
    raise ClusterError(
        f"the Ray build cannot rebuild a {type(embedder).__name__} on its workers; use the "
        "bundled model, onnx, hash:DIM or a sentence-transformers model folder"
    )


def _worker_embedder(name: str, threads: int) -> Embedder:
    """The embedder of a worker: the driver's model, on the worker's own CPUs."""
    if name == ONNX_NAME:
        from qa_bot.index.onnx_embedding import OnnxEmbedder

        embedder: Embedder = OnnxEmbedder(batch_threads=threads)
    elif name.startswith(HASH_SCHEME):
        embedder = load_embedder(name)
    else:
        path = None if name == BUNDLED_MODEL_ID else name
        embedder = SentenceTransformerEmbedder(path, batch_threads=threads)
    embedder.warm_up()
    return embedder


# ---------------------------------------------------------------------------------------------
# What runs on the workers (module level: Ray ships them by reference to this module). Rows
# carry qa_bot's own objects (CorpusFile, FileLoad, Document, lists of Passage) as Ray Data
# object columns; Ray serialises them in transit, qa_bot itself never pickles anything.


def _read_files(batch: dict[str, np.ndarray]) -> dict[str, Any]:
    return {"i": batch["i"], "load": [load_file(file) for file in batch["file"]]}


class _ChunkWorker:
    """Chunks documents; holds one model, for its tokenizer (the chunker's window check)."""

    def __init__(self, model: str, settings: ChunkerSettings) -> None:
        embedder = _worker_embedder(model, threads=1)
        self._chunker = Chunker(settings, model_token_count=embedder.count_tokens)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        return {"i": batch["i"], "passages": [self._chunker.chunk(d) for d in batch["doc"]]}


class _EmbedWorker:
    """Embeds texts, a batch at a time, with one model and one torch thread per actor."""

    def __init__(self, model: str, batch_size: int) -> None:
        self._embedder = _worker_embedder(model, threads=1)
        self._batch_size = batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        texts = [str(t) for t in batch["text"]]
        vectors = self._embedder.encode(texts, batch_size=self._batch_size)
        return {"i": batch["i"], "vector": vectors}


# ---------------------------------------------------------------------------------------------
# The driver's side


class RayStages:
    """The build's load, chunk and encode stages on a connected Ray cluster (see the module)."""

    def __init__(
        self, settings: RaySettings, embedder: Embedder, *, show_progress: bool = False
    ) -> None:
        import ray

        self._settings = settings
        self._model = embedder_name(embedder)
        self._dimension = embedder.dimension
        self._show_progress = show_progress
        # Untyped where Ray is installed (CI); without Ray, mypy sees Any and the ignore is unused.
        resources = ray.cluster_resources()  # type: ignore[no-untyped-call, unused-ignore]
        cpus = int(resources.get("CPU", 1))
        self.workers = settings.workers or max(1, cpus)

    def _pool(self) -> Any:
        import ray.data

        return ray.data.ActorPoolStrategy(size=self.workers)

    def load_corpus(self, corpus_dir: str | Path) -> CorpusLoad:
        """``load_corpus`` with every file read and cleaned by a Ray task."""
        import ray.data

        listing = list_corpus(corpus_dir)
        rows = [{"i": i, "file": f} for i, f in enumerate(listing.files)]
        blocks = max(1, min(len(rows), -(-len(rows) // _FILES_PER_BLOCK)))
        dataset = ray.data.from_items(rows, override_num_blocks=blocks).map_batches(
            _read_files, batch_size=_FILES_PER_BLOCK, num_cpus=1
        )
        loads: list[Any] = [None] * len(rows)
        for batch in self._batches(dataset):
            for i, load in zip(batch["i"], batch["load"], strict=True):
                loads[int(i)] = load
        return assemble_corpus(listing, loads)

    def chunk(
        self, documents: Sequence[Document], settings: ChunkerSettings
    ) -> list[list[Passage]]:
        """Each document's passages, chunked by the actor pool."""
        import ray.data

        if not documents:
            return []
        rows = [{"i": i, "doc": d} for i, d in enumerate(documents)]
        blocks = max(1, min(len(rows), -(-len(rows) // _DOCS_PER_BLOCK)))
        dataset = ray.data.from_items(rows, override_num_blocks=blocks).map_batches(
            _ChunkWorker,
            fn_constructor_kwargs={"model": self._model, "settings": settings},
            batch_size=_DOCS_PER_BLOCK,
            compute=self._pool(),
            num_cpus=1,
        )
        out: list[list[Passage]] = [[] for _ in documents]
        for batch in self._batches(dataset):
            for i, passages in zip(batch["i"], batch["passages"], strict=True):
                out[int(i)] = list(passages)
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' vectors, embedded by the actor pool, in the order given."""
        import pyarrow as pa
        import ray.data

        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        if not texts:
            return out
        size = self._settings.batch_size
        # Longest first, as sentence-transformers orders one call's texts: a batch pads to its
        # longest text, so batches of like lengths do far less work than a mix of passages and
        # sentences (and the slowest batches start first).
        order = np.argsort([-len(t) for t in texts], kind="stable")
        table = pa.table({"i": order.astype(np.int64), "text": [texts[int(k)] for k in order]})
        slices = [table.slice(start, size) for start in range(0, len(texts), size)]
        dataset = ray.data.from_arrow(slices).map_batches(
            _EmbedWorker,
            fn_constructor_kwargs={"model": self._model, "batch_size": size},
            batch_size=size,
            compute=self._pool(),
            num_cpus=1,
        )
        done = np.zeros(len(texts), dtype=bool)
        for batch in self._batches(dataset):
            rows = batch["i"].astype(np.int64)
            out[rows] = batch["vector"]
            done[rows] = True
        if not done.all():  # Ray Data would have raised; never serve a half-filled matrix
            raise ClusterError(f"the Ray build lost {int((~done).sum())} of {len(texts)} vectors")
        return out

    def _batches(self, dataset: Any) -> Iterator[dict[str, np.ndarray]]:
        from ray.data import DataContext

        context = DataContext.get_current()
        context.enable_progress_bars = self._show_progress
        context.enable_operator_progress_bars = self._show_progress
        try:
            yield from dataset.iter_batches(batch_size=None, batch_format="numpy")
        except QABotError:
            raise
        except Exception as exc:  # a stage failed for good (Ray retries what a fault kills)
            raise ClusterError(f"the Ray build failed: {_root_cause(exc)}") from exc


# An exception line of a traceback ("ValueError: ..."), as Ray quotes the worker's.
_RAISED = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)): (.+)$")


def _root_cause(exc: BaseException) -> str:
    """The error a stage raised, as one line. Ray wraps it in its own exceptions whose text
    quotes the worker's traceback and then advice; the first exception line that is not one
    of Ray's is the cause."""
    for line in str(exc).splitlines():
        found = _RAISED.match(line)
        if found and not found.group(1).startswith("ray."):
            return f"{found.group(1)}: {found.group(2)}"
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _runtime_env() -> dict[str, Any]:
    """The job's env on every worker: this qa_bot importable, the model loaded offline."""
    package_root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
    return {
        "env_vars": {
            "PYTHONPATH": path,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
    }


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast when a cluster address does not answer: Ray itself retries for minutes and
    then ends the process. ``HOST:PORT`` and ``ray://HOST:PORT`` are checked (a TCP connect);
    ``auto`` is left to Ray, which says at once when this machine belongs to no cluster.

    Raises:
        ClusterError: nothing listens at the address, or it is malformed.
    """
    if address == "auto":
        return
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(
            f"bad Ray cluster address {address!r}: use HOST:PORT, ray://HOST:PORT or auto"
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise ClusterError(
            f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}"
        ) from None


@contextlib.contextmanager
def ray_stages(
    settings: RaySettings, embedder: Embedder, *, show_progress: bool = False
) -> Iterator[RayStages]:
    """Connect to the cluster (or start a local one) for the length of a build.

    Raises:
        ClusterError: ``ray`` is not installed, or the cluster cannot be reached.
    """
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise ClusterError(
            f"the Ray build needs ray[data], which is not installed ({INSTALL_HINT})"
        ) from exc
    embedder_name(embedder)  # a model the workers cannot rebuild fails before connecting
    connected_here = not ray.is_initialized()
    quiet = contextlib.ExitStack()
    if not show_progress:
        quiet.enter_context(_quiet_ray())
    with quiet:
        if connected_here:
            _init(ray, settings, show_progress)
        try:
            yield RayStages(settings, embedder, show_progress=show_progress)
        finally:
            if connected_here:
                ray.shutdown()


def _init(ray: Any, settings: RaySettings, show_progress: bool) -> None:
    where = settings.address or "a new local Ray instance"
    options: dict[str, Any] = {
        "address": settings.address,
        "runtime_env": _runtime_env(),
        "log_to_driver": show_progress,
        "logging_level": logging.INFO if show_progress else logging.ERROR,
    }
    if settings.address is None:
        options["include_dashboard"] = False
    else:
        check_reachable(settings.address)
    try:
        ray.init(**options)
    except Exception as exc:  # ConnectionError, RuntimeError, ValueError, ... by version
        ray.shutdown()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if settings.address == "auto" and isinstance(exc, ConnectionError):
            reason = "this machine belongs to no Ray cluster (start one with `ray start --head`)"
        raise ClusterError(f"cannot reach the Ray cluster at {where}: {reason}") from exc


@contextlib.contextmanager
def _quiet_ray() -> Iterator[None]:
    """No Ray chatter on the console for a quiet build: its loggers at ERROR, its warnings
    (e.g. an actor pool bigger than a small input) off."""
    loggers = [logging.getLogger(name) for name in ("ray", "ray.data")]
    levels = [logger.level for logger in loggers]
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"ray(\.|$)")
            for logger in loggers:
                logger.setLevel(logging.ERROR)
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
