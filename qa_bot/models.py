"""The data model: small frozen dataclasses passed between the pipeline stages.

Offsets convention:
- ``Passage.start/end`` are character offsets into the cleaned ``Document.text``;
  ``document.text[passage.start:passage.end] == passage.text``.
- ``Passage.sentences`` spans are offsets into ``Passage.text`` (relative to the passage),
  so ``passage.text[span.start:span.end]`` is the sentence.
- ``Citation.start/end`` are offsets into the cited passage's text; ``quote`` is exactly
  ``passage.text[start:end]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """A cleaned article."""

    doc_id: str
    title: str
    text: str
    source_path: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)``."""

    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    """A chunk of a document: a few whole sentences under the token budget."""

    passage_id: str
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    sentences: tuple[Span, ...] = ()

    def sentence_texts(self) -> list[str]:
        """The text of each sentence of the passage."""
        return [self.text[s.start : s.end] for s in self.sentences]

    def sentence_windows(self) -> list[str]:
        """Each sentence with its neighbours in the passage (previous, itself, next).

        A window lies inside its passage, so it is never longer than the passage's token budget.
        """
        texts = self.sentence_texts()
        return [" ".join(texts[max(0, j - 1) : j + 2]) for j in range(len(texts))]


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with the scores that put it there.

    ``score`` is the fused score used for ranking; ``dense`` the passage cosine, ``sentence``
    the best sentence cosine inside the passage, ``bm25`` the best sentence keyword score
    normalised to 0..1, ``title`` the cosine of the article's headline, ``window`` the best
    sentence window (a sentence with its neighbours) cosine, ``name`` how rare a name of the
    question is that the passage holds (0 when none is rare), ``reader`` the reader model's
    probability that the passage's best sentence answers the question (``None`` when the reader
    did not read it). ``rank`` starts at 1.
    """

    passage: Passage
    score: float
    dense: float
    sentence: float
    bm25: float
    rank: int
    title: float = 0.0
    window: float = 0.0
    name: float = 0.0
    reader: float | None = None


@dataclass(frozen=True)
class Citation:
    """One ``[number]`` of an answer: a verbatim quote of a passage.

    ``also_published`` names the other outlets (or files) that ran the same story: near-duplicate
    articles are indexed once, and cited through the copy that was kept.
    """

    number: int
    passage_id: str
    doc_id: str
    title: str
    quote: str
    start: int
    end: int
    supported: bool = True
    also_published: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    """An earlier turn of a conversation, for ``QABot.chat``'s history.

    ``answered`` is False when the bot found nothing for it: such a turn lends its subject to a
    follow-up only when the follow-up refers back to it (a pronoun), never on a topic switch.
    A plain string in a history counts as an answered turn. ``answer`` is the bot's reply to
    it, when known: after "Who wrote the piece on ...?" answered "... was written by Khoshnaw
    Rahmani", a following "What else has he written?" is about Rahmani.
    """

    question: str
    answered: bool = True
    answer: str = ""


@dataclass(frozen=True)
class Answer:
    """An answer to one question.

    ``query`` is what was actually searched (differs from ``question`` for follow-ups and
    corrected typos). ``timings`` maps a stage name to seconds.
    """

    question: str
    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    confidence: float
    timings: dict[str, float] = field(default_factory=dict)
    query: str = ""
    generated: bool = False

    @property
    def rewritten_query(self) -> str:
        """What was searched when it is not the question as asked, else ``""``."""
        return self.query if self.query and self.query != self.question else ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the answer (passages included in the hits)."""
        from dataclasses import asdict

        return asdict(self)
