"""Near-duplicate articles are one story: MinHash/LSH over word shingles (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_bot.ingest.corpus import load_corpus
from qa_bot.ingest.duplicates import find_duplicates
from qa_bot.models import Document

pytestmark = pytest.mark.unit

SYNDICATED = Path(__file__).resolve().parent.parent / "data" / "syndicated"


def _doc(doc_id: str, text: str) -> Document:
    return Document(doc_id, doc_id, text, doc_id)


def _wire() -> str:
    return load_corpus(SYNDICATED).documents[2].text  # wire_floods.txt


def test_a_syndicated_copy_and_a_page_saved_twice_are_one_story() -> None:
    corpus = load_corpus(SYNDICATED)
    groups = find_duplicates(corpus.documents)
    assert [(g.kept.doc_id, [c.doc_id for c in g.copies]) for g in groups] == [
        ("wire_floods.txt", ["gazette_danube.md", "wire_floods_saved_again.txt"])
    ]  # the other coverage of the same floods (floods_analysis.txt) is its own story


def test_a_copy_with_its_own_byline_first_line_and_no_last_paragraph_still_counts() -> None:
    wire = _wire()
    paragraphs = wire.split("\n\n")
    copy = "\n\n".join(
        ["By Dana Whitfield, Riverside Gazette", "Updated 6:40 p.m.", *paragraphs[:-1]]
    ).replace("on Thursday", "late on Thursday")
    groups = find_duplicates([_doc("a", wire), _doc("b", copy)])
    assert len(groups) == 1
    assert groups[0].kept.doc_id == "a"  # the longer, untrimmed copy is the one indexed


def test_stories_sharing_a_paragraph_are_not_duplicates() -> None:
    wire = _wire()
    shared = wire.split("\n\n")[1]
    other = (
        "The city council met on Monday to approve the budget for next year. " * 1
        + shared
        + "\n\nCouncillors also voted to extend the tram line to the northern suburbs by 2028, "
        "and to double the number of bicycle lanes in the old town. The mayor said the plans "
        "would be paid for by a new parking levy, which opposition members called unfair to "
        "residents of outlying villages who have no other way to reach the centre."
    )
    assert find_duplicates([_doc("a", wire), _doc("b", other)]) == ()


def test_short_and_empty_texts_and_bad_thresholds() -> None:
    assert find_duplicates([_doc("a", "")]) == ()
    assert find_duplicates([_doc("a", ""), _doc("b", "")]) == ()
    groups = find_duplicates([_doc("a", "Two words"), _doc("b", "two words.")])
    assert len(groups) == 1
    with pytest.raises(ValueError, match="threshold"):
        find_duplicates([], threshold=0.0)
