"""Questions about the collection itself: which articles there are, and who wrote or ran which.

"What articles do you have?", "What has Mark Galeotti written?" and "Which articles are from TRT
World?" are not answered by any sentence of the articles but by the index's list of articles and
their facts (title, outlet, author, date: front matter, the sidecar, HTML metadata or a byline;
see qa_bot/ingest/). :func:`collection_question` recognises such a question, and
:func:`collection_answer` lists the articles it asks for, each cited by its opening sentence.
"Summarize the articles" lists them with that sentence quoted (news puts the main point first);
"Which articles mention China?" lists those whose text names the subject, each cited by its
first sentence that does, or says that none does.

The forms are narrow, like article_facts.py: the question must be about articles as such ("What
has X written?", "Which articles are by X?", "List the articles") and name an author or outlet
the index knows, else it stays an ordinary question ("What did Putin write?" names no author of
the articles; "Has Galeotti written any books?" asks what the text says). "Who is Mark
Galeotti?" is asked of the text first; only when the text does not say does the answer fall back
on what the collection knows: that he wrote one of the articles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from qa_bot.answering.article_facts import articles_by, opening_citation, readable_date
from qa_bot.answering.question_type import PRONOUNS, mentions, names
from qa_bot.answering.quoting import cite, is_heading
from qa_bot.models import Answer, Citation, Passage

if TYPE_CHECKING:
    from qa_bot.index.store import DocumentInfo

__all__ = ["CollectionQuestion", "collection_answer", "collection_question"]

# At most this many articles are listed; the answer says how many more there are.
MAX_LISTED = 10

# The end of a question, after any follow-up context in brackets ("… written? (Putin)").
_END = r"\W*(?:\([^)]*\)\W*)?$"
_ARTICLES = r"(?:articles|pieces|stories|reports|documents|texts|sources|files)"
_PLACE = r"(?:the\s+)?(?:index|collection|folder|corpus|archive|library)"
_ALL = re.compile(
    rf"^\W*(?:(?:what|which)\s+{_ARTICLES}\s+(?:do\s+you\s+have|have\s+you\s+got|are\s+there|"
    rf"are\s+in\s+{_PLACE}|did\s+you\s+(?:read|index)|can\s+I\s+ask\s+about)"
    rf"|how\s+many\s+{_ARTICLES}\s+(?:do\s+you\s+have|are\s+there|are\s+in\s+{_PLACE})"
    rf"|(?:list|show(?:\s+me)?)\s+(?:all\s+)?(?:the\s+|your\s+)?{_ARTICLES}"
    rf"|what\s+are\s+(?:the|your)\s+{_ARTICLES}(?:\s+about)?"
    rf"|what\s+(?:can|could)\s+I\s+ask(?:\s+you)?(?:\s+about)?){_END}",
    re.IGNORECASE,
)
# "Summarize the articles", "What are the main points of the articles?": each one's opening.
_SUMMARY = re.compile(
    rf"^\W*(?:(?:summari[sz]e|sum\s+up|recap)|(?:give\s+me\s+|what\s+(?:is|are)\s+)?(?:an?\s+|the\s+)?"
    rf"(?:summary|overview|gist|recap|(?:main|key)\s+(?:points?|ideas?)|takeaways?)\s+of)"
    rf"\s+(?:all\s+)?(?:the\s+|these\s+|your\s+)?{_ARTICLES}{_END}",
    re.IGNORECASE,
)
_NAME = r"(?P<name>[^?]+?)"
# "Which articles mention China?", "How many articles discuss the sanctions?", "Do the articles
# discuss the sanctions?": the articles whose text names the subject, each with the first sentence
# that does.
_MENTION = re.compile(
    rf"^\W*(?:(?:which|what|how\s+many)\s+(?:of\s+the\s+)?(?:{_ARTICLES}|article|piece|story|"
    rf"report)\s+"
    rf"|(?:do|does)\s+(?:any\s+of\s+)?(?:the\s+|these\s+|your\s+)?(?:{_ARTICLES}|article)\s+)"
    rf"(?:mentions?|discuss(?:es)?|talks?\s+about|covers?|refers?\s+to|names?|(?:is|are)\s+about|"
    rf"deals?\s+with|says?\s+(?:anything|something)\s+about)\s+{_NAME}{_END}",
    re.IGNORECASE,
)
_WROTE = r"(?:write|written|wrote|publish|published|run|ran|put\s+out)"
_BY_NAME = (
    re.compile(rf"^\W*what\s+(?:else\s+)?(?:has|have|did|does)\s+{_NAME}\s+{_WROTE}{_END}", re.I),
    re.compile(
        rf"^\W*(?:which|what)\s+(?:other\s+)?{_ARTICLES}\s+(?:did|has|have|does)\s+{_NAME}\s+"
        rf"{_WROTE}{_END}",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^\W*(?:(?:which|what)\s+{_ARTICLES}\s+(?:are|were|come)\s+"
        rf"|(?:(?:list|show(?:\s+me)?)\s+)?(?:all\s+)?(?:the\s+)?{_ARTICLES}\s+)"
        rf"(?:by|from|written\s+by|published\s+by)\s+{_NAME}{_END}",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^\W*(?:did|has)\s+{_NAME}\s+{_WROTE}\s+(?:any(?:thing)?|any\s+of\s+(?:the|these|your)\s+"
        rf"{_ARTICLES}|any\s+{_ARTICLES}){_END}",
        re.IGNORECASE,
    ),
)
# "Who is Mark Galeotti?", "what is trt world": answered by the collection only when the text
# does not say, and only when the name is an author's or an outlet's.
_WHO_IS = re.compile(
    r"^\W*(?:who|what)\s+(?:is|was|are)\s+(?P<name>[\w.'’-]+(?:\s+[\w.'’-]+){0,3})" + _END,
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CollectionQuestion:
    """A question about the collection: ``kind`` "all" (which articles there are), "summary"
    (each one's opening sentence), "mention" (the articles that mention a subject), "by" (the
    articles an author wrote or an outlet ran) or "who" ("Who is X?", for the fallback), and the
    ``name`` asked about ("" for "all" and "summary")."""

    kind: str
    name: str = ""


def collection_question(question: str) -> CollectionQuestion | None:
    """The collection question ``question`` asks, or ``None`` for any other question."""
    if _SUMMARY.match(question):
        return CollectionQuestion("summary")
    if (match := _MENTION.match(question)) is not None:
        subject = _strip_the(match.group("name"))
        # "Which articles mention him?" with no one to put for "him": no subject to look for.
        return None if subject.lower() in PRONOUNS else CollectionQuestion("mention", subject)
    if _ALL.match(question):
        return CollectionQuestion("all")
    for pattern in _BY_NAME:
        if (match := pattern.match(question)) is not None:
            return CollectionQuestion("by", _strip_the(match.group("name")))
    if (match := _WHO_IS.match(question)) is not None:
        return CollectionQuestion("who", _strip_the(match.group("name")))
    return None


def _strip_the(name: str) -> str:
    return re.sub(r"^the\s+", "", " ".join(name.split()), flags=re.IGNORECASE)


def _when(info: DocumentInfo) -> str:
    """The article's date as ``YYYY-MM-DD`` (which sorts as text), or "" when it has none in
    that form (dates from bylines and datelines are stored so; front matter may differ)."""
    value = info.metadata.get("date", "")[:10]
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return ""


def _describe(info: DocumentInfo, skip: str = "") -> str:
    """ "“Title” (outlet, author, date)", leaving out the one named ``skip``."""
    facts = [
        readable_date(value) if key == "date" else value
        for key in ("outlet", "author", "date")
        if (value := info.metadata.get(key, "").strip()) and not (skip and names([value], skip))
    ]
    title = info.title or info.doc_id
    return f"“{title}” ({', '.join(facts)})" if facts else f"“{title}”"


def _mentioning(passages: Sequence[Passage], topic: str) -> tuple[Passage, int] | None:
    """The first sentence of an article (as its passage and index) that mentions ``topic``."""
    for passage in passages:
        if not mentions(passage.text, topic):
            continue
        for index, text in enumerate(passage.sentence_texts()):
            if not is_heading(text) and mentions(text, topic):
                return passage, index
    return None


def _lead(asked: CollectionQuestion, listed: list[DocumentInfo]) -> tuple[str, str]:
    """The answer's opening words, before the list, and the author or outlet it names as the
    articles give the name ("" when it names none)."""
    total = len(listed)
    if asked.kind in ("all", "summary"):
        count = f"{total} article" + ("s" if total != 1 else "")
        lead = f"The index holds {count}"
        if total > MAX_LISTED:
            dated = any(_when(info) for info in listed)
            lead += f"; the {MAX_LISTED} most recent" if dated else f"; the first {MAX_LISTED}"
        return lead + (", each by its opening sentence:" if asked.kind == "summary" else ":"), ""
    which = "one of the articles" if len(listed) == 1 else f"{len(listed)} of the articles"
    if asked.kind == "mention":
        which = which[0].upper() + which[1:]
        if len(listed) == 1:
            return f"{which} mentions {asked.name}:", ""
        return f"{which} mention {asked.name} (each by its first mention):", ""
    authors = [
        author
        for info in listed
        if (author := info.metadata.get("author", "")) and names([author], asked.name)
    ]
    # The name as the articles give it ("Mark Galeotti" for "galeotti").
    name = authors[0] if authors else listed[0].metadata.get("outlet", asked.name)
    lead = f"{name} {'wrote' if authors else 'published'} {which}:"
    if asked.kind == "who":
        lead = f"The articles do not say {'who' if authors else 'what'} {name} is; {lead}"
    return lead, name


def collection_answer(
    question: str,
    asked: CollectionQuestion,
    documents: Mapping[str, DocumentInfo],
    passages_of: Callable[[str], Sequence[Passage]],
    query: str = "",
) -> Answer | None:
    """The answer to ``asked``: the articles it asks for, the most recent first and at most
    ``MAX_LISTED``, each cited by its opening sentence (for "mention", by the first sentence that
    mentions the subject); ``None`` when it names no author or outlet of the articles (the
    question is then an ordinary one). ``passages_of`` gives an article's passages in order."""
    found: dict[str, tuple[Passage, int]] = {}
    if asked.kind in ("all", "summary"):
        listed = list(documents.values())
    elif asked.kind == "mention":
        for doc_id in documents:
            if (hit := _mentioning(passages_of(doc_id), asked.name)) is not None:
                found[doc_id] = hit
        listed = [documents[doc_id] for doc_id in found]
        if not listed and articles_by(asked.name, documents):
            # "Which articles mention Galeotti?" when no text does but he wrote one.
            return collection_answer(
                question, replace(asked, kind="by"), documents, passages_of, query
            )
        if not listed:
            return Answer(
                question=question,
                text=f"None of the {len(documents)} articles mentions {asked.name}.",
                citations=(),
                hits=(),
                abstained=True,
                confidence=0.0,
                query=query or question,
            )
    else:
        listed = articles_by(asked.name, documents)
    if not listed:
        return None
    lead, name = _lead(asked, listed)
    # The most recent first, undated ones last in the index's order.
    listed.sort(key=_when, reverse=True)
    citations: list[Citation] = []
    parts: list[str] = []
    for info in listed[:MAX_LISTED]:
        number = len(citations) + 1
        if info.doc_id in found:
            passage, index = found[info.doc_id]
            sentence = passage.sentences[index]
            citation = cite(passage, sentence.start, sentence.end, number)
        else:
            opening = next(iter(passages_of(info.doc_id)), None)
            if opening is None or not opening.sentences:
                continue
            citation = opening_citation(opening, number)
        citations.append(citation)
        if asked.kind in ("summary", "mention"):
            parts.append(f"{_describe(info)}: {' '.join(citation.quote.split())} [{number}]")
        else:
            parts.append(f"{_describe(info, name)} [{number}]")
    if not parts:
        return None
    more = len(listed) - MAX_LISTED
    # Quoted sentences end in their own full stops: they are not run together with "; ".
    quoting = asked.kind in ("summary", "mention")
    joiner, end, also = (" ", "", "And") if quoting else ("; ", ".", "and")
    tail = f"{joiner}{also} {more} more (ask about a subject to find them)." if more > 0 else end
    return Answer(
        question=question,
        text=f"{lead} {joiner.join(parts)}{tail}",
        citations=tuple(citations),
        hits=(),  # nothing was retrieved: the chat shows the quotes, not a score table
        abstained=False,
        confidence=1.0,
        query=query or question,
    )
