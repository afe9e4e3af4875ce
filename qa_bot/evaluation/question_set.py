"""Question sets: reading a JSONL file of questions with their evidence, and evidence matching.

A line is ``{"id", "question", "evidence": [...], "answerable": true|false}`` (see
docs/architecture.md), with an optional ``"history": [...]``: the user's earlier questions in the
same chat, oldest first, for a follow-up that leans on them. A passage holds the evidence when
its text contains one of the evidence strings after :func:`normalise` (case, whitespace, curly
quotes and dashes folded).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qa_bot.errors import QABotError

_PUNCTUATION = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4\u0060", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    }
)
_WHITESPACE = re.compile(r"\s+")


class QuestionSetError(QABotError):
    """The question file is missing or malformed."""


@dataclass(frozen=True)
class Question:
    """One question of a question set; any one evidence string marks a relevant passage.

    ``history`` holds the earlier questions of a follow-up's chat (empty for a question asked
    on its own); ``answers`` the gold answer texts where the set has them (SQuAD), and
    ``group`` what the question is about (SQuAD: its article) for per-group results.
    """

    id: str
    question: str
    evidence: tuple[str, ...]
    answerable: bool
    history: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()
    group: str = ""


def normalise(text: str) -> str:
    """Fold text for evidence matching.

    Applies NFKC, maps curly quotes, apostrophes and dashes to ASCII, casefolds and collapses
    whitespace (including non-breaking spaces) to single spaces.
    """
    folded = unicodedata.normalize("NFKC", text).translate(_PUNCTUATION).casefold()
    return _WHITESPACE.sub(" ", folded).strip()


def has_evidence(text: str, evidence: Iterable[str]) -> bool:
    """Whether ``text`` contains any of the evidence strings, compared after :func:`normalise`."""
    folded = normalise(text)
    return any(normalise(e) in folded for e in evidence)


def load_questions(path: str | Path) -> list[Question]:
    """Read a JSONL question set.

    Each non-blank line is ``{"id", "question", "evidence", "answerable"}`` with an optional
    ``"history"`` (a list of earlier questions), ``"answers"`` (gold answer texts) and
    ``"group"`` (what kind of question it is, for per-group totals); other keys are ignored.
    Answerable questions need at least one evidence string, unanswerable ones none.

    Raises:
        QuestionSetError: the file cannot be read or a line is malformed; the message names the
            file and the 1-based line number.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionSetError(f"{source}: cannot read question file: {exc}") from exc
    questions: list[Question] = []
    first_line: dict[str, int] = {}
    # split on "\n" only: str.splitlines would also break on U+2028 inside JSON strings
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            question = _parse_question(json.loads(line))
        except json.JSONDecodeError as exc:
            raise QuestionSetError(
                f"{source}:{number}: bad JSON: {exc.msg} (column {exc.colno})"
            ) from exc
        except ValueError as exc:
            raise QuestionSetError(f"{source}:{number}: {exc}") from exc
        if question.id in first_line:
            raise QuestionSetError(
                f"{source}:{number}: duplicate id {question.id!r} "
                f"(first used on line {first_line[question.id]})"
            )
        first_line[question.id] = number
        questions.append(question)
    if not questions:
        raise QuestionSetError(f"{source}: no questions in file")
    return questions


def _parse_question(data: object) -> Question:
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    for key, kind in (("id", str), ("question", str), ("evidence", list), ("answerable", bool)):
        if key not in data:
            raise ValueError(f"missing field {key!r}")
        if not isinstance(data[key], kind):
            raise ValueError(
                f"field {key!r} must be {kind.__name__}, got {type(data[key]).__name__}"
            )
    if not data["id"].strip():
        raise ValueError("empty 'id'")
    if not data["question"].strip():
        raise ValueError("empty 'question'")
    evidence = data["evidence"]
    if not all(isinstance(e, str) and e.strip() for e in evidence):
        raise ValueError("'evidence' must be a list of non-empty strings")
    if data["answerable"] and not evidence:
        raise ValueError("answerable question has no evidence")
    if not data["answerable"] and evidence:
        raise ValueError("unanswerable question must have empty evidence")
    history = data.get("history", [])
    if not isinstance(history, list) or not all(isinstance(h, str) and h.strip() for h in history):
        raise ValueError("'history' must be a list of non-empty strings")
    answers = data.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        raise ValueError("'answers' must be a list of non-empty strings")
    group = data.get("group", "")
    if not isinstance(group, str):
        raise ValueError(f"field 'group' must be str, got {type(group).__name__}")
    return Question(
        data["id"],
        data["question"].strip(),
        tuple(evidence),
        data["answerable"],
        tuple(h.strip() for h in history),
        answers=tuple(answers) if data["answerable"] else (),
        group=group.strip(),
    )
