"""Sentence splitting with character offsets.

The splitter is a small rule set tuned for English news text:

- every line break ends a sentence (headings, bylines and bullets sit on their own lines);
- inside a line, a sentence ends after ``.``, ``!``, ``?``, ``...`` or ``…`` (plus any closing
  quotes or brackets, which stay with the sentence) followed by whitespace and a character that
  is not a lowercase letter;
- a ``.`` does not end a sentence after a title or Latin abbreviation (``Dr.``, ``St.``,
  ``e.g.``, ``vs.``), after ``No.``/month abbreviations when a digit follows (``Nov. 7``), or
  after an initial or dotted acronym (``K. Rahmani``, ``U.S. officials``) unless the next word
  is a common sentence opener (``the U.S. The next day`` splits, ``the U.S. Senate`` does not).
"""

from __future__ import annotations

import re

from qa_bot.models import Span

# str.splitlines() boundaries, so a "line" here is what Python calls a line.
_LINE = re.compile(r"[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")
LINE_BREAK = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
# Closing quotes and brackets, which stay with the sentence they end.
CLOSERS = "\"'”’»)]"
_OPENERS = "\"'“‘«(["
_BOUNDARY = re.compile(r"[.!?…]+[" + re.escape(CLOSERS) + r"]*(?=\s)")
_DOTTED = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Abbreviations that (almost) never end a sentence in news text.
_NEVER_SPLIT = _wordset(
    "mr mrs ms mx dr prof st sr jr gen sen rep gov lt col capt cmdr sgt maj adm rev hon pres "
    "supt insp det mt ft messrs mme mlle e.g i.e eg ie vs v cf al approx viz"
)
# Abbreviations that precede a number ("No. 5", "Nov. 7, 2024") and otherwise may end one.
_BEFORE_DIGIT = _wordset(
    "no nos vol vols p pp art arts fig figs ch sec para op "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
# After an initial or a dotted acronym, only these words make the "." a sentence end.
_STARTERS = _wordset(
    "The This That These Those It Its He She They We I You But And However In On At A An "
    "There His Her Their Our Meanwhile Yet So If When While As After Before Still Now Then "
    "Also According For Since Despite Although Though What Why How Who"
)


def split_sentences(text: str) -> list[Span]:
    """Split text into sentences.

    Args:
        text: Any text.

    Returns:
        Sentence spans (offsets into ``text``) in order, non-overlapping, each non-empty and
        stripped of surrounding whitespace; together they cover every non-whitespace character.
    """
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        line_start, line_end = line.span()
        start = line_start
        for mark in _BOUNDARY.finditer(text, line_start, line_end):
            nxt = mark.end()
            while nxt < line_end and text[nxt].isspace():
                nxt += 1
            if nxt >= line_end:
                break
            if _ends_sentence(text, mark.start(), mark.end(), nxt, line_start):
                _append_stripped(spans, text, start, mark.end())
                start = nxt
        _append_stripped(spans, text, start, line_end)
    return spans


def _ends_sentence(text: str, mark_start: int, mark_end: int, nxt: int, line_start: int) -> bool:
    first = text[nxt]
    if first.islower():
        return False
    if text[mark_start:mark_end].rstrip(CLOSERS) != ".":
        return True
    i = mark_start
    # Abbreviations are short; looking back a bounded distance keeps long lines linear.
    lowest = max(line_start, mark_start - 32)
    while i > lowest and not text[i - 1].isspace():
        i -= 1
    token = text[i:mark_start].lstrip(_OPENERS)
    lowered = token.lower()
    if lowered in _NEVER_SPLIT:
        return False
    if lowered in _BEFORE_DIGIT:
        return not first.isdigit()
    if (len(token) == 1 and token.isupper()) or _DOTTED.fullmatch(token):
        end = nxt
        while end < len(text) and end - nxt < 20 and text[end].isalpha():
            end += 1
        return text[nxt:end] in _STARTERS
    return True


def _append_stripped(spans: list[Span], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append(Span(start, end))
