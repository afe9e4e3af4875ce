"""Compound questions: "Where is Oleg Ignatov based, and who does he work for?" part by part.

A bi-encoder matches a two-part question to sentences about either part, and the answer's three
quotes then answer the first part twice or mix both; the user wants each part answered. A
question of two clauses joined by "and", each a question of its own (a question word or an
auxiliary verb: "who does he …", "what was her job", "did he resign"), is split in two; the
second part's pronouns are resolved against the first ("who does Oleg Ignatov work for?", as a
follow-up would be, followup.py), each part is answered on its own, and the answers are set one
after the other with their citations renumbered, at most two quotes a part and none twice. A
part the articles do not answer is said so; the whole abstains only when no part is answered.

Not split: "How do Markov and Suslov differ?" (what follows "and" is not a question),
"What is the gap between what Putin said and what he did?" (no auxiliary after "what"), "What
did he say, and why?" (a one-word second part: an elliptic follow-up, answered as one question).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from qa_bot.answering.answer import quoted_text
from qa_bot.answering.comparison import joined_answer
from qa_bot.answering.followup import contextualize
from qa_bot.models import Answer, Citation

__all__ = ["MAX_PART_QUOTES", "combine_answers", "compound_parts"]

_WH = r"(?:what|why|how|who|whom|whose|when|where|which)"
_AUX = (
    r"(?:is|was|are|were|do|does|did|has|have|had|can|could|will|would|should|may|might|"
    r"must)"
)
# A clause that asks: a question word with an auxiliary at most two words after it ("which
# organisation does he …", "how much did it …"), or an auxiliary first ("did he resign"); the
# auxiliary is followed by more ("what he did" is a clause of the question, not a question).
_CLAUSE = rf"(?:{_WH}(?:\s+[\w'’-]+){{0,2}}?\s+)?{_AUX}\s+\w[^?]*?"
_COMPOUND = re.compile(
    # The first part may open with a phrase before a comma ("Apart from Ukraine, where do …").
    rf"^\W*(?P<a>(?:[^,?]+,\s*)?(?:{_WH}|{_AUX})\b[^?]*?)\s*[,;]?\s+and\s+"
    rf"(?P<b>{_CLAUSE})\s*\?*\s*$",
    re.IGNORECASE,
)
_MIN_PART_WORDS = 3
# Each part is answered with at most this many quotes: two parts of three would be a page.
MAX_PART_QUOTES = 2


def compound_parts(question: str) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """The two questions a compound question asks, each as (the part as asked, the part to
    search: the second with its pronouns resolved against the first), or None when ``question``
    is not compound (see the module docstring)."""
    match = _COMPOUND.match(question.strip())
    if match is None:
        return None
    first, second = match.group("a").strip(" ,;"), match.group("b").strip()
    if min(len(first.split()), len(second.split())) < _MIN_PART_WORDS:
        return None
    first = f"{first[0].upper()}{first[1:]}?"
    second = f"{second[0].upper()}{second[1:]}?"
    # "Apart from Ukraine, where …": its opening word is capitalised as the question's first,
    # not as a name ("Apart" would be taken for someone "he" might be).
    earlier = re.sub(r"^[A-Z](?=[a-z]+\s+[a-z])", lambda m: m.group().lower(), first)
    return (first, first), (second, contextualize(second, [earlier]))


def _key(citation: Citation) -> tuple[str, int, int]:
    return citation.passage_id, citation.start, citation.end


def _number(numbers: dict[str, int], citation: Citation) -> int:
    """The citation's number in the combined answer: one per passage, in order of first use."""
    return numbers.setdefault(citation.passage_id, len(numbers) + 1)


def _renumbered(text: str, mapping: dict[int, int]) -> str:
    return re.sub(
        r"\[(\d+)\]", lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", text
    )


def combine_answers(question: str, query: str, answers: Sequence[tuple[str, Answer]]) -> Answer:
    """One answer from the parts' answers, in order: each part's text with its citations
    renumbered (one number per passage across the parts), or a line saying the articles do not
    answer that part; an abstention when no part is answered."""
    parts: list[str] = []
    citations: list[Citation] = []
    quoted: set[tuple[str, int, int]] = set()
    numbers: dict[str, int] = {}
    for part, answer in answers:
        if answer.abstained:
            # After quotes for an earlier part, which may answer this one too: nothing *else*.
            found = "nothing else" if citations else "nothing"
            parts.append(f"I found {found} in the articles that answers “{part}”.")
            continue
        if answer.text != quoted_text(answer.citations):
            # Not quotes (an article's facts, a list of articles): its text, renumbered.
            mapping = {c.number: _number(numbers, c) for c in answer.citations}
            new = [c for c in answer.citations if _key(c) not in quoted]
            citations.extend(replace(c, number=mapping[c.number]) for c in new)
            quoted.update(_key(c) for c in new)
            parts.append(_renumbered(answer.text, mapping))
            continue
        # Quotes (answer.py): none when its best one was quoted for an earlier part already (one
        # sentence may answer both: "…, a Brussels-based analyst at the International Crisis
        # Group"; the rest would be padding), else at most MAX_PART_QUOTES not quoted before.
        if _key(answer.citations[0]) in quoted:
            continue
        own = [c for c in answer.citations if _key(c) not in quoted][:MAX_PART_QUOTES]
        own = [replace(c, number=_number(numbers, c)) for c in own]
        quoted.update(_key(c) for c in own)
        citations.extend(own)
        parts.append(quoted_text(own))
    answered = any(not answer.abstained for _, answer in answers)
    return joined_answer(
        question, query, parts, citations, answers, answered=answered, confidence=min
    )
