"""The learned decision: which sentences to quote, and whether to answer at all.

One small model (two logistic-regression heads, fitted by scripts/train_decision.py on the
news train split, calibrated on dev; weights in ``decision_model.json`` beside this file with
their card): the selection head gives each candidate sentence the probability that it holds the
evidence for the question, the answer head, from the selection's best probabilities and the best
sentence's features, the probability that the articles answer the question at all. The answer
quotes the most probable sentences, and abstains when the answer head is under the calibrated
threshold. It replaces the hand-set penalties and thresholds: what those rules looked
at (the question's names, numbers and kind of answer missing from the quote, whose words were
asked for, an unnamed source) are features here, weighed by the fit.

Features are general: the reader's probability, bi-encoder and keyword scores of the sentence
and its passage, agreement between scorers, position, and whether the sentence holds what the
question's analysis (analysis.py) asks for. Nothing names any folder's people or places.
Runs on numpy alone (no torch, no scikit-learn at query time).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from qa_bot.answering.abbreviations import canonical
from qa_bot.answering.analysis import WH_TYPES, QueryAnalysis, new_entity
from qa_bot.answering.answer_type import unnamed_mention
from qa_bot.answering.question_type import has_kind, missing_numbers, names
from qa_bot.index.store import bm25_tokens

if TYPE_CHECKING:
    from qa_bot.answering.retrieval import Retriever
    from qa_bot.index.store import DocumentInfo
    from qa_bot.models import Hit, Passage


class Candidate(Protocol):
    """A candidate sentence as answer.py holds it."""

    @property
    def hit(self) -> Hit: ...
    @property
    def sentence_index(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def vector(self) -> np.ndarray: ...
    @property
    def prob(self) -> float | None: ...


MODEL_FILE = Path(__file__).with_name("decision_model.json")

# Feature groups: the ablation of scripts/train_decision.py switches one group off at a time.
GROUPS: dict[str, tuple[str, ...]] = {
    "reader": ("prob", "logit", "prob_gap", "prob_top"),
    "dense": ("cos", "cos_gap", "neighbour", "best_cos", "best_cos_low"),
    "keywords": ("overlap",),
    "passage": ("inv_rank", "hit_score", "hit_dense", "hit_bm25", "hit_title", "hit_name"),
    "names": ("names_sentence", "names_passage", "names_missing", "n_names"),
    "numbers": ("numbers_missing",),
    "answer_kind": ("kind_asked", "kind_found"),
    "answer_entity": ("expects", "entity_found"),
    "speaker": ("speaker_asked", "speaker_named"),
    "unnamed_source": ("unnamed",),
    "shape": ("words", "quoted", "first", "digits"),
    "wh": tuple(f"wh_{w}" for w in WH_TYPES),
}
FEATURES: tuple[str, ...] = tuple(name for group in GROUPS.values() for name in group)


def where_named(passage: Passage, documents: Mapping[str, DocumentInfo]) -> list[str]:
    """Where a name counts as given by ``passage``: its headline, its text, and its article's
    outlet and author."""
    info = documents.get(passage.doc_id)
    byline = [info.metadata.get(key, "") for key in ("outlet", "author")] if info else []
    return [passage.title, passage.text, *byline]


def features(
    analysis: QueryAnalysis,
    query_vector: np.ndarray,
    candidates: Sequence[Candidate],
    retriever: Retriever,
) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate sentence."""
    if not candidates:
        return np.zeros((0, len(FEATURES)), dtype=np.float64)
    documents = retriever.store.documents
    question = analysis.text
    terms = set(bm25_tokens([canonical(question)])[0])
    probs = [c.prob or 0.0 for c in candidates]
    cosines = [float(c.vector @ query_vector) for c in candidates]
    best_prob, best_cos = max(probs), max(cosines)
    order = sorted(range(len(candidates)), key=lambda i: -probs[i])
    prob_rank = {i: r for r, i in enumerate(order)}
    neighbours: dict[str, np.ndarray] = {}
    rows = []
    n_names = len(analysis.names)
    for i, c in enumerate(candidates):
        passage = c.hit.passage
        pid = passage.passage_id
        if pid not in neighbours:
            neighbours[pid] = retriever.sentence_scores(retriever.position(pid), query_vector)
        near = [
            float(neighbours[pid][j])
            for j in (c.sentence_index - 1, c.sentence_index + 1)
            if 0 <= j < len(neighbours[pid])
        ]
        words = set(bm25_tokens([canonical(c.text)])[0])
        where = where_named(passage, documents)
        in_sentence = sum(names([c.text], n) for n in analysis.names)
        in_passage = sum(names(where, n) for n in analysis.names)
        p = min(max(probs[i], 1e-4), 1 - 1e-4)
        f: dict[str, float] = {
            "prob": probs[i],
            "logit": math.log(p / (1 - p)),
            "prob_gap": best_prob - probs[i],
            "prob_top": float(prob_rank[i] == 0),
            "cos": cosines[i],
            "cos_gap": best_cos - cosines[i],
            "neighbour": max(near, default=cosines[i]),
            "best_cos": best_cos,
            # How far the best sentence falls under a loose on-topic level: the off-topic
            # question's mark, which a linear model cannot draw from best_cos alone.
            "best_cos_low": max(0.0, 0.4 - best_cos),
            "overlap": len(terms & words) / len(terms) if terms else 0.0,
            "inv_rank": 1.0 / c.hit.rank,
            "hit_score": c.hit.score,
            "hit_dense": c.hit.dense,
            "hit_bm25": c.hit.bm25,
            "hit_title": c.hit.title,
            "hit_name": c.hit.name,
            "names_sentence": in_sentence / n_names if n_names else 1.0,
            "names_passage": in_passage / n_names if n_names else 1.0,
            "names_missing": float(in_passage < n_names),
            "n_names": min(n_names, 4) / 4,
            "numbers_missing": float(bool(missing_numbers(question, [c.text]))),
            "kind_asked": float(analysis.kind is not None),
            "kind_found": float(
                analysis.kind is not None and has_kind(c.text, analysis.kind, question)
            ),
            "expects": float(bool(analysis.expects)),
            "entity_found": float(new_entity(analysis, c.text)),
            "speaker_asked": float(analysis.speaker is not None),
            "speaker_named": float(analysis.speaker is not None and names(where, analysis.speaker)),
            "unnamed": float(unnamed_mention(question, c.text)),
            "words": min(len(c.text.split()), 60) / 60,
            "quoted": float('"' in c.text or "“" in c.text),
            "first": float(c.sentence_index == 0),
            "digits": float(any(ch.isdigit() for ch in c.text)),
        }
        for w in WH_TYPES:
            f[f"wh_{w}"] = float(analysis.wh == w)
        rows.append([f[name] for name in FEATURES])
    return np.asarray(rows, dtype=np.float64)


# The answer head reads the selection head's two best probabilities and the best sentence's
# features.
ANSWER_FEATURES: tuple[str, ...] = ("selected_best", "selected_second", *FEATURES)


def answer_row(rows: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """The answer head's input for one question: the selection probabilities' best two and
    the features of the sentence with the best one."""
    order = np.argsort(-selected)
    second = float(selected[order[1]]) if len(order) > 1 else 0.0
    return np.concatenate([[float(selected[order[0]]), second], rows[order[0]]])


@dataclass(frozen=True)
class Head:
    """A logistic regression over standardised features (those it names, of ``columns``)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def probabilities(self, rows: np.ndarray, columns: Sequence[str]) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        index = [list(columns).index(name) for name in self.features]
        x = (rows[:, index] - self.mean) / self.scale
        probs: np.ndarray = 1.0 / (1.0 + np.exp(-(x @ self.weights + self.bias)))
        return probs

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], columns: Sequence[str]) -> Head:
        unknown = set(data["features"]) - set(columns)
        if unknown:
            raise ValueError(f"decision model has unknown features: {sorted(unknown)}")
        return cls(
            tuple(data["features"]),
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["scale"], dtype=np.float64),
            np.asarray(data["weights"], dtype=np.float64),
            float(data["bias"]),
        )


@dataclass(frozen=True)
class DecisionModel:
    """Two heads of one decision: ``select`` gives each candidate sentence P(it holds the
    evidence), ``answer`` P(the question is answered by the articles) from the selection.

    The answer abstains when ``answer`` is under ``threshold``; a further sentence is quoted
    when its selection probability is at least ``also`` times the best one's.
    """

    select: Head
    answer: Head
    threshold: float
    also: float
    card: Mapping[str, Any]

    def decide(self, rows: np.ndarray) -> tuple[np.ndarray, float]:
        """The selection probabilities of ``rows`` (from :func:`features`) and P(answered)."""
        selected = self.select.probabilities(rows, FEATURES)
        if len(selected) == 0:
            return selected, 0.0
        answered = self.answer.probabilities(answer_row(rows, selected)[None, :], ANSWER_FEATURES)
        return selected, float(answered[0])

    def to_json(self) -> dict[str, Any]:
        return {
            "select": self.select.to_json(),
            "answer": self.answer.to_json(),
            "threshold": self.threshold,
            "also": self.also,
            "card": dict(self.card),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DecisionModel:
        return cls(
            select=Head.from_json(data["select"], FEATURES),
            answer=Head.from_json(data["answer"], ANSWER_FEATURES),
            threshold=float(data["threshold"]),
            also=float(data["also"]),
            card=dict(data.get("card", {})),
        )


@cache
def shipped_model() -> DecisionModel | None:
    """The model shipped beside this module, or None when there is none."""
    if not MODEL_FILE.is_file():
        return None
    return DecisionModel.from_json(json.loads(MODEL_FILE.read_text(encoding="utf-8")))
