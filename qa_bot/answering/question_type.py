"""What a question names and what kind of answer it asks for: the cues behind abstaining.

A bi-encoder scores "How much are Russia's reserves worth?" high against a sentence about the
reserves that gives no figure, and "What did NATO's secretary general say?" high against a
sentence about what someone else said. Two checks catch such questions, on topic but not
answered by the articles:

- names: the question's names ("NATO", "Harris", "Brazil") must occur in the passages the answer
  would quote, their headlines or their articles' outlet/author;
- the kind of answer: a question asking for a quantity ("how many", "how much money", "what
  share") needs a sentence with a number the question does not already give, one asking for a
  date or year ("what date", "which year") a sentence with a date, one asking for a duration
  ("how long") a sentence with a number, a date or a "since".

Both are deliberately narrow: a question word alone like "when" or "who" is not enough ("Who
is the audience for the flattery?" is answered by "domestic audiences"). Not caught: questions
whose answer would be a name ("Who did Trump choose as CIA director?" against a sentence saying
Moscow watches that post); a check for a new capitalised word did not separate them, since
news sentences nearly always have one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from qa_bot.answering.abbreviations import canonical

# Capitalised words that are not names: question words, auxiliaries, pronouns.
_NOT_NAMES = frozenset(
    [
        "what",
        "why",
        "how",
        "who",
        "whom",
        "whose",
        "which",
        "when",
        "where",
        "does",
        "did",
        "do",
        "is",
        "are",
        "was",
        "were",
        "could",
        "would",
        "should",
        "can",
        "has",
        "have",
        "had",
        "in",
        "on",
        "at",
        "according",
        "and",
        "but",
        "or",
        "i",
        "the",
        "a",
        "an",
        "if",
        "since",
        "after",
        "before",
        "as",
        "during",
        "for",
        "from",
        "of",
        "to",
        "with",
    ]
)
_NAME = re.compile(r"\b[A-Z][\w-]*")
_POSSESSIVE = re.compile(r"[’']s\b")
_FIRST_WORD = re.compile(r"^\W*([A-Za-z][\w-]*)")

_ASKS_NUMBER = re.compile(
    r"\bhow\s+many\b"
    r"|\bhow\s+much\b(?!\s+(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could)\b)"
    r"|\bhow\s+much\b.*\b(?:worth|cost|costs|spend|spent|pay|paid|dollars|euros|roubles|rubles)\b"
    r"|\bwhat\s+(?:number|percentage|share|proportion|amount|sum|figure|price|cost)\b"
    r"|\bwhich\s+number\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"\b(?:what|which)\s+(?:date|day|year|month)\b|\bin\s+what\s+year\b|\bon\s+what\s+day\b",
    re.IGNORECASE,
)
_ASKS_DURATION = re.compile(r"\bhow\s+long\b", re.IGNORECASE)
_SINCE = re.compile(r"\bsince\b", re.IGNORECASE)
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    "hundred hundreds thousand thousands million millions billion billions trillion dozen dozens "
    "half quarter percent"
)
_HAS_NUMBER = re.compile(
    rf"\d+(?:[.,]\d+)*|\b(?:{'|'.join(_NUMBER_WORDS.split())})\b", re.IGNORECASE
)
_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday "
    "saturday sunday yesterday today tomorrow"
)
_HAS_DATE = re.compile(
    rf"\b(?:1[6-9]|20)\d\d\b|\b(?:{'|'.join(_MONTHS.split())})\b"
    r"|\b(?:last|next|this)\s+(?:week|month|year|spring|summer|autumn|fall|winter)\b",
    re.IGNORECASE,
)


def question_names(question: str) -> list[str]:
    """Capitalised words of a question that look like names ("NATO", "Harris", "India").

    The first word is capitalised anyway, so it counts only when written in capitals ("EU").
    """
    text = _POSSESSIVE.sub("", question)
    first = _FIRST_WORD.match(text)
    skip = first.start(1) if first and not first.group(1).isupper() else -1
    return [
        m.group(0)
        for m in _NAME.finditer(text)
        if m.start() != skip and m.group(0).lower() not in _NOT_NAMES
    ]


# Countries are named several ways: "British" in a question, "UK" in the article.
_ALIASES = [
    ("us", "u.s", "usa", "america", "american", "united states"),
    ("uk", "u.k", "britain", "british", "united kingdom"),
    ("russia", "russian"),
    ("ukraine", "ukrainian"),
    ("eu", "european union"),
    ("china", "chinese"),
    ("germany", "german"),
    ("france", "french"),
    ("canada", "canadian"),
    ("india", "indian"),
]
_ALIAS = {form: group for group in _ALIASES for form in group}


def missing_names(question: str, texts: Iterable[str]) -> list[str]:
    """The question's names that none of ``texts`` contains (case-insensitive).

    A name matches at the start of a word ("Russian" in "Russians"), by another name of the
    same country ("British" by "UK") or by another form of the same abbreviation ("PM" by
    "prime minister", abbreviations.py); a name in capitals ("UN") only as a whole word.
    """
    text = canonical(" ".join(texts))
    return [
        name
        for name in question_names(canonical(question))
        if not any(
            re.search(
                rf"(?<!\w){re.escape(form)}" + (r"(?!\w)" if name.isupper() else ""),
                text,
                flags=re.IGNORECASE,
            )
            for form in _ALIAS.get(name.lower(), (name,))
        )
    ]


def question_numbers(question: str) -> list[str]:
    """The numbers and years a question gives in digits ("2017", "47")."""
    return re.findall(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])", question)


def expected_kind(question: str) -> str | None:
    """``"number"``, ``"date"`` or ``"duration"`` when the question asks for one, else ``None``."""
    if _ASKS_DATE.search(question):
        return "date"
    if _ASKS_NUMBER.search(question):
        return "number"
    if _ASKS_DURATION.search(question):
        return "duration"
    return None


def has_kind(text: str, kind: str, question: str = "") -> bool:
    """Whether ``text`` contains something of the ``kind`` asked for that the question itself
    does not already say (a sentence repeating the question's "2022" gives no figure).

    A duration ("how long") is given by a number ("three years"), a date ("since 2014", "until
    March") or a "since" ("since the invasion").
    """
    if kind == "duration":
        return (
            has_kind(text, "number", question)
            or has_kind(text, "date", question)
            or _SINCE.search(text) is not None
        )
    pattern = _HAS_DATE if kind == "date" else _HAS_NUMBER
    own = {m.group(0).lower() for m in pattern.finditer(question)}
    return any(m.group(0).lower() not in own for m in pattern.finditer(text))
