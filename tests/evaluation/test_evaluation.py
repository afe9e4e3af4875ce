"""Tests for qa_bot.evaluation (metrics and report): metrics, reports, comparisons."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from qa_bot.evaluation.metrics import (
    TARGETS,
    Report,
    ReportError,
    check_targets,
    evaluate,
    load_report,
    report_from_json,
    report_to_json,
    save_report,
)
from qa_bot.evaluation.question_set import Question
from qa_bot.evaluation.report import compare, format_comparison, format_report
from qa_bot.models import Answer, Citation, Hit, Passage, Turn

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def _passage(pid: str, text: str) -> Passage:
    return Passage(pid, f"doc-{pid}", f"Title {pid}", text, 0, len(text))


PASSAGES = {
    "A": _passage("A", "Putin praised Trump’s “brave attitude” after the attack."),
    "B": _passage("B", "Since 2017 the Kremlin was  WARY of his\nunpredictability."),
    "C": _passage("C", "Sanctions relief is hoped for in Moscow."),
    "D": _passage("D", 'Officials repeated that Trump\'s "brave attitude" impressed them.'),
    "E": _passage("E", "Filler text about the weather in Sochi."),
}


def _cite(number: int, pid: str, quote: str, start: int | None = None) -> Citation:
    p = PASSAGES[pid]
    begin = p.text.find(quote) if start is None else start
    return Citation(number, pid, p.doc_id, p.title, quote, begin, begin + len(quote))


@dataclass
class Script:
    """What the fake bot does for one question."""

    ranking: Sequence[str]
    citations: Sequence[Citation] = ()
    abstained: bool = False
    text: str = ""


@dataclass
class FakeBot:
    """Answers from hand-made scripts and counts its calls."""

    scripts: dict[str, Script]
    with_passages: bool = True
    calls: list[tuple[str, str, int | None]] = field(default_factory=list)
    histories: list[list[Turn]] = field(default_factory=list)

    @property
    def passages(self) -> list[Passage]:
        if not self.with_passages:
            raise AttributeError("passages")
        return list(PASSAGES.values())

    def _hits(self, question: str) -> list[Hit]:
        ranking = self.scripts[question].ranking
        return [Hit(PASSAGES[p], 1.0 / i, 0.0, 0.0, 0.0, i) for i, p in enumerate(ranking, 1)]

    def retrieve(self, question: str, *, k: int = 10) -> list[Hit]:
        self.calls.append(("retrieve", question, k))
        return self._hits(question)[:k]

    def ask(self, question: str, *, k: int | None = None) -> Answer:
        self.calls.append(("ask", question, k))
        s = self.scripts[question]
        text = s.text or " ".join(f"{c.quote} [{c.number}]" for c in s.citations)
        return Answer(
            question, text, tuple(s.citations), tuple(self._hits(question)), s.abstained, 0.5
        )

    def chat(self, question: str, history: Sequence[Turn], *, k: int | None = None) -> Answer:
        """A follow-up is scripted under "question | last earlier question"."""
        self.histories.append(list(history))
        key = f"{question} | {history[-1].question}"
        self.calls.append(("chat", key, k))
        s = self.scripts[key]
        hits = self._hits(key)[:k] if k is not None else self._hits(key)
        text = " ".join(f"{c.quote} [{c.number}]" for c in s.citations)
        return Answer(
            question, text, tuple(s.citations), tuple(hits), s.abstained, 0.5,
            query=f"{question} (Moscow)",
        )  # fmt: skip


QSET = [
    Question("q1", "brave?", ('Trump\'s "brave attitude"',), True),
    Question("q2", "wary?", ("wary of his unpredictability",), True),
    Question("q3", "sanctions?", ("SANCTIONS relief",), True),
    Question("q4", "lost?", ("nowhere to be found",), True),
    Question("q5", "brazil?", (), False),
    Question("q6", "world cup?", (), False),
]

BASE = {
    "brave?": Script(
        ["A", "E", "D"], [_cite(1, "A", "Putin praised Trump’s “brave attitude” after the attack.")]
    ),
    "wary?": Script(["E", "B"], [_cite(1, "E", "Filler text about the weather in Sochi.")]),
    "sanctions?": Script(
        ["E", "A", "C"], [_cite(1, "C", "Sanctions relief is hoped for in Moscow.")]
    ),
    "lost?": Script(["E"], abstained=True, text="I found nothing about that in the articles."),
    "brazil?": Script(["E"], abstained=True, text="I found nothing about that in the articles."),
    # an ASCII apostrophe where the passage has a curly one: not verbatim
    "world cup?": Script(["A"], [_cite(1, "A", "Putin praised Trump's", start=0)]),
}


def _run(
    scripts: dict[str, Script] | None = None, *, config: dict[str, str] | None = None
) -> Report:
    return evaluate(FakeBot(scripts or BASE), QSET, config=config)


def test_retrieval_metrics_on_a_hand_computed_example() -> None:
    report = _run()
    r = {x.id: x for x in report.results}
    assert [r[q].first_hit_rank for q in ("q1", "q2", "q3", "q4")] == [1, 2, 3, None]
    assert (r["q1"].hit_at_1, r["q2"].hit_at_1, r["q2"].hit_at_3, r["q3"].hit_at_3) == (
        True,
        False,
        True,
        True,
    )
    assert not r["q4"].hit_at_5
    # q1: relevant at ranks 1 and 3, two relevant passages in the collection (A and D)
    assert r["q1"].ndcg_at_10 == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert r["q1"].relevant_passages == 2
    assert r["q2"].ndcg_at_10 == pytest.approx(1 / math.log2(3))
    assert r["q3"].reciprocal_rank == pytest.approx(1 / 3)
    assert r["q4"].relevant_passages == 0
    t = report.totals
    assert t["hit@1"] == pytest.approx(0.25)
    assert t["hit@3"] == pytest.approx(0.75)
    assert t["hit@5"] == pytest.approx(0.75)
    assert t["mrr@10"] == pytest.approx((1 + 1 / 2 + 1 / 3 + 0) / 4)
    ndcgs = [r[q].ndcg_at_10 for q in ("q1", "q2", "q3", "q4")]
    assert t["ndcg@10"] == pytest.approx(sum(ndcgs) / 4)
    assert (t["questions"], t["answerable"], t["unanswerable"]) == (6, 4, 2)


def test_answer_abstention_and_citation_metrics() -> None:
    report = _run()
    r = {x.id: x for x in report.results}
    assert r["q1"].answer_has_evidence and r["q3"].answer_has_evidence
    assert not r["q2"].answer_has_evidence and not r["q2"].cited_passage_has_evidence
    assert r["q4"].abstained and not r["q4"].answer_has_evidence
    assert r["q5"].abstained and not r["q6"].abstained
    assert not r["q6"].citations_valid
    assert "not verbatim" in r["q6"].citation_problems[0]
    t = report.totals
    assert t["answer_evidence_rate"] == pytest.approx(0.5)
    assert t["abstention_accuracy"] == pytest.approx(0.5)
    assert t["false_abstention_rate"] == pytest.approx(0.25)
    assert t["citation_validity"] == pytest.approx(5 / 6)
    words = sorted(len(p.text.split()) for p in PASSAGES.values())
    assert t["passage_words_median"] == words[2]
    assert t["passage_words_max"] == words[-1]
    for key in ("retrieve_p50_ms", "retrieve_p95_ms", "ask_p50_ms", "ask_p95_ms"):
        assert t[key] >= 0


@pytest.mark.parametrize(
    ("citation", "text", "problem"),
    [
        (_cite(1, "C", "Sanctions relief", start=3), "x [1]", "offsets 3:19"),
        (_cite(1, "C", "Sanctions relief"), "x [1] y [2]", "[2] appears in the answer text"),
        (replace(_cite(1, "C", "Sanctions relief"), passage_id="Z"), "x [1]", "not among"),
    ],
)
def test_citation_validity_problems(citation: Citation, text: str, problem: str) -> None:
    scripts = {**BASE, "sanctions?": Script(["C"], [citation], text=text)}
    result = next(r for r in _run(scripts).results if r.id == "q3")
    assert not result.citations_valid
    assert any(problem in p for p in result.citation_problems)


def test_calls_each_method_once_and_passes_k() -> None:
    bot = FakeBot(BASE)
    evaluate(bot, QSET, k=2)
    assert [c for c in bot.calls if c[0] == "retrieve"] == [
        ("retrieve", q.question, 2) for q in QSET
    ]
    assert [c for c in bot.calls if c[0] == "ask"] == [("ask", q.question, None) for q in QSET]
    bot = FakeBot(BASE)
    report = evaluate(bot, QSET[:1], k=2, ask_k=4)
    assert bot.calls[-1] == ("ask", "brave?", 4)
    assert report.results[0].first_hit_rank == 1 and report.config["k"] == 2
    with pytest.raises(ValueError, match="k must be greater than 0"):
        evaluate(bot, QSET, k=0)


def test_follow_ups_go_through_chat_with_their_history() -> None:
    follow_up = Question("f1", "why?", ("wary of his unpredictability",), True, ("wary?",))
    scripts = {
        **BASE,
        "why? | wary?": Script(["B", "E"], [_cite(1, "B", "WARY of his\nunpredictability")]),
    }
    bot = FakeBot(scripts)
    report = evaluate(bot, [QSET[0], follow_up], k=2)
    assert bot.calls == [
        ("retrieve", "brave?", 2),
        ("ask", "brave?", None),
        ("ask", "wary?", None),  # its earlier turn, asked first as in a chat
        ("chat", "why? | wary?", 2),
        ("chat", "why? | wary?", None),
    ]
    # The follow-up's history holds the earlier turn as the chat would: answered, and its answer.
    assert bot.histories[-1] == [Turn("wary?", True, "Filler text about the weather in Sochi. [1]")]
    result = report.results[1]
    assert result.first_hit_rank == 1 and result.answer_has_evidence
    assert result.query == "why? (Moscow)" and report.results[0].query == ""
    assert "f1: searched for: why? (Moscow)" in format_report(report)


def test_an_earlier_turn_that_found_nothing_is_sent_as_unanswered() -> None:
    follow_up = Question("f2", "and then?", (), False, ("lost?",))
    bot = FakeBot({**BASE, "and then? | lost?": Script(["E"], abstained=True)})
    evaluate(bot, [follow_up], k=2)
    nothing = "I found nothing about that in the articles."
    assert bot.histories[-1] == [Turn("lost?", False, nothing)]


def test_without_bot_passages_uses_retrieved_ones() -> None:
    report = evaluate(FakeBot(BASE, with_passages=False), QSET)
    q1 = report.results[0]
    assert q1.relevant_passages is None
    # ideal DCG from the two relevant passages found in the top k
    assert q1.ndcg_at_10 == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    retrieved = {"A", "B", "C", "D", "E"}
    assert report.totals["passage_words_max"] == max(
        len(PASSAGES[p].text.split()) for p in retrieved
    )
    assert report.config["passage_words_over"] == "retrieved passages"


def test_report_json_round_trip(tmp_path: Path) -> None:
    report = _run(config={"questions_file": "q.jsonl"})
    data = json.loads(json.dumps(report_to_json(report)))
    assert report_from_json(data) == report
    save_report(report, tmp_path / "r.json")
    assert load_report(tmp_path / "r.json") == report
    with pytest.raises(ReportError):
        report_from_json({"format": "other"})
    broken = report_to_json(report)
    del broken["results"][0]["hit_at_1"]
    with pytest.raises(ReportError, match="hit_at_1"):
        report_from_json(broken)
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(ReportError, match=r"bad\.json"):
        load_report(tmp_path / "bad.json")


def test_format_report_lists_misses_first_then_wrong_abstentions() -> None:
    text = format_report(_run())
    rows = [line.split() for line in text.splitlines()[1:7]]
    assert [row[1] for row in rows] == ["q2", "q4", "q6", "q1", "q3", "q5"]
    assert rows[1][0] == "MISS-RET,FALSE-ABST" and rows[2][0] == "NO-ABST,BAD-CITE"
    assert "q6: [1] quote is not verbatim" in text
    assert "q4: no indexed passage holds the evidence" in text
    assert any(line.startswith("hit@1") and "FAIL" in line for line in text.splitlines())


def test_compare_shows_better_and_worse_questions() -> None:
    old = _run()
    improved = {
        **BASE,
        "wary?": Script(
            ["B"], [_cite(1, "B", "Since 2017 the Kremlin was  WARY of his\nunpredictability.")]
        ),
        "sanctions?": Script(["E"], [_cite(1, "E", "Filler text about the weather in Sochi.")]),
    }
    new = _run(improved)
    c = compare(old, new)
    better = {ch.id: ch.notes for ch in c.better}
    worse = {ch.id: ch.notes for ch in c.worse}
    assert set(better) == {"q2"} and set(worse) == {"q3"}
    assert "first hit 2 -> 1" in better["q2"] and "answer now quotes the evidence" in better["q2"]
    assert "first hit 3 -> -" in worse["q3"]
    hit1 = next(m for m in c.metrics if m.name == "hit@1")
    assert (hit1.old, hit1.new, hit1.improved) == (0.25, 0.5, True)
    assert hit1.delta == pytest.approx(0.25)
    text = format_comparison(c)
    assert "Better (1):" in text and "Worse (1):" in text and "+0.250" in text


def test_compare_abstention_changes_and_missing_questions() -> None:
    old = _run()
    flipped = {**BASE, "world cup?": Script(["E"], abstained=True, text="Nothing found.")}
    new = evaluate(FakeBot(flipped), QSET[1:])
    c = compare(old, new)
    assert [ch.id for ch in c.better] == ["q6"]
    assert "now abstains" in c.better[0].notes and "citations now valid" in c.better[0].notes
    assert c.only_old == ("q1",) and c.only_new == ()
    far = next(m for m in c.metrics if m.name == "false_abstention_rate")
    assert far.improved is False  # 1/4 -> 1/3


def test_check_targets() -> None:
    report = _run()
    failures = check_targets(report)
    assert any(f.startswith("hit@1 = 0.250") for f in failures)
    assert any(f.startswith("false_abstention_rate") for f in failures)
    perfect = Report(report.results, {name: value for name, (_, value) in TARGETS.items()}, {})
    assert check_targets(perfect) == []
    assert check_targets(Report((), {}, {}), {"hit@1": (">=", 0.5)}) == [
        "hit@1 not measured (target >= 0.5)"
    ]
    with pytest.raises(ValueError, match="operator"):
        check_targets(report, {"hit@1": (">", 0.5)})
