"""One story once: near-duplicates are indexed through one copy and named on its citations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_bot.bot import QABot
from qa_bot.cli import cli
from qa_bot.index.build import build_index
from qa_bot.index.embedding import HashEmbedder
from qa_bot.index.settings import IndexSettings
from qa_bot.index.store import load_index

pytestmark = pytest.mark.unit

SYNDICATED = Path(__file__).resolve().parent.parent / "data" / "syndicated"
GROUP = ("wire_floods.txt", ("gazette_danube.md", "wire_floods_saved_again.txt"))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SYNDICATED, tmp_path / "corpus"))


def test_the_build_keeps_one_copy_and_reports_the_group(corpus: Path, tmp_path: Path) -> None:
    report = build_index(corpus, tmp_path / "i", HashEmbedder(64))
    assert report.duplicates == (GROUP,)
    assert report.documents == 2
    store = load_index(tmp_path / "i")
    assert {p.doc_id for p in store.passages} == {"wire_floods.txt", "floods_analysis.txt"}
    kept = store.documents["wire_floods.txt"]
    assert [c.doc_id for c in kept.copies] == list(GROUP[1])
    assert kept.also_published == ("Riverside Gazette", "wire_floods_saved_again.txt")
    again = build_index(corpus, tmp_path / "i", HashEmbedder(64))
    assert again.status == "reused" and again.duplicates == (GROUP,)


def test_without_a_threshold_every_copy_is_indexed(corpus: Path, tmp_path: Path) -> None:
    settings = IndexSettings(duplicate_threshold=None)
    report = build_index(corpus, tmp_path / "i", HashEmbedder(64), settings=settings)
    assert report.duplicates == () and report.documents == 4
    with pytest.raises(ValueError, match="duplicate_threshold"):
        IndexSettings(duplicate_threshold=1.5)


def test_a_citation_names_who_else_published_the_story(corpus: Path, tmp_path: Path) -> None:
    bot = QABot.from_corpus(corpus, tmp_path / "i", embedder=HashEmbedder(512))
    bot.reader = None
    answer = bot.ask("Why were rail services between Vienna and Linz suspended?")
    assert not answer.abstained
    assert answer.citations[0].doc_id == "wire_floods.txt"
    assert answer.citations[0].also_published == (
        "Riverside Gazette",
        "wire_floods_saved_again.txt",
    )
    hits = bot.retrieve("Danube floods homes rail Melk", k=5)
    assert all(h.passage.doc_id != "gazette_danube.md" for h in hits)


def test_qa_bot_index_lists_the_collapsed_groups(corpus: Path, tmp_path: Path) -> None:
    args = ["index", str(corpus), "--index-dir", str(tmp_path / "i"), "--model", "hash:64", "-q"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (
        "one story: indexed wire_floods.txt; collapsed gazette_danube.md, "
        "wire_floods_saved_again.txt" in result.stdout
    )
    assert ": 2 articles → " in result.stdout


def test_an_answer_as_json_and_html_carries_the_copies(corpus: Path, tmp_path: Path) -> None:
    from qa_bot.ui.chat_html import render_sources

    bot = QABot.from_corpus(corpus, tmp_path / "i", embedder=HashEmbedder(512))
    bot.reader = None
    answer = bot.ask("Which rail services were suspended in Austria?")
    data = json.loads(json.dumps(answer.to_dict()))
    assert data["citations"][0]["also_published"] == [
        "Riverside Gazette",
        "wire_floods_saved_again.txt",
    ]
    html = render_sources(answer, bot.documents)
    assert "also published by Riverside Gazette, wire_floods_saved_again.txt" in html


def test_terminal_sources_show_outlet_author_and_copies(corpus: Path, tmp_path: Path) -> None:
    from qa_bot.cli import format_answer

    bot = QABot.from_corpus(corpus, tmp_path / "i", embedder=HashEmbedder(512))
    bot.reader = None
    text = format_answer(bot.ask("Which rail services were suspended in Austria?"), bot.documents)
    assert "— Continental Wire · Marta Kovacs (wire_floods.txt)" in text
    assert "also published by Riverside Gazette, wire_floods_saved_again.txt" in text
