"""The learned decision (answering/decision.py): its features, the model file and its use."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from qa_bot.answering.decision import (
    ANSWER_FEATURES,
    FEATURES,
    GROUPS,
    MODEL_FILE,
    DecisionModel,
    Head,
    answer_row,
    features,
    shipped_model,
)


def _head(names: tuple[str, ...], weights: list[float], bias: float = 0.0) -> Head:
    n = len(names)
    return Head(names, np.zeros(n), np.ones(n), np.asarray(weights, dtype=float), bias)


def _model() -> DecisionModel:
    select = _head(("prob", "overlap"), [2.0, -1.0], bias=-1.0)
    answer = _head(("selected_best", "cos"), [4.0, 1.0], bias=-2.0)
    return DecisionModel(select, answer, 0.5, 0.7, {})


@pytest.mark.unit
def test_every_feature_is_in_one_group() -> None:
    named = [name for group in GROUPS.values() for name in group]
    assert len(named) == len(set(named)) == len(FEATURES)


@pytest.mark.unit
def test_the_heads_follow_the_weights_of_the_features_they_name() -> None:
    model = _model()
    rows = np.zeros((2, len(FEATURES)))
    rows[0, FEATURES.index("prob")] = 1.0
    rows[1, FEATURES.index("overlap")] = 1.0
    rows[:, FEATURES.index("neighbour")] = 5.0  # a feature no head uses changes nothing
    rows[:, FEATURES.index("cos")] = 0.5
    selected, answered = model.decide(rows)
    assert selected[0] == pytest.approx(1 / (1 + np.exp(-1.0)))
    assert selected[1] == pytest.approx(1 / (1 + np.exp(2.0)))
    # The answer head reads the best selection probability and the best sentence's features.
    row = answer_row(rows, selected)
    assert row[0] == pytest.approx(selected[0]) and row[1] == pytest.approx(selected[1])
    z = 4.0 * selected[0] + 1.0 * 0.5 - 2.0
    assert answered == pytest.approx(1 / (1 + np.exp(-z)))
    assert model.decide(np.zeros((0, len(FEATURES))))[1] == 0.0


@pytest.mark.unit
def test_the_model_round_trips_through_json_and_refuses_unknown_features() -> None:
    model = _model()
    again = DecisionModel.from_json(json.loads(json.dumps(model.to_json())))
    assert again.select.features == model.select.features and again.threshold == model.threshold
    np.testing.assert_allclose(again.answer.weights, model.answer.weights)
    data = model.to_json()
    data["select"]["features"] = ["prob", "shoe_size"]
    with pytest.raises(ValueError, match="unknown features"):
        DecisionModel.from_json(data)


@pytest.mark.unit
def test_the_shipped_model_has_its_card() -> None:
    assert MODEL_FILE.is_file()
    model = shipped_model()
    assert model is not None
    assert set(model.select.features) <= set(FEATURES)
    assert set(model.answer.features) <= set(ANSWER_FEATURES)
    assert 0.0 < model.threshold < 1.0 and 0.0 < model.also <= 1.01
    for key in ("what", "fit", "train", "calibrated_on", "dev_figures_simulated", "dumps_sha256"):
        assert key in model.card, key


@pytest.mark.integration
def test_features_of_real_candidates_are_finite(seed_bot) -> None:  # type: ignore[no-untyped-def]
    from qa_bot.answering.analysis import analyse

    state = seed_bot._state
    question = "Why is Moscow wary of Trump?"
    vector = state.retriever.embed(question)
    _, read = seed_bot._search(state, question, vector, 5)
    assert read
    rows = features(analyse(question), vector, read, state.retriever)
    assert rows.shape == (len(read), len(FEATURES))
    assert np.isfinite(rows).all()


@pytest.mark.integration
def test_the_decision_answers_an_answerable_question_and_declines_an_off_topic_one(
    seed_bot: Any,
) -> None:
    model = shipped_model()
    assert model is not None
    rules = seed_bot.answer_settings
    assert not rules.decision  # off by default (AnswerSettings.decision)
    seed_bot.answer_settings = replace(rules, decision=True)
    try:
        answer = seed_bot.ask("Why is Moscow wary of Trump?")
        off = seed_bot.ask("What is a good recipe for banana bread?")
    finally:
        seed_bot.answer_settings = rules
    assert not answer.abstained and answer.citations
    assert answer.confidence >= model.threshold
    assert off.abstained and not off.citations
    assert off.confidence < model.threshold
