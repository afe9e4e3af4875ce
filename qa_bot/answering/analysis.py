"""One analysis of a question, made once and read by every later step.

``analyse(question)`` gives a :class:`QueryAnalysis`: the question's wh-type, the kinds of
named entity an answer would hold (spaCy's labels: a "who" question expects a PERSON, ORG or
NORP; "when" a DATE or TIME; "how many" a CARDINAL, MONEY, PERCENT or QUANTITY), the names,
numbers and speaker it asks about, and its keywords. What is a name is the recogniser's call
(spaCy's small English model) together with the question's capitalised words; there is no list
of the articles' people or places, so a folder about floods or football is read the same way.

Sentences are recognised once too (:func:`entities`, cached by text): the decision model
(decision.py) asks whether a candidate sentence holds an entity of the expected kind that the
question does not already name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qa_bot.answering.answer_type import _pipeline, _words
from qa_bot.answering.question_type import (
    asked_speaker,
    expected_kind,
    question_names,
    question_numbers,
)

# The wh-types, in the order the features list them (decision.py).
WH_TYPES = ("who", "when", "where", "why", "how", "quantity", "which", "what", "yesno", "other")

# What an answer of each wh-type holds, in spaCy's entity labels.
_EXPECTS: dict[str, frozenset[str]] = {
    "who": frozenset({"PERSON", "ORG", "NORP"}),
    "when": frozenset({"DATE", "TIME"}),
    "where": frozenset({"GPE", "LOC", "FAC", "ORG"}),
    "quantity": frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"}),
}
# "Which company ...", "What town ...": the noun after which/what tells the kind (general
# English nouns, not names of any folder's world).
_PERSON_NOUNS = """person man woman official minister leader player coach manager executive
spokesman spokeswoman spokesperson chairman chair director scientist researcher judge lawyer
mayor councillor councilor author writer artist analyst member doctor officer candidate
president chief"""
_ORG_NOUNS = """company firm group organisation organization agency team club party bank union
body authority council court newspaper outlet paper university school department ministry
operator insurer retailer maker brand"""
_PLACE_NOUNS = "country city town village region province state place area"
_HEAD_KINDS: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (frozenset(_PERSON_NOUNS.split()), frozenset({"PERSON"})),
    (frozenset(_ORG_NOUNS.split()), frozenset({"ORG", "PRODUCT"})),
    (frozenset(_PLACE_NOUNS.split()), frozenset({"GPE", "LOC", "FAC"})),
    (frozenset(["year", "month", "day", "date"]), frozenset({"DATE"})),
)
_WH = re.compile(r"\b(who|whom|whose|when|where|why|how|which|what)\b", re.IGNORECASE)
_AUX = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "can",
        "could",
        "will",
        "would",
        "should",
        "may",
        "might",
    ]
)


@dataclass(frozen=True)
class QueryAnalysis:
    """What a question asks (see the module docstring)."""

    text: str
    wh: str
    expects: frozenset[str]
    kind: str | None  # question_type.expected_kind: "number", "date", "duration", "time"
    names: tuple[str, ...]
    numbers: tuple[str, ...]
    speaker: str | None  # whose words or view it asks for ("What did X say ...?")


def _wh_type(question: str) -> tuple[str, str]:
    """The wh-type and the word after the wh-word ("which company" -> ("which", "company"))."""
    words = re.findall(r"[\w'-]+", question.lower())
    if words and words[0] in _AUX:
        return "yesno", ""
    match = _WH.search(question)
    if match is None:
        return "other", ""
    word = match.group(1).lower()
    after = re.findall(r"[\w'-]+", question[match.end() :].lower())
    nxt = after[0] if after else ""
    if word in ("who", "whom", "whose"):
        return "who", nxt
    if word == "how":
        if nxt in ("many", "much"):
            return "quantity", nxt
        if nxt == "long":
            return "when", nxt
        return "how", nxt
    if word in ("which", "what"):
        # "What company", "which of the firms": the head noun, skipping one adjective.
        head = next((w for w in after[:3] if w not in _AUX and w not in ("of", "the")), "")
        return word, head
    return word, nxt


def _expects(wh: str, head: str, kind: str | None) -> frozenset[str]:
    if kind in ("number",):
        return _EXPECTS["quantity"]
    if kind in ("date", "time", "duration"):
        return _EXPECTS["when"]
    if wh in _EXPECTS:
        return _EXPECTS[wh]
    if wh in ("which", "what"):
        singular = head[:-1] if head.endswith("s") and len(head) > 3 else head
        for nouns, labels in _HEAD_KINDS:
            if head in nouns or singular in nouns:
                return labels
    return frozenset()


@lru_cache(maxsize=4096)
def analyse(question: str) -> QueryAnalysis:
    """The analysis of ``question`` (cached: the same question is analysed once)."""
    wh, head = _wh_type(question)
    kind = expected_kind(question)
    found = [e for e, _ in entities(question) if e[:1].isupper() or e[:1].isdigit()]
    names = tuple(dict.fromkeys([*question_names(question), *found]))
    return QueryAnalysis(
        text=question,
        wh=wh,
        expects=_expects(wh, head, kind),
        kind=kind,
        names=names,
        numbers=tuple(question_numbers(question)),
        speaker=asked_speaker(question),
    )


@lru_cache(maxsize=65536)
def entities(text: str) -> tuple[tuple[str, str], ...]:
    """The named entities of ``text`` as (text, label), cached by text; none when the
    recogniser is not installed."""
    nlp = _pipeline()
    if nlp is None:
        return ()
    return tuple((ent.text, ent.label_) for ent in nlp(text).ents)


def new_entity(analysis: QueryAnalysis, text: str) -> bool:
    """Whether ``text`` names an entity of a kind the question expects that the question does
    not name itself (the answer to "Who ...?" is someone the question does not name)."""
    if not analysis.expects:
        return False
    asked = _words(analysis.text)
    return any(
        label in analysis.expects and not _words(ent) <= asked for ent, label in entities(text)
    )
