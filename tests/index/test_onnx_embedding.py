"""The ONNX query model: the same vectors as sentence-transformers, exported at build time,
checked by hash and reused; an index without an export still answers (issue 16)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa_bot.index.build import build_index
from qa_bot.index.bundled_model import bundled_model_path
from qa_bot.index.checksums import sha256_file
from qa_bot.index.onnx_embedding import (
    EXPORT_VERSION,
    OnnxEmbedder,
    default_cache_dir,
    find_export,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DATA = Path(__file__).resolve().parent.parent / "data"


def _seed_texts(bot) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """Every text a build of the seed corpus embeds, and every committed question."""
    texts = [p.text for p in bot.passages]
    for passage in bot.passages:
        texts += passage.sentence_texts() + passage.sentence_windows()
    texts += [d.title for d in bot.documents.values()]
    questions: list[str] = []
    for name in ("questions", "questions_heldout", "followups", "lookalikes"):
        for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                questions += [record["question"], *record.get("history", [])]
    return list(dict.fromkeys(texts)), list(dict.fromkeys(questions))


def test_vectors_equal_sentence_transformers_on_every_seed_text(seed_bot, real_embedder) -> None:  # type: ignore[no-untyped-def]
    onnx = OnnxEmbedder()
    texts, questions = _seed_texts(seed_bot)
    sentences = sum(len(p.sentences) for p in seed_bot.passages)
    assert len(texts) >= len(seed_bot.passages) + sentences and len(questions) > 200
    everything = texts + questions
    batch = np.sum(onnx.encode(everything) * real_embedder.encode(everything), axis=1)
    assert float(batch.min()) >= 0.9999, everything[int(batch.argmin())]
    # Questions are embedded one at a time on the query path.
    single = np.stack([onnx.encode([q])[0] for q in questions])
    cosine = np.sum(single * real_embedder.encode(questions), axis=1)
    assert float(cosine.min()) >= 0.9999, questions[int(cosine.argmin())]
    counts = [onnx.count_tokens(t) for t in everything]
    assert counts == [real_embedder.count_tokens(t) for t in everything]


def test_build_checks_the_export_by_hash_and_exports_a_damaged_one_again(
    small_corpus: Path, tmp_path: Path, real_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    model_dir = Path(bundled_model_path())
    found = find_export(model_dir)  # the session's seed index build made it
    assert found is not None
    cache = tmp_path / "cache"
    (cache / "onnx").mkdir(parents=True)
    for path in (found, found.with_suffix(".json")):
        shutil.copy(path, cache / "onnx" / path.name)
    monkeypatch.setenv("QA_BOT_CACHE", str(cache))
    assert default_cache_dir() == cache / "onnx"
    index_dir = tmp_path / "index"

    report = build_index(small_corpus, index_dir, real_embedder)
    assert report.status == "built" and report.exported_query_model is None  # checked, reused
    onnx_path = cache / "onnx" / found.name
    sidecar = json.loads(onnx_path.with_suffix(".json").read_text(encoding="utf-8"))
    assert sidecar["weights_sha256"] == sha256_file(model_dir / "model.safetensors")
    assert sidecar["export_version"] == EXPORT_VERSION
    assert sidecar["onnx_sha256"] == sha256_file(onnx_path)

    # One byte changed, same size: only the hash tells, and the next build exports it again.
    data = bytearray(onnx_path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    onnx_path.write_bytes(bytes(data))
    assert find_export(model_dir) == onnx_path  # the query path's cheap check cannot tell
    report = build_index(small_corpus, index_dir, real_embedder, force=True)
    assert report.exported_query_model == onnx_path
    assert sha256_file(onnx_path) == sidecar["onnx_sha256"]  # the same export as before
    report = build_index(small_corpus, index_dir, real_embedder)
    assert report.status == "reused" and report.exported_query_model is None


def test_an_index_without_an_export_answers_after_a_one_line_notice(
    seed_index: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "QA_BOT_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "qa_bot.cli", "ask", "Why is Moscow wary of Trump?",
               "--index-dir", str(seed_index)]  # fmt: skip
    first = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert first.returncode == 0, first.stderr
    lines = first.stderr.strip().splitlines()
    assert len(lines) == 1 and "exporting the embedding model to ONNX" in lines[0], first.stderr
    assert "[1]" in first.stdout and "Sources:" in first.stdout
    assert list((tmp_path / "cache" / "onnx").glob("*.onnx"))
    second = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert second.returncode == 0 and second.stderr == "", second.stderr
    assert second.stdout == first.stdout
