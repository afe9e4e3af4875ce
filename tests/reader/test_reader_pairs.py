"""Training pairs from SQuAD 2.0 JSON."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from qa_bot.reader.pairs import build_pairs, load_squad, lookalike_question

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
    assert all(p.label == 0.0 for p in q2)
    # The sentence holding the plausible answer ("Rollo") is marked: the hardest negative.
    assert [p.kind for p in q2] == ["unanswerable", "unanswerable", "plausible"]


def test_a_positive_pair_carries_its_answer_and_negatives_none(tmp_path: Path) -> None:
    pairs = build_pairs(load_squad(squad_file(tmp_path)))
    assert [p.answer for p in pairs if p.label] == ["Rollo"]
    assert all(p.answer == "" for p in pairs if not p.label)


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


def test_a_lookalike_swaps_a_name_or_number_the_answer_sentence_holds() -> None:
    sentence = "Rollo agreed a treaty with the king in 1066."
    pool = ["Rollo", "Normandy", "1066", "1087", "3"]
    question = "Which treaty did Rollo agree in 1066?"
    seen = {lookalike_question(question, sentence, pool, random.Random(s)) for s in range(20)}
    # a name for a name, a year for a year; never the count "3", never the same question
    assert seen == {
        "Which treaty did Normandy agree in 1066?",
        "Which treaty did Rollo agree in 1087?",
    }


def test_no_lookalike_without_a_shared_name_or_number() -> None:
    rng = random.Random(0)
    sentence = "Their leader was Rollo."
    # "Normans" is not in the sentence; the question word "Who" is never a name to swap
    assert lookalike_question("Who led the Normans?", sentence, ["Vikings"], rng) is None
    assert lookalike_question("Who was Rollo?", sentence, ["911"], rng) is None


def test_lookalike_pairs_are_negatives_of_the_answer_sentence(tmp_path: Path) -> None:
    path = squad_file(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    para = data["data"][0]["paragraphs"][1]
    para["qas"] = [
        {
            "id": "q3",
            "question": "In what year did Rollo agree a treaty?",
            "answers": [{"text": "911", "answer_start": OTHER.index("911")}],
            "is_impossible": False,
        }
    ]
    path.write_text(json.dumps(data), encoding="utf-8")
    plain = build_pairs(load_squad(path))
    pairs = build_pairs(load_squad(path), lookalikes=2, seed=1)
    added = pairs[len(plain) :]
    assert added and all(p.kind == "lookalike" and p.label == 0.0 for p in added)
    assert {p.text for p in added} == {"Rollo agreed a treaty in 911. [SEP] Normans"}
    assert all("Rollo" not in p.question for p in added)  # swapped for a name of the article
    assert len({p.question for p in added}) == len(added) <= 2
