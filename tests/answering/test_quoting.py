"""Quotes that read on their own: pronoun-led sentences carry their referent, quotations whole."""

from __future__ import annotations

import pytest

from qa_bot.answering.quoting import is_heading, opening_span, quote_span
from qa_bot.models import Passage, Span

pytestmark = pytest.mark.unit

STORM = "A storm cut the power lines on Friday."
REFERS = "This left the harbour dark for two days."
PLAIN = "Ferries kept running to the islands."


def _passage(*sentences: str, sep: str = " ") -> Passage:
    text = sep.join(sentences)
    spans, pos = [], 0
    for sentence in sentences:
        start = text.index(sentence, pos)
        spans.append(Span(start, start + len(sentence)))
        pos = start + len(sentence)
    return Passage("p1", "d1", "Title", text, 0, len(text), tuple(spans))


def _quote(passage: Passage, index: int) -> str | None:
    span = quote_span(passage, index)
    return None if span is None else passage.text[span[0] : span[1]]


def test_a_sentence_that_refers_back_is_quoted_with_the_one_before() -> None:
    assert _quote(_passage(STORM, REFERS, PLAIN), 1) == f"{STORM} {REFERS}"


@pytest.mark.parametrize(
    "opening",
    [
        *("This", "That", "These", "Those", "It", "They", "Such", "He", "She", "Its", "“It"),
        *("But they", "And it", "Yet he", "So this"),
    ],
)
def test_referring_openings(opening: str) -> None:
    closing = "”" if opening.startswith("“") else ""
    sentence = f"{opening} mattered to the harbour for days,{closing} she said."
    assert _quote(_passage(STORM, sentence), 1) == f"{STORM} {sentence}"


def test_a_plain_sentence_stands_alone() -> None:
    assert _quote(_passage(STORM, PLAIN, REFERS), 1) == PLAIN
    # "That:" introduces a list; it refers to nothing before it.
    marker = "That: the ferries, the lights and the port."
    assert _quote(_passage(STORM, marker), 1) == marker
    # A conjunction alone leans on nothing.
    but = "But the ferries kept running to the islands."
    assert _quote(_passage(STORM, but), 1) == but


def test_a_pronoun_led_sentence_without_its_referent_is_not_quoted() -> None:
    # Nothing before it in the passage, or a paragraph break between them.
    assert _quote(_passage(REFERS, STORM), 0) is None
    assert _quote(_passage(STORM, REFERS, sep="\n\n"), 1) is None


MARKOV = (
    'However, "this is an unofficial congratulation.',
    "Russia does not provide an official written congratulation to the US because both "
    'countries are not on friendly terms," Sergei Markov tells TRT World.',
)


@pytest.mark.parametrize("quotes", [('"', '"'), ("“", "”")])
def test_a_sentence_cut_inside_a_quotation_is_quoted_with_the_whole_quotation(
    quotes: tuple[str, str],
) -> None:
    first, second = MARKOV[0].replace('"', quotes[0]), MARKOV[1].replace('"', quotes[1])
    passage = _passage(STORM, first, second, PLAIN)
    whole = f"{first} {second}"
    assert _quote(passage, 2) == whole  # cut after the opening mark's sentence
    assert _quote(passage, 1) == whole  # the opening sentence runs on into the next
    assert _quote(passage, 3) == PLAIN


def test_a_quotation_opened_before_the_passage_starts_is_not_quoted() -> None:
    assert _quote(_passage(MARKOV[1], PLAIN), 0) is None
    assert _quote(_passage(PLAIN, MARKOV[0]), 1) is None
    assert _quote(_passage(MARKOV[1], PLAIN), 1) == PLAIN


def test_quotations_closed_within_the_sentence_change_nothing() -> None:
    sentence = 'Trump\'s victory is "good news" for Russia, says Markov.'
    assert _quote(_passage(STORM, sentence), 1) == sentence


def test_a_quotation_too_long_to_quote_whole_is_not_quoted() -> None:
    parts = ['He said: "One.', "Two.", "Three.", 'Four," he added.']
    passage = _passage(STORM, *parts)
    assert _quote(passage, 3) is None


def _opening(passage: Passage, sentences: int = 3) -> str | None:
    span = opening_span(passage, sentences)
    return None if span is None else passage.text[span[0] : span[1]]


def test_the_opening_is_the_first_sentences_after_any_heading() -> None:
    fourth = "Crews were praised."
    passage = _passage("Harbour news", "By Dana Whitfield", STORM, REFERS, PLAIN, fourth, sep="\n")
    assert is_heading("Harbour news") and is_heading("By Dana Whitfield")
    assert not is_heading(STORM) and not is_heading('He said "no."')
    assert _opening(passage) == f"{STORM}\n{REFERS}\n{PLAIN}"
    assert _opening(passage, 1) == STORM
    assert _opening(_passage("Only a heading")) is None


def test_the_opening_takes_a_quotation_that_runs_on_whole() -> None:
    first, second, third = (
        'The mayor said: "The storm was bad.',
        'It was the worst."',
        "Then he left.",
    )
    assert _opening(_passage(first, second, third), 1) == f"{first} {second}"
