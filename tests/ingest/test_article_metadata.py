"""The article's own facts from its text: the date of a "Published ..." line or a wire dateline,
the author of a byline (issue 14). Front matter and the sidecar still win."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_bot.ingest.cleaning import parse_date
from qa_bot.ingest.corpus import load_document

pytestmark = pytest.mark.unit

LAYOUTS = Path(__file__).resolve().parent.parent / "data" / "messy" / "layouts"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("wire_export.txt", {"author": "Dana Whitfield", "date": "2025-03-04"}),  # Published …
        ("blog_layout.txt", {"author": "Ellen Price", "date": "2024-07-14"}),  # Posted on … by …
        ("local_paper.txt", {"date": "2025-06-02"}),  # Updated 6:40 p.m. Monday, June 2, 2025
        ("press_release.txt", {"date": "2025-04-09"}),  # DES MOINES, Iowa, April 9, 2025 —
        ("saved_page.md", {"author": "Rui Costa", "date": "2025-06-21"}),
    ],
)
def test_date_and_author_from_the_text(name: str, expected: dict[str, str]) -> None:
    metadata = load_document(LAYOUTS / name, root=LAYOUTS).metadata
    assert {k: metadata[k] for k in expected if k in metadata} == expected


def test_front_matter_and_sidecar_win_over_the_text(tmp_path: Path) -> None:
    text = "Published March 4, 2025\nBy Dana Whitfield\n\n" + "A body sentence of the story. " * 4
    path = tmp_path / "a.md"
    path.write_text("---\ndate: 2025-03-05\n---\n" + text, encoding="utf-8")
    assert load_document(path, root=tmp_path).metadata["date"] == "2025-03-05"
    sidecar = load_document(path, root=tmp_path, metadata={"author": "Desk"}).metadata
    assert sidecar["author"] == "Desk"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("March 4, 2025", "2025-03-04"),
        ("on Sept. 30th, 2024 at noon", "2024-09-30"),
        ("4 March 2025", "2025-03-04"),
        ("2025-03-04T10:00", "2025-03-04"),
        ("February 30, 2025", ""),  # no such day
        ("May the force be with you", ""),
        ("in 2025", ""),
    ],
)
def test_parse_date(text: str, expected: str) -> None:
    assert parse_date(text) == expected


def test_a_masthead_above_a_doubled_headline_is_the_outlet(tmp_path: Path) -> None:
    """A web export whose first line is the site's name above a headline printed twice and a
    "Name, Outlet" byline (found on 177 of 975 articles of the benchmark archive): the headline
    is the title, the site the outlet, the byline the author; none of them is body text."""
    page = tmp_path / "page.txt"
    page.write_text(
        "The Baltic Courier\n\nPort strike halts grain exports\n\nPort strike halts grain exports"
        "\n\nMarta Kalnina, The Baltic Courier\n\nPublished May 3, 2025\n\nDock workers in Riga "
        "walked out on Friday over pay, and grain ships waited outside the harbour for a second "
        "day. The union said talks would resume on Monday.\n",
        encoding="utf-8",
    )
    doc = load_document(page, root=tmp_path)
    assert doc.title == "Port strike halts grain exports"
    assert doc.metadata["outlet"] == "The Baltic Courier"
    assert doc.metadata["author"] == "Marta Kalnina"
    assert doc.metadata["date"] == "2025-05-03"
    assert doc.text.startswith("Dock workers in Riga")
    assert "Courier" not in doc.text and "Port strike" not in doc.text
