"""End to end with the real bundled all-MiniLM-L6-v2 over the seed articles."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa_bot.bot import QABot

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_passages_fit_the_model_window(seed_bot: QABot, real_embedder) -> None:  # type: ignore[no-untyped-def]
    counts = [real_embedder.count_tokens(p.text) for p in seed_bot.passages]
    assert max(counts) <= real_embedder.max_tokens == 256
    assert len(seed_bot.passages) >= 20


def test_moscow_question_is_answered_with_verbatim_citations(seed_bot: QABot) -> None:
    answer = seed_bot.ask("Why is Moscow wary of Trump?")
    assert not answer.abstained
    assert "[1]" in answer.text and answer.citations
    passages = {p.passage_id: p for p in seed_bot.passages}
    for citation in answer.citations:
        passage = passages[citation.passage_id]
        assert passage.text[citation.start : citation.end] == citation.quote
        assert citation.quote in answer.text
    assert "unpredictab" in answer.text.lower()


@pytest.mark.parametrize(
    "question",
    [
        "What is the population of Brazil?",
        "Who won the 2022 World Cup?",
        "How do I bake sourdough bread?",
        # Asks for a figure the articles do not give; their aid sentences have none.
        "How much military aid has the US given Ukraine?",
    ],
)
def test_unrelated_questions_abstain(seed_bot: QABot, question: str) -> None:
    answer = seed_bot.ask(question)
    assert answer.abstained and not answer.citations
    assert answer.hits


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which missile strike surprised the Kremlin?", "2017 missile strike on Syria"),
        (
            "What did Putin say about Trump's courage after the assassination attempt?",
            "brave attitude",
        ),
        ("Which Russian TV channel argued that peace now would mean defeat?", "Tsargrad"),
    ],
)
def test_known_passages_are_retrieved_first(seed_bot: QABot, question: str, expected: str) -> None:
    hits = seed_bot.retrieve(question, k=3)
    assert expected in hits[0].passage.text


def test_cli_ask_end_to_end(seed_index: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "qa_bot.cli",
            "ask",
            "Why is Moscow wary of Trump?",
            "--index-dir",
            str(seed_index),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert "[1]" in out.stdout and "Sources:" in out.stdout
    assert out.stderr.strip() == "", out.stderr


def test_onnx_backend_gives_the_same_answers(seed_index: Path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    from qa_bot.index.embedding import load_embedder

    onnx = load_embedder("onnx")
    texts = ["Why is Moscow wary of Trump?", "The Kremlin welcomed Trump's overtures."]
    cosines = (onnx.encode(texts) * real_embedder.encode(texts)).sum(axis=1)
    assert cosines.min() > 0.999
    torch_bot = QABot.load(seed_index, embedder=real_embedder)
    onnx_bot = QABot.load(seed_index, model="onnx")  # same model id: the index accepts it
    question = "Which missile strike surprised the Kremlin?"
    assert onnx_bot.ask(question).text == torch_bot.ask(question).text
