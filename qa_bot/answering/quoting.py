"""Where a quote starts and ends in its passage: whole sentences that can be read on their own.

A chosen sentence is not always quotable as it stands:

- it may lean on the one before ("This has led to a cautious approach from Moscow."): it is
  quoted together with the sentence before it, when that one is in the same paragraph;
- it may lie inside a quotation that a sentence splitter cut at a full stop
  (``However, "this is unofficial. Russia does not … friendly terms," Markov says.``): the quote
  is widened to the whole quotation, opening and closing marks included.

When neither can be mended inside the passage (the quotation opens before the passage starts, or
a pronoun-led sentence opens a paragraph), the sentence is not quoted at all (``None``).
"""

from __future__ import annotations

import re

from qa_bot.models import Citation, Passage

__all__ = ["cite", "is_heading", "opening_span", "quote_span", "refers_back"]

# A sentence opening with one of these, after a conjunction or not, leans on the one before
# ("This has led to a cautious approach from Moscow.", "But they are feeling 'cautious ...'"):
# quoted alone it does not say what "this" is or who "they" are.
_REFERS_BACK = re.compile(
    r"^\W*(?:(?:but|and|yet|so|still|or)\s+)?"
    r"(?:this|that|these|those|it|its|they|their|such|he|his|she|her)\b(?!\s*[,:;])",
    re.IGNORECASE,
)
# Double quotation marks; a straight one opens when it follows a space, a bracket or a dash.
_MARK = re.compile(r"[\"“”]")
_OPENS_AFTER = " \t\n([{—–-/"
# A quote is widened by at most this many sentences in all.
MAX_EXTRA_SENTENCES = 2


# A sentence ends with one of these; a "sentence" that does not is a heading or a byline.
_SENTENCE_END = re.compile(r"[.!?…\"'”’)\]]\s*$")


def is_heading(text: str) -> bool:
    """Whether ``text`` is a heading (or a byline) rather than a sentence: it has no end mark."""
    return not _SENTENCE_END.search(text)


def refers_back(text: str) -> bool:
    """Whether ``text`` opens with a pronoun or demonstrative that points at an earlier sentence."""
    return _REFERS_BACK.match(text) is not None


def _quotations(text: str) -> tuple[list[tuple[int, int]], list[int]]:
    """The quotations of ``text`` as (opening mark, closing mark) positions, paired within a
    paragraph, and the positions of marks left unpaired."""
    pairs: list[tuple[int, int]] = []
    unpaired: list[int] = []
    opened: int | None = None
    for match in _MARK.finditer(text):
        pos, mark = match.start(), match.group()
        if pos and opened is not None and "\n" in text[opened:pos]:
            unpaired.append(opened)  # a quotation does not run on into the next paragraph
            opened = None
        opening = mark == "“" or (mark == '"' and (pos == 0 or text[pos - 1] in _OPENS_AFTER))
        if opening and opened is None:
            opened = pos
        elif not opening and opened is not None:
            pairs.append((opened, pos))
            opened = None
        else:
            unpaired.append(pos)
    if opened is not None:
        unpaired.append(opened)
    return pairs, unpaired


def _sentence_at(passage: Passage, pos: int) -> int | None:
    for i, span in enumerate(passage.sentences):
        if span.start <= pos < span.end:
            return i
    return None


def quote_span(passage: Passage, index: int) -> tuple[int, int] | None:
    """Where the quote of sentence ``index`` starts and ends in ``passage.text``, widened so it
    can be read on its own (see the module docstring), or ``None`` when it cannot be."""
    sentences = passage.sentences
    first = last = index
    text = passage.text
    if refers_back(text[sentences[index].start : sentences[index].end]):
        if index == 0 or "\n" in text[sentences[index - 1].start : sentences[index].start]:
            return None  # what it refers to is not in its paragraph of the passage
        first = index - 1
    pairs, unpaired = _quotations(text)
    changed = True
    while changed:
        changed = False
        start, end = sentences[first].start, sentences[last].end
        if any(start <= pos < end for pos in unpaired):
            return None  # a quotation opened or closed outside the passage
        for opening, closing in pairs:
            if opening < start < closing or opening < end - 1 < closing:
                lo, hi = _sentence_at(passage, opening), _sentence_at(passage, closing)
                if lo is None or hi is None:
                    return None
                if lo < first or hi > last:
                    first, last = min(first, lo), max(last, hi)
                    changed = True
    if last - first > MAX_EXTRA_SENTENCES:
        return None
    return sentences[first].start, sentences[last].end


def cite(passage: Passage, start: int, end: int, number: int = 1) -> Citation:
    """Citation ``[number]``: the text of ``passage`` from ``start`` to ``end``, verbatim."""
    return Citation(
        number=number,
        passage_id=passage.passage_id,
        doc_id=passage.doc_id,
        title=passage.title,
        quote=passage.text[start:end],
        start=start,
        end=end,
    )


def opening_span(passage: Passage, sentences: int = 3) -> tuple[int, int] | None:
    """Where the first ``sentences`` sentences of ``passage``'s text start and end, headings
    before them skipped and the quote widened as :func:`quote_span` widens it (a quotation that
    runs on); ``None`` when the passage has no sentence to quote."""
    spans = passage.sentences
    texts = passage.sentence_texts()
    body = [i for i, text in enumerate(texts) if not is_heading(text)]
    if not body:
        return None
    first = body[0]
    last = first
    while (
        last + 1 < len(spans) and last + 1 - first < sentences and not is_heading(texts[last + 1])
    ):
        last += 1
    widened = quote_span(passage, last)
    end = max(spans[last].end, widened[1]) if widened is not None else spans[last].end
    return spans[first].start, end
