"""The whole article put back together from the index's passages (the chat's article view)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from qa_bot.index.build import build_index
from qa_bot.index.embedding import HashEmbedder
from qa_bot.index.store import assemble_article, load_index
from qa_bot.ingest.chunking import Chunker, ChunkerSettings
from qa_bot.ingest.corpus import load_corpus
from qa_bot.models import Passage, Span

pytestmark = pytest.mark.unit

SEED = Path(__file__).resolve().parents[2] / "corpus"


def test_the_seed_articles_come_back_whole_from_their_overlapping_passages() -> None:
    chunker = Chunker(ChunkerSettings(max_tokens=60))  # small: many passages, with overlaps
    for document in load_corpus(SEED).documents:
        passages = chunker.chunk(document)
        assert any(b.start < a.end for a, b in itertools.pairwise(passages))
        article = assemble_article(document.doc_id, document.title, reversed(passages))
        assert article.text == document.text
        for passage in passages:
            for sentence in passage.sentences:
                span = article.span(passage.passage_id, sentence.start, sentence.end)
                assert span is not None
                assert (
                    article.text[span[0] : span[1]] == passage.text[sentence.start : sentence.end]
                )


def test_a_gap_between_passages_becomes_a_space_or_a_paragraph_break() -> None:
    first = Passage("a", "d", "T", "One.", 0, 4, (Span(0, 4),))
    second = Passage("b", "d", "T", "Two.", 5, 9, (Span(0, 4),))
    third = Passage("c", "d", "T", "New paragraph.", 11, 25, (Span(0, 14),))
    other = Passage("e", "e", "T", "Elsewhere.", 0, 10, (Span(0, 10),))
    article = assemble_article("d", "T", [third, second, other, first])
    assert article.text == "One. Two.\n\nNew paragraph."
    assert article.span("c", 0, 3) == (11, 14) and article.span("e", 0, 1) is None


def test_the_store_serves_each_indexed_article(
    small_corpus: Path, tmp_path: Path, hash_embedder: HashEmbedder
) -> None:
    build_index(small_corpus, tmp_path / "i", hash_embedder)
    store = load_index(tmp_path / "i", hash_embedder)
    documents = {d.doc_id: d for d in load_corpus(small_corpus).documents}
    for doc_id, document in documents.items():
        article = store.article(doc_id)
        assert article is not None and article.text == document.text
        assert article.title == document.title
    assert store.article("nope.txt") is None
