"""The seed corpus built with the Milvus store (Milvus Lite, exact search) answers like the
FAISS-built index: the same top-5 passages for at least 98 % of tests/data/questions.jsonl
(issue 17), and the same answers through the CLI.

Measured when written: 65 of 65 questions with the same top-5 passages in the same order. The
top-5 comparison is the retrieval's own (dense search fused with BM25), without the reader's
reordering: that is where the two stores could differ, and it takes a second where the reader
took a minute; the CLI test compares whole answers, reader included.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_bot.cli import cli
from qa_bot.evaluation.question_set import load_questions
from qa_bot.index.ann.dense.milvus import MilvusStore
from qa_bot.index.build import build_index
from qa_bot.index.settings import IndexSettings

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.xdist_group("milvus")]

ROOT = Path(__file__).resolve().parents[3]
QUESTIONS = ROOT / "tests" / "data" / "questions.jsonl"
SAME_TOP5 = 0.98


@pytest.fixture(scope="module")
def milvus_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("milvus_seed")
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    index_dir = base / "index"
    build_index(corpus, index_dir, real_embedder, settings=IndexSettings(vector_store="milvus"))
    yield index_dir


def test_milvus_and_faiss_give_the_same_top5(
    seed_index: Path, milvus_index: Path, real_embedder
) -> None:  # type: ignore[no-untyped-def]
    from qa_bot.bot import QABot

    faiss_bot = QABot.load(seed_index, embedder=real_embedder)
    milvus_bot = QABot.load(milvus_index, embedder=real_embedder)
    faiss_bot.reader = milvus_bot.reader = None
    assert isinstance(milvus_bot._state.store.vectors, MilvusStore)
    questions = load_questions(QUESTIONS)
    differ = []
    for q in questions:
        faiss_top = [h.passage.passage_id for h in faiss_bot.retrieve(q.question, k=5)]
        milvus_top = [h.passage.passage_id for h in milvus_bot.retrieve(q.question, k=5)]
        if faiss_top != milvus_top:
            differ.append((q.id, faiss_top, milvus_top))
    same = 1 - len(differ) / len(questions)
    print(f"same top-5: {len(questions) - len(differ)}/{len(questions)} ({same:.3f}); {differ}")
    assert same >= SAME_TOP5, differ


def test_the_cli_builds_and_answers_with_milvus(tmp_path: Path, seed_index: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    index_dir = tmp_path / "index"
    uri = tmp_path / "vectors.db"
    built = CliRunner().invoke(cli, [
        "index", str(corpus), "--index-dir", str(index_dir), "--vector-store", "milvus",
        "--milvus-uri", str(uri), "-q",
    ])  # fmt: skip
    assert built.exit_code == 0, built.output
    assert "Built the index" in built.output
    question = "Why is Moscow wary of Trump?"
    answers = [
        CliRunner().invoke(cli, ["ask", question, "--index-dir", str(where), "--json", "-q"])
        for where in (index_dir, seed_index)
    ]
    assert all(a.exit_code == 0 for a in answers), [a.output for a in answers]
    milvus_answer, faiss_answer = (json.loads(a.output) for a in answers)
    assert milvus_answer["text"] == faiss_answer["text"]
    assert milvus_answer["citations"] == faiss_answer["citations"]
