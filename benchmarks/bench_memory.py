"""Resident memory of a loaded bot (issue 17): vectors in memory, memory-mapped, or in Milvus.

The corpus is the seed articles plus ``--articles`` generated ones (``bench_ray``'s generator),
indexed twice with the hash embedder (``hash:384``, the bundled model's dimension; what is
measured is the index, and the embedder costs nothing either way): once with FAISS, once with
Milvus Lite. Each mode then runs in a fresh process that loads the index as ``QABot.load``
does, asks ``--questions`` questions and reports its RSS (``/proc/self/status``: ``VmRSS``,
and its anonymous and file-backed parts) after loading and after the questions:

- ``faiss-in-ram``: the vector files read whole into memory, as every index was before they
  were memory-mapped (the FAISS indexes are in memory in every FAISS mode);
- ``faiss-mmap``: the index as ``load_index`` opens it now, the ``.npy`` files memory-mapped;
- ``milvus``: the Milvus-backed index, no vector file; Milvus Lite serves the ``.db`` from
  threads of this same process, so the figure includes Milvus's own memory (a Milvus server
  would hold that part);
- ``milvus-only``: just the Milvus Lite store of that index opened and searched, no qa_bot index
  around it: Milvus Lite's own share, so ``milvus`` minus it estimates qa_bot's.

Run: ``python -m benchmarks.bench_memory --articles 30000 --work /tmp/qa_mem``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench_ray import WORDS, generate_articles

ROOT = Path(__file__).resolve().parents[1]
MODES = ("faiss-in-ram", "faiss-mmap", "milvus", "milvus-only")
DIMENSION = 384


def _status() -> dict[str, float]:
    """This process's VmRSS, RssAnon and RssFile in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def _questions(count: int) -> list[str]:
    rng = random.Random(3)
    return [
        f"What did the {rng.choice(WORDS)} and the {rng.choice(WORDS)} report in "
        f"{rng.randint(1800, 1850)}?"
        for _ in range(count)
    ]


def build(work: Path, articles: int) -> dict[str, Any]:
    """The two indexes of the benchmark corpus (reused when they are there already)."""
    from qa_bot.index.build import build_index
    from qa_bot.index.embedding import HashEmbedder
    from qa_bot.index.settings import IndexSettings

    corpus = work / "corpus"
    if not corpus.is_dir():
        shutil.copytree(ROOT / "corpus", corpus)
        generate_articles(corpus / "generated", articles)
    out: dict[str, Any] = {}
    for name, settings in (
        ("faiss", IndexSettings()),
        ("milvus", IndexSettings(vector_store="milvus")),
    ):
        started = time.perf_counter()
        report = build_index(corpus, work / name, HashEmbedder(DIMENSION), settings=settings)
        out[name] = {
            "status": report.status,
            "seconds": round(time.perf_counter() - started, 1),
            "documents": report.documents,
            "passages": report.passages,
            "sentences": report.sentences,
        }
    return out


def measure(mode: str, work: Path, questions: int) -> dict[str, Any]:
    """One mode's figures, in this process (run each mode in a fresh one)."""
    from qa_bot.bot import QABot
    from qa_bot.index.ann.base import PASSAGES
    from qa_bot.index.ann.factory import open_store
    from qa_bot.index.embedding import HashEmbedder
    from qa_bot.index.store import VECTOR_FILES, load_index

    embedder = HashEmbedder(DIMENSION)
    asked = _questions(questions)
    import pymilvus  # noqa: F401 - imported in every mode, so the baselines compare

    gc.collect()
    baseline = _status()
    index_dir = work / ("faiss" if mode.startswith("faiss") else "milvus")
    if mode == "milvus-only":
        version = next(p for p in index_dir.glob("v-*") if p.is_dir())
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        store = open_store(version, manifest["vector_store"])
        loaded = _status()
        for question in asked:
            store.search(PASSAGES, embedder.encode([question])[0], 40)
        return {"mode": mode, "baseline": baseline, "loaded": loaded, "asked": _status()}
    index = load_index(index_dir, embedder)
    if mode == "faiss-in-ram":  # what load_index did before: every vector file read whole
        index = dataclasses.replace(
            index,
            arrays={n: np.load(index.path / VECTOR_FILES[n]) for n in index.arrays},
            sentence_rows=np.load(index.path / "sentences.npy"),
        )
        gc.collect()
    bot = QABot(index, embedder, index_dir=index_dir)
    loaded = _status()
    seconds = []
    for question in asked:
        started = time.perf_counter()
        bot.ask(question)
        seconds.append(time.perf_counter() - started)
    return {
        "mode": mode,
        "baseline": baseline,
        "loaded": loaded,
        "asked": _status(),
        "ask_p50_ms": round(float(np.median(seconds)) * 1000, 1),
        "vector_files_mb": round(
            sum(
                (index.path / f).stat().st_size
                for f in VECTOR_FILES.values()
                if (index.path / f).exists()
            )
            / 2**20,
            1,
        ),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=30000)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--work", type=Path, default=Path("/tmp/qa_bot_bench_memory"))
    parser.add_argument("--measure", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.work, args.questions)))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    print(json.dumps({"build": build(args.work, args.articles)}), flush=True)
    for mode in MODES:
        command = [sys.executable, "-m", "benchmarks.bench_memory", "--measure", mode,
                   "--work", str(args.work), "--questions", str(args.questions)]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        print(result.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
