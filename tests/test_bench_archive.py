"""The generated archive of benchmarks/news_archive.py: deterministic, accepted by the ingest,
cleaned, free of the committed evidence, its planted wire copies found (no model loaded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.bench_archive import _evidence
from benchmarks.news_archive import JUNK_LINES, folder_digest, generate_archive, leaks
from qa_bot.ingest.corpus import load_corpus
from qa_bot.ingest.duplicates import find_duplicates

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "corpus"


def test_same_seed_same_bytes_other_seed_other_articles(tmp_path: Path) -> None:
    first = generate_archive(tmp_path / "a", 6, seed_corpus=SEEDS)
    again = generate_archive(tmp_path / "b", 6, seed_corpus=SEEDS)
    other = generate_archive(tmp_path / "c", 6, seed=15, seed_corpus=SEEDS)
    assert folder_digest(first.root) == folder_digest(again.root)
    assert first.generated == again.generated and first.seeds == again.seeds
    assert folder_digest(other.root) != folder_digest(first.root)


def test_the_ingest_takes_every_article_cleaned_and_the_seeds_unchanged(tmp_path: Path) -> None:
    info = generate_archive(tmp_path / "archive", 6, seed_corpus=SEEDS)
    load = load_corpus(info.root)
    assert not load.skipped
    docs = {d.doc_id: d for d in load.documents}
    assert set(docs) == set(info.generated) | set(info.seeds.values())
    assert all(400 <= words <= 1000 for words in info.words), info.words
    for name in info.generated:
        doc = docs[name]
        assert doc.title and doc.title not in doc.text  # the headline is the title, once
        assert not any(junk in doc.text for junk in JUNK_LINES), name
        assert "Read more:" not in doc.text
        assert doc.metadata.get("date"), (name, doc.metadata)
    # The seed articles are hidden under new names and load exactly as from corpus/.
    seeds = {d.doc_id: d for d in load_corpus(SEEDS).documents}
    for original, hidden in info.seeds.items():
        assert docs[hidden].text == seeds[original].text
        assert docs[hidden].title == seeds[original].title
        assert docs[hidden].metadata == seeds[original].metadata


def test_a_masthead_above_a_doubled_headline_is_not_the_title(tmp_path: Path) -> None:
    info = generate_archive(tmp_path / "archive", 40)
    docs = {d.doc_id: d for d in load_corpus(info.root).documents}
    for name in info.generated:
        blocks = (info.root / name).read_text(encoding="utf-8").split("\n\n")
        if len(blocks) > 4 and blocks[1] == blocks[2] and blocks[4].startswith("Published"):
            assert docs[name].title == blocks[1], (name, docs[name].title)
            assert docs[name].metadata.get("author") == blocks[3].split(",")[0]


def test_no_generated_article_holds_committed_evidence(tmp_path: Path) -> None:
    info = generate_archive(tmp_path / "archive", 30)
    assert leaks(info.root, info.generated, _evidence()) == []


def test_the_planted_wire_copies_and_only_they_are_near_duplicates(tmp_path: Path) -> None:
    info = generate_archive(tmp_path / "archive", 40)
    assert info.duplicates
    groups = find_duplicates(load_corpus(info.root).documents)
    found = {tuple(sorted((g.kept.doc_id, *(c.doc_id for c in g.copies)))) for g in groups}
    assert found == {tuple(sorted(pair)) for pair in info.duplicates}


def test_the_on_topic_share_sets_how_many_articles_share_the_seed_subjects(
    tmp_path: Path,
) -> None:
    from benchmarks.news_archive import OTHER_TOPICS, RUSSIA_TOPICS

    none = generate_archive(tmp_path / "none", 30, russia_share=0.0)
    every = generate_archive(tmp_path / "every", 30, russia_share=1.0)
    assert set(none.topics) <= set(OTHER_TOPICS)
    assert set(every.topics) <= set(RUSSIA_TOPICS)
