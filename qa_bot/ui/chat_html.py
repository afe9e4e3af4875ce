"""An ``Answer`` as HTML strings for the chat: the one job of this module.

The answer text with its ``[n]`` links (the quote as tooltip) and ``[unsupported]`` marks, the
"Why these passages" score table, and the sources panel block: source cards (title; outlet ·
author · date; the passage with the quoted sentences highlighted; a "Read the article" view of
the whole article from the index, the same sentences highlighted), or the nearest passages of an
abstention. Every piece of article, passage and question text is HTML-escaped here; nothing
here knows about Gradio.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from qa_bot.answering.answer import NO_ANSWER

if TYPE_CHECKING:
    from qa_bot.index.store import Article, DocumentInfo
    from qa_bot.models import Answer, Citation, Hit

# How the chat gets the whole article of a source (``QABot.article``); None: no article view.
ArticleLookup = Callable[[str], "Article | None"]

__all__ = ["GENERATED_NOTE", "NEAREST", "NO_EVIDENCE", "UNSUPPORTED_NOTE", "WHY_COLUMNS",
           "WHY_INTRO", "ArticleLookup", "esc", "highlight", "render_answer",
           "render_sources"]  # fmt: skip

NO_EVIDENCE = "The articles hold no answer to this question."
NEAREST = "Nearest passages (not an answer)"
# How the claim check marks a generated sentence no passage supports (qa_bot.llm.claims).
_UNSUPPORTED = "[?]"
_ANY_MARKER = re.compile(r"\[(\d+)\]|" + re.escape(_UNSUPPORTED))
UNSUPPORTED_NOTE = "not supported by the articles"
GENERATED_NOTE = (
    "Written by a language model from the passages; every sentence was checked against them."
)


def esc(text: str) -> str:
    """``text`` with ``&``, ``<``, ``>`` and both quote marks escaped for HTML."""
    return html.escape(text, quote=True)


def _date(value: str) -> str:
    """An ISO date (``2025-03-04``) as "4 Mar 2025"; anything else as it is."""
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day} {day:%b %Y}"


def _facts(doc_id: str, documents: Mapping[str, DocumentInfo]) -> str:
    """Outlet · author · date (each only if known) and a plain web link, as escaped HTML; the
    article's file name when none is known."""
    info = documents.get(doc_id)
    meta = info.metadata if info is not None else {}
    parts = [esc(meta[key]) for key in ("outlet", "author") if meta.get(key)]
    if meta.get("date"):
        parts.append(esc(_date(meta["date"])))
    url = meta.get("url", "")
    # Only plain web links: a "javascript:" URL from a crafted article must never become a link.
    if re.match(r"https?://[^\s\"'<>]+$", url):
        parts.append(f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">link</a>')
    if not parts:
        parts.append(f'<span class="qa-file">{esc(doc_id)}</span>')
    return " · ".join(parts)


def _source_head(doc_id: str, title: str, documents: Mapping[str, DocumentInfo], label: str) -> str:
    """A source card's head: its label (``[n]``), the title, then outlet · author · date."""
    return (
        f'<div class="qa-source-head">{label}<b>{esc(title or doc_id)}</b></div>'
        f'<div class="qa-source-meta">{_facts(doc_id, documents)}</div>'
    )


def _article_view(doc_id: str, citations: Sequence[Citation], article: ArticleLookup | None) -> str:
    """The "Read the article" view: the whole article from the index, cited sentences marked."""
    found = article(doc_id) if article is not None else None
    if found is None or not found.text:
        return ""
    spans = [
        span
        for c in citations
        if c.doc_id == doc_id and (span := found.span(c.passage_id, c.start, c.end)) is not None
    ]
    marked = highlight(found.text, spans)
    return (
        '<details class="qa-article"><summary>Read the article</summary>'
        f'<div class="qa-article-text">{marked}</div></details>'
    )


def highlight(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` escaped, with the given character spans wrapped in ``<mark>``.

    Overlapping or touching spans are merged; spans outside the text are clipped.
    """
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    pos = 0
    for start, end in merged:
        out.append(esc(text[pos:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def _cited_text(text: str, answer: Answer, turn: int) -> str:
    """The answer text escaped; each known ``[n]`` links to its source, the quote as tooltip.

    A marker is glued to the text before it, so it never wraps onto a line of its own: the
    space before it is shown as a no-break space (and where there is none, a word joiner
    stands between them). This is display only; ``answer.text`` keeps its plain spaces.
    """
    quotes: dict[int, list[str]] = {}
    for citation in answer.citations:
        quotes.setdefault(citation.number, []).append(citation.quote)
    out: list[str] = []
    pos = 0
    for match in _ANY_MARKER.finditer(text):
        before = text[pos : match.start()]
        kept = before.rstrip()
        out.append(esc(kept))
        if kept != before:
            out.append("&nbsp;")
        elif match.start() > 0:
            out.append("&#8288;")  # Chromium may break "end.[2]" and "[1][2]" between the two
        number = int(match.group(1)) if match.group(1) else None
        if number is None:
            out.append(
                f'<span class="qa-unsupported" title="{UNSUPPORTED_NOTE}">[unsupported]</span>'
            )
        elif number in quotes:
            tip = esc(" … ".join(quotes[number]))
            out.append(
                f'<a class="qa-cite" href="#src-{turn}-{number}" title="{tip}">[{number}]</a>'
            )
        else:
            out.append(esc(match.group()))
        pos = match.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def _source_cards(
    answer: Answer,
    documents: Mapping[str, DocumentInfo],
    turn: int,
    article: ArticleLookup | None,
) -> str:
    passages = {hit.passage.passage_id: hit.passage for hit in answer.hits}
    by_number: dict[int, list[Citation]] = {}
    for citation in answer.citations:
        by_number.setdefault(citation.number, []).append(citation)
    cards: list[str] = []
    for number, citations in sorted(by_number.items()):
        first = citations[0]
        passage = passages.get(first.passage_id)
        if passage is not None:
            spans = []
            for c in citations:
                start = c.start
                # A quote must match its span; should it ever not, find it rather than mis-mark.
                if passage.text[c.start : c.end] != c.quote:
                    start = passage.text.find(c.quote) if c.quote else -1
                if start >= 0:
                    spans.append((start, start + len(c.quote)))
            body = highlight(passage.text, spans)
        else:
            body = " … ".join(f"<mark>{esc(c.quote)}</mark>" for c in citations)
        also = (
            f'<div class="qa-also">also published by {esc(", ".join(first.also_published))}</div>'
            if first.also_published
            else ""
        )
        cards.append(
            f'<div class="qa-source" id="src-{turn}-{number}">'
            f"{_source_head(first.doc_id, first.title, documents, f'[{number}] ')}{also}"
            f'<div class="qa-passage">{body}</div>'
            f"{_article_view(first.doc_id, answer.citations, article)}</div>"
        )
    return "".join(cards)


def _nearest_cards(
    hits: Sequence[Hit], documents: Mapping[str, DocumentInfo], article: ArticleLookup | None
) -> str:
    """The nearest passages of an abstention: each one paragraph (white space folded)."""
    return "".join(
        f'<div class="qa-source qa-nearest">'
        f"{_source_head(hit.passage.doc_id, hit.passage.title, documents, '')}"
        f'<div class="qa-passage">{esc(" ".join(hit.passage.text.split()))}</div>'
        f"{_article_view(hit.passage.doc_id, (), article)}</div>"
        for hit in hits[:3]
    )


def render_sources(
    answer: Answer,
    documents: Mapping[str, DocumentInfo],
    *,
    turn: int = 0,
    article: ArticleLookup | None = None,
) -> str:
    """The sources panel block of one answer; all corpus and question text is escaped.

    For an answer: each citation number with its article and the passage, quoted sentences in
    ``<mark>``, and (given ``article``, which returns the whole article of a ``doc_id``) a
    "Read the article" view with the same sentences marked. For an abstention: the nearest
    passages, labelled as not an answer.
    """
    head = f'<div class="qa-turn"><div class="qa-turn-q">{esc(answer.question)}</div>'
    if answer.abstained:
        return (
            f'{head}<div class="qa-nearest-label">{esc(NEAREST)}</div>'
            f"{_nearest_cards(answer.hits, documents, article)}</div>"
        )
    return f"{head}{_source_cards(answer, documents, turn, article)}</div>"


# The "Why these passages" columns: (name, what it means), in order after Source and Article.
WHY_COLUMNS = (
    ("Overall", "the combined score the passages are ranked by"),
    ("Answers", "the reader model's probability that its best sentence answers the question"),
    ("Meaning", "how close the whole passage is in meaning to the question"),
    ("Sentence", "the same for its closest sentence"),
    ("Context", "the same for that sentence with its neighbours"),
    ("Headline", "how close the article's headline is to the question"),
    ("Keywords", "how many of the question's words it shares (BM25)"),
    ("Rare name", "whether it names someone or something of the question that few articles do"),
)
# Shown only when some passage holds a rare name: among a few articles none is (retrieval.py).
_RARE_NAME = len(WHY_COLUMNS) - 1
WHY_ARTICLE = "the passage's article; [n] when the answer cites the passage as [n]"
WHY_INTRO = (
    "How each retrieved passage matched the question, cited ones first; 0 = not at all, "
    "1 = as close as it gets."
)


def _why(answer: Answer, turn: int) -> str:
    """The scores of every retrieved passage, cited ones first in citation order, as a table."""
    cited: dict[str, int] = {}
    for c in answer.citations:
        cited.setdefault(c.passage_id, c.number)
    hits = sorted(answer.hits, key=lambda h: (cited.get(h.passage.passage_id, 10**6), h.rank))
    columns = WHY_COLUMNS if any(h.name > 0 for h in hits) else WHY_COLUMNS[:_RARE_NAME]
    rows = []
    for hit in hits:
        number = cited.get(hit.passage.passage_id)
        source = (
            f'<a class="qa-why-src" href="#src-{turn}-{number}">[{number}]</a> '
            if number is not None
            else ""
        )
        reader = "–" if hit.reader is None else f"{hit.reader:.2f}"
        scores = (hit.dense, hit.sentence, hit.window, hit.title, hit.bm25, hit.name)
        values = scores[: len(columns) - 2]  # Overall and Answers come first
        rows.append(
            f"<tr><td class='title'>{source}{esc(hit.passage.title)}</td>"
            f"<td class='num'>{hit.score:.2f}</td><td class='num'>{reader}</td>"
            + "".join(f"<td class='num'>{value:.2f}</td>" for value in values)
            + "</tr>"
        )
    head = f"<tr><th title='{esc(WHY_ARTICLE)}'>Article</th>" + "".join(
        f"<th title='{esc(meaning)}'>{esc(name)}</th>" for name, meaning in columns
    )
    legend = "".join(
        f"<li><b>{esc(name)}</b>: {esc(text)}</li>"
        for name, text in (("Article", WHY_ARTICLE), *columns)
    )
    return (
        '<details class="qa-why"><summary>Why these passages</summary>'
        f'<p class="qa-why-intro">{esc(WHY_INTRO)}</p>'
        f"<table>{head}</tr>{''.join(rows)}</table>"
        f'<ul class="qa-why-legend">{legend}</ul></details>'
    )


def render_answer(
    answer: Answer, *, turn: int = 0, text: str | None = None, final: bool = True
) -> str:
    """An answer as the HTML of one chat message; all corpus and question text is escaped.

    Args:
        answer: The bot's answer.
        turn: The turn number, which keeps the ``#src-…`` anchors of different turns apart.
        text: Show only this prefix of ``answer.text`` (while streaming).
        final: Whether to add the score table and the timing.

    Returns:
        The message HTML.
    """
    parts = ['<div class="qa-answer">']
    if answer.rewritten_query:
        parts.append(f'<p class="qa-searched">Searched for: {esc(answer.rewritten_query)}</p>')
    if answer.abstained:
        # The bot's own words when they say more than "nothing found" ("None of the 5 articles
        # mentions NATO.", "… does not say who wrote it", "nothing more than what I quoted").
        said = NO_EVIDENCE if answer.text == NO_ANSWER else answer.text
        parts.append(f'<p class="qa-nothing">{esc(said)}</p>')
        if answer.hits:
            parts.append(f'<p class="qa-meta">{esc(NEAREST)} are shown under Sources.</p>')
    else:
        shown = answer.text if text is None else text
        parts.append(f'<p class="qa-text">{_cited_text(shown, answer, turn)}</p>')
        if answer.generated:
            parts.append(f'<p class="qa-meta">{esc(GENERATED_NOTE)}</p>')
    if final:
        if not answer.abstained and answer.hits:  # a list of the articles retrieved nothing
            parts.append(_why(answer, turn))
        seconds = answer.timings.get("total")
        if seconds is not None:
            parts.append(f'<p class="qa-meta qa-time">answered in {seconds:.2f} s</p>')
    parts.append("</div>")
    return "".join(parts)
