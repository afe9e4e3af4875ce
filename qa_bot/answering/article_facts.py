"""Questions about the articles themselves: who wrote one, when it was published, by which outlet.

"Who wrote the piece about Putin riding a tiger?" is not answered by any sentence of the piece;
it is answered by the article's own facts (front matter, the sidecar ``metadata.json``, HTML
metadata or a byline in the text; see qa_bot/ingest/). :func:`fact_question` recognises such a
question and splits it into the fact asked for and the topic that names the article; the bot
finds the article by answering the topic as usual (its first citation's article, so a topic the
articles do not cover still ends in "I found nothing"), and :func:`fact_answer` states the fact,
cited to that article. When the article does not give the fact, the answer says so and counts as
an abstention.

Only questions that name an article ("the piece", "the story", "the report", "the article", or
"who wrote about …") are taken for questions about articles: "Which outlet reported that …?" is
often answered in the text itself ("as reported by The Moscow Times") and stays an ordinary
question, as do "Who wrote the letter?" and "When was the treaty published?".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from qa_bot.answering.question_type import names
from qa_bot.answering.quoting import cite, opening_span
from qa_bot.index.store import bm25_tokens
from qa_bot.models import Answer, Citation, Passage

if TYPE_CHECKING:
    from qa_bot.index.store import DocumentInfo

__all__ = [
    "FactQuestion",
    "articles_by",
    "fact_answer",
    "fact_question",
    "opening_citation",
    "readable_date",
]

_NOUN = (
    r"(?:article|piece|story|report|op-?ed|column|analysis|commentary|editorial|feature|"
    r"write-?up|post)s?"
)
_THIS = r"(?:the|this|that|a|an|their|its)\s+(?:[\w'’-]+\s+){0,3}?"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "author",
        re.compile(
            rf"\bwho\s+(?:wrote|authored|penned|is\s+behind)\s+{_THIS}{_NOUN}\b"
            rf"|\bwho\s+(?:wrote|authored)\s+about\b"
            rf"|\bwho\s+(?:is|was)\s+the\s+(?:author|writer)\b"
            rf"|\b(?:author|writer)\s+of\s+{_THIS}{_NOUN}\b"
            rf"|\bwho\s+(?:is|was)\s+{_THIS}{_NOUN}\s+(?:written\s+)?by\b",
            re.IGNORECASE,
        ),
    ),
    (
        "date",
        re.compile(
            rf"\bwhen\s+(?:was|were|did)\s+{_THIS}{_NOUN}\b.*\b(?:published|posted|written|"
            rf"released|run|printed|come\s+out|appear(?:ed)?)\b"
            rf"|\b(?:what|which)\s+(?:date|day|month|year)\b.*\b{_NOUN}\b.*\b(?:published|"
            rf"posted|written|come\s+out|appear(?:ed)?)\b"
            rf"|\bpublication\s+date\s+of\s+{_THIS}{_NOUN}\b",
            re.IGNORECASE,
        ),
    ),
    (
        "summary",
        re.compile(
            rf"\b(?:summari[sz]e|sum\s+up|recap)\s+{_THIS}{_NOUN}\b"
            rf"|\b(?:summary|overview|gist|recap|(?:main|key)\s+(?:points?|arguments?|ideas?)|"
            rf"takeaways?)\s+(?:of|from|in)\s+{_THIS}{_NOUN}\b"
            rf"|^\W*what\s+(?:is|was|'s)\s+{_THIS}{_NOUN}\b(?:\s+[\w'’-]+){{0,8}}?\s+about\W*"
            rf"(?:\([^)]*\)\W*)?$",
            re.IGNORECASE,
        ),
    ),
    (
        "outlet",
        re.compile(
            rf"\b(?:which|what)\s+(?:news\s+|media\s+)?(?:outlet|newspaper|paper|publication|"
            rf"site|website|magazine|organi[sz]ation|channel)\s+(?:published|ran|carried|"
            rf"printed|put\s+out|wrote)\s+{_THIS}{_NOUN}\b"
            rf"|\bwho\s+published\s+{_THIS}{_NOUN}\b"
            rf"|\bwhere\s+(?:was|did)\s+{_THIS}{_NOUN}\b.*\b(?:published|appear(?:ed)?|run)\b",
            re.IGNORECASE,
        ),
    ),
)
# Words of the question's frame, dropped from the topic that finds the article.
_FRAME = re.compile(
    rf"\b(?:who|when|where|which|what|wrote|write|written|authored|penned|published|posted|"
    rf"released|printed|ran|run|carried|put\s+out|come\s+out|appeared|appear|is|was|were|did|"
    rf"behind|by|whom|author|writer|date|day|month|year|publication|outlet|newspaper|paper|"
    rf"site|website|magazine|the|this|that|a|an|summari[sz]e|sum\s+up|recap|summary|overview|"
    rf"gist|main|key|points?|arguments?|ideas?|takeaways?|give|tell|me|are|of|please|{_NOUN})\b",
    re.IGNORECASE,
)
_LABELS = {
    "author": "who wrote",
    "date": "when it was published",
    "outlet": "who published",
    "summary": "what it says",
}
# A summary quotes the article's opening: news puts its main points first (the inverted
# pyramid), and the first three sentences (LEAD-3) are the baseline news summarisers are
# measured against.
LEAD_SENTENCES = 3


@dataclass(frozen=True)
class FactQuestion:
    """A question about an article: the ``fact`` asked for ("author", "date" or "outlet") and
    the ``topic`` that names the article ("about Putin riding a tiger")."""

    fact: str
    topic: str


def fact_question(question: str) -> FactQuestion | None:
    """The fact and topic of a question about an article, or ``None`` for any other question."""
    for fact, pattern in _PATTERNS:
        if pattern.search(question):
            topic = " ".join(re.sub(r"[?(),]", " ", _FRAME.sub(" ", question)).split())
            topic = re.sub(r"^(?:about|on|of|from|for|in)\s+", "", topic, flags=re.IGNORECASE)
            topic = re.sub(r"\s+(?:about|on)$", "", topic, flags=re.IGNORECASE)
            return FactQuestion(fact, topic or question)
    return None


def readable_date(value: str) -> str:
    """ "2025-03-04" as "March 4, 2025"; any other form as it is."""
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{day:%B} {day.day}, {day.year}"


def _cite_article(topic: str, about: Answer, documents: Mapping[str, DocumentInfo]) -> Citation:
    """The citation of the article the topic names: the one whose headline holds most of the
    topic's words (at least two, and half of them) when it is among the hits, else the article
    the answer to the topic cites first."""
    citation = about.citations[0]
    words = set(bm25_tokens([topic])[0])
    if len(words) < 2:
        return citation
    best, best_share = None, 0.5
    for doc_id, info in documents.items():
        shared = words & set(bm25_tokens([info.title])[0])
        if len(shared) >= 2 and len(shared) / len(words) >= best_share:
            best, best_share = doc_id, len(shared) / len(words)
    if best is None or best == citation.doc_id:
        return citation
    cited = next((c for c in about.citations if c.doc_id == best), None)
    if cited is not None:
        return cited
    hit = next((h for h in about.hits if h.passage.doc_id == best), None)
    if hit is None or not hit.passage.sentences:
        return citation
    return opening_citation(hit.passage)


def opening_citation(passage: Passage, number: int = 1) -> Citation:
    """Citation ``[number]`` of the first sentence of ``passage`` (which must have one)."""
    first = passage.sentences[0]
    return cite(passage, first.start, first.end, number)


def articles_by(name: str, documents: Mapping[str, DocumentInfo]) -> list[DocumentInfo]:
    """The articles ``name`` wrote or ran: their author or their outlet is ``name``."""
    if len(name) < 2:
        return []
    return [
        info
        for info in documents.values()
        if any(
            value and names([value], name)
            for value in (info.metadata.get("author", ""), info.metadata.get("outlet", ""))
        )
    ]


def fact_answer(
    question: str,
    asked: FactQuestion,
    about: Answer,
    documents: Mapping[str, DocumentInfo],
    first_passage: Callable[[str], Passage | None],
) -> Answer:
    """The answer to ``asked`` from the article that ``about`` (the answer to its topic) cites
    first: the fact with a ``[1]`` citation of that passage, or, when the article does not give
    the fact or no article is about the topic, an abstention that says so.

    ``first_passage`` gives an article's opening passage by ``doc_id``: a topic that is an
    author's or an outlet's name with one article ("What is the Jadetimes article about?") is
    that article, and a summary is answered: the article's opening sentences, quoted.
    """
    named = articles_by(asked.topic, documents)
    opening = first_passage(named[0].doc_id) if len(named) == 1 else None
    if opening is not None and opening.sentences:
        citation = opening_citation(opening)
        about = replace(about, abstained=False, confidence=1.0)  # named, not searched for
    elif about.abstained or not about.citations:
        return replace(about, question=question)
    else:
        citation = _cite_article(asked.topic, about, documents)
    info = documents.get(citation.doc_id)
    title = info.title if info is not None and info.title else citation.title
    if asked.fact == "summary":
        lead = first_passage(citation.doc_id)
        span = opening_span(lead, LEAD_SENTENCES) if lead is not None else None
        if lead is not None and span is not None:
            opened = cite(lead, *span)
            text = f"“{title}” opens: {' '.join(opened.quote.split())} [1]"
            return replace(
                about, question=question, text=text, citations=(opened,), abstained=False
            )
        value = ""
    else:
        value = (info.metadata.get(asked.fact, "") if info is not None else "").strip()
    if not value:
        text = (
            f"The article that matches best, “{title}”, does not say {_LABELS[asked.fact]} "
            "(its file, front matter and byline give no such detail)."
        )
        return replace(about, question=question, text=text, citations=(), abstained=True)
    if asked.fact == "author":
        text = f"“{title}” was written by {value} [1]."
    elif asked.fact == "date":
        text = f"“{title}” was published on {readable_date(value)} [1]."
    else:
        text = f"“{title}” was published by {value} [1]."
    return replace(about, question=question, text=text, citations=(replace(citation, number=1),))
