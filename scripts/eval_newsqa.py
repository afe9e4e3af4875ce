"""Score qa_bot on a split of the news question sets (tests/data/newsqa/SPLIT).

Usage: ``python scripts/eval_newsqa.py dev [--out report.json] [--no-reader]
[--candidates 32,16,8]``. The split's articles are indexed once (in
~/.cache/qa_bot/newsqa/SPLIT, rebuilt when they change) and every question is asked as
``qa-bot eval`` asks it (follow-ups through ``QABot.chat`` with their earlier turns played
first). Prints the figures of issue 33: answer evidence and false abstention (answerable),
look-alike and off-topic abstention, follow-up answer evidence and abstention on unanswerable
follow-ups. Tune on dev only; score test once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qa_bot.bot import QABot  # noqa: E402
from qa_bot.evaluation.metrics import evaluate, report_to_json  # noqa: E402
from qa_bot.evaluation.question_set import load_questions  # noqa: E402
from qa_bot.reader.model import Reader  # noqa: E402

ROWS = (
    ("answer evidence", "answerable", "answer_evidence_rate"),
    ("hit@1", "answerable", "hit@1"),
    ("false abstention", "answerable", "false_abstention_rate"),
    ("look-alike abstention", "lookalike", "abstention_accuracy"),
    ("off-topic abstention", "offtopic", "abstention_accuracy"),
    ("follow-up answer evidence", "followup", "answer_evidence_rate"),
    ("follow-up false abstention", "followup", "false_abstention_rate"),
    ("unanswerable follow-up abstention", "followup", "abstention_accuracy"),
)


def summary(groups: dict[str, dict[str, float]]) -> dict[str, float]:
    return {name: groups[g][m] for name, g, m in ROWS if g in groups and m in groups[g]}


def compare_candidates(bot: QABot, questions: list[Any], values: list[int]) -> None:
    """One line of figures per number of sentences the reader reads, with the pairs it read
    per question."""
    reader = _CountingReader(memo=10**7)
    bot.reader = reader
    base = bot.reader_settings
    for value in values:
        bot.reader_settings = replace(base, candidates=value)
        reader.pairs = 0
        figures = summary(evaluate(bot, questions, k=10).groups)
        cells = " ".join(f"{name}={v:.3f}" for name, v in figures.items())
        print(f"candidates={value} pairs/question={reader.pairs / len(questions):.1f} {cells}")


class _CountingReader(Reader):
    pairs = 0

    def logits(self, question: str | Sequence[str], texts: Sequence[str]) -> np.ndarray:
        self.pairs += len(texts)
        return super().logits(question, texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("split")
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "newsqa")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--no-reader", action="store_true")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument(
        "--decision", action="store_true", help="answer with the learned decision (decision.py)"
    )
    parser.add_argument(
        "--candidates",
        default="",
        help="comma-separated ReaderSettings.candidates to compare (one reader remembers the "
        "pairs it read, so each later value costs only the answers)",
    )
    args = parser.parse_args()
    folder = args.data / args.split
    cache = Path(os.environ.get("QA_BOT_CACHE", Path.home() / ".cache" / "qa_bot"))
    index_dir = cache / "newsqa" / f"{args.data.name}-{args.split}"
    t0 = time.perf_counter()
    bot = QABot.from_corpus(folder / "articles", index_dir, replace_corpus=True)
    if args.no_reader:
        bot.reader = None
    if args.decision:
        bot.answer_settings = replace(bot.answer_settings, decision=True)
    questions = load_questions(folder / "questions.jsonl")
    if args.limit:
        questions = questions[: args.limit]
    if args.candidates:
        compare_candidates(bot, questions, [int(c) for c in args.candidates.split(",")])
        return
    report = evaluate(bot, questions, k=10)
    figures = summary(report.groups)
    for name, value in figures.items():
        print(f"{name:<36} {value:.3f}")
    counts = {g: int(t["questions"]) for g, t in report.groups.items()}
    print("questions", counts, f"({time.perf_counter() - t0:.0f} s)")
    if args.out:
        data = report_to_json(report)
        data["summary"] = figures
        args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
