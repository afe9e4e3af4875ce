"""Training pairs from SQuAD 2.0 JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa_bot.reader.pairs import build_pairs, load_squad

pytestmark = pytest.mark.unit

CONTEXT = (
    "The Normans were a people in France. They gave their name to Normandy. Their leader was Rollo."
)
OTHER = "Rollo agreed a treaty in 911. The treaty was signed at Saint-Clair-sur-Epte."


def squad_file(tmp_path: Path) -> Path:
    data = {
        "version": "v2.0",
        "data": [
            {
                "title": "Normans",
                "paragraphs": [
                    {
                        "context": CONTEXT,
                        "qas": [
                            {
                                "id": "q1",
                                "question": "Who led the Normans?",
                                "answers": [
                                    {"text": "Rollo", "answer_start": CONTEXT.index("Rollo")}
                                ],
                                "is_impossible": False,
                            },
                            {
                                "id": "q2",
                                "question": "Who led the Vikings?",
                                "answers": [],
                                "plausible_answers": [{"text": "Rollo", "answer_start": 90}],
                                "is_impossible": True,
                            },
                        ],
                    },
                    {"context": OTHER, "qas": []},
                ],
            }
        ],
    }
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_paragraphs_are_split_and_the_answer_sentence_found(tmp_path: Path) -> None:
    paragraphs = load_squad(squad_file(tmp_path))
    para = paragraphs[0]
    assert para.article == "Normans"
    assert len(para.sentences) == 3
    q1, q2 = para.questions
    assert para.answer_sentence(q1) == 2
    assert q2.impossible and para.answer_sentence(q2) is None


def test_labels_positive_paragraph_and_unanswerable_negatives(tmp_path: Path) -> None:
    pairs = build_pairs(load_squad(squad_file(tmp_path)))
    q1 = [p for p in pairs if p.qid == "q1"]
    assert [p.label for p in q1] == [0.0, 0.0, 1.0]
    assert q1[2].text == "Their leader was Rollo. [SEP] Normans"
    q2 = [p for p in pairs if p.qid == "q2"]
    assert len(q2) == 3 and all(p.label == 0.0 and p.kind == "unanswerable" for p in q2)


def test_retrieved_negatives_never_hold_the_answer(tmp_path: Path) -> None:
    def encode(texts: list[str]) -> np.ndarray:
        # every text equally close: the ranking alone decides, answers must be filtered out
        return np.ones((len(texts), 4), dtype=np.float32) / 2

    pairs = build_pairs(load_squad(squad_file(tmp_path)), encode=encode, retrieved_negatives=2)
    retrieved = [p for p in pairs if p.kind == "retrieved"]
    assert retrieved
    for p in retrieved:
        assert p.label == 0.0
        if p.qid == "q1":
            assert "Rollo" not in p.text.split(" [SEP] ")[0]
