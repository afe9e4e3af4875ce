"""Misspelt question words are corrected to the articles' words, and nothing else is."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from qa_bot.answering.spelling import Speller
from qa_bot.evaluation.question_set import load_questions, normalise

ARTICLES = [
    "Putin congratulated Trump at the Valdai club in Sochi. Peskov said sanctions hurt Russia.",
    "The Kremlin watched Zelensky and the negotiations in Paris. Putin's sanctions worries grew.",
]


@pytest.fixture
def speller() -> Speller:
    return Speller(ARTICLES)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("question", "corrected"),
    [
        ("What did Putn say about Trmp at Valdai?", "What did Putin say about Trump at Valdai?"),
        ("what did putn say?", "what did Putin say?"),  # the articles' spelling of a name
        ("Which Sanctons hurt?", "Which Sanctions hurt?"),  # capitalised as typed
        ("How did the Kremlim react?", "How did the Kremlin react?"),
        ("Did Zelesnky talk?", "Did Zelensky talk?"),  # a transposition is one edit
        ("Did Pesvok talk?", "Did Pesvok talk?"),  # two edits in a short word: left alone
        ("Any negotaitions?", "Any negotiations?"),  # a long word may be two edits away
        ("Did Peskov's team talk?", "Did Peskov's team talk?"),  # a possessive is no typo
    ],
)
def test_misspelt_words_become_the_articles_words(
    speller: Speller, question: str, corrected: str
) -> None:
    assert speller.correct(question) == corrected


@pytest.mark.unit
@pytest.mark.parametrize(
    "question",
    [
        "What did Olaf Scholz say?",  # a name the articles do not know stays, for abstention
        "Who won in Baris?",  # one edit from "Paris", but first letters are rarely mistyped
        "Wat did Tru say?",  # words under four letters are never touched
        "What is the population of Brazil?",  # English words are not typos
        "Did Putin meet Trump in 2017?",
    ],
)
def test_other_words_are_left_alone(speller: Speller, question: str) -> None:
    assert speller.correct(question) == question


@pytest.mark.unit
def test_suggest_and_known(speller: Speller) -> None:
    assert speller.suggest("Trmp") == "Trump"
    assert speller.suggest("Trump") is None
    assert speller.known("VALDAI") and speller.known("because")
    assert not speller.known("Trmp")


@pytest.mark.unit
def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="min_length must be at least 2"):
        Speller(ARTICLES, min_length=1)
    with pytest.raises(ValueError, match="long_word is 3"):
        Speller(ARTICLES, min_length=4, long_word=3)


def _one_typo(question: str, rng: random.Random) -> str:
    """``question`` with one letter dropped, swapped or doubled inside one word of 5+ letters."""
    words = list(re.finditer(r"[A-Za-z]{5,}", question))
    match = rng.choice(words)
    word = match.group()
    i = rng.randrange(1, len(word) - 1)
    typo = rng.choice(
        [word[:i] + word[i + 1 :], word[:i] + word[i + 1] + word[i] + word[i + 2 :],
         word[:i] + word[i] + word[i:]]
    )  # fmt: skip
    return question[: match.start()] + typo + question[match.end() :]


@pytest.mark.integration
@pytest.mark.slow
def test_questions_with_a_typo_are_answered_like_the_clean_ones(seed_bot) -> None:  # type: ignore[no-untyped-def]
    """Every committed question with one typo: with correction the bot answers as it does for
    the question spelt right; searched as typed, it abstains on many (0.21 on this set)."""
    path = Path(__file__).parents[1] / "data" / "questions.jsonl"
    answerable = [q for q in load_questions(path) if q.answerable]
    rng = random.Random(0)
    typos = [(q, _one_typo(q.question, rng)) for q in answerable]
    outcome: dict[bool, tuple[int, int]] = {}
    try:
        for correct in (False, True):
            seed_bot.correct_spelling = correct
            abstained = with_evidence = 0
            for q, typo in typos:
                answer = seed_bot.ask(typo)
                evidence = [normalise(e) for e in q.evidence]
                quotes = normalise(" ".join(c.quote for c in answer.citations))
                abstained += answer.abstained
                with_evidence += any(e in quotes for e in evidence)
            outcome[correct] = (abstained, with_evidence)
        seed_bot.correct_spelling = True
        clean = [seed_bot.ask(q.question) for q in answerable]
    finally:
        seed_bot.correct_spelling = True
    clean_abstained = sum(a.abstained for a in clean)
    assert outcome[True][0] <= clean_abstained + 1, outcome
    assert outcome[False][0] >= clean_abstained + 5, outcome  # the typos do hurt without it
    assert outcome[True][1] >= outcome[False][1] + 5, outcome
