"""The training module: calibration, metrics, and a whole (tiny) run to a loadable model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa_bot.index.checksums import sha256_file
from qa_bot.reader import train
from qa_bot.reader.model import Reader
from qa_bot.reader.pairs import Pair


@pytest.mark.unit
def test_platt_scaling_recovers_a_known_calibration() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, 20000)
    labels = (rng.random(20000) < 1 / (1 + np.exp(-(0.5 * logits - 1.0)))).astype(float)
    fit = train.fit_platt(logits, labels)
    assert fit["scale"] == pytest.approx(0.5, abs=0.05)
    assert fit["shift"] == pytest.approx(-1.0, abs=0.1)


@pytest.mark.unit
def test_auc() -> None:
    assert train._auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert train._auc([0.1], [0.9]) == 0.0
    assert train._auc([0.5], [0.5]) == 0.5


@pytest.mark.unit
def test_length_buckets_cover_every_pair_once() -> None:
    import random

    lengths = [random.Random(i).randint(5, 90) for i in range(1000)]
    batches = train._length_buckets(list(range(1000)), lengths, 32, random.Random(1))
    rows = sorted(i for b in batches for i in b)
    assert rows == list(range(1000))
    assert max(len(b) for b in batches) == 32


@pytest.mark.unit
def test_overlap_dropout_drops_only_shared_words_and_is_off_at_zero() -> None:
    import random

    question = "In what country is Normandy located, said the Normans?"
    text = "The Normans lived in Normandy, a region in France."
    assert train._drop_overlap(question, text, random.Random(1), 0.0) == question
    rng = random.Random(1)
    variants = {train._drop_overlap(question, text, rng, 1.0) for _ in range(50)}
    assert "In what country is located, said the" in variants  # both shared words dropped
    assert question in variants  # each shared word is dropped half the time
    for variant in variants:
        # Only "Normandy" and "Normans?" (shared, 4+ letters) may go; "In", "the" stay.
        assert variant.startswith("In what country is")
        assert set(question.split()) - set(variant.split()) <= {"Normandy", "Normans?"}


def _pairs(qid: str, labels: list[float]) -> list[Pair]:
    return [Pair(qid + "?", f"{qid} {i}", y, "A", qid, "paragraph") for i, y in enumerate(labels)]


@pytest.mark.unit
def test_question_batches_keep_each_question_whole() -> None:
    import random

    pairs = [p for n in range(40) for p in _pairs(f"q{n}", [0.0] * (3 + n % 5))]
    batches = train._question_batches(pairs, 16, random.Random(1))
    assert sorted(i for b in batches for i in b) == list(range(len(pairs)))
    for batch in batches:
        qids = [pairs[i].qid for i in batch]
        assert all(sum(p.qid == q for p in pairs) == qids.count(q) for q in set(qids))
        assert len(batch) <= 16


@pytest.mark.unit
def test_listwise_loss_prefers_the_answer_and_no_answer_when_there_is_none() -> None:
    import torch

    batch = _pairs("a", [0.0, 1.0, 0.0]) + _pairs("b", [0.0, 0.0])
    right = torch.tensor([-3.0, 3.0, -3.0, -3.0, -3.0])  # a: its answer; b: below "no answer"
    wrong = torch.tensor([3.0, -3.0, -3.0, 3.0, -3.0])
    assert float(train._listwise_loss(torch, batch, right)) < 0.1
    assert float(train._listwise_loss(torch, batch, wrong)) > 3.0


@pytest.mark.unit
def test_the_plausible_answer_sentence_weighs_as_configured() -> None:
    import torch

    batch = [
        Pair("q?", "a", 1.0, "A", "q", "answer"),
        Pair("q?", "b", 0.0, "A", "q", "plausible"),
        Pair("q?", "c", 0.0, "A", "q", "paragraph"),
    ]
    logits = torch.tensor([2.0, 1.0, -1.0])
    labels = torch.tensor([1.0, 0.0, 0.0])
    plain = torch.nn.BCEWithLogitsLoss()(logits, labels)
    assert float(train._weighted_bce(torch, batch, logits, labels, 1.0)) == pytest.approx(
        float(plain)
    )
    # The plausible pair is the worst scored: weighing it more raises the loss.
    assert float(train._weighted_bce(torch, batch, logits, labels, 3.0)) > float(plain) + 0.1


@pytest.mark.unit
def test_span_loss_points_at_the_answer_or_at_cls_for_a_negative() -> None:
    import torch

    from qa_bot.index.bundled_model import bundled_model_path
    from qa_bot.reader.model import load_tokenizer

    tokenizer = load_tokenizer(Path(bundled_model_path()) / "tokenizer.json")
    text = "Their leader was Rollo. [SEP] Normans"
    positive = Pair("Who led them?", text, 1.0, "A", "q", "answer", "Rollo")
    negative = Pair("Who led them?", "They came from France.", 0.0, "A", "q", "paragraph")
    encoding = tokenizer.encode(positive.question, positive.text)
    first = encoding.char_to_token(text.index("Rollo"), 1)
    last = encoding.char_to_token(text.index("Rollo") + 4, 1)
    tokens = len(encoding.ids)
    right = torch.full((2, tokens, 2), -5.0)
    right[0, first, 0] = right[0, last, 1] = 5.0  # the positive: start and end of "Rollo"
    right[1, 0, :] = 5.0  # the negative: [CLS]
    wrong = torch.full((2, tokens, 2), -5.0)
    wrong[0, 0, :] = wrong[1, first, :] = 5.0
    batch = [positive, negative]
    encoded = tokenizer.encode_batch([(p.question, p.text) for p in batch])
    assert float(train._span_loss(torch, batch, encoded, right)) < 0.01
    assert float(train._span_loss(torch, batch, encoded, wrong)) > 5.0
    cut = Pair("Who led them?", "Their leader was Rollo.", 1.0, "A", "q", "answer", "Olaf")
    assert train._span_loss(torch, [cut], encoded[:1], right[:1]) is None


def _tiny_squad(path: Path) -> Path:
    def para(title_word: str, n: int) -> dict[str, object]:
        context = (
            f"The {title_word} station opened in {1900 + n}. It was built by engineer No{n}. "
            f"Trains to the coast leave every {n + 5} minutes."
        )
        return {
            "context": context,
            "qas": [
                {
                    "id": f"{title_word}{n}a",
                    "question": f"When did the {title_word} station open?",
                    "answers": [{"text": str(1900 + n), "answer_start": context.index("19")}],
                    "is_impossible": False,
                },
                {
                    "id": f"{title_word}{n}b",
                    "question": f"Who designed the {title_word} airport?",
                    "answers": [],
                    "is_impossible": True,
                },
            ],
        }

    data = {
        "data": [
            {"title": "Normans", "paragraphs": [para("north", n) for n in range(3)]},
            {"title": "Railways", "paragraphs": [para("south", n) for n in range(6)]},
        ]
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.integration
@pytest.mark.slow
def test_a_tiny_run_writes_a_card_and_a_loadable_model(tmp_path: Path) -> None:
    out = tmp_path / "model"
    data = _tiny_squad(tmp_path / "tiny.json")
    assert train.main(["--data", str(data), "--out", str(out), "--epochs", "1"]) == 0
    card = json.loads((out / "card.json").read_text())
    assert card["held_out"] == ["Normans", "1973 oil crisis"]
    assert card["train_articles"] == ["Railways"]
    assert card["data_sha256"] == sha256_file(data)
    assert sha256_file(out / card["file"]) == card["sha256"]
    assert card["config"]["seed"] == train.TrainConfig().seed
    assert {"biencoder_right_sentence", "onnx_right_sentence", "onnx_no_answer_auc"} <= set(
        card["metrics"]
    )
    assert "CC BY-SA 4.0" in (out / "README.md").read_text()
    probs = Reader(out).probabilities("When did it open?", ["It opened in 1901."])
    assert probs.shape == (1,) and 0.0 <= probs[0] <= 1.0
