"""Training pairs from SQuAD 2.0 JSON."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

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


def _news_split(tmp_path: Path) -> Path:
    """A news split of one article: an answerable question, a look-alike, an off-topic one and
    an answerable follow-up."""
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "a1.txt").write_text(
        "Council votes to keep the library open\n\n"
        "The city council voted on Tuesday to keep the Elm Street library open. "
        "The motion was put forward by councillor Ana Solis. "
        "The library needs a new roof costing $2 million. "
        "Volunteers have raised $38,000 so far.\n",
        encoding="utf-8",
    )
    rows = [
        {"id": "q1", "question": "Who proposed the motion?", "answerable": True,
         "evidence": ["put forward by councillor Ana Solis"], "group": "answerable",
         "article": "a1"},
        {"id": "q2", "question": "Who will pay for the roof?", "answerable": False,
         "evidence": [], "group": "lookalike", "article": "a1"},
        {"id": "q3", "question": "Who won the cup final?", "answerable": False,
         "evidence": [], "group": "offtopic", "article": "a1"},
        {"id": "q4", "question": "How much have they raised?", "answerable": True,
         "evidence": ["Volunteers have raised $38,000"], "group": "followup", "article": "a1",
         "history": ["Who is backing the library?"]},
    ]  # fmt: skip
    (tmp_path / "questions.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    return tmp_path


def _bag_of_words(texts: list[str]) -> np.ndarray:
    """Unit vectors of hashed words: enough to rank an article's sentences for a question."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            out[row, sum(map(ord, word.strip(".,?$"))) % 64] += 1.0
    norms = np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    return np.asarray(out / norms, dtype=np.float32)


def test_news_pairs_label_evidence_sentences_and_take_lookalikes_as_hard_negatives(
    tmp_path: Path,
) -> None:
    from qa_bot.reader.pairs import news_pairs

    pairs = news_pairs(_news_split(tmp_path), _bag_of_words, negatives=2)
    by_question: dict[str, list[Any]] = {}
    for pair in pairs:
        by_question.setdefault(pair.qid, []).append(pair)
    # Off-topic questions and follow-ups give no pairs.
    assert set(by_question) == {"q1", "q2"}
    answer = [p for p in by_question["q1"] if p.label == 1.0]
    assert len(answer) == 1 and "Ana Solis" in answer[0].text and answer[0].kind == "news_answer"
    # The reader's input: the sentence, then the article's headline.
    assert answer[0].text.endswith("[SEP] Council votes to keep the library open")
    negatives = [p for p in by_question["q1"] if p.label == 0.0]
    assert len(negatives) == 2 and {p.kind for p in negatives} == {"news"}
    assert all("Ana Solis" not in p.text for p in negatives)
    lookalike = by_question["q2"]
    assert len(lookalike) == 2 and all(p.label == 0.0 for p in lookalike)
    assert {p.kind for p in lookalike} == {"news_lookalike"}
    # Answerable questions only: one positive and one negative.
    only = news_pairs(tmp_path, _bag_of_words, negatives=1, lookalikes=False)
    assert {p.qid for p in only} == {"q1"} and sorted(p.label for p in only) == [0.0, 1.0]
