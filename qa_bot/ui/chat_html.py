"""An ``Answer`` as HTML strings for the chat: the one job of this module.

The answer text with its ``[n]`` links (the quote as tooltip) and ``[unsupported]`` marks, the
"Why these passages" score table, and the sources panel block (source cards with the quoted
sentences highlighted, or the nearest passages of an abstention). Every piece of article, passage
and question text is HTML-escaped here; nothing here knows about Gradio.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa_bot.index.store import DocumentInfo
    from qa_bot.models import Answer, Citation, Hit

__all__ = ["GENERATED_NOTE", "NEAREST", "NO_EVIDENCE", "UNSUPPORTED_NOTE", "esc", "highlight",
           "render_answer", "render_sources"]  # fmt: skip

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


def _source_line(doc_id: str, title: str, documents: Mapping[str, DocumentInfo]) -> str:
    """The article title, outlet, author and date as escaped HTML (each one only if known)."""
    info = documents.get(doc_id)
    meta = info.metadata if info is not None else {}
    parts = [f"<b>{esc(title or doc_id)}</b>"]
    parts += [esc(meta[key]) for key in ("outlet", "author", "date") if meta.get(key)]
    url = meta.get("url", "")
    # Only plain web links: a "javascript:" URL from a crafted article must never become a link.
    if re.match(r"https?://[^\s\"'<>]+$", url):
        parts.append(f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">link</a>')
    return " · ".join(parts)


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


def _source_cards(answer: Answer, documents: Mapping[str, DocumentInfo], turn: int) -> str:
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
            f'<div class="qa-source-head">[{number}] '
            f"{_source_line(first.doc_id, first.title, documents)}</div>{also}"
            f'<div class="qa-passage">{body}</div></div>'
        )
    return "".join(cards)


def _nearest_cards(hits: Sequence[Hit], documents: Mapping[str, DocumentInfo]) -> str:
    return "".join(
        f'<div class="qa-source qa-nearest"><div class="qa-source-head">'
        f"{_source_line(hit.passage.doc_id, hit.passage.title, documents)} · "
        f"score {hit.score:.2f}</div>"
        f'<div class="qa-passage">{esc(hit.passage.text)}</div></div>'
        for hit in hits[:3]
    )


def render_sources(answer: Answer, documents: Mapping[str, DocumentInfo], *, turn: int = 0) -> str:
    """The sources panel block of one answer; all corpus and question text is escaped.

    For an answer: each citation number with its article and the passage, quoted sentences in
    ``<mark>``. For an abstention: the nearest passages, labelled as not an answer.
    """
    head = f'<div class="qa-turn"><div class="qa-turn-q">{esc(answer.question)}</div>'
    if answer.abstained:
        return (
            f'{head}<div class="qa-nearest-label">{esc(NEAREST)}</div>'
            f"{_nearest_cards(answer.hits, documents)}</div>"
        )
    return f"{head}{_source_cards(answer, documents, turn)}</div>"


def _why(answer: Answer) -> str:
    """The component scores of every retrieved passage, as a table."""
    cited = {c.passage_id: c.number for c in answer.citations}
    rows = []
    for hit in answer.hits:
        number = cited.get(hit.passage.passage_id)
        rows.append(
            f"<tr><td class='num'>{hit.rank}</td><td class='title'>{esc(hit.passage.title)}</td>"
            f"<td>{f'[{number}]' if number else ''}</td>"
            + (f"<td class='num'>{hit.reader:.2f}</td>" if hit.reader is not None else "<td>–</td>")
            + "".join(
                f"<td class='num'>{value:.3f}</td>"
                for value in (hit.score, hit.dense, hit.sentence, hit.window, hit.title, hit.bm25)
            )
            + "</tr>"
        )
    head = (
        "<tr><th>#</th><th>article</th><th>cited</th>"
        "<th title='the reader model: probability that the best sentence answers'>reader</th>"
        "<th>fused</th><th>dense</th>"
        "<th>best sentence</th><th>best window</th><th>headline</th><th>keyword (BM25)</th></tr>"
    )
    # The table scrolls sideways in its own box rather than squeezing its cells when narrow.
    return (
        '<details class="qa-why"><summary>Why these passages</summary>'
        f'<div class="qa-why-scroll"><table>{head}{"".join(rows)}</table></div></details>'
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
        parts.append(f'<p class="qa-nothing">{esc(NO_EVIDENCE)}</p>')
        parts.append(f'<p class="qa-meta">{esc(NEAREST)} are shown under Sources.</p>')
    else:
        shown = answer.text if text is None else text
        parts.append(f'<p class="qa-text">{_cited_text(shown, answer, turn)}</p>')
        if answer.generated:
            parts.append(f'<p class="qa-meta">{esc(GENERATED_NOTE)}</p>')
    if final:
        if not answer.abstained:
            parts.append(_why(answer))
        seconds = answer.timings.get("total")
        if seconds is not None:
            parts.append(f'<p class="qa-meta qa-time">answered in {seconds:.2f} s</p>')
    parts.append("</div>")
    return "".join(parts)
