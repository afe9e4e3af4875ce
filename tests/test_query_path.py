"""Answering never imports torch, transformers or sentence-transformers (issue 16).

Each check runs in a new process over the session's seed index (built with
sentence-transformers, which also exported the ONNX query model): after real questions, through
the Python API, the chat's page and the command line, ``sys.modules`` must hold none of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FORBIDDEN = ("torch", "transformers", "sentence_transformers")
WHO = "Who did Trump choose as CIA director?"  # loads spaCy's NER (answering/answer_type.py)

API = """
import json, sys
from qa_bot.bot import QABot
bot = QABot.load(sys.argv[1])
answers = [bot.ask(sys.argv[2]), bot.ask("Why is Moscow wary of Trump?"),
           bot.chat("What did he do in 2017?", ["Why is Moscow wary of Trump?"])]
hits = bot.retrieve("Which missile strike surprised the Kremlin?")
from qa_bot.ui.app import build_app, respond, Session  # the chat's page and one turn of it
build_app(bot)
turns = list(respond(bot, sys.argv[2], Session()))
print(json.dumps({
    "modules": sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN}),
    "spacy": "spacy" in sys.modules, "onnxruntime": "onnxruntime" in sys.modules,
    "embedder": type(bot.embedder).__name__, "answered": [not a.abstained for a in answers],
    "hits": len(hits), "chat_turns": len(turns), "gradio": "gradio" in sys.modules,
}))
"""

CLI = """
import json, sys
from qa_bot.cli import main
for argv in (["ask", sys.argv[2], "--index-dir", sys.argv[1]],
             ["eval", sys.argv[3], "--index-dir", sys.argv[1]]):
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code == 0, (argv, exc.code)
print(json.dumps({
    "modules": sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN}),
    "spacy": "spacy" in sys.modules,
}))
"""


def _run(script: str, *args: str) -> dict[str, object]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    code = script.replace("{FORBIDDEN}", repr(set(FORBIDDEN)))
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_api_answers_without_torch(seed_index: Path) -> None:
    result = _run(API, str(seed_index), WHO)
    assert result["modules"] == [], result
    # The checks did run: ONNX Runtime embedded the questions and spaCy read the "who" answer.
    assert result["embedder"] == "OnnxEmbedder" and result["onnxruntime"] and result["spacy"]
    assert result["answered"] == [True, True, True] and result["hits"] == 5
    assert result["gradio"] and result["chat_turns"] > 0  # the browser chat's code path too


def test_cli_ask_and_eval_answer_without_torch(seed_index: Path, tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    lines = [
        {"id": "a", "question": WHO, "evidence": ["CIA director"], "answerable": True},
        {"id": "b", "question": "Why is Moscow wary of Trump?", "evidence": ["unpredictab"],
         "answerable": True},
    ]  # fmt: skip
    questions.write_text("".join(json.dumps(q) + "\n" for q in lines), encoding="utf-8")
    result = _run(CLI, str(seed_index), WHO, str(questions))
    assert result["modules"] == [] and result["spacy"], result


def test_model_torch_keeps_the_sentence_transformers_query_path(seed_index: Path) -> None:
    script = API.replace("QABot.load(sys.argv[1])", "QABot.load(sys.argv[1], model='torch')")
    result = _run(script, str(seed_index), WHO)
    assert result["embedder"] == "SentenceTransformerEmbedder"
    assert "sentence_transformers" in result["modules"] and "torch" in result["modules"]
