"""Vector search at scale: FAISS exact and HNSW latency, memory and recall on synthetic vectors,
and each vector store of ``qa_bot.index.ann`` (FAISS, Milvus Lite) through its interface.

The vectors come from ``synthetic_vectors``, not the model; ``benchmarks.bench`` runs these
measurements after its in-process and cold-start benchmarks (``--stores`` for the stores).
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

_T = TypeVar("_T")


def _median(values: Sequence[float]) -> float:
    return float(np.median(np.asarray(values, dtype=np.float64)))


def _ms(seconds: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1000.0, q))


def _timed(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> tuple[float, _T]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def synthetic_vectors(
    n: int, *, queries: int = 0, dim: int = 384, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` corpus and ``queries`` query vectors shaped like sentence embeddings, normalised.

    Isotropic Gaussian vectors are a poor stand-in: in 384 dimensions all their neighbours are
    nearly equidistant. These have topics, clusters and low local dimension instead: 100 topic
    directions; ``clamp(n / 100, 1000, 10000)`` cluster centres around them, of Zipf-like sizes;
    each point is its centre plus a deviation (norm ~1.2) inside a 12-dimensional subspace of the
    cluster's own, plus isotropic noise (norm ~0.5) and a shared offset (like the common
    direction of real embeddings). Queries are further points of the same clusters.
    """
    rng = np.random.default_rng(seed)
    n_clusters, latent, sub = int(np.clip(n // 100, 1000, 10000)), 64, 12
    topics = rng.standard_normal((100, dim)).astype(np.float32)
    centres = topics[rng.integers(0, 100, n_clusters)]
    centres += 0.8 * rng.standard_normal((n_clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    masks = np.zeros((n_clusters, latent), dtype=np.float32)
    for row in masks:
        row[rng.choice(latent, sub, replace=False)] = 1.2 / math.sqrt(sub)
    basis = rng.standard_normal((latent, dim)).astype(np.float32) / math.sqrt(dim)
    offset = rng.standard_normal(dim).astype(np.float32)
    offset *= 0.3 / np.linalg.norm(offset)
    weights = 1.0 / (np.arange(n_clusters) + 10.0) ** 0.8
    weights /= weights.sum()

    def block(size: int, block_seed: int) -> np.ndarray:
        r = np.random.default_rng([seed, block_seed])
        which = r.choice(n_clusters, size, p=weights)
        x = (
            centres[which]
            + (r.standard_normal((size, latent), dtype=np.float32) * masks[which]) @ basis
        )
        x += r.standard_normal((size, dim), dtype=np.float32) * (0.5 / math.sqrt(dim)) + offset
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return x

    step = 100_000
    corpus = np.concatenate([block(min(step, n - i), i // step) for i in range(0, n, step)])
    return corpus, block(queries, 10**6)


def index_mb(index: Any) -> float:
    """Memory held by a flat or HNSW FAISS index: vectors plus graph links."""
    from qa_bot.index.ann.dense.faiss import index_bytes

    return float(index_bytes(index)) / 2**20


def _search_all(index: Any, queries: np.ndarray, count: int) -> tuple[list[float], np.ndarray]:
    from qa_bot.index.ann.dense.faiss import search

    times: list[float] = []
    found = np.full((count, 10), -1, dtype=np.int64)
    for i in range(count):
        seconds, hits = _timed(search, index, queries[i], 10)
        times.append(seconds)
        found[i, : len(hits)] = [row for row, _ in hits]
    return times, found


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=False)]))


def scale_rows(sizes: list[int], *, quick: bool, hnsw_m: int) -> list[dict[str, Any]]:
    """Query latency (FAISS search only, one thread), memory and recall@10 per corpus size."""
    import faiss

    from qa_bot.index.ann.dense.faiss import build_vector_index
    from qa_bot.index.settings import IndexSettings

    cores = max(1, os.cpu_count() or 1)
    n_queries = 200 if quick else 1000
    rows: list[dict[str, Any]] = []
    for n in sizes:
        corpus, queries = synthetic_vectors(n, queries=n_queries)
        build_s, flat = _timed(build_vector_index, corpus, IndexSettings())
        faiss.omp_set_num_threads(cores)  # exact ground truth in one batch, not timed
        top, truth = flat.search(queries, 10)
        faiss.omp_set_num_threads(1)  # single-query searches: one thread, as qa_bot does
        timed = min(n_queries, 200 if n <= 100_000 else 50)
        times, found = _search_all(flat, queries, timed)
        a, b = np.random.default_rng(1).integers(0, n, (2, 2000))
        rows.append({
            "n": n, "index": "flat", "build_s": build_s, "memory_mb": index_mb(flat),
            "p50_ms": _ms(times, 50), "p95_ms": _ms(times, 95),
            "recall_at_10": _recall(found, truth[:timed]),
            "data": {
                "random_pair_cosine": float(np.mean(np.sum(corpus[a] * corpus[b], axis=1))),
                "query_top1_cosine": float(np.mean(top[:, 0])),
                "query_top10_cosine": float(np.mean(top[:, 9])),
            },
        })  # fmt: skip
        del flat
        gc.collect()
        settings = IndexSettings(ann="hnsw", hnsw_m=hnsw_m, hnsw_ef_search=64)
        # Build on every core (qa_bot's FAISS store set FAISS to one thread above).
        faiss.omp_set_num_threads(cores)
        build_s, hnsw = _timed(build_vector_index, corpus, settings)
        faiss.omp_set_num_threads(1)
        hnsw_mb = index_mb(hnsw)
        hnsw_rows: list[dict[str, Any]] = []
        for ef in (16, 32, 64, 128, 256):
            hnsw.hnsw.efSearch = ef
            times, found = _search_all(hnsw, queries, n_queries)
            hnsw_rows.append({
                "n": n, "index": "hnsw", "m": hnsw_m, "ef_search": ef, "build_s": build_s,
                "memory_mb": hnsw_mb, "p50_ms": _ms(times, 50), "p95_ms": _ms(times, 95),
                "recall_at_10": _recall(found, truth), "build_threads": cores,
            })  # fmt: skip
        good = [r for r in hnsw_rows if r["recall_at_10"] >= 0.95]
        chosen = good[0] if good else max(hnsw_rows, key=lambda r: r["recall_at_10"])
        chosen["chosen"] = True
        rows += hnsw_rows
        del hnsw, corpus
        gc.collect()
    return rows


# ---------------------------------------------------------------- each vector store

STORES = ("faiss", "milvus")


def has_milvus() -> bool:
    """Whether the ``milvus`` extra (pymilvus, milvus-lite) and psutil are installed."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("pymilvus", "milvus_lite"))


def _rss_bytes() -> tuple[int, int]:
    """Resident memory of this process and of all its children (a Milvus Lite server process,
    when the installed milvus-lite runs one; 3.x serves in this process's threads)."""
    import psutil

    me = psutil.Process()
    children = 0
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            children += int(child.memory_info().rss)
    return int(me.memory_info().rss), children


def _disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def store_child(backend: str, n: int, timed: int, folder: str) -> dict[str, Any]:
    """One store at one size, in a process of its own (so memory deltas are its own): build it
    from ``n`` synthetic vectors, then time ``timed`` single-query searches (k=10) through the
    ``VectorStore`` interface, as retrieval calls it; recall@10 against exact search."""
    from qa_bot.index.ann.base import PASSAGES
    from qa_bot.index.ann.factory import create_store
    from qa_bot.index.settings import IndexSettings

    corpus, queries = synthetic_vectors(n, queries=timed)
    where = Path(folder)
    settings = (
        IndexSettings(vector_store="milvus", milvus_uri=str(where / "bench.db"))
        if backend == "milvus"
        else IndexSettings()
    )
    # The libraries are imported before the baseline: the deltas are the store's, not code's.
    import faiss  # noqa: F401

    if backend == "milvus":
        import milvus_lite  # noqa: F401
        import pymilvus  # noqa: F401
    gc.collect()
    rss0, children0 = _rss_bytes()
    start = time.perf_counter()
    store = create_store(settings, where, "v-bench", where / "index")
    open_s = time.perf_counter() - start
    rss_open, _ = _rss_bytes()  # the store open and empty (Milvus Lite: its server started)
    start = time.perf_counter()
    store.add(PASSAGES, corpus)
    store.save(where)
    insert_s = time.perf_counter() - start
    store.search(PASSAGES, queries[0], 10)  # warm-up (Milvus loads the collection)
    times: list[float] = []
    found = np.full((timed, 10), -1, dtype=np.int64)
    for i in range(timed):
        seconds, hits = _timed(store.search, PASSAGES, queries[i], 10)
        times.append(seconds)
        found[i, : len(hits[0])] = hits[0].ids
    gc.collect()
    rss1, children1 = _rss_bytes()
    truth = np.argsort(-(queries @ corpus.T), axis=1)[:, :10]
    row = {
        "n": n, "store": backend, "insert_s": insert_s, "insert_per_s": n / insert_s,
        "open_s": open_s, "rss_open_mb": (rss_open - rss0) / 2**20,
        "rss_delta_mb": (rss1 - rss0) / 2**20, "children_rss_mb": children1 / 2**20,
        "children_delta_mb": (children1 - children0) / 2**20,
        "store_memory_mb": store.memory() / 2**20, "disk_mb": _disk_bytes(where) / 2**20,
        "vectors_mb": corpus.nbytes / 2**20, "p50_ms": _ms(times, 50), "p95_ms": _ms(times, 95),
        "queries": timed, "recall_at_10": _recall(found, truth),
    }  # fmt: skip
    store.close()
    return row


def store_rows(sizes: list[int], stores: Sequence[str], *, quick: bool) -> list[dict[str, Any]]:
    """Memory (RSS delta of the process and its children), insert throughput and single-query
    latency of each vector store at each size; each in a new process."""
    import json
    import subprocess
    import sys
    import tempfile

    rows: list[dict[str, Any]] = []
    root = Path(__file__).resolve().parent.parent
    for n in sizes:
        for backend in stores:
            if backend == "milvus" and not has_milvus():
                continue
            # Milvus Lite's exact search is ~100x slower than FAISS's: fewer samples at size.
            timed = 20 if quick else (200 if n <= 100_000 or backend == "faiss" else 50)
            with tempfile.TemporaryDirectory(prefix="qa_bot_store_") as tmp:
                code = (
                    "import json, sys; from benchmarks.bench_scale import store_child; "
                    "print(json.dumps(store_child(sys.argv[1], int(sys.argv[2]), "
                    "int(sys.argv[3]), sys.argv[4])))"
                )
                done = subprocess.run(
                    [sys.executable, "-c", code, backend, str(n), str(timed), tmp],
                    cwd=root, capture_output=True, text=True, check=False,
                )  # fmt: skip
            if done.returncode != 0:
                raise RuntimeError(f"store benchmark {backend} {n} failed: {done.stderr[-2000:]}")
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return rows
