"""Run a news split through qa_bot and keep what the answer step saw, for the decision model.

Usage: ``python scripts/dump_decision_data.py SPLIT OUT.pkl``, or, for SQuAD 2.0 questions
(``../shared/reader-data``, the reader's training articles only)
``python scripts/dump_decision_data.py squad OUT.pkl --squad FILE --skip-articles A,B --sample N``
(their group is ``squad``). Every question is asked as
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
    parser.add_argument("--squad", type=Path, help="a SQuAD 2.0 JSON file instead of a split")
    parser.add_argument("--skip-articles", default="", help="SQuAD articles left out (a,b)")
    parser.add_argument("--sample", type=int, default=0, help="SQuAD questions kept (0: all)")
    args = parser.parse_args()
    cache = Path(os.environ.get("QA_BOT_CACHE", Path.home() / ".cache" / "qa_bot"))
    if args.squad:
        corpus, questions = _squad(args, cache)
        index_dir = cache / "decision-squad" / "index"
    else:
        folder = args.data / args.split
        corpus, index_dir = folder / "articles", cache / "newsqa" / f"{args.data.name}-{args.split}"
        questions = load_questions(folder / "questions.jsonl")
    bot = QABot.from_corpus(corpus, index_dir, replace_corpus=True)
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
                _save(args.out, args.split, kept, None, corpus, index_dir)
    else:
        report = metrics.evaluate(bot, questions, k=10)
        for name, value in summary(report.groups).items():
            print(f"{name:<36} {value:.3f}")
    _save(args.out, args.split, kept, report, corpus, index_dir)


def _squad(args: argparse.Namespace, cache: Path) -> tuple[Path, list[Any]]:
    """The SQuAD file's articles (less the skipped ones) as a corpus, and a seeded sample of
    their questions, grouped ``squad``."""
    from dataclasses import replace

    from qa_bot.evaluation.squad import SquadSet, load_squad_set, write_corpus

    skipped = {a for a in args.skip_articles.split(",") if a}
    squad = load_squad_set(args.squad)
    kept = {t: text for t, text in squad.articles.items() if t not in skipped}
    questions = [replace(q, group="squad") for q in squad.questions if q.group in kept]
    if args.sample:
        questions = random.Random(0).sample(questions, min(args.sample, len(questions)))
    corpus = write_corpus(SquadSet(tuple(questions), kept), cache / "decision-squad" / "corpus")
    return corpus, questions


def _save(
    out: Path, split: str, kept: dict[str, Any], report: Any, corpus: Path, index_dir: Path
) -> None:
    partial = out.with_suffix(".tmp")
    with partial.open("wb") as handle:
        pickle.dump({
            "split": split, "items": kept, "report": report,
            "corpus": str(corpus), "index": str(index_dir),
        }, handle)  # fmt: skip
    partial.replace(out)


if __name__ == "__main__":
    main()
