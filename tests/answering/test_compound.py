"""Compound questions: each part answered on its own, the answers set one after the other."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_bot.answering.answer import NO_ANSWER
from qa_bot.answering.compound import combine_answers, compound_parts
from qa_bot.bot import QABot
from qa_bot.index.embedding import HashEmbedder
from qa_bot.models import Answer, Citation

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("question", "first", "second"),
    [
        (
            "Where is Dana Whitfield based, and who does she work for?",
            "Where is Dana Whitfield based?",
            "Who does Dana Whitfield work for?",
        ),
        (
            "Who is Whitfield and what does she think about the quay?",
            "Who is Whitfield?",
            "What does Whitfield think about the quay?",
        ),
        (
            "Did the board pay for the quay and did the ferries use it?",
            "Did the board pay for the quay?",
            "Did the ferries use it?",
        ),
        (
            "Apart from the quay, what did Whitfield open, and when did she open it?",
            "Apart from the quay, what did Whitfield open?",
            "When did Whitfield open it?",
        ),
    ],
)
def test_a_compound_question_is_two_questions(question: str, first: str, second: str) -> None:
    parts = compound_parts(question)
    assert parts is not None
    (asked_first, searched_first), (asked_second, searched_second) = parts
    assert asked_first == searched_first == first
    assert searched_second.startswith(second)  # the first part's terms may follow in brackets
    assert asked_second == second.replace("Dana Whitfield", "she").replace("Whitfield", "she")


@pytest.mark.parametrize(
    "question",
    [
        "How do Whitfield and the board differ on the quay?",  # "and" joins two names
        "What is the gap between what Whitfield said and what she did?",  # no question after
        "What did she say, and why?",  # one word: an elliptic follow-up, not a question
        "What sanctions and tariffs did the US impose?",
        "Which articles mention the quay?",
    ],
)
def test_other_questions_are_not_compound(question: str) -> None:
    assert compound_parts(question) is None


def _citation(number: int, passage: str, quote: str, start: int = 0) -> Citation:
    return Citation(number, passage, "doc", "Harbour news", quote, start, start + len(quote))


def _answer(*citations: Citation, abstained: bool = False, text: str | None = None) -> Answer:
    body = " ".join(f"{c.quote} [{c.number}]" for c in citations)
    return Answer(
        question="q",
        text=NO_ANSWER if abstained else (text if text is not None else body),
        citations=citations,
        hits=(),
        abstained=abstained,
        confidence=0.2 if abstained else 0.6,
    )


def test_the_answers_are_joined_with_one_number_per_passage() -> None:
    first = _answer(_citation(1, "p1", "Whitfield runs the quay."), _citation(2, "p2", "A."))
    second = _answer(_citation(1, "p3", "She joined in 2019."), _citation(2, "p1", "B.", 40))
    answer = combine_answers("q?", "q?", [("One?", first), ("Two?", second)])
    assert answer.text == "Whitfield runs the quay. [1] A. [2] She joined in 2019. [3] B. [1]"
    assert [c.number for c in answer.citations] == [1, 2, 3, 1]
    assert not answer.abstained


def test_a_quote_given_for_the_first_part_is_not_given_again() -> None:
    lead = _citation(1, "p1", "Whitfield, the harbour master at Dover, runs the quay.")
    first = _answer(lead, _citation(2, "p2", "Padding."))
    second = _answer(lead, _citation(2, "p3", "More padding."))
    answer = combine_answers("q?", "q?", [("One?", first), ("Two?", second)])
    assert answer.text == f"{lead.quote} [1] Padding. [2]"  # its best quote answered it already


def test_each_part_gives_at_most_two_quotes() -> None:
    quotes = [_citation(n, f"p{n}", f"Quote {n}.") for n in (1, 2, 3)]
    answer = combine_answers("q?", "q?", [("One?", _answer(*quotes))])
    assert len(answer.citations) == 2


def test_a_part_the_articles_do_not_answer_is_said_so() -> None:
    first = _answer(_citation(1, "p1", "Whitfield runs the quay."))
    answer = combine_answers(
        "q?", "q?", [("One?", first), ("Did she reply?", _answer(abstained=True))]
    )
    assert answer.text.endswith(
        "I found nothing else in the articles that answers “Did she reply?”."
    )
    assert not answer.abstained
    none = combine_answers("q?", "q?", [("One?", _answer(abstained=True))] * 2)
    assert none.abstained and none.text == NO_ANSWER and not none.citations


def test_an_answer_that_is_not_quotes_is_renumbered() -> None:
    first = _answer(_citation(1, "p1", "Whitfield runs the quay."))
    facts = _answer(
        _citation(1, "p9", "Opening sentence."), text="“Quay news” was written by Dana [1]."
    )
    answer = combine_answers("q?", "q?", [("One?", first), ("Who wrote it?", facts)])
    assert answer.text == "Whitfield runs the quay. [1] “Quay news” was written by Dana [2]."


def test_the_bot_answers_each_part(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "harbour.txt").write_text(
        "Harbour news\n\nDana Whitfield works in Dover as the harbour master. "
        "The harbour board paid for the new quay in March.\n",
        encoding="utf-8",
    )
    (corpus / "ferries.txt").write_text(
        "Ferry news\n\nThe island ferries sail twice a day in summer. Tickets cost two euros.\n",
        encoding="utf-8",
    )
    bot = QABot.from_corpus(corpus, tmp_path / "index", embedder=HashEmbedder(512))
    answer = bot.ask("Who paid for the new quay, and how often do the ferries sail?")
    assert "The harbour board paid for the new quay in March." in answer.text
    assert "The island ferries sail twice a day in summer." in answer.text
    # A part the articles do not answer does not cost the other its answer.
    answer = bot.ask("Who paid for the new quay, and what did Olaf Scholz say about it?")
    assert not answer.abstained
    assert "The harbour board paid for the new quay in March. [1]" in answer.text
    assert answer.text.endswith("answers “What did Olaf Scholz say about it?”.")
