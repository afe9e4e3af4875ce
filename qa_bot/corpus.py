"""Find the corpus files, decode them, strip web boilerplate and read their metadata.

Everything here is deterministic and offline. The text cleaning works on lines and paragraphs
with general rules (navigation/footer/share lines, captions and credits, bylines, author bios,
repeated headlines and leads); nothing names a particular site.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from qa_bot.errors import CorpusError
from qa_bot.models import Document

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
DEFAULT_MAX_FILE_BYTES = 5_000_000
SIDECAR_NAME = "metadata.json"

_HTML_SUFFIXES = (".html", ".htm")
_BINARY_SNIFF_BYTES = 8192
_MAX_PASSES = 10


@dataclass(frozen=True)
class SkippedFile:
    """A corpus file that was not turned into a document, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class CorpusLoad:
    """The result of loading a corpus folder."""

    documents: tuple[Document, ...]
    skipped: tuple[SkippedFile, ...]
    file_hashes: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Decoding

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16: its BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LINE_BREAKS_RE = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_INVISIBLE_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff]")
_ODD_SPACES_RE = re.compile("[\u00a0\u2007\u202f]")
_UTF8_MULTIBYTE_RE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    # Bytes that are not UTF-8 in a mostly-Latin file are nearly always Windows-1252 / Latin-1.
    if not isinstance(err, UnicodeDecodeError):
        raise err
    bad = err.object[err.start : err.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad), err.end


codecs.register_error("qa_bot.cp1252", _cp1252_fallback)


def _safe_name(name: str) -> str:
    """A file name as valid Unicode: undecodable bytes (surrogate escapes) read as cp1252."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", errors="qa_bot.cp1252")
    return name


def _normalise(text: str) -> str:
    text = _LINE_BREAKS_RE.sub("\n", text)
    # Invisible characters go before NFC so that NFC can compose what they separated.
    text = _INVISIBLE_RE.sub("", _ODD_SPACES_RE.sub(" ", text))
    return unicodedata.normalize("NFC", text)


def decode_bytes(data: bytes) -> str:
    """Decode raw file bytes to normalised text; never raises.

    UTF-8 (BOM stripped) and UTF-16/32 with a BOM are decoded as such. Other bytes are read
    as UTF-8 with Windows-1252 for the invalid bytes, so cp1252 and Latin-1 "café" stay
    "café"; text whose bytes are mostly non-ASCII (another script) goes to charset-normalizer.
    Newlines become "\\n", the text is NFC-normalised, zero-width characters are removed and
    no-break spaces become spaces.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _normalise(data[len(bom) :].decode(encoding, errors="replace"))
    try:
        return _normalise(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    high = sum(1 for byte in data if byte >= 0x80)
    in_utf8 = sum(len(m) for m in _UTF8_MULTIBYTE_RE.findall(data))
    # Many non-UTF-8 high bytes: another script (Cyrillic, CJK...); ask the detector.
    if high - in_utf8 > max(in_utf8, 0.3 * len(data)):
        try:
            from charset_normalizer import from_bytes

            best = from_bytes(data).best()
            if best is not None:
                return _normalise(str(best))
        except Exception:  # a detector failure must not stop the corpus load
            pass
    return _normalise(data.decode("utf-8", errors="qa_bot.cp1252"))


# ---------------------------------------------------------------------------------------------
# Metadata: front matter, sidecar

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$")
_KEY_ALIASES = {
    "authors": "author",
    "byline": "author",
    "publisher": "outlet",
    "publication": "outlet",
    "site": "outlet",
    "site_name": "outlet",
    "sitename": "outlet",
    "source": "outlet",
    "link": "url",
    "source_url": "url",
    "canonical": "url",
    "published": "date",
    "pubdate": "date",
    "date_published": "date",
}


def _meta_values(raw: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value if isinstance(v, (str, int, float)))
        elif not isinstance(value, (str, int, float)):
            continue
        text = " ".join(str(value).split())
        name = str(key).strip().lower()
        if text and name:
            out[_KEY_ALIASES.get(name, name)] = text
    return out


def parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split YAML-style ``---`` front matter (simple ``key: value`` lines) from the text.

    Returns:
        The metadata found (empty when there is no front matter) and the remaining text.
    """
    match = _FRONT_MATTER_RE.match(text)
    if match is None:
        return {}, text
    raw: dict[str, str] = {}
    for line in match.group(1).split("\n"):
        found = _FRONT_KEY_RE.match(line)
        if found and not line.lstrip().startswith("#"):
            value = found.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            elif value.startswith("[") and value.endswith("]"):
                value = ", ".join(v.strip(" \"'") for v in value[1:-1].split(","))
            raw[found.group(1)] = value
    if not raw:  # a leading horizontal rule, not front matter
        return {}, text
    return _meta_values(raw), text[match.end() :]


def _read_sidecar(root: Path) -> dict[str, dict[str, str]]:
    path = root / SIDECAR_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(decode_bytes(path.read_bytes()))
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise CorpusError(f"{path} must map file names to objects of metadata")
    out: dict[str, dict[str, str]] = {}
    for doc_id, entry in data.items():
        if not isinstance(entry, dict):
            raise CorpusError(f"{path}: the entry for {doc_id!r} must be an object")
        out[str(doc_id)] = _meta_values(entry)
    return out


# ---------------------------------------------------------------------------------------------
# HTML

_SKIP_TAGS = frozenset(
    re.findall(r"\w+", "script style noscript template svg nav header footer aside form iframe")
)
_BLOCK_TAGS = frozenset(
    re.findall(
        r"\w+",
        "p div br li ul ol h1 h2 h3 h4 h5 h6 article section main blockquote pre tr table "
        "figure figcaption dd dt hr title",
    )
)


class _TextExtractor(HTMLParser):
    """The fallback when trafilatura finds no article: visible text, one block per line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        self._in_title = tag == "title"
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data)


def _extract_html(html: str) -> tuple[str, str, dict[str, str]]:
    """Return (title, text, metadata) of an HTML page; text lines are paragraphs."""
    meta: dict[str, str] = {}
    title = text = ""
    try:
        import trafilatura

        result = trafilatura.bare_extraction(
            html, include_comments=False, include_tables=True, with_metadata=True
        )
    except Exception:  # a parser failure falls back to the plain extractor
        result = None
    if result is not None:
        got = {
            name: result.get(name) if isinstance(result, dict) else getattr(result, name, None)
            for name in ("text", "title", "author", "sitename", "date", "url")
        }
        strings = {name: value for name, value in got.items() if isinstance(value, str)}
        text, title = strings.pop("text", ""), strings.pop("title", "")
        meta = _meta_values({"outlet" if k == "sitename" else k: v for k, v in strings.items()})
    if not text.strip():
        parser = _TextExtractor()
        try:
            parser.feed(html)
            parser.close()
        except Exception:  # malformed markup: keep what was parsed
            pass
        text = "".join(parser.parts)
        title = title or " ".join(parser.title.split())
    # trafilatura puts one paragraph per line; blank lines keep them from being re-joined.
    return title, text.replace("\n", "\n\n"), meta


# ---------------------------------------------------------------------------------------------
# Plain-text cleaning

_NAME = r"[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|de|van|von|der|al|bin|da))*\s+[A-Z][\w'’-]*"
_BYLINE_RE = re.compile(
    rf"^(?i:by|written by|words by|reporting by)\s+(?!(?:The|A|An|This|That|Our|Its)\s)"
    rf"(?P<name>{_NAME}"
    rf"(?:\s*(?:,|and|&)\s*{_NAME})*)\s*(?:[|,•·–—-]\s*.{{0,60}})?$"
)
_STAFF_RE = re.compile(
    rf"^(?P<name>{_NAME}),\s+(?P<outlet>[A-Z][\w&'’.-]*(?:\s+[A-Z][\w&'’.-]*){{0,3}})\s+"
    r"(?:Staff|Staff Writer|Staff Reporter|Reporter|Correspondent|Contributor|Writer|Desk)$"
)
_BIO_RE = re.compile(
    r"^(?:(?:[A-Z][\w'’.-]*\s+){1,5}(?:is|was)\s+(?:a|an|the)\b[^.]{0,100}?\b(?:reporter|writer"
    r"|journalist|editor|correspondent|columnist|contributor|blogger|author)s?\b"
    r"|(?:[A-Z][\w'’.-]*\s+){1,5}(?:is|was)\s+(?:the\s+)?(?:co-)?author\s+of\b"
    r"|(?:[A-Z][\w'’.-]*\s+){1,5}(?:writes|reports)\s+(?:about|on|for)\b"
    r"|I\s+am\s+(?:a|an)\b[^.]{0,80}?\b(?:writer|journalist|author|reporter|editor|columnist)s?\b"
    r"|(?:I|[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,4})\s+(?:has|have)\s+been\s+(?:working|writing)"
    r"\s+(?:as|for)\b)"
)
_BOILERPLATE = frozenset(
    s.strip()
    for s in """top of page|bottom of page|back to top|back to top of page|skip to content|skip to
    main content|comments|comment|leave a reply|leave a comment|post a comment|add a comment|cancel
    reply|more news|more stories|related|related articles|related posts|related stories|you may
    also like|recommended|recommended for you|read more|read next|continue reading|share|share
    this|share this article|share this post|share this story|share on facebook|share on
    twitter|tweet|print|email|advertisement|advertisements|sponsored|sponsored content|menu|home|
    search|log in|login|sign in|sign up|subscribe|subscribe now|newsletter|previous post|next
    post|previous article|next article|tags|categories|loading|close|accept|accept all|reject
    all|manage cookies|cookie settings|follow us|trending|latest news|most read|popular|top
    stories|like this|related content""".replace("\n    ", " ").split("|")
) - {""}
_BOILER_RES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^\d+\s+comments?$",
        r"^your email address will not be published",
        r"^required fields are marked",
        r"^(?:sign up|subscribe)\b.*\b(?:newsletter|updates|inbox|e-?mail|alerts)\b",
        r"^subscribe (?:to|for|now|today)\b",
        r"^(?:share|follow us|find us|like us)(?: this)?(?: (?:article|story|post))? (?:on|via)\b",
        r"^(?:(?:facebook|twitter|x|linkedin|whatsapp|e-?mail|pinterest|reddit|telegram|print)"
        r"\s*[|/,·•]?\s*){2,}$",
        r"\b(?:we use cookies|(?:site|website|page) uses cookies|cookie (?:policy|settings|"
        r"preferences|notice|consent)|accept (?:all |our )?cookies|use of cookies)\b",
        r"^(?:copyright\b|©|\(c\)\s)|\ball rights reserved\b",
        r"^(?:read more|read also|also read|see also|related|more on this)\s*:",
        r"^click here\b",
        r"^(?:tags?|categories|category|filed under|posted in|topics?)\s*:",
        r"^(?:log in|sign in|register) to (?:comment|reply|post)\b",
        r"^(?:posted|published|updated|last updated)(?: on| at)?:?\s+[^.!?]{0,40}\d[^.!?]{0,30}$",
        r"^(?:posted in|filed under)\b",
        r"^\(?(?:additional )?(?:reporting|writing|editing|compiled|contributing) by\b",
    )
)
_CAPTION_RES = (
    re.compile(
        r"^(?:image|photo|picture|video|graphic|illustration|photograph)s?"
        r"(?:\s+(?:source|credit|courtesy|by))?\s*:",
        re.IGNORECASE,
    ),
    re.compile(r"\bphoto:\s*[^/]{1,60}/\s*photo:", re.IGNORECASE),
    # A trailing credit ("... in Sochi. Credit: Jane Doe"); capitalised so prose rarely matches.
    re.compile(
        r"(?:^|\s)\(?(?:Photo|Photograph|Picture|Image|Credit|PHOTO|CREDIT)"
        r"(?:\s+(?:[Cc]redit|[Ss]ource|by))?\s*:\s*[A-Z][^.!?:]{0,59}\)?$"
    ),
)
_CREDIT_PREFIX_RE = re.compile(r"^(?:credits?|source|courtesy)\s*:", re.IGNORECASE)
_AGENCIES = (
    r"ap|afp|reuters|getty|getty images|epa|epa-efe|efe|xinhua|tass|ria novosti|sputnik|"
    r"anadolu|anadolu agency|aa|pa|pa media|pa wire|upi|shutterstock|istock|alamy|dpa|ians|pti|"
    r"ani|kyodo|yonhap|wikimedia commons|unsplash|ap photo|afp photo|reuters photo"
)
_LONE_CREDIT_RE = re.compile(
    rf"^(?:[\w .'’-]{{1,40}}\s*/\s*)?(?:{_AGENCIES})(?:\s+(?:archive|images|photo|photos|"
    r"file|file photo|via getty images))?$|^(?:file photo|archive photo|handout)$",
    re.IGNORECASE,
)
_AGENCY_TAIL_RE = re.compile(
    rf"\s(?:/|\||—|–)\s*(?:{_AGENCIES})(?:\s+(?:photo|images|archive))?\)?$", re.IGNORECASE
)
_BULLET_RE = re.compile(r"^(?:[•●▪◦‣►]\s*|[-*+]\s+)+")
_HEADING_RE = re.compile(r"^#{1,6}\s+(.*?)\s*#*$")
_MD_IMAGE_RE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK_RE = re.compile(r"\[([^\]\n]+)\]\((?:[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_SENTENCE_INSIDE_RE = re.compile(r"[.!?][\"”’')\]]*\s+\S")
_ENDS_SENTENCE = tuple(".!?…\"”’')]")
_WORD_RE = re.compile(r"\w+")


@dataclass
class _Line:
    text: str
    item: bool  # a list item or a heading: never joined with its neighbours


def _key(text: str) -> str:
    return " ".join(_WORD_RE.findall(text.casefold()))


def _is_boilerplate(line: str) -> bool:
    if not any(ch.isalnum() for ch in line):
        return True
    words = len(line.split())
    if words <= 8 and _key(line) in _BOILERPLATE:
        return True
    return words <= 40 and any(p.search(line) for p in _BOILER_RES)


def _is_caption(line: str) -> bool:
    if any(p.search(line) for p in _CAPTION_RES) or _AGENCY_TAIL_RE.search(line):
        return True
    return len(line.split()) <= 12 and _CREDIT_PREFIX_RE.match(line) is not None


def _is_lone_credit(line: str) -> bool:
    return len(line.split()) <= 8 and _LONE_CREDIT_RE.match(line.strip(" ()[]")) is not None


def _is_single_sentence(line: str, max_words: int) -> bool:
    return len(line.split()) <= max_words and not _SENTENCE_INSIDE_RE.search(line)


def _prepare_line(raw: str) -> _Line:
    line = " ".join(raw.split())
    line = _MD_LINK_RE.sub(r"\1", _MD_IMAGE_RE.sub("", line)).strip()
    heading = _HEADING_RE.match(line)
    if heading:
        return _Line(heading.group(1).strip(), True)
    stripped = _BULLET_RE.sub("", line)
    return _Line(stripped.strip(), stripped != line)


def _join_wrapped(lines: list[_Line]) -> list[str]:
    """Re-join hard-wrapped lines of one block; full lines stay separate paragraphs."""
    out: list[str] = []
    joinable = False
    for line in lines:
        if out and joinable and not line.item:
            out[-1] = f"{out[-1]} {line.text}"
        else:
            out.append(line.text)
        last = out[-1]
        # A wrapped line is long and stops mid-sentence (lower-case word, comma or hyphen).
        joinable = (
            not line.item and len(line.text) >= 50 and (last[-1:].islower() or last[-1:] in ",-")
        )
    return out


def _line_pass(text: str, found: dict[str, str]) -> list[str]:
    """Drop boilerplate, captions, credits and bylines line by line; return paragraphs."""
    blocks: list[list[_Line]] = [[]]
    for raw in text.split("\n"):
        line = _prepare_line(raw)
        if line.text:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    paragraphs: list[str] = []
    caption_may_follow = False
    for block in blocks:
        if not block:
            continue
        credits = [_is_lone_credit(line.text) for line in block]
        keep = [not c for c in credits]
        for i, line in enumerate(block):
            if not keep[i]:
                continue
            if _is_boilerplate(line.text) or _is_caption(line.text):
                keep[i] = False
            elif len(line.text.split()) <= 15 and (
                byline := _BYLINE_RE.match(line.text) or _STAFF_RE.match(line.text)
            ):
                found.setdefault("author", byline.group("name"))
                if "outlet" in byline.groupdict():
                    found.setdefault("outlet", byline.group("outlet"))
                keep[i] = False
            elif i + 1 < len(block) and credits[i + 1] and _is_single_sentence(line.text, 60):
                keep[i] = False  # a caption directly above its credit line
            elif i > 0 and credits[i - 1] and _is_single_sentence(line.text, 40):
                keep[i] = False  # ... or directly below it
        if caption_may_follow and len(block) == 1 and _is_single_sentence(block[0].text, 40):
            keep[0] = False  # a caption directly below a credit that stands alone
        caption_may_follow = all(credits)
        paragraphs.extend(_join_wrapped([line for line, k in zip(block, keep, strict=True) if k]))
    return paragraphs


def _headline_like(text: str) -> bool:
    return 0 < len(text.split()) <= 20 and len(text) <= 200 and not text.endswith((".", ",", ";"))


def _body_like(text: str) -> bool:
    return text.endswith(_ENDS_SENTENCE) or len(text.split()) > 25


def _similar(a: str, b: str) -> bool:
    wa, wb = set(_WORD_RE.findall(a.casefold())), set(_WORD_RE.findall(b.casefold()))
    return bool(wa and wb) and len(wa & wb) / min(len(wa), len(wb)) >= 0.6


def _is_bio(text: str, max_words: int) -> bool:
    return len(text.split()) <= max_words and _BIO_RE.match(text) is not None


def _paragraph_pass(paragraphs: list[str], title: str | None) -> tuple[str, list[str]]:
    """One pass of the document-level rules; returns (title, paragraphs)."""
    if title is None:
        first = paragraphs[0] if paragraphs else ""
        title = first if _headline_like(first) else ""
    title_key = _key(title)
    if title_key:
        paragraphs = [p for p in paragraphs if _key(p) != title_key]
        top = 0
        while top < len(paragraphs) and not _body_like(paragraphs[top]):
            if _headline_like(paragraphs[top]) and _similar(paragraphs[top], title):
                del paragraphs[top]
            else:
                top += 1
    top = 0
    while top < min(3, len(paragraphs)):  # an author bio near the top
        if _is_bio(paragraphs[top], 60):
            del paragraphs[top]
        else:
            top += 1
    seen: set[str] = set()
    unique: list[str] = []
    for p in paragraphs:
        key = " ".join(p.casefold().split())
        if len(p.split()) >= 3 and key in seen:
            continue
        seen.add(key)
        unique.append(p)
    # A lead paragraph repeated as the start of the next one.
    paragraphs = [
        p
        for i, p in enumerate(unique)
        if not (
            len(p.split()) >= 6
            and i + 1 < len(unique)
            and len(unique[i + 1]) > len(p)
            and unique[i + 1].startswith(p)
        )
    ]
    while paragraphs:
        last = paragraphs[-1]
        junk = len(last.split()) < 4 and not last.endswith(_ENDS_SENTENCE)
        if not (junk or _is_bio(last, 150)):
            break
        paragraphs.pop()
    return title, paragraphs


def _clean(raw: str, title: str | None) -> tuple[str, str, dict[str, str]]:
    found: dict[str, str] = {}
    text = _normalise(raw)
    given = None if title is None else " ".join(_normalise(title).split())
    for _ in range(_MAX_PASSES):
        # Later passes see the output of earlier ones; stop when nothing changes.
        given, paragraphs = _paragraph_pass(_line_pass(text, found), given)
        new_text = "\n\n".join(paragraphs)
        if new_text == text:
            break
        text = new_text
    return given or "", text, found


def clean_text(raw: str, *, title: str | None = None) -> tuple[str, str]:
    """Strip web boilerplate from an article's plain text.

    Args:
        raw: The article text as decoded from the file.
        title: The known title; when None, the first line is taken if it looks like a
            headline (short, no final period). An empty string means "no title, don't guess".

    Returns:
        ``(title, body)``: the title ("" when none) and the cleaned body, whose paragraphs are
        separated by one blank line. ``clean_text(body, title=title)`` returns the same body.
    """
    title_out, body, _ = _clean(raw, title)
    return title_out, body


# ---------------------------------------------------------------------------------------------
# Loading


def _fallback_title(body: str, path: Path) -> str:
    words = body.split("\n", 1)[0].split()
    if not words:
        return path.stem
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")


def _document_from_bytes(
    data: bytes, *, path: Path, rel: str, metadata: Mapping[str, str] | None
) -> Document | None:
    text = decode_bytes(data)
    guessed: dict[str, str] = {}
    front: dict[str, str] = {}
    hint = ""
    if path.suffix.lower() in _HTML_SUFFIXES:
        hint, text, guessed = _extract_html(text)
    else:
        front, text = parse_front_matter(text)
    sidecar = _meta_values(metadata or {})
    given = sidecar.get("title") or front.get("title") or hint or None
    title, body, found = _clean(text, given)
    if not body:
        return None
    merged = {**found, **guessed, **front, **sidecar}
    merged.pop("title", None)
    return Document(
        doc_id=rel,
        title=title or _fallback_title(body, path),
        text=body,
        source_path=_safe_name(str(path)),
        metadata=merged,
    )


def load_document(path: Path, *, root: Path, metadata: Mapping[str, str] | None = None) -> Document:
    """Load and clean one file of the corpus.

    Args:
        path: The file; must be inside ``root``.
        root: The corpus folder; the document id is the path relative to it (posix style).
        metadata: Sidecar metadata for this file; it wins over front matter and guesses.

    Raises:
        CorpusError: The file is outside ``root``, unreadable, binary or has no text.
    """
    root_abs = Path(os.path.abspath(root))
    path_abs = Path(os.path.abspath(path))
    try:
        rel = _safe_name(path_abs.relative_to(root_abs).as_posix())
    except ValueError:
        raise CorpusError(f"{path} is not inside the corpus folder {root}") from None
    try:
        data = path_abs.read_bytes()
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if _looks_binary(data):
        raise CorpusError(f"{path} is a binary file (NUL byte)")
    doc = _document_from_bytes(data, path=path_abs, rel=rel, metadata=metadata)
    if doc is None:
        raise CorpusError(f"{path} has no text after cleaning")
    return doc


def _looks_binary(data: bytes) -> bool:
    head = data[:_BINARY_SNIFF_BYTES]
    has_bom = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    return b"\x00" in head and not has_bom  # UTF-16/32 text is full of NULs


def _read_limited(path: Path, limit: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(limit + 1)


def _walk(root: Path) -> tuple[list[tuple[Path, str]], list[SkippedFile]]:
    """The supported files under ``root`` (sorted) and what was passed over on the way."""
    found: list[tuple[Path, str]] = []
    skipped: list[SkippedFile] = []

    def visit(folder: Path) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            rel = _safe_name(folder.relative_to(root).as_posix())
            skipped.append(SkippedFile(rel, f"unreadable: {exc.strerror or exc}"))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            # Names that are not UTF-8 (old archives) get a readable id that JSON can store.
            rel = _safe_name(path.relative_to(root).as_posix())
            if entry.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    skipped.append(SkippedFile(rel, "unreadable: broken symlink"))
                    continue
                if not target.is_relative_to(root):
                    skipped.append(SkippedFile(rel, "symlink leaves the corpus"))
                    continue
                if target.is_dir():
                    continue  # its target is inside the corpus and walked there
            if entry.is_dir():
                visit(path)
            elif rel == SIDECAR_NAME:
                continue
            elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
                skipped.append(SkippedFile(rel, f"unsupported file type ({path.suffix or '-'})"))
            elif not entry.is_file():
                skipped.append(SkippedFile(rel, "not a regular file"))
            else:
                found.append((path, rel))

    visit(root)
    return found, skipped


def _load_one(
    path: Path, rel: str, max_bytes: int, metadata: Mapping[str, str] | None
) -> tuple[Document | None, str, bytes]:
    """Return (document, "", raw bytes) or (None, reason it was skipped, b"")."""
    try:
        size = path.stat().st_size
        if size > max_bytes:  # before reading: a huge file never gets into memory
            return None, f"larger than {max_bytes} bytes", b""
        data = _read_limited(path, max_bytes)
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}", b""
    if len(data) > max_bytes:
        return None, f"larger than {max_bytes} bytes", b""
    if not data:
        return None, "empty file", b""
    if _looks_binary(data):
        return None, "binary file (NUL byte)", b""
    doc = _document_from_bytes(data, path=path, rel=rel, metadata=metadata)
    return doc, "" if doc else "no text after cleaning", data


def load_corpus(
    corpus_dir: str | Path, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> CorpusLoad:
    """Load every supported file under a folder as a cleaned ``Document``.

    The folder is walked recursively in sorted order; hidden files and folders and the
    ``metadata.json`` sidecar are not documents. Files that cannot be used are listed in
    ``skipped`` and the load goes on. Symlinks are followed only when they stay inside the
    folder; symlinked folders are not walked twice.

    Args:
        corpus_dir: The corpus folder.
        max_file_bytes: Files larger than this are skipped without being read.

    Raises:
        CorpusError: The folder is missing, not a folder, holds no supported file, no file
            yields text, or ``metadata.json`` is malformed.
        ValueError: ``max_file_bytes`` is not positive.
    """
    if max_file_bytes <= 0:
        raise ValueError(
            f"max_file_bytes must be greater than 0. Currently, it is {max_file_bytes}"
        )
    given = Path(corpus_dir).expanduser()
    if not given.exists():
        raise CorpusError(f"corpus folder not found: {given}")
    if not given.is_dir():
        raise CorpusError(f"corpus path is not a folder: {given}")
    root = given.resolve()
    sidecar = _read_sidecar(root)
    candidates, skipped = _walk(root)
    if not candidates:
        raise CorpusError(f"no supported files ({', '.join(SUPPORTED_SUFFIXES)}) in {given}")
    documents: list[Document] = []
    hashes: dict[str, str] = {}
    for path, rel in candidates:
        doc, reason, data = _load_one(path, rel, max_file_bytes, sidecar.get(rel))
        if doc is not None and rel in hashes:
            doc, reason = None, "another file has the same name once decoded"
        if doc is None:
            skipped.append(SkippedFile(rel, reason))
            continue
        documents.append(doc)
        hashes[rel] = hashlib.sha256(data).hexdigest()
    if not documents:
        raise CorpusError(
            f"no text found in {given}: all {len(candidates)} supported files were skipped"
        )
    return CorpusLoad(
        documents=tuple(sorted(documents, key=lambda d: d.doc_id)),
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        file_hashes=dict(sorted(hashes.items())),
    )
