"""Tests of corpus loading and cleaning: the seed articles, messy fixtures, properties."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_bot.errors import CorpusError
from qa_bot.ingest import corpus as corpus_mod
from qa_bot.ingest.corpus import (
    CorpusLoad,
    SkippedFile,
    clean_text,
    decode_bytes,
    load_corpus,
    load_document,
    parse_front_matter,
)
from qa_bot.models import Document

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "corpus"
MESSY = ROOT / "tests" / "data" / "messy"

D0, D1, D2, D3, D4 = (
    "000_59c0cebcadfe412f.txt",
    "001_9d950e5d5b89fb94.txt",
    "002_69fb7bf0abeb2eda.txt",
    "003_63f1aff1d1290f93.txt",
    "004_475a727619a43cb4.txt",
)
CAPTION_003 = (
    "Russian President Vladimir Putin speaks during a meeting with foreign policy experts at "
    "the Valdai Discussion Club in the Black Sea resort of Sochi, Russia, Nov. 7, 2024. "
    "Photo: Maxim Shipenkov / Photo: AP"
)
# Raw lines (whitespace-normalised) that cleaning must remove; every other line must survive.
REMOVED: dict[str, list[str]] = {
    D0: [
        "top of page",
        "Russia–U.S.A 2025: Why the Russian Elite Courts Trump",
        "Khoshnaw Rahmani, Jadetimes Staff",
        "K. Rahmani is a Jadetimes news reporter covering politics.",
        "Image Source: SCMP",
        "Comments",
        "More News",
        "bottom of page",
    ],
    D1: [
        "The Putin-Trump Dynamic: Opportunities and Risks for Russia",
        "The Putin-Trump Dynamic: A Double-Edged Sword for Russia",
        "Professor Mark Galeotti is the author of Putin’s Wars: from Chechnya to Ukraine, "
        "published by Osprey.",
        "Leave a Reply",
        "Your email address will not be published. Required fields are marked *",
        "Back To Top",
    ],
    D2: [],  # the lead line repeated at the start of the next paragraph: checked separately
    D3: [
        "Russia sees opportunity in second Trump term, but remains wary about future",
        CAPTION_003,
        "AP",
        "Reuters Archive",
        "Republican presidential hopeful Donald Trump believes that he can finish the Ukraine "
        "war “in 24 hours”, trusting his ties with Russian leader Vladimir Putin. "
        "Credit: Kevin Lamarque",
        "Ukrainian President Volodoymyr Zelenskyy's strong connections with the Biden family "
        "might hurt Kiev's future ties with the second term Trump administration.",
        "Route 6",
    ],
    D4: [
        "I am an experienced writer, analyst, and author. My exposure in English journalism "
        "spans more than 28 years. In the past, I have been working with daily The Muslim "
        "(Lahore Bureau), daily Business Recorder (Lahore/Islamabad Bureaus), Daily Times, "
        "Islamabad, daily The Nation (Lahore and Karachi). With daily The Nation, I have "
        "served as Resident Editor, Karachi. Since 2009, I have been working as a Freelance "
        "Writer/Editor for American organizations."
    ],
}
KEY_SENTENCES: dict[str, list[str]] = {
    D0: [
        "A pronounced outreach from segments of Russia’s ruling class toward Donald Trump has "
        "become a prominent theme in 2025 politics.",
        "Courtship of Trump is not unanimous.",
        "or a temporary diplomatic theater",
    ],
    D1: [
        "Since his initial term began, Trump has surprised Russia before, notably with the 2017 "
        "missile strike on Syria following a chemical attack on civilians, which left the "
        "Kremlin wary of his unpredictability.",
        "The diplomatic isolation that the West attempted to impose on Russia appears to be "
        "waning, especially with reports of an impending Trump-Putin summit gaining momentum.",
        "they are enjoying their time in the unpredictable realm of Trumpworld.",
    ],
    D2: [
        "While President Vladimir Putin has yet to formally congratulate Trump, high-ranking "
        "Kremlin insiders, diplomats, and Russian business elites reportedly believe",
        "“Until the inauguration, we will keep advancing [in Ukraine],”",
        "Moscow will be watching closely to see whether its expectations",
    ],
    D3: [
        "For Moscow, the former Republican president's return is good news when it comes to "
        "Ukraine, sanctions and more.",
        "Putin congratulated Trump during a speech in the Valdai Discussion Club in the Black "
        "Sea resort of Sochi on Thursday.",
        "Trump, who is the co-author of the famous Art of the Deal",
    ],
    D4: [
        "Russia’s top leaders are closely following the U.S. presidential race",
        "Former diplomat Boris Bondarev, who resigned in protest over the Ukraine invasion",
        "is seen as a major advantage for Moscow over Biden’s more rigid stance.",
    ],
}
GONE_EVERYWHERE = [
    "top of page",
    "bottom of page",
    "Back To Top",
    "Leave a Reply",
    "Your email address",
    "Required fields",
    "More News",
    "Image Source",
    "Photo:",
    "Reuters Archive",
    "Credit:",
    "Route 6",
    "Jadetimes Staff",
    "is a Jadetimes news reporter",
    "is the author of Putin",
    "I am an experienced writer",
    "working as a Freelance",
    "Double-Edged Sword",
]


def _norm_line(line: str) -> str:
    return " ".join(line.replace("\u00a0", " ").split()).lstrip("• ")


@pytest.fixture(scope="module")
def seed() -> CorpusLoad:
    return load_corpus(SEED)


@pytest.fixture(scope="module")
def seed_docs(seed: CorpusLoad) -> dict[str, Document]:
    return {d.doc_id: d for d in seed.documents}


@pytest.fixture(scope="module")
def messy() -> CorpusLoad:
    return load_corpus(MESSY, max_file_bytes=5000)


@pytest.fixture(scope="module")
def messy_docs(messy: CorpusLoad) -> dict[str, Document]:
    return {d.doc_id: d for d in messy.documents}


# --- seed articles ---------------------------------------------------------------------------


def test_seed_loads_all_five(seed: CorpusLoad) -> None:
    assert [d.doc_id for d in seed.documents] == [D0, D1, D2, D3, D4]
    assert seed.skipped == ()
    for doc in seed.documents:
        raw = (SEED / doc.doc_id).read_bytes()
        assert seed.file_hashes[doc.doc_id] == hashlib.sha256(raw).hexdigest()
        assert Path(doc.source_path).is_absolute()
        assert Path(doc.source_path).read_bytes() == raw


@pytest.mark.parametrize("doc_id", [D0, D1, D2, D3, D4])
def test_seed_boilerplate_gone_and_body_intact(seed_docs: dict[str, Document], doc_id: str) -> None:
    text = seed_docs[doc_id].text
    paragraphs = text.split("\n\n")
    removed = set(REMOVED[doc_id])
    for raw_line in (SEED / doc_id).read_text(encoding="utf-8").split("\n"):
        line = _norm_line(raw_line)
        if not line:
            continue
        if line in removed:
            assert line not in paragraphs
            if len(line.split()) >= 3:
                assert line not in text
        else:
            assert line in text, f"body line lost: {line[:70]!r}"
    for sentence in KEY_SENTENCES[doc_id]:
        assert sentence in text
    for junk in GONE_EVERYWHERE:
        assert junk not in text
    assert "AP" not in paragraphs and "Comments" not in paragraphs


def test_seed_repeated_lead_is_dropped(seed_docs: dict[str, Document]) -> None:
    text = seed_docs[D2].text
    lead = "Russian officials have cautiously expressed optimism following Donald Trump's election"
    assert text.count(lead) == 1
    assert text.startswith(lead)
    assert "the West. While President Vladimir Putin" in text


def test_seed_format(seed: CorpusLoad) -> None:
    for doc in seed.documents:
        assert "\n\n\n" not in doc.text
        for paragraph in doc.text.split("\n\n"):
            assert paragraph == paragraph.strip() and paragraph
            assert "\n" not in paragraph and "  " not in paragraph and "\u00a0" not in paragraph


def test_seed_titles_and_metadata_from_sidecar(seed_docs: dict[str, Document]) -> None:
    assert seed_docs[D0].title == "Russia–U.S.A 2025: Why the Russian Elite Courts Trump"
    assert seed_docs[D0].metadata == {"author": "Khoshnaw Rahmani", "outlet": "Jadetimes"}
    assert seed_docs[D1].title == "The Putin-Trump Dynamic: A Double-Edged Sword for Russia"
    assert seed_docs[D1].metadata["author"] == "Mark Galeotti"
    assert seed_docs[D2].title == "Russian officials cautiously optimistic after Trump's election"
    assert seed_docs[D3].metadata == {"outlet": "TRT World"}
    assert "author" not in seed_docs[D4].metadata
    assert all(d.title for d in seed_docs.values())


@pytest.mark.parametrize(
    ("doc_id", "title"),
    [
        (D0, "Russia–U.S.A 2025: Why the Russian Elite Courts Trump"),
        (D1, "The Putin-Trump Dynamic: Opportunities and Risks for Russia"),
        (D2, ""),
        (D3, "Russia sees opportunity in second Trump term, but remains wary about future"),
        (D4, ""),
    ],
)
def test_seed_title_guess_without_sidecar(
    seed_docs: dict[str, Document], doc_id: str, title: str
) -> None:
    raw = decode_bytes((SEED / doc_id).read_bytes())
    guessed, body = clean_text(raw)
    assert guessed == title
    assert body == seed_docs[doc_id].text  # the sidecar title changes nothing in the body


def test_seed_byline_goes_to_metadata_without_sidecar(tmp_path: Path) -> None:
    (tmp_path / D0).write_bytes((SEED / D0).read_bytes())
    doc = load_document(tmp_path / D0, root=tmp_path)
    assert doc.metadata == {"author": "Khoshnaw Rahmani", "outlet": "Jadetimes"}
    assert doc.doc_id == D0 and doc.title.startswith("Russia–U.S.A 2025")


def test_cleaning_is_stable_on_seeds(seed: CorpusLoad) -> None:
    for doc in seed.documents:
        assert clean_text(doc.text, title=doc.title) == (doc.title, doc.text)


# --- messy fixtures of other kinds of sites --------------------------------------------------


def test_messy_documents_and_skips(messy: CorpusLoad) -> None:
    assert [d.doc_id for d in messy.documents] == [
        "blog_post.txt",
        "cp1252.txt",
        "latin1.txt",
        *(f"layouts/{name}" for name in sorted(os.listdir(MESSY / "layouts"))),
        "news_page.html",
        "notes.md",
        "sub/nested.txt",
        "utf16_bom.txt",
        "utf8_bom.txt",
        "wire_story.txt",
    ]
    assert messy.skipped == (
        SkippedFile("big.txt", "larger than 5000 bytes"),
        SkippedFile("data.csv", "unsupported file type (.csv)"),
        SkippedFile("empty.txt", "empty file"),
        SkippedFile("nul_byte.txt", "binary file (NUL byte)"),
        SkippedFile("only_boilerplate.txt", "no text after cleaning"),
    )
    assert set(messy.file_hashes) == {d.doc_id for d in messy.documents}


def test_default_limit_loads_big_file() -> None:
    docs = {d.doc_id for d in load_corpus(MESSY).documents}
    assert "big.txt" in docs


def test_blog_post(messy_docs: dict[str, Document]) -> None:
    doc = messy_docs["blog_post.txt"]
    assert doc.title == "Ten Lessons From a Year of Urban Beekeeping"
    assert doc.metadata == {
        "author": "Priya Natarajan",
        "outlet": "Rooftop Notes",
        "date": "2024-03-03",  # "Posted on March 3, 2024"
    }
    assert doc.text.startswith("When I put the first hive on our flat roof, my neighbours")
    # hard-wrapped lines are re-joined into one paragraph
    assert "would chase them off their balconies." in doc.text
    assert "\n\nFeeding in winter\n\n" in doc.text
    assert doc.text.endswith("check the weight of the hive every two weeks from November.")
    for junk in ("Skip to content", "Menu", "Posted on", "By Priya", "cookies", "Accept all",
                 "Share this", "Facebook", "Subscribe", "Like this", "Related", "Leave a Reply",
                 "email address", "freelance writer", "©", "rights reserved"):  # fmt: skip
        assert junk not in doc.text


def test_wire_story_captions_and_credits(messy_docs: dict[str, Document]) -> None:
    doc = messy_docs["wire_story.txt"]
    assert doc.title == "Floods close main port as river bursts banks"
    assert doc.text.startswith("ROTTERDAM, Nov 12 (Wire) - The city's main container port")
    assert "Workers began pumping water from the terminals at dawn." in doc.text
    assert doc.text.endswith("Shipping companies diverted vessels to Antwerp and Hamburg.")
    for junk in ("Getty", "Rescue workers wade", "Advertisement", "Photo:", "harbour district",
                 "Cranes stand idle", "Reuters", "Reporting by"):  # fmt: skip
        assert junk not in doc.text


def test_html_page(messy_docs: dict[str, Document]) -> None:
    doc = messy_docs["news_page.html"]
    assert doc.title == "Harbour cafe reopens after flood"
    assert doc.metadata["author"] == "Jane Doe"
    assert doc.metadata["outlet"] == "Coastal Gazette"
    assert doc.text.startswith("The harbour café that was wrecked by last winter's flood")
    assert "\n\nCommunity effort\n\n" in doc.text
    assert doc.text.endswith("a new flood barrier for the promenade before next winter.")
    for junk in ("SECRET_TRACKER_ID", "dataLayer", "font-family", "Weather", "cookies",
                 "Advertisement", "Related stories", "Ferry timetable", "Subscribe",
                 "All rights reserved", "By Jane Doe"):  # fmt: skip
        assert junk not in doc.text


def test_html_fallback_without_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    monkeypatch.setattr(trafilatura, "bare_extraction", lambda *a, **k: None)
    html = (MESSY / "news_page.html").read_text(encoding="utf-8")
    title, text, _ = corpus_mod._extract_html(html)
    assert title == "Harbour cafe reopens after flood | Coastal Gazette"
    assert "SECRET_TRACKER_ID" not in text and "Weather" not in text and "Ferry" not in text
    _, body = clean_text(text, title=title)
    assert "Owner Maria Lopes said the rebuild took seven months" in body
    assert "Advertisement" not in body and "We use cookies" not in body


def test_markdown_front_matter_and_sidecar(messy_docs: dict[str, Document]) -> None:
    doc = messy_docs["notes.md"]
    assert doc.title == "Night trains return to the Alps"
    assert doc.metadata == {
        "author": "Tomas Berger-Lind",  # the sidecar wins over the front matter
        "outlet": "Rail Weekly",
        "date": "2024-09-14",
        "url": "https://example.org/night-trains",
        "tags": "rail, travel",
    }
    assert doc.text == (
        "Three operators will run sleeper services between Zurich, Vienna and Munich from "
        "December, the first regular night trains on the route since 2009.\n\n"
        "Why now\n\n"
        "Demand for low-carbon travel has doubled since 2019.\n\n"
        "New sleeper carriages cut the cost per berth."
    )


def test_prose_that_looks_like_boilerplate_is_kept() -> None:
    kept = [
        "By The Numbers",
        "These cookies are best when you accept that the dough must rest overnight.",
        "Published works",
        "Updated guidance for schools",
        "The mayor is a former journalist who now runs the council.",
    ]
    _, body = clean_text("Biscuit news\n\n" + "\n\n".join(kept) + "\n\nPosted on May 3, 2024\n")
    assert body.split("\n\n") == kept


def test_front_matter_parsing() -> None:
    meta, rest = parse_front_matter("---\ntitle: 'A: B'\nPublisher: X\n# note\n---\nBody.\n")
    assert meta == {"title": "A: B", "outlet": "X"} and rest == "Body.\n"
    assert parse_front_matter("---\n\n---\nText") == ({}, "---\n\n---\nText")
    assert parse_front_matter("No front matter") == ({}, "No front matter")


@pytest.mark.parametrize(
    ("doc_id", "text"),
    [
        ("cp1252.txt", "The café on Rue Cler serves “proper” coffee – and fresh croissants"),
        ("latin1.txt", "Un café crème coûte deux euros à la gare, même le dimanche."),
        ("utf8_bom.txt", "The crème brûlée was naïve but perfectly set."),
        ("utf16_bom.txt", "The tea house next to the café opens at nine on weekdays."),
    ],
)
def test_encodings(messy_docs: dict[str, Document], doc_id: str, text: str) -> None:
    doc = messy_docs[doc_id]
    assert text in doc.text
    assert "Ã" not in doc.text and "\ufeff" not in doc.text and "\r" not in doc.text


def test_decode_bytes_cases() -> None:
    assert decode_bytes("café".encode("cp1252")) == "café"
    assert decode_bytes("café".encode("latin-1")) == "café"
    assert decode_bytes("\ufeffcafé".encode()) == "café"
    assert decode_bytes("café".encode("utf-16")) == "café"
    assert decode_bytes("café".encode("utf-16-be").join([b"\xfe\xff", b""])) == "café"
    assert decode_bytes("café".encode("utf-32")) == "café"
    # mostly UTF-8 with one stray Windows-1252 quote
    assert decode_bytes("naïve ".encode() + b"\x93ok\x94") == "naïve “ok”"
    assert decode_bytes(b"a\r\nb\rc") == "a\nb\nc"
    assert decode_bytes("a\u00a0b\u200bc\u00ad".encode()) == "a bc"
    assert decode_bytes("cafe\u0301".encode()) == "café"  # NFC
    cyrillic = "Москва сегодня объявила о новых мерах поддержки малого бизнеса в регионах."
    assert decode_bytes(cyrillic.encode("cp1251")) == cyrillic
    assert decode_bytes(b"") == ""


# --- loader edge cases ---------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


ARTICLE = "Harvest news\n\nFarmers in the valley began the grape harvest a week early this year.\n"


def test_symlinks(tmp_path: Path) -> None:
    root, outside = tmp_path / "corpus", tmp_path / "outside"
    _write(root / "a.txt", ARTICLE)
    _write(outside / "secret.txt", "Secret notes that live outside the corpus folder.\n")
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    (root / "leakdir").symlink_to(outside, target_is_directory=True)
    (root / "alias.txt").symlink_to(root / "a.txt")
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "broken.txt").symlink_to(root / "missing.txt")
    load = load_corpus(root)
    assert [d.doc_id for d in load.documents] == ["a.txt", "alias.txt"]
    assert load.skipped == (
        SkippedFile("broken.txt", "unreadable: broken symlink"),
        SkippedFile("leak.txt", "symlink leaves the corpus"),
        SkippedFile("leakdir", "symlink leaves the corpus"),
    )
    assert all("Secret" not in d.text for d in load.documents)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "a.txt", ARTICLE)
    _write(tmp_path / "locked.txt", ARTICLE)
    real = corpus_mod._read_limited

    def fake(path: Path, limit: int) -> bytes:
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real(path, limit)

    monkeypatch.setattr(corpus_mod, "_read_limited", fake)
    load = load_corpus(tmp_path)
    assert [d.doc_id for d in load.documents] == ["a.txt"]
    assert load.skipped == (SkippedFile("locked.txt", "unreadable: Permission denied"),)


def test_huge_file_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "a.txt", ARTICLE)
    with (tmp_path / "huge.txt").open("wb") as handle:
        handle.truncate(50_000_000)  # sparse: no disk or memory used
    read: list[str] = []
    real = corpus_mod._read_limited

    def spy(path: Path, limit: int) -> bytes:
        read.append(path.name)
        return real(path, limit)

    monkeypatch.setattr(corpus_mod, "_read_limited", spy)
    load = load_corpus(tmp_path)
    assert read == ["a.txt"]
    assert load.skipped == (SkippedFile("huge.txt", "larger than 5000000 bytes"),)


def test_latin1_file_name_and_fifo(tmp_path: Path) -> None:
    _write(tmp_path / os.fsdecode(b"caf\xe9 news.txt"), ARTICLE)
    os.mkfifo(tmp_path / "pipe.txt")  # opening it would block forever
    load = load_corpus(tmp_path)
    assert [d.doc_id for d in load.documents] == ["café news.txt"]
    load.documents[0].source_path.encode("utf-8")  # storable as JSON
    assert load.skipped == (SkippedFile("pipe.txt", "not a regular file"),)


def test_hidden_and_sidecar_are_not_documents(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", ARTICLE)
    _write(tmp_path / ".hidden.txt", ARTICLE)
    _write(tmp_path / ".git" / "b.txt", ARTICLE)
    _write(tmp_path / "metadata.json", '{"a.txt": {"title": "Grapes", "year": 2024}}')
    load = load_corpus(tmp_path)
    assert [(d.doc_id, d.title, d.metadata) for d in load.documents] == [
        ("a.txt", "Grapes", {"year": "2024"})
    ]
    assert load.skipped == ()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "not found"),
        ("file", "not a folder"),
        ("empty", "no supported files"),
        ("unsupported", "no supported files"),
        ("all_skipped", "no text found"),
        ("bad_sidecar", "not valid JSON"),
        ("sidecar_list", "must map file names"),
    ],
)
def test_corpus_errors(tmp_path: Path, setup: str, message: str) -> None:
    root = tmp_path / "corpus"
    if setup == "file":
        _write(root, "not a folder")
    elif setup != "missing":
        root.mkdir()
    if setup == "unsupported":
        _write(root / "data.csv", "a,b\n")
    elif setup == "all_skipped":
        (root / "empty.txt").write_bytes(b"")
        (root / "bin.txt").write_bytes(b"\x00\x01")
    elif setup.startswith(("bad", "sidecar")):
        _write(root / "a.txt", ARTICLE)
        _write(root / "metadata.json", "{oops" if setup == "bad_sidecar" else "[]")
    with pytest.raises(CorpusError, match=message) as info:
        load_corpus(root)
    assert "\n" not in str(info.value)


def test_max_file_bytes_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_file_bytes must be greater than 0"):
        load_corpus(tmp_path, max_file_bytes=0)


def test_load_document_errors(tmp_path: Path) -> None:
    outside = _write(tmp_path / "x.txt", ARTICLE)
    with pytest.raises(CorpusError, match="not inside"):
        load_document(outside, root=tmp_path / "corpus")
    with pytest.raises(CorpusError, match="binary"):
        load_document(_write(tmp_path / "b.txt", "a\x00b"), root=tmp_path)
    with pytest.raises(CorpusError, match="no text"):
        load_document(_write(tmp_path / "c.txt", "Share this\n"), root=tmp_path)
    with pytest.raises(CorpusError, match="cannot read"):
        load_document(tmp_path / "missing.txt", root=tmp_path)
    doc = load_document(outside, root=tmp_path, metadata={"outlet": "Wine Daily"})
    assert (doc.doc_id, doc.title, doc.metadata) == (
        "x.txt",
        "Harvest news",
        {"outlet": "Wine Daily"},
    )
    assert doc.source_path == os.path.abspath(outside)


def test_fallback_title_when_no_headline(tmp_path: Path) -> None:
    text = " ".join(f"word{i}" for i in range(20)) + ". Second sentence here.\n"
    doc = load_document(_write(tmp_path / "x.txt", text), root=tmp_path)
    assert doc.title == " ".join(f"word{i}" for i in range(12)) + "…"


# --- properties ------------------------------------------------------------------------------

POOL = [
    "",
    "",
    "Comments",
    "Share this",
    "Photo: AP",
    "AP",
    "Reuters Archive",
    "By Jane Doe",
    "Jane Doe, Daily Planet Staff",
    "Jane Doe is a reporter covering science.",
    "A short heading",
    "Route 9",
    "• A bullet point that says something.",
    "# Markdown heading",
    "The mayor opened the bridge on Monday after two years of work.",
    "The mayor opened the bridge on Monday after two years of work. Crowds cheered.",
    "Caption of a picture. Credit: John Smith",
    "a hard wrapped line that is long enough to be joined with the next one,",
    "and here it ends.",
    "We use cookies to improve your experience.",
    "Tickets cost \u00a0two euros\u200b today!",
    "  spaced   out\tline  ",
]


def _check_clean(raw: str, title: str | None) -> None:
    got_title, body = clean_text(raw, title=title)
    assert "\n\n\n" not in body
    assert body == body.strip()
    for paragraph in body.split("\n\n") if body else []:
        assert paragraph and paragraph == paragraph.strip() and "\n" not in paragraph
    assert clean_text(body, title=got_title) == (got_title, body)


@settings(max_examples=150, deadline=None)
@given(st.text(), st.one_of(st.none(), st.text(max_size=30)))
def test_clean_text_property_any_text(raw: str, title: str | None) -> None:
    _check_clean(raw, title)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(POOL), max_size=25), st.none() | st.sampled_from(POOL))
def test_clean_text_property_article_like(lines: list[str], title: str | None) -> None:
    _check_clean("\n".join(lines), title)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_decode_bytes_never_raises(data: bytes) -> None:
    text = decode_bytes(data)
    assert "\r" not in text and "\ufeff" not in text and "\u00a0" not in text
    assert decode_bytes(text.encode("utf-8")) == text
