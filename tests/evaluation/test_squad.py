"""SQuAD 2.0 JSON as a question set, and `qa-bot eval` on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa_bot.errors import QABotError
from qa_bot.evaluation.metrics import report_from_json
from qa_bot.evaluation.squad import is_squad, load_squad_set, write_corpus

CONTEXT_A = (
    "The city opened its first tram line on Monday. The line links the airport with the "
    "central station in 25 minutes. Tickets cost two euros."
)
CONTEXT_B = (
    "A twelve-year-old from Lyon won the Paris chess open on Sunday. She beat three grandmasters."
)


def _squad(path: Path) -> Path:
    data = {
        "version": "v2.0",
        "data": [
            {
                "title": "Tram_line",
                "paragraphs": [
                    {
                        "context": CONTEXT_A,
                        "qas": [
                            {
                                "id": "t1",
                                "question": "How much does a tram ticket cost?",
                                "answers": [
                                    {"text": "two euros", "answer_start": CONTEXT_A.index("two")}
                                ],
                                "is_impossible": False,
                            },
                            {
                                "id": "t2",
                                "question": "Who built the tram line?",
                                "answers": [],
                                "is_impossible": True,
                            },
                        ],
                    }
                ],
            },
            {
                "title": "Chess",
                "paragraphs": [
                    {
                        "context": CONTEXT_B,
                        "qas": [
                            {
                                "id": "c1",
                                "question": "Where is the chess winner from?",
                                "answers": [
                                    {"text": "Lyon", "answer_start": CONTEXT_B.index("Lyon")}
                                ],
                                "is_impossible": False,
                            }
                        ],
                    }
                ],
            },
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.unit
def test_squad_becomes_questions_and_articles(tmp_path: Path) -> None:
    path = _squad(tmp_path / "s.json")
    assert is_squad(path)
    assert not is_squad(Path(__file__).parents[1] / "data" / "questions.jsonl")
    squad = load_squad_set(path)
    by_id = {q.id: q for q in squad.questions}
    assert by_id["t1"].evidence == ("Tickets cost two euros.",)
    assert by_id["t1"].answers == ("two euros",)
    assert by_id["t1"].group == "Tram line"
    assert not by_id["t2"].answerable and by_id["t2"].evidence == ()
    corpus = write_corpus(squad, tmp_path / "corpus")
    files = sorted(p.name for p in corpus.iterdir())
    assert files == ["Chess.txt", "Tram_line.txt"]
    assert CONTEXT_A in (corpus / "Tram_line.txt").read_text()


@pytest.mark.unit
def test_a_broken_squad_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"data": [{"title": "x"}]}))
    with pytest.raises(QABotError, match="not a readable SQuAD"):
        load_squad_set(bad)


@pytest.mark.integration
@pytest.mark.slow
def test_eval_reads_squad_json(tmp_path: Path, shared_cache: Path) -> None:
    path = _squad(tmp_path / "s.json")
    out = tmp_path / "report.json"
    # The session's cache (QA_BOT_CACHE): the ONNX export is made there once.
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "qa_bot.cli", "eval", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert "answer_contains_gold" in run.stdout
    assert "Tram line" in run.stdout and "Chess" in run.stdout  # a row per article
    report = report_from_json(json.loads(out.read_text()))
    assert set(report.groups) == {"Tram line", "Chess"}
    assert report.totals["answerable"] == 2 and report.totals["unanswerable"] == 1
    assert "answer_contains_gold" in report.totals
    assert (shared_cache / "squad").is_dir()  # not ./embeddings
