"""The terminal report of an evaluation run and the comparison of two runs.

Both read :mod:`qa_bot.evaluation.metrics`, which holds the metrics and the
:class:`~qa_bot.evaluation.metrics.Report` they format (question sets are
:mod:`qa_bot.evaluation.question_set`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qa_bot.evaluation.metrics import TARGETS, QuestionResult, Report, _meets, _status

# Direction of improvement for the comparison; metrics not listed are descriptive only.
_LOWER_IS_BETTER = frozenset(
    {"false_abstention_rate", "retrieve_p50_ms", "retrieve_p95_ms", "ask_p50_ms", "ask_p95_ms"}
)
_HIGHER_IS_BETTER = frozenset(
    {"hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10", "citation_validity", "abstention_accuracy"}
    | {"answer_evidence_rate", "cited_passage_evidence_rate", "answer_contains_gold"}
)


@dataclass(frozen=True)
class MetricDelta:
    """One total in two runs; ``improved`` is ``None`` for descriptive metrics."""

    name: str
    old: float | None
    new: float | None
    delta: float | None
    improved: bool | None


@dataclass(frozen=True)
class QuestionChange:
    """What changed for one question between two runs."""

    id: str
    question: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    """The difference between two reports."""

    metrics: tuple[MetricDelta, ...]
    better: tuple[QuestionChange, ...]
    worse: tuple[QuestionChange, ...]
    only_old: tuple[str, ...]
    only_new: tuple[str, ...]
    config_changes: tuple[tuple[str, Any, Any], ...]


def _format_value(name: str, value: float | None, *, sign: bool = False) -> str:
    if value is None:
        return "n/a"
    plus = "+" if sign else ""
    if name.endswith("_ms"):
        return f"{value:{plus}.1f} ms"
    if name in {"questions", "answerable", "unanswerable"} or name.startswith("passage_words"):
        return f"{value:{plus}g}"
    return f"{value:{plus}.3f}"


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_report(report: Report, targets: Mapping[str, tuple[str, float]] = TARGETS) -> str:
    """A terminal table: misses first, then wrong abstentions, bad citations, the rest; totals."""

    def group(result: QuestionResult) -> int:
        status = _status(result)
        if status in ("ok", "BAD-CITE"):
            return 3 if status == "ok" else 2
        return 0 if result.answerable else 1

    ordered = sorted(report.results, key=group)  # sorted is stable: file order within a group
    lines = [
        f"{'status':<20} {'id':<8} {'rank':>4} {'RR':>5} {'nDCG':>5} {'abst':>4} "
        f"{'ret ms':>8} {'ask ms':>8}  question"
    ]
    for r in ordered:
        rank = "-" if r.first_hit_rank is None else str(r.first_hit_rank)
        rr, ndcg = (f"{r.reciprocal_rank:.2f}", f"{r.ndcg_at_10:.2f}") if r.answerable else "--"
        lines.append(
            f"{_status(r):<20} {r.id:<8} {rank:>4} {rr:>5} {ndcg:>5} "
            f"{'yes' if r.abstained else 'no':>4} {r.retrieve_seconds * 1000:>8.1f} "
            f"{r.ask_seconds * 1000:>8.1f}  {_shorten(r.question, 60)}"
        )
    for r in ordered:
        if r.query:
            lines.append(f"  {r.id}: searched for: {_shorten(r.query, 90)}")
        lines.extend(f"  {r.id}: {problem}" for problem in r.citation_problems)
        if r.answerable and r.relevant_passages == 0:
            lines.append(f"  {r.id}: no indexed passage holds the evidence")
    lines.append("")
    for name, value in report.totals.items():
        mark = ""
        if name in targets:
            op, threshold = targets[name]
            mark = (
                f"  target {op} {threshold:g}  {'ok' if _meets(value, op, threshold) else 'FAIL'}"
            )
        lines.append(f"{name:<28} {_format_value(name, value):>12}{mark}")
    lines.extend(
        f"{name:<28} {'n/a':>12}  not measured" for name in targets if name not in report.totals
    )
    if report.groups:
        lines += ["", _format_groups(report.groups)]
    return "\n".join(lines)


_GROUP_COLUMNS = (
    ("questions", "questions"),
    ("hit@1", "hit@1"),
    ("answer_evidence_rate", "evidence"),
    ("answer_contains_gold", "gold"),
    ("abstention_accuracy", "abstains"),
    ("false_abstention_rate", "false abst"),
)


def _format_groups(groups: Mapping[str, Mapping[str, float]]) -> str:
    """One row per group (SQuAD: per article) with the main metrics."""
    width = max(len("group"), *(len(g) for g in groups))
    lines = [f"{'group':<{width}} " + " ".join(f"{label:>10}" for _, label in _GROUP_COLUMNS)]
    for name, totals in groups.items():
        cells = " ".join(
            f"{_format_value(metric, totals.get(metric)):>10}" for metric, _ in _GROUP_COLUMNS
        )
        lines.append(f"{name:<{width}} {cells}")
    return "\n".join(lines)


def compare(old: Report, new: Report) -> Comparison:
    """Totals side by side and the questions that got better or worse.

    A question is compared by its first hit rank, whether it abstained correctly, whether the
    answer quotes the evidence, and citation validity; it can be both better and worse.
    """
    metrics = []
    for name in [*old.totals, *(n for n in new.totals if n not in old.totals)]:
        before, after = old.totals.get(name), new.totals.get(name)
        delta = None if before is None or after is None else after - before
        improved = None
        if delta and name in _HIGHER_IS_BETTER | _LOWER_IS_BETTER:
            improved = (delta > 0) == (name in _HIGHER_IS_BETTER)
            # timing jitter between runs is not a change worth flagging
            if name.endswith("_ms") and abs(delta) < max(1.0, 0.1 * (before or 0.0)):
                improved = None
        metrics.append(MetricDelta(name, before, after, delta, improved))
    old_by_id = {r.id: r for r in old.results}
    new_ids = {r.id for r in new.results}
    better, worse = [], []
    for after_result in new.results:
        before_result = old_by_id.get(after_result.id)
        if before_result is None:
            continue
        gains, losses = _question_changes(before_result, after_result)
        if gains:
            better.append(QuestionChange(after_result.id, after_result.question, tuple(gains)))
        if losses:
            worse.append(QuestionChange(after_result.id, after_result.question, tuple(losses)))
    config_changes = tuple(
        (key, old.config.get(key), new.config.get(key))
        for key in sorted(set(old.config) | set(new.config))
        if key != "created" and old.config.get(key) != new.config.get(key)
    )
    return Comparison(
        metrics=tuple(metrics),
        better=tuple(better),
        worse=tuple(worse),
        only_old=tuple(r.id for r in old.results if r.id not in new_ids),
        only_new=tuple(r.id for r in new.results if r.id not in old_by_id),
        config_changes=config_changes,
    )


def _question_changes(old: QuestionResult, new: QuestionResult) -> tuple[list[str], list[str]]:
    gains: list[str] = []
    losses: list[str] = []

    def note(improved: bool, text: str) -> None:
        (gains if improved else losses).append(text)

    if new.answerable and old.answerable and old.first_hit_rank != new.first_hit_rank:
        before, after = old.first_hit_rank or math.inf, new.first_hit_rank or math.inf
        note(
            after < before, f"first hit {old.first_hit_rank or '-'} -> {new.first_hit_rank or '-'}"
        )
    if old.abstained != new.abstained:
        note(
            new.abstained != new.answerable, "now abstains" if new.abstained else "stops abstaining"
        )
    if new.answerable and old.answer_has_evidence != new.answer_has_evidence:
        now = new.answer_has_evidence
        note(now, f"answer {'now' if now else 'no longer'} quotes the evidence")
    if old.citations_valid != new.citations_valid:
        now = new.citations_valid
        note(now, f"citations {'now' if now else 'no longer'} valid")
    return gains, losses


def format_comparison(comparison: Comparison) -> str:
    """Old, new and delta per metric, then the questions that got better and worse."""
    lines = [f"{'metric':<28} {'old':>12} {'new':>12} {'delta':>10}"]
    for m in comparison.metrics:
        delta = "n/a" if m.delta is None else _format_value(m.name, m.delta, sign=True)
        verdict = {True: "  better", False: "  worse", None: ""}[m.improved]
        lines.append(
            f"{m.name:<28} {_format_value(m.name, m.old):>12} {_format_value(m.name, m.new):>12} "
            f"{delta:>10}{verdict}"
        )
    for title, changes in (("Better", comparison.better), ("Worse", comparison.worse)):
        lines.append(f"\n{title} ({len(changes)}):")
        lines.extend(
            f"  {c.id:<8} {'; '.join(c.notes)}  — {_shorten(c.question, 50)}" for c in changes
        )
    if comparison.only_old or comparison.only_new:
        lines.append(f"\nOnly in old: {', '.join(comparison.only_old) or '-'}")
        lines.append(f"Only in new: {', '.join(comparison.only_new) or '-'}")
    if comparison.config_changes:
        lines.append("\nConfig changes:")
        lines.extend(
            f"  {key}: {before!r} -> {after!r}" for key, before, after in comparison.config_changes
        )
    return "\n".join(lines)
