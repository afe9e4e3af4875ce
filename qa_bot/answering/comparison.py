"""Comparisons: "How do Markov and Suslov differ on Ukraine?" answered person by person.

A bi-encoder matches such a question to sentences where the two are named together, if any; the
user wants what each one says. Each person is asked about on their own ("What does Markov say
about Ukraine?", so the speaker rules of answer.py apply: only a passage that names him, or his
own article), and the answer sets their best quotes side by side, each cited, or says which of
them the articles do not quote on it. "What did Putin and Trump say about each other?" asks
each about the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from qa_bot.answering.answer import NO_ANSWER
from qa_bot.answering.question_type import names
from qa_bot.models import Answer, Citation, Hit

__all__ = ["compare_answers", "comparison_queries", "joined_answer"]

_EACH_OTHER = frozenset(("each other", "one another"))


def comparison_queries(first: str, second: str, topic: str) -> list[tuple[str, str, str | None]]:
    """Each person with the question that asks for their words on ``topic`` ("each other": the
    other person), and with no topic the sentences that name them (a subject request, for
    "What does Suslov say?" alone matches little): (person, query, subject or None)."""
    queries: list[tuple[str, str, str | None]] = []
    for person, other in ((first, second), (second, first)):
        about = other if topic.lower() in _EACH_OTHER else topic
        if about:
            queries.append((person, f"What does {person} say about {about}?", None))
        else:
            queries.append((person, person, person))
    return queries


def compare_answers(question: str, query: str, answers: Sequence[tuple[str, Answer]]) -> Answer:
    """One answer from each person's: their leading quote, cited, or a line saying the articles
    quote nothing of theirs on it; an abstention when neither is quoted."""
    parts: list[str] = []
    citations: list[Citation] = []
    numbers: dict[str, int] = {}
    for person, answer in answers:
        if answer.abstained or not answer.citations:
            parts.append(f"{person}: the articles quote nothing of theirs on this.")
            continue
        said = {c.quote for c in citations}
        # Their best quote that names them (a passage naming them may quote someone else).
        own = [c for c in answer.citations if c.quote not in said]
        lead = next((c for c in own if names([c.quote], person.split()[-1])), None)
        if lead is None:  # their only quote is the other one's ("about each other")
            parts.append(f"{person}: the articles quote nothing more of theirs on this.")
            continue
        number = numbers.setdefault(lead.passage_id, len(numbers) + 1)
        citations.append(replace(lead, number=number))
        parts.append(f"{person}: {' '.join(lead.quote.split())} [{number}]")
    return joined_answer(question, query, parts, citations, answers, answered=bool(citations))


def joined_answer(
    question: str,
    query: str,
    parts: Sequence[str],
    citations: Sequence[Citation],
    answers: Sequence[tuple[str, Answer]],
    *,
    answered: bool,
    confidence: Callable[[Iterable[float]], float] = max,
) -> Answer:
    """One answer made of several (each with what it answered): ``parts`` joined with their
    ``citations``, the answers' hits merged (first seen first, ranks renumbered) and their times
    summed, the ``confidence`` of those that did not abstain (of all when none did); when not
    ``answered``, an abstention."""
    hits: dict[str, Hit] = {}
    for _, answer in answers:
        for hit in answer.hits:
            hits.setdefault(hit.passage.passage_id, hit)
    ranked = tuple(replace(hit, rank=rank) for rank, hit in enumerate(hits.values(), start=1))
    scores = [a.confidence for _, a in answers if not a.abstained] or [
        min((a.confidence for _, a in answers), default=0.0)
    ]
    return Answer(
        question=question,
        text=" ".join(parts) if answered else NO_ANSWER,
        citations=tuple(citations),
        hits=ranked,
        abstained=not answered,
        confidence=confidence(scores),
        timings={"total": sum(a.timings.get("total", 0.0) for _, a in answers)},
        query=query,
    )
