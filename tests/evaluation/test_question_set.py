"""Tests for qa_bot.evaluation.question_set: reading question files, evidence matching, the
bundled sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_bot.errors import QABotError
from qa_bot.evaluation.question_set import (
    Question,
    QuestionSetError,
    has_evidence,
    load_questions,
    normalise,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "tests" / "data" / "questions.jsonl"
CORPUS = ROOT / "corpus"


def test_normalise_folds_quotes_case_dashes_and_whitespace() -> None:
    assert (
        normalise("  Trump’s “Brave”\u00a0ATTITUDE —\n now ") == 'trump\'s "brave" attitude - now'
    )
    assert has_evidence("The Kremlin was  WARY\nof it", ["wary of IT"])
    assert not has_evidence("The Kremlin was wary", ["wary of it"])


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = '{"id": "a", "question": "Who?", "evidence": ["x y"], "answerable": true}'


def test_load_questions_reads_good_lines_and_skips_blank_ones(tmp_path: Path) -> None:
    extra = '{"id": "b", "question": " Why? ", "evidence": [], "answerable": false, "note": 1}'
    follow_up = (
        '{"id": "c", "question": "And he?", "evidence": ["z"], "answerable": true, '
        '"history": [" Who is Putin? ", "Why?"]}'
    )
    path = _write(tmp_path, GOOD, "", "   ", extra, follow_up)
    assert load_questions(path) == [
        Question("a", "Who?", ("x y",), True),
        Question("b", "Why?", (), False),
        Question("c", "And he?", ("z",), True, ("Who is Putin?", "Why?")),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "bad JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"id": "b", "evidence": ["x"], "answerable": true}', "missing field 'question'"),
        (
            '{"id": "b", "question": "Q", "evidence": ["x"], "answerable": "yes"}',
            "'answerable' must be bool",
        ),
        (
            '{"id": "b", "question": "Q", "evidence": "x", "answerable": true}',
            "'evidence' must be list",
        ),
        ('{"id": 7, "question": "Q", "evidence": ["x"], "answerable": true}', "'id' must be str"),
        (
            '{"id": "b", "question": "  ", "evidence": ["x"], "answerable": true}',
            "empty 'question'",
        ),
        ('{"id": "b", "question": "Q", "evidence": [], "answerable": true}', "has no evidence"),
        ('{"id": "b", "question": "Q", "evidence": [""], "answerable": true}', "non-empty strings"),
        ('{"id": "b", "question": "Q", "evidence": ["x"], "answerable": false}', "must have empty"),
        ('{"id": "a", "question": "Q", "evidence": ["x"], "answerable": true}', "duplicate id 'a'"),
        (
            '{"id": "b", "question": "Q", "evidence": ["x"], "answerable": true, "history": "Q0"}',
            "'history' must be a list of non-empty strings",
        ),
        (
            '{"id": "b", "question": "Q", "evidence": ["x"], "answerable": true, "history": [""]}',
            "'history' must be a list of non-empty strings",
        ),
    ],
)
def test_malformed_question_file_names_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path, GOOD, "", line)
    with pytest.raises(QuestionSetError) as info:
        load_questions(path)
    assert f"{path}:3:" in str(info.value)
    assert message in str(info.value)
    assert isinstance(info.value, QABotError)


def test_missing_or_empty_question_file(tmp_path: Path) -> None:
    with pytest.raises(QuestionSetError, match="cannot read"):
        load_questions(tmp_path / "nope.jsonl")
    with pytest.raises(QuestionSetError, match="no questions"):
        load_questions(_write(tmp_path, "", ""))


@pytest.mark.parametrize(
    ("path", "size", "unanswerable", "per_article", "follow_ups"),
    [
        (QUESTIONS, 40, 6, 6, False),
        (QUESTIONS.with_name("questions_heldout.jsonl"), 40, 6, 6, False),
        (QUESTIONS.with_name("followups.jsonl"), 36, 5, 5, True),
    ],
)
def test_bundled_question_sets_are_valid(
    path: Path, size: int, unanswerable: int, per_article: int, follow_ups: bool
) -> None:
    questions = load_questions(path)
    assert len(questions) >= size
    assert len({q.id for q in questions}) == len(questions)
    assert sum(not q.answerable for q in questions) >= unanswerable
    assert (
        all(1 <= len(q.history) <= 3 for q in questions)
        if follow_ups
        else not any(q.history for q in questions)
    )
    raw = {p.name: " ".join(p.read_text(encoding="utf-8").split()) for p in CORPUS.glob("*.txt")}
    assert len(raw) == 5
    covered = dict.fromkeys(raw, 0)
    for q in questions:
        for name, text in raw.items():
            covered[name] += any(e in text for e in q.evidence)
        for e in q.evidence:
            assert 5 <= len(e.split()) <= 15, (q.id, e)
            # verbatim (curly quotes included), not merely equal after folding
            assert any(e in text for text in raw.values()), (q.id, e)
            assert any(has_evidence(text, [e]) for text in raw.values()), (q.id, e)
    assert min(covered.values()) >= per_article, covered


def test_group_and_answers_are_read(tmp_path: Path) -> None:
    line = (
        '{"id": "a", "question": "Who?", "evidence": ["x y"], "answerable": true,'
        ' "answers": ["x"], "group": "answerable", "kind": "ignored"}'
    )
    (question,) = load_questions(_write(tmp_path, line))
    assert question.group == "answerable" and question.answers == ("x",)


@pytest.mark.parametrize(
    ("extra", "message"),
    [('"answers": [""]', "'answers' must be"), ('"group": 3', "field 'group' must be str")],
)
def test_bad_group_or_answers_are_named(tmp_path: Path, extra: str, message: str) -> None:
    line = f'{{"id": "a", "question": "Who?", "evidence": ["x"], "answerable": true, {extra}}}'
    with pytest.raises(QuestionSetError, match=message):
        load_questions(_write(tmp_path, line))


NEWSQA = ROOT / "tests" / "data" / "newsqa"


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_newsqa_splits_load_and_every_evidence_string_is_in_its_article(split: str) -> None:
    folder = NEWSQA / split
    articles = {p.stem: p.read_text(encoding="utf-8") for p in (folder / "articles").glob("*.txt")}
    questions = load_questions(folder / "questions.jsonl")
    groups = {q.group for q in questions}
    assert groups == {"answerable", "lookalike", "offtopic", "followup"}
    for question in questions:
        article = articles[question.id.split("-")[0]]
        assert all(e in article for e in question.evidence), question.id
        assert all(any(a in e for e in question.evidence) for a in question.answers), question.id


def test_newsqa_splits_share_no_article() -> None:
    names = [
        {p.name for p in (NEWSQA / split / "articles").glob("*.txt")}
        for split in ("train", "dev", "test")
    ]
    assert sum(map(len, names)) == len(set().union(*names)) == 122
