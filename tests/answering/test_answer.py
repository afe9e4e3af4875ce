"""Extractive answers: quotes that refer back carry the sentence they refer to."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_bot.answering.answer import _quote_span
from qa_bot.bot import QABot
from qa_bot.index.embedding import HashEmbedder
from qa_bot.models import Passage, Span

pytestmark = pytest.mark.unit


def _passage(*sentences: str, sep: str = " ") -> Passage:
    text = sep.join(sentences)
    spans, pos = [], 0
    for sentence in sentences:
        start = text.index(sentence, pos)
        spans.append(Span(start, start + len(sentence)))
        pos = start + len(sentence)
    return Passage("p1", "d1", "Title", text, 0, len(text), tuple(spans))


STORM = "A storm cut the power lines on Friday."
REFERS = "This left the harbour dark for two days."
PLAIN = "Ferries kept running to the islands."


def test_a_sentence_that_refers_back_is_quoted_with_the_one_before() -> None:
    passage = _passage(STORM, REFERS, PLAIN)
    start, end = _quote_span(passage, 1, {("p1", 1)})
    assert passage.text[start:end] == f"{STORM} {REFERS}"


@pytest.mark.parametrize(
    "opening",
    ["This", "That", "These", "Those", "It", "They", "Such", "He", "She", "Its", "“It"],
)
def test_referring_openings(opening: str) -> None:
    sentence = f"{opening} mattered to the harbour for days."
    passage = _passage(STORM, sentence)
    assert _quote_span(passage, 1, {("p1", 1)})[0] == 0


def test_no_context_when_not_needed_or_not_available() -> None:
    passage = _passage(STORM, PLAIN, REFERS)
    # A plain sentence stands alone; the first sentence has nothing before it.
    assert passage.text[slice(*_quote_span(passage, 1, {("p1", 1)}))] == PLAIN
    first = _passage(REFERS, STORM)
    assert first.text[slice(*_quote_span(first, 0, {("p1", 0)}))] == REFERS
    # The sentence before is quoted already: not twice.
    assert passage.text[slice(*_quote_span(passage, 2, {("p1", 1), ("p1", 2)}))] == REFERS
    # "This," as a discourse marker is not a reference ("This, too, ..." is rare; ": " lists).
    marker = _passage(STORM, "That: the ferries, the lights and the port.")
    assert marker.text[slice(*_quote_span(marker, 1, {("p1", 1)}))].startswith("That:")
    # A paragraph break between them: the sentence before belongs to another thought.
    split = _passage(STORM, REFERS, sep="\n\n")
    assert split.text[slice(*_quote_span(split, 1, {("p1", 1)}))] == REFERS


def test_answer_quotes_the_context_verbatim_and_cites_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text(
        f"Harbour news\n\n{STORM} {REFERS} {PLAIN}\n", encoding="utf-8"
    )
    bot = QABot.from_corpus(corpus, tmp_path / "index", embedder=HashEmbedder(512))
    answer = bot.ask("What left the harbour dark for two days?")
    assert not answer.abstained
    quotes = [c.quote for c in answer.citations]
    assert f"{STORM} {REFERS}" in quotes
    for citation in answer.citations:
        passage = next(
            h.passage for h in answer.hits if h.passage.passage_id == citation.passage_id
        )
        assert passage.text[citation.start : citation.end] == citation.quote
    assert f"{STORM} {REFERS} [1]" in answer.text
