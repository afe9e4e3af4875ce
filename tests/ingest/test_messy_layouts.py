"""Boilerplate by what it is: plain-text and Markdown exports of eight kinds of news pages.

Each fixture in tests/data/messy/layouts/ imitates one site layout (menus, the headline twice,
bylines, share lines, credits, related-headline lists, newsletter and cookie boxes, footers).
Every line from the first to the last body line must survive (but the ones named below); every
line outside them must not be body text; the headline is the title, once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa_bot.ingest.cleaning import block_class, classify_blocks
from qa_bot.ingest.corpus import load_document

pytestmark = pytest.mark.unit

LAYOUTS = Path(__file__).resolve().parent.parent / "data" / "messy" / "layouts"

# file: (title, first body line, last body line, lines left unjudged either way)
CASES = {
    "wire_export.txt": (
        "Port strike halts container traffic in Rotterdam",
        "Dockworkers in Rotterdam",
        "Talks are scheduled",
        (),
    ),
    "tabloid_page.txt": (
        "Pop star's stolen guitar found in pawn shop after 20 years",
        "A guitar stolen",
        "Police said no one",
        ("EXCLUSIVE",),
    ),
    "blog_layout.txt": (
        "Why my tomatoes split after the storm",
        "After three dry weeks",
        "I lost a dozen fruit",
        ("Garden Notes",),
    ),
    "magazine_feature.txt": (
        "The last lighthouse keepers of the North Sea",
        "The keeper's house",
        "Norway automated",
        # The standfirst and the issue line sit between the headline and the body.
        ("For forty years", "October 2024 issue"),
    ),
    "local_paper.txt": (
        "Council approves new library for Millbrook",
        "Millbrook's town council",
        "The library board",
        (),
    ),
    "press_release.txt": (
        "Brightwater Energy opens largest battery plant in the Midwest",
        "DES MOINES, Iowa",
        "The project created",
        ("About Brightwater Energy", "Brightwater Energy develops"),
    ),
    "forum_thread.txt": (
        "Bridge closure on Route 9 extended to August",
        "The state transportation department",
        "The detour through Harlow",
        (),
    ),
    "saved_page.md": (
        "Heatwave breaks June record in Lisbon",
        "Lisbon recorded",
        '"It is too hot',
        (),
    ),
}


def _plain(line: str) -> str:
    """A fixture line as text: Markdown links, images, emphasis, bullets and headings undone."""
    line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)
    line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)
    line = re.sub(r"^(?:#+|\*|-)\s+", "", line.strip())
    return line.replace("**", "").strip("* ").strip()


def test_there_are_eight_layouts() -> None:
    assert sorted(p.name for p in LAYOUTS.iterdir()) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_body_line_survives_and_the_junk_goes(name: str) -> None:
    title, first, last, unjudged = CASES[name]
    doc = load_document(LAYOUTS / name, root=LAYOUTS)
    lines = [_plain(line) for line in (LAYOUTS / name).read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i, line in enumerate(lines) if line.startswith(last))
    paragraphs = doc.text.split("\n\n")
    assert doc.title == title
    for i, line in enumerate(lines):
        if any(line.startswith(u) for u in unjudged):
            continue
        if start <= i <= end:
            assert line in paragraphs, f"body line lost: {line!r}"
        else:
            # Junk: never a paragraph of its own, nor (if more than a word or two) inside one.
            assert line not in paragraphs, f"junk kept: {line!r}"
            if len(line.split()) > 2:
                assert line not in doc.text, f"junk kept: {line!r}"


def test_short_paragraphs_and_one_line_quotes_inside_the_body_stay() -> None:
    body = [
        "Dockworkers in Rotterdam walked off the job on Tuesday, halting container traffic at "
        "Europe's largest port for the first time in a decade.",
        '"We are not against machines," said union leader Pieter de Vries.',
        "Talks resume Friday.",
        "Shipping lines diverted at least 14 vessels to Antwerp and Hamburg, and freight rates "
        "on routes from Asia rose by 6 percent within a day.",
        "Why it matters",
        "The port handles a third of the goods that enter the European Union by sea, and a long "
        "strike would be felt in shops within weeks.",
        '"We will be back," he said.',
    ]
    menu = ["Home", "World", "Markets"]
    related = ["Related Articles", "Antwerp braces for surge", "Rates climb on detours"]
    classes = classify_blocks([*menu, *body, *related])
    assert classes == ["bad"] * 3 + ["good"] * len(body) + ["bad"] * 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Privacy Policy | Terms of Use | Contact Us", "bad"),
        ("© 2025 Daily Splash. All rights reserved.", "bad"),
        ("Support local journalism. Subscribe today for $1 a week.", "bad"),
        ("Enter your email", "short"),
        ("Council approves new library for Millbrook", "short"),
        ('"You never really slept," he said.', "neargood"),
        ('"Get out of here now," she shouted.', "neargood"),
        ("Support for the plan grew.", "neargood"),
        (
            "The plant can power about 300,000 homes for four hours and will store surplus wind "
            "power from farms in western Iowa.",
            "good",
        ),
    ],
)
def test_block_classes(text: str, expected: str) -> None:
    assert block_class(text) == expected
