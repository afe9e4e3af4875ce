"""The facade: questions, answers, citations, abstention, reload (fake embedder)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from qa_bot.answering.answer import NO_ANSWER, AnswerSettings
from qa_bot.bot import QABot
from qa_bot.errors import QuestionError
from qa_bot.index.embedding import HashEmbedder

pytestmark = pytest.mark.unit


@pytest.fixture
def bot(small_corpus: Path, tmp_path: Path) -> QABot:
    return QABot.from_corpus(
        small_corpus,
        tmp_path / "index",
        embedder=HashEmbedder(512),
        answering=AnswerSettings(abstain_below=0.3),
    )


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_refused(bot: QABot, question: str) -> None:
    with pytest.raises(QuestionError, match="empty"):
        bot.ask(question)
    with pytest.raises(QuestionError):
        bot.retrieve(question)


def test_huge_question_is_refused_fast(bot: QABot) -> None:
    import time

    started = time.perf_counter()
    with pytest.raises(QuestionError, match="limit"):
        bot.ask("why " * 25_000)
    assert time.perf_counter() - started < 0.5


def test_bad_k(bot: QABot) -> None:
    with pytest.raises(QuestionError, match="k must be"):
        bot.retrieve("bees", k=0)


def test_answer_quotes_are_verbatim_and_cited(bot: QABot) -> None:
    answer = bot.ask("Why did the beekeepers in Ohio lose their colonies?")
    assert not answer.abstained
    assert answer.citations and "[1]" in answer.text
    by_id = {h.passage.passage_id: h.passage for h in answer.hits}
    for citation in answer.citations:
        passage = by_id[citation.passage_id]
        assert passage.text[citation.start : citation.end] == citation.quote
        assert f"{citation.quote} [{citation.number}]" in answer.text
    numbers = [c.number for c in answer.citations]
    assert numbers[0] == 1 and max(numbers) == len(set(numbers))
    assert set(answer.timings) >= {"embed", "retrieve", "answer", "total"}


def test_unrelated_question_abstains(bot: QABot) -> None:
    answer = bot.ask("What is the population of Brazil?")
    assert answer.abstained
    assert answer.text == NO_ANSWER and answer.citations == ()
    assert answer.hits  # the nearest passages are still shown


def test_answer_is_json_ready(bot: QABot) -> None:
    import json

    data = bot.ask("tram tickets price").to_dict()
    assert json.loads(json.dumps(data))["question"] == "tram tickets price"


def test_reload_switches_atomically(bot: QABot, small_corpus: Path) -> None:
    before = len(bot.passages)
    assert bot.reload() is False
    shutil.copy(small_corpus / "bees.txt", small_corpus / "bees2.txt")
    (small_corpus / "bees2.txt").write_text("Wasps\n\nWasps were seen in Dayton this July.\n")
    QABot.from_corpus(small_corpus, bot.index_dir, embedder=HashEmbedder(512))
    assert bot.reload() is True
    assert len(bot.passages) > before


def test_threads_get_the_same_results(bot: QABot) -> None:
    questions = ["tram airport", "bees mite", "chess Lyon", "tickets euros"] * 4
    expected = [bot.ask(q).text for q in questions]
    results: list[str | None] = [None] * len(questions)

    def run(i: int) -> None:
        results[i] = bot.ask(questions[i]).text

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(questions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected


def test_from_corpus_reusing_an_index_reads_and_checksums_it_once(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa_bot import bot as bot_module
    from qa_bot.index import build as build_module

    index_dir = tmp_path / "index"
    QABot.from_corpus(small_corpus, index_dir, embedder=HashEmbedder(512))
    loads: list[str] = []
    for module in (bot_module, build_module):
        real = module.load_index

        def counted(*args: object, _real: object = real, **kwargs: object) -> object:
            loads.append("load")
            return _real(*args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(module, "load_index", counted)
    bot = QABot.from_corpus(small_corpus, index_dir, embedder=HashEmbedder(512))
    assert bot.build_report is not None and bot.build_report.status == "reused"
    assert loads == ["load"]
    assert (
        bot.retrieve("How long does the tram take to the airport?")[0].passage.doc_id == "rail.md"
    )
