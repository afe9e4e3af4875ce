"""Choose ReaderSettings on the held-out SQuAD articles (never on the news question sets).

    .venv/bin/python scripts/tune_reader.py [tests/data/squad_heldout.json [MODEL_DIR]]

Runs the real evaluation (qa_bot.evaluation.evaluate) for a grid of settings. The reader's
probabilities and the question vectors are computed once and cached, so each grid point costs
only the answer composition. Prints one line per setting: right sentence quoted, answer contains
the gold answer, hit@1, abstention on unanswerable and false abstention.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from qa_bot.answering.reading import ReaderSettings
from qa_bot.bot import QABot
from qa_bot.evaluation.metrics import evaluate
from qa_bot.evaluation.squad import load_squad_set, squad_dirs, write_corpus
from qa_bot.reader.model import Reader


class CachedReader(Reader):
    """The shipped reader with its logits remembered per (question, text)."""

    def __init__(self, model_dir: str | None = None) -> None:
        super().__init__(model_dir)
        self.cache: dict[tuple[str, str], float] = {}

    def logits(self, question: str | Sequence[str], texts: Sequence[str]) -> np.ndarray:
        questions = [question] * len(texts) if isinstance(question, str) else list(question)
        pairs = list(zip(questions, texts, strict=True))
        missing = [pair for pair in pairs if pair not in self.cache]
        if missing:
            fresh = super().logits([q for q, _ in missing], [t for _, t in missing])
            self.cache.update(zip(missing, (float(x) for x in fresh), strict=True))
        return np.array([self.cache[pair] for pair in pairs])


class CachedEmbedder:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cache: dict[str, np.ndarray] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def encode(self, texts: Sequence[str], **kwargs: Any) -> np.ndarray:
        missing = [t for t in texts if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, self.inner.encode(missing, **kwargs), strict=True))
        return np.stack([self.cache[t] for t in texts])


def main(argv: list[str]) -> int:
    path = argv[0] if argv else "tests/data/squad_heldout.json"
    squad = load_squad_set(path)
    index_dir, corpus_dir = squad_dirs(path)
    bot = QABot.from_corpus(write_corpus(squad, corpus_dir), index_dir)
    bot.reader = CachedReader(argv[1] if len(argv) > 1 else None)
    embedder = CachedEmbedder(bot.embedder)
    bot._state.retriever.embedder = embedder
    questions = list(squad.questions)
    keys = ("answer_evidence_rate", "answer_contains_gold", "hit@1", "abstention_accuracy",
            "false_abstention_rate")  # fmt: skip

    def run(label: str, settings: ReaderSettings, entity_penalty: float = 0.2) -> dict[str, float]:
        bot.reader_settings = settings
        bot.answer_settings = replace(bot.answer_settings, missing_entity_penalty=entity_penalty)
        totals = evaluate(bot, questions, k=10).totals
        print(f"{label:<44} | " + " ".join(f"{totals[k]:.3f}" for k in keys), flush=True)
        return totals

    print(f"{'setting':<44} | evidence gold hit@1 abstains false_abst")
    best: tuple[float, ReaderSettings] | None = None
    # 1. How to blend: sentence and passage weights, how many sentences (no reader abstention).
    for sw, pw, ob in itertools.product((0.25, 0.5, 1.0, 2.0), (0.0, 0.25, 0.5, 1.0), (0.0, 0.5)):
        settings = ReaderSettings(
            sentence_weight=sw,
            passage_weight=pw,
            abstain_below=0.0,
            also_below=ob,
            sure_above=1.1,
            concise_above=0.0,
        )
        t = run(f"sentence {sw} passage {pw} also {ob}", settings)
        score = t["answer_evidence_rate"] + t["answer_contains_gold"] + t["hit@1"]
        if best is None or score > best[0]:
            best = (score, settings)
    assert best is not None
    print(f"best blend: {best[1]}")
    # 2. When to abstain: the reader threshold, with and without the answer-type check.
    for penalty in (0.0, 0.2):
        for threshold in (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4):
            run(
                f"abstain below {threshold} entity penalty {penalty}",
                replace(best[1], abstain_below=threshold),
                penalty,
            )
    # 3. How sure the reader must be to answer on a weak cosine, and to answer in one sentence.
    for sure, concise in itertools.product((0.2, 0.3, 0.4, 1.1), (0.0, 0.5, 0.6, 0.7, 0.8)):
        run(
            f"sure above {sure} concise above {concise}",
            replace(best[1], sure_above=sure, concise_above=concise),
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
