"""Common abbreviations and their long forms, so that either finds the other.

"What did the PM say?" should find "the prime minister said", and "chief executive" a
sentence about the CEO. :func:`expand` adds to a text the other forms of every abbreviation or
long form it contains, and retrieval's keyword search (retrieval.py) expands the question;
:func:`canonical` writes every form as its short form, and the answer's keyword bonus (answer.py)
compares the question and each sentence that way. The name check of question_type.py treats the
forms of a group as one name.

Short forms match only in capitals ("US", "U.S.", not the pronoun "us"); long forms in any case.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["GROUPS", "canonical", "expand", "forms_of"]

# Each group: the short forms (capitals, dotted or not) first, then the long forms.
GROUPS: tuple[tuple[str, ...], ...] = (
    ("US", "U.S.", "USA", "United States"),
    ("UK", "U.K.", "United Kingdom"),
    ("UN", "U.N.", "United Nations"),
    ("EU", "European Union"),
    ("NATO", "North Atlantic Treaty Organization"),
    ("PM", "prime minister"),
    ("CEO", "chief executive"),
    ("CFO", "chief financial officer"),
    ("GDP", "gross domestic product"),
    ("FBI", "Federal Bureau of Investigation"),
    ("CIA", "Central Intelligence Agency"),
    ("IMF", "International Monetary Fund"),
    ("WHO", "World Health Organization"),
)


def _is_short(form: str) -> bool:
    return form.replace(".", "").isupper()


@cache
def _patterns() -> tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]:
    out = []
    for group in GROUPS:
        alternatives = []
        for form in group:
            body = re.escape(form)
            if _is_short(form):
                alternatives.append(rf"(?<![\w.]){body}(?![\w])")  # capitals only
            else:
                alternatives.append(rf"(?i:\b{body}s?\b)")
        out.append((group, re.compile("|".join(alternatives))))
    return tuple(out)


def forms_of(text: str) -> list[tuple[str, ...]]:
    """The groups with a form occurring in ``text``."""
    return [group for group, pattern in _patterns() if pattern.search(text)]


def expand(text: str) -> str:
    """``text`` followed by the other forms of each abbreviation group it mentions (an undotted
    short form and the long form), or ``text`` itself when it mentions none."""
    extra: list[str] = []
    for group in forms_of(text):
        short = next(f for f in group if _is_short(f) and "." not in f)
        long = group[-1]
        extra += [f for f in (short, long) if f not in text]
    return f"{text} {' '.join(extra)}" if extra else text


def canonical(text: str) -> str:
    """``text`` with every form of an abbreviation group written as its short form ("the prime
    minister" -> "the PM"), so that texts using different forms share their words."""
    for group, pattern in _patterns():
        short = next(f for f in group if _is_short(f) and "." not in f)
        text = pattern.sub(short, text)
    return text
