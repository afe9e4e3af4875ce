"""Run a news split through qa_bot and keep what the answer step saw, for the decision model.

Usage: ``python scripts/dump_decision_data.py SPLIT OUT.pkl``. Every question is asked as
``qa-bot eval`` asks it (scripts/eval_newsqa.py); for the answer call (not the replayed
earlier turns of a follow-up) the inputs of each ``compose_answer`` call are kept
(answering/answer.py's RECORDS hook), with the question, its evidence and the answer given.
The report's figures are printed too: with the shipped code they are the split's "before".
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from qa_bot.answering import answer as answer_module  # noqa: E402
from qa_bot.bot import QABot  # noqa: E402
from qa_bot.evaluation import metrics  # noqa: E402
from qa_bot.evaluation.question_set import load_questions  # noqa: E402
from scripts.eval_newsqa import summary  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("split")
    parser.add_argument("out", type=Path)
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "newsqa")
    parser.add_argument(
        "--light", action="store_true", help="answers only: no retrieval metrics, no report"
    )
    args = parser.parse_args()
    folder = args.data / args.split
    cache = Path(os.environ.get("QA_BOT_CACHE", Path.home() / ".cache" / "qa_bot"))
    bot = QABot.from_corpus(
        folder / "articles", cache / "newsqa" / f"{args.data.name}-{args.split}",
        replace_corpus=True,
    )  # fmt: skip
    questions = load_questions(folder / "questions.jsonl")
    kept: dict[str, Any] = {}
    original = metrics._answer

    def recorded(bot: Any, question: Any, history: Any, ask_k: Any) -> Any:
        answer_module.RECORDS = []
        try:
            answer = original(bot, question, history, ask_k)
        finally:
            records, answer_module.RECORDS = answer_module.RECORDS, None
        kept[question.id] = {"question": question, "records": records, "answer": answer}
        return answer

    metrics._answer = recorded
    report = None
    if args.light:
        # Articles in a shuffled order, saved every 50 questions: a partial dump is usable.
        order = sorted({q.id.split("-")[0] for q in questions})
        random.Random(0).shuffle(order)
        rank = {a: i for i, a in enumerate(order)}
        questions = sorted(questions, key=lambda q: rank[q.id.split("-")[0]])
        for number, question in enumerate(questions, start=1):
            recorded(bot, question, metrics._chat_history(bot, question, None), None)
            if number % 50 == 0:
                _save(args.out, args.split, kept, None)
    else:
        report = metrics.evaluate(bot, questions, k=10)
        for name, value in summary(report.groups).items():
            print(f"{name:<36} {value:.3f}")
    _save(args.out, args.split, kept, report)


def _save(out: Path, split: str, kept: dict[str, Any], report: Any) -> None:
    partial = out.with_suffix(".tmp")
    with partial.open("wb") as handle:
        pickle.dump({"split": split, "items": kept, "report": report}, handle)
    partial.replace(out)


if __name__ == "__main__":
    main()
