"""Build throughput on Ray (issue 17): a local build against Ray with 1 and 2 embedding actors.

The corpus is the seed articles plus generated ones (``generate_articles``). One Ray instance
with this machine's CPUs is started first and kept for the three Ray builds (a cluster the
build joins, as ``--ray ADDRESS`` does); each build is timed whole: listing, reading, chunking,
the actor pools' start and model loads, embedding, writing. Throughput is the texts a build
embeds (passages, sentences, windows, headlines) per second of its wall time.
"""

from __future__ import annotations

import importlib.util
import logging
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

WORDS = [
    "harbour", "council", "budget", "railway", "school", "river", "farmers", "election",
    "museum", "hospital", "bridge", "festival", "market", "energy", "police", "court",
    "tariff", "drought", "vaccine", "airport", "mayor", "union", "strike",
]  # fmt: skip


def has_ray() -> bool:
    """Whether the ``ray`` extra is installed."""
    return importlib.util.find_spec("ray") is not None


def generate_articles(root: Path, articles: int, *, sentences: int = 4, seed: int = 17) -> None:
    """Short articles of random topic words, each a headline and one paragraph."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(articles):
        body = " ".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize()
            + f" in the year {1800 + i}, said report {j}."
            for j in range(sentences)
        )
        title = f"The {WORDS[i % len(WORDS)]} story number {i}"
        (root / f"gen_{i:04d}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")


def bench_ray(
    corpus: Path, embedder: Any, articles: int, *, one_worker: bool = True
) -> dict[str, float]:
    """Texts per second of a local build and of Ray builds with 1 and 2 workers, and ratios
    (``one_worker=False``, as ``--smoke`` runs it: the 2-worker build only, the same code)."""
    import ray

    from qa_bot.index.build import build_index
    from qa_bot.index.ray_build import RaySettings

    metrics: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="qa_bot_bench_ray_") as tmp:
        root = Path(tmp) / "corpus"
        shutil.copytree(corpus, root)
        generate_articles(root, articles)

        def timed(name: str, settings: RaySettings | None) -> float:
            started = time.perf_counter()
            report = build_index(root, Path(tmp) / name, embedder, force=True, ray=settings)
            seconds = time.perf_counter() - started
            texts = report.embedded_passages + report.embedded_sentences
            metrics["ray_bench_texts"] = float(texts)
            return texts / seconds

        local = timed("local", None)
        # A Ray instance of its own ("local"), even when another runs on this machine (a
        # cluster of the tests, say), which ray.init() would otherwise join.
        ray.init(address="local", num_cpus=2, include_dashboard=False,
                 logging_level=logging.ERROR, log_to_driver=False,
                 object_store_memory=200 * 2**20)  # fmt: skip
        try:
            one = timed("ray1", RaySettings(workers=1)) if one_worker else None
            two = timed("ray2", RaySettings(workers=2))
        finally:
            ray.shutdown()
    metrics.update({
        "ray_bench_articles": float(articles),
        "build_local_texts_per_s": local,
        "build_ray2_texts_per_s": two,
        "build_ray2_ratio": two / local,
    })  # fmt: skip
    if one is not None:
        metrics.update({
            "build_ray1_texts_per_s": one,
            "build_ray1_ratio": one / local,
            "build_ray2_over_ray1": two / one,
        })  # fmt: skip
    return metrics
