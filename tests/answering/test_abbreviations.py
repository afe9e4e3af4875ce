"""Abbreviations and their long forms find each other, in search and in answers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qa_bot.answering.abbreviations import canonical, expand
from qa_bot.answering.question_type import missing_names
from qa_bot.bot import QABot
from qa_bot.index.embedding import HashEmbedder

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "added"),
    [
        ("What did the PM say?", "prime minister"),
        ("What did the prime minister say?", "PM"),
        ("Who is the CEO?", "chief executive"),
        ("Which chief executives resigned?", "CEO"),
        ("What did the U.N. decide?", "United Nations"),
        ("What did the United Nations decide?", "UN"),
        ("Why did the U.S. act?", "United States"),
    ],
)
def test_expand_adds_the_other_form(text: str, added: str) -> None:
    assert expand(text).startswith(text) and added in expand(text)[len(text) :]


def test_only_capitals_are_abbreviations() -> None:
    for text in ("Tell us more", "who is he?", "un-named sources", "the pm session"):
        assert expand(text) == text
        assert canonical(text) == text


def test_canonical_writes_every_form_short() -> None:
    assert canonical("The prime minister told the U.S. and the United Nations.") == (
        "The PM told the US and the UN."
    )


def test_names_match_their_other_forms_and_capitals_whole_words() -> None:
    assert missing_names("What did the PM tell the UN?", ["The prime minister told the U.N."]) == []
    assert missing_names("What did the United Nations say?", ["The UN said so."]) == []
    # "UN" is not found in "unofficial" any more.
    assert missing_names("What did the UN say?", ["It was an unofficial visit."]) == ["UN"]


def _bot(tmp_path: Path) -> QABot:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "Budget day\n\nThe prime minister announced the budget on Monday in parliament.\n",
        encoding="utf-8",
    )
    (corpus / "b.txt").write_text(
        "Budget debate\n\nThe opposition leader attacked the budget on Monday in parliament.\n",
        encoding="utf-8",
    )
    bot = QABot.from_corpus(corpus, tmp_path / "index", embedder=HashEmbedder(512))
    bot.reader = None
    return bot


def test_search_and_answer_find_the_long_form_of_an_abbreviation(tmp_path: Path) -> None:
    bot = _bot(tmp_path)
    # The two articles differ only in who spoke: the PM is found by its long form.
    question = "What did the PM do with the budget on Monday in parliament?"
    assert "prime minister" in bot.retrieve(question, k=2)[0].passage.text
    bot.answer_settings = replace(bot.answer_settings, abstain_below=0.0, max_sentences=1)
    answer = bot.ask(question)
    assert "prime minister announced" in answer.citations[0].quote
