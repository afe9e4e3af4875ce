"""Retrieval and answer metrics over a question set, reports and their JSON form.

The evaluation talks only to a bot object with ``retrieve(question, k=...) -> list[Hit]``,
``ask(question) -> Answer``, ``chat(question, history, k=...) -> Answer`` for follow-ups (questions
with a history) and, optionally, ``passages`` (every indexed passage). A retrieved
passage is relevant when its text contains one of the question's evidence strings after
:func:`normalise`. Reading question sets is :mod:`qa_bot.evaluation.question_set`; the report
table and the comparison of two runs live in :mod:`qa_bot.evaluation.report`, which imports this
module (never the other way).
"""

from __future__ import annotations

import json
import math
import re
import statistics
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from qa_bot.errors import QABotError
from qa_bot.evaluation.question_set import Question, has_evidence, normalise
from qa_bot.models import Answer, Hit, Passage, Turn

REPORT_FORMAT = "qa_bot-eval/1"

TARGETS: dict[str, tuple[str, float]] = {
    "hit@1": (">=", 0.85),
    "hit@5": (">=", 0.97),
    "mrr@10": (">=", 0.90),
    "answer_evidence_rate": (">=", 0.85),
    "abstention_accuracy": (">=", 0.9),
    "false_abstention_rate": ("<=", 0.05),
    "citation_validity": (">=", 1.0),
}
# SQuAD 2.0 articles (``qa-bot eval FILE.json``): half the questions are unanswerable by design
# and look answerable, so the abstention targets are lower; the answer must also contain the
# gold answer text.
SQUAD_TARGETS: dict[str, tuple[str, float]] = {
    "answer_evidence_rate": (">=", 0.85),
    "answer_contains_gold": (">=", 0.85),
    "abstention_accuracy": (">=", 0.5),
    "false_abstention_rate": ("<=", 0.15),
    "citation_validity": (">=", 1.0),
}


_MARKER = re.compile(r"\[(\d+)\]")


class ReportError(QABotError):
    """A saved evaluation report cannot be read."""


@dataclass(frozen=True)
class QuestionResult:
    """The outcome of one question.

    Retrieval fields are ``None``/``False``/``0.0`` for unanswerable questions.
    ``relevant_passages`` counts the bot's passages holding the evidence (``None`` when the bot
    does not expose its passages); ``0`` means the evidence is lost from the index.
    """

    id: str
    question: str
    answerable: bool
    first_hit_rank: int | None
    hit_at_1: bool
    hit_at_3: bool
    hit_at_5: bool
    reciprocal_rank: float
    ndcg_at_10: float
    abstained: bool
    answer_has_evidence: bool
    cited_passage_has_evidence: bool
    citations_valid: bool
    retrieve_seconds: float
    ask_seconds: float
    answer_text: str
    relevant_passages: int | None = None
    citation_problems: tuple[str, ...] = ()
    query: str = ""  # what the bot searched, when not the question itself
    answer_has_gold: bool | None = None  # None when the question has no gold answer text
    group: str = ""  # what the question is about (SQuAD: its article)


@dataclass(frozen=True)
class Report:
    """Per-question results, the totals (see :func:`evaluate`) and how the run was made."""

    results: tuple[QuestionResult, ...]
    totals: dict[str, float]
    config: dict[str, Any]
    groups: dict[str, dict[str, float]] = field(default_factory=dict)  # totals per group


def evaluate(
    bot: Any,
    questions: Sequence[Question],
    *,
    k: int = 10,
    ask_k: int | None = None,
    progress: bool = False,
    config: Mapping[str, Any] | None = None,
) -> Report:
    """Run every question through ``bot.retrieve`` and ``bot.ask`` once and score the results.

    A follow-up (a question with a ``history``) goes through ``bot.chat`` instead, twice like
    the others: once with ``k`` for the retrieval metrics (its hits), once as users get it. Its
    earlier turns are asked first, in order, so its history holds what a chat's would: each
    turn's question, whether it was answered and the answer.

    nDCG@10 uses binary relevance (every passage holding the evidence counts); the ideal DCG
    assumes all relevant passages of the bot's collection (``bot.passages``) up front, or, when
    the bot does not expose its passages, the relevant passages found in the top ``k``.

    Totals: ``hit@1``, ``hit@3``, ``hit@5``, ``mrr@10``, ``ndcg@10``, ``answer_evidence_rate``,
    ``cited_passage_evidence_rate`` and ``false_abstention_rate`` over answerable questions
    (an abstention counts as a miss); ``abstention_accuracy`` over unanswerable ones;
    ``citation_validity`` over all; ``passage_words_median``/``_max`` over ``bot.passages``
    (or the retrieved passages); latency percentiles in ms; and the question counts. A rate
    with no questions to measure it on is left out.

    Args:
        bot: the bot under test.
        questions: the question set.
        k: retrieval depth for the retrieval metrics.
        ask_k: passed to ``bot.ask(question, k=ask_k)``; ``None`` uses the bot's default, so
            answers are scored as users get them.
        progress: print one line per question to stderr.
        config: extra facts recorded in the report (question file, index folder, ...).

    Raises:
        ValueError: ``k`` is not positive.
    """
    if k < 1:
        raise ValueError(f"k must be greater than 0. Currently, k is {k}")
    corpus = _bot_passages(bot)
    corpus_folded = None if corpus is None else [normalise(p.text) for p in corpus]
    results: list[QuestionResult] = []
    retrieved: dict[str, Passage] = {}
    for number, question in enumerate(questions, start=1):
        history = _chat_history(bot, question, ask_k)
        started = time.perf_counter()
        if question.history:
            hits = list(bot.chat(question.question, history, k=k).hits)[:k]
        else:
            hits = list(bot.retrieve(question.question, k=k))[:k]
        retrieved_at = time.perf_counter()
        answer = _answer(bot, question, history, ask_k)
        answered_at = time.perf_counter()
        for hit in hits:
            retrieved.setdefault(hit.passage.passage_id, hit.passage)
        result = _score(
            question,
            hits,
            answer,
            corpus_folded,
            retrieved_at - started,
            answered_at - retrieved_at,
        )
        results.append(result)
        if progress:
            print(
                f"[{number}/{len(questions)}] {_status(result):<10} {question.id}", file=sys.stderr
            )
    passages = corpus if corpus is not None else list(retrieved.values())
    groups = {
        name: _totals([r for r in results if r.group == name], passages)
        for name in dict.fromkeys(r.group for r in results if r.group)
    }
    run = {
        "k": k,
        "ask_k": ask_k,
        "bot": type(bot).__name__,
        "passage_words_over": "bot.passages" if corpus is not None else "retrieved passages",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **dict(config or {}),
    }
    return Report(tuple(results), _totals(results, passages), run, groups)


def _chat_history(bot: Any, question: Question, ask_k: int | None) -> list[Turn]:
    """A follow-up's earlier turns as the chat holds them: each asked in turn, with whether
    the bot answered it and its answer (which a "he" may point into)."""
    options = {} if ask_k is None else {"k": ask_k}
    turns: list[Turn] = []
    for earlier in question.history:
        answer = bot.chat(earlier, turns, **options) if turns else bot.ask(earlier, **options)
        turns.append(Turn(earlier, not answer.abstained, answer.text))
    return turns


def _answer(bot: Any, question: Question, history: list[Turn], ask_k: int | None) -> Answer:
    options = {} if ask_k is None else {"k": ask_k}
    answer: Answer = (
        bot.chat(question.question, history, **options)
        if question.history
        else bot.ask(question.question, **options)
    )
    return answer


def _bot_passages(bot: Any) -> list[Passage] | None:
    passages = getattr(bot, "passages", None)
    if callable(passages):
        passages = passages()
    if passages is None:
        return None
    if isinstance(passages, Mapping):
        passages = passages.values()
    return list(passages)


def _score(
    question: Question,
    hits: list[Hit],
    answer: Answer,
    corpus_folded: list[str] | None,
    retrieve_seconds: float,
    ask_seconds: float,
) -> QuestionResult:
    problems = _citation_problems(answer)
    common: dict[str, Any] = {
        "id": question.id,
        "question": question.question,
        "answerable": question.answerable,
        "abstained": answer.abstained,
        "citations_valid": not problems,
        "citation_problems": tuple(problems),
        "retrieve_seconds": retrieve_seconds,
        "ask_seconds": ask_seconds,
        "answer_text": answer.text,
        "query": answer.rewritten_query,
        "group": question.group,
    }
    if not question.answerable:
        return QuestionResult(
            first_hit_rank=None,
            hit_at_1=False,
            hit_at_3=False,
            hit_at_5=False,
            reciprocal_rank=0.0,
            ndcg_at_10=0.0,
            answer_has_evidence=False,
            cited_passage_has_evidence=False,
            **common,
        )
    evidence = [normalise(e) for e in question.evidence]
    relevant = [any(e in normalise(h.passage.text) for e in evidence) for h in hits]
    rank = relevant.index(True) + 1 if any(relevant) else None
    in_corpus = None
    if corpus_folded is not None:
        in_corpus = sum(any(e in text for e in evidence) for text in corpus_folded)
    ideal_count = max(in_corpus if in_corpus is not None else 0, sum(relevant))
    dcg = sum(1.0 / math.log2(i + 2) for i, rel in enumerate(relevant[:10]) if rel)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(ideal_count, 10)))
    cited = {c.passage_id for c in answer.citations}
    quotes = " ".join(c.quote for c in answer.citations)
    return QuestionResult(
        first_hit_rank=rank,
        hit_at_1=rank is not None and rank <= 1,
        hit_at_3=rank is not None and rank <= 3,
        hit_at_5=rank is not None and rank <= 5,
        reciprocal_rank=1.0 / rank if rank is not None and rank <= 10 else 0.0,
        ndcg_at_10=dcg / ideal if ideal else 0.0,
        relevant_passages=in_corpus,
        answer_has_evidence=not answer.abstained and has_evidence(quotes, evidence),
        answer_has_gold=(
            (not answer.abstained and has_evidence(quotes, question.answers))
            if question.answers
            else None
        ),
        cited_passage_has_evidence=any(
            has_evidence(h.passage.text, evidence)
            for h in answer.hits
            if h.passage.passage_id in cited
        ),
        **common,
    )


def _citation_problems(answer: Answer) -> list[str]:
    """Every way the answer's citations fail to be verbatim, resolvable quotes."""
    passages = {h.passage.passage_id: h.passage for h in answer.hits}
    problems = []
    for c in answer.citations:
        passage = passages.get(c.passage_id)
        if passage is None:
            problems.append(
                f"[{c.number}] cites passage {c.passage_id} not among the answer's hits"
            )
        elif not c.quote.strip():
            problems.append(f"[{c.number}] has an empty quote")
        elif c.quote not in passage.text:
            problems.append(f"[{c.number}] quote is not verbatim in its passage: {c.quote[:60]!r}")
        elif passage.text[c.start : c.end] != c.quote:
            problems.append(f"[{c.number}] offsets {c.start}:{c.end} do not point at the quote")
    if not answer.abstained:
        numbers = {c.number for c in answer.citations}
        for marker in sorted({int(m) for m in _MARKER.findall(answer.text)} - numbers):
            problems.append(f"[{marker}] appears in the answer text but has no citation")
    return problems


def _mean(flags: Iterable[float]) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# Every metric a report's totals may hold (a metric without data, e.g. abstention on a set with
# no unanswerable question, is left out of that report); --fail-under/--fail-over take these.
METRICS = (
    "hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10", "answer_evidence_rate",
    "answer_contains_gold", "cited_passage_evidence_rate", "citation_validity",
    "abstention_accuracy", "false_abstention_rate", "passage_words_median", "passage_words_max",
    "retrieve_p50_ms", "retrieve_p95_ms", "ask_p50_ms", "ask_p95_ms", "questions", "answerable",
    "unanswerable",
)  # fmt: skip


def _totals(results: Sequence[QuestionResult], passages: Sequence[Passage]) -> dict[str, float]:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    words = [len(p.text.split()) for p in passages]
    retrieve_ms = [r.retrieve_seconds * 1000 for r in results]
    ask_ms = [r.ask_seconds * 1000 for r in results]
    candidates: dict[str, float | None] = {
        "hit@1": _mean(r.hit_at_1 for r in answerable),
        "hit@3": _mean(r.hit_at_3 for r in answerable),
        "hit@5": _mean(r.hit_at_5 for r in answerable),
        "mrr@10": _mean(r.reciprocal_rank for r in answerable),
        "ndcg@10": _mean(r.ndcg_at_10 for r in answerable),
        "answer_evidence_rate": _mean(r.answer_has_evidence for r in answerable),
        "answer_contains_gold": _mean(
            r.answer_has_gold for r in answerable if r.answer_has_gold is not None
        ),
        "cited_passage_evidence_rate": _mean(r.cited_passage_has_evidence for r in answerable),
        "citation_validity": _mean(r.citations_valid for r in results),
        "abstention_accuracy": _mean(r.abstained for r in unanswerable),
        "false_abstention_rate": _mean(r.abstained for r in answerable),
        "passage_words_median": float(statistics.median(words)) if words else None,
        "passage_words_max": float(max(words)) if words else None,
        "retrieve_p50_ms": _percentile(retrieve_ms, 0.5),
        "retrieve_p95_ms": _percentile(retrieve_ms, 0.95),
        "ask_p50_ms": _percentile(ask_ms, 0.5),
        "ask_p95_ms": _percentile(ask_ms, 0.95),
        "questions": float(len(results)),
        "answerable": float(len(answerable)),
        "unanswerable": float(len(unanswerable)),
    }
    assert tuple(candidates) == METRICS
    return {name: value for name, value in candidates.items() if value is not None}


def _status(result: QuestionResult) -> str:
    labels = []
    if result.answerable:
        if not result.hit_at_5:
            labels.append("MISS-RET")
        if result.abstained:
            labels.append("FALSE-ABST")
        elif not result.answer_has_evidence:
            labels.append("MISS-ANS")
    elif not result.abstained:
        labels.append("NO-ABST")
    if not result.citations_valid:
        labels.append("BAD-CITE")
    return ",".join(labels) or "ok"


def report_to_json(report: Report) -> dict[str, Any]:
    """A JSON-ready dict of the report; :func:`report_from_json` reads it back."""
    results = []
    for result in report.results:
        row = {f.name: getattr(result, f.name) for f in fields(QuestionResult)}
        row["citation_problems"] = list(result.citation_problems)
        results.append(row)
    return {
        "format": REPORT_FORMAT,
        "config": dict(report.config),
        "totals": dict(report.totals),
        "groups": {name: dict(totals) for name, totals in report.groups.items()},
        "results": results,
    }


def report_from_json(data: Any) -> Report:
    """Rebuild a report from :func:`report_to_json` output.

    Raises:
        ReportError: the data is not a report of this format.
    """
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        raise ReportError(f"not a qa_bot evaluation report (expected format {REPORT_FORMAT!r})")
    rows, totals, config = data.get("results"), data.get("totals"), data.get("config")
    if not isinstance(rows, list) or not isinstance(totals, dict) or not isinstance(config, dict):
        raise ReportError("report needs 'results' (list), 'totals' and 'config' (objects)")
    names = {f.name: f for f in fields(QuestionResult)}
    results = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ReportError(f"result {index} is not an object")
        missing = [n for n, f in names.items() if n not in row and f.default is f.default_factory]
        if missing:
            raise ReportError(f"result {index} lacks {', '.join(missing)}")
        values = {n: row[n] for n in names if n in row}
        values["citation_problems"] = tuple(values.get("citation_problems", ()))
        results.append(QuestionResult(**values))
    groups = data.get("groups", {})
    try:
        numbers = {str(name): float(value) for name, value in totals.items()}
        by_group = {
            str(g): {str(n): float(v) for n, v in t.items()} for g, t in dict(groups).items()
        }
    except (TypeError, ValueError, AttributeError) as exc:
        raise ReportError(f"report totals must be numbers: {exc}") from exc
    return Report(tuple(results), numbers, dict(config), by_group)


def save_report(report: Report, path: str | Path) -> None:
    """Write the report as JSON (UTF-8, indented)."""
    text = json.dumps(report_to_json(report), ensure_ascii=False, indent=2)
    Path(path).write_text(text + "\n", encoding="utf-8")


def load_report(path: str | Path) -> Report:
    """Read a report written by :func:`save_report`.

    Raises:
        ReportError: the file cannot be read or is not a report.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: cannot read report: {exc}") from exc
    try:
        return report_from_json(data)
    except ReportError as exc:
        raise ReportError(f"{path}: {exc}") from exc


def check_targets(report: Report, targets: Mapping[str, tuple[str, float]] = TARGETS) -> list[str]:
    """Human-readable failures, one per missed target; empty when all are met.

    A target whose metric the report lacks (e.g. no unanswerable questions) is a failure.

    Raises:
        ValueError: a target uses an operator other than ``>=`` or ``<=``.
    """
    failures = []
    for name, (op, threshold) in targets.items():
        if op not in (">=", "<="):
            raise ValueError(f"target operator must be '>=' or '<=', got {op!r} for {name}")
        value = report.totals.get(name)
        if value is None:
            failures.append(f"{name} not measured (target {op} {threshold:g})")
            continue
        if not _meets(value, op, threshold):
            failures.append(f"{name} = {value:.3f}, target {op} {threshold:g}")
    return failures


def _meets(value: float, op: str, threshold: float) -> bool:
    # tolerance: a mean of booleans can land a hair under an exact threshold like 0.9
    return value >= threshold - 1e-9 if op == ">=" else value <= threshold + 1e-9
