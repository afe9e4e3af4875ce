"""Vector search at scale: FAISS exact and HNSW latency, memory and recall on synthetic vectors.

The vectors come from ``synthetic_vectors``, not the model; ``benchmarks.bench`` runs these
measurements after its in-process and cold-start benchmarks.
"""

from __future__ import annotations

import gc
import math
import os
import time
from collections.abc import Callable, Sequence
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
