"""Turn an article's raw text (plain, Markdown or HTML) into clean paragraphs.

Everything here is deterministic and offline. The text cleaning works on lines and paragraphs
with general rules (navigation/footer/share lines, captions and credits, bylines, author bios,
repeated headlines and leads); nothing names a particular site. Finding, decoding and reading
the metadata of corpus files is :mod:`qa_bot.ingest.corpus`'s job.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

_MAX_PASSES = 10

# ---------------------------------------------------------------------------------------------
# Normalisation

_LINE_BREAKS_RE = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_INVISIBLE_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff]")
_ODD_SPACES_RE = re.compile("[\u00a0\u2007\u202f]")


def normalise_text(text: str) -> str:
    """Normalise decoded text: "\\n" newlines, NFC, no invisible characters or odd spaces."""
    text = _LINE_BREAKS_RE.sub("\n", text)
    # Invisible characters go before NFC so that NFC can compose what they separated.
    text = _INVISIBLE_RE.sub("", _ODD_SPACES_RE.sub(" ", text))
    return unicodedata.normalize("NFC", text)


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


def html_to_text(html: str) -> tuple[str, str, dict[str, str]]:
    """Extract the article of an HTML page, with trafilatura or a plain fallback parser.

    Returns:
        ``(title, text, metadata)``: the page title, its text with paragraphs separated by
        blank lines, and the raw metadata strings trafilatura found (``author``, ``outlet``,
        ``date``, ``url``), not yet normalised.
    """
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
        meta = {"outlet" if k == "sitename" else k: v for k, v in strings.items()}
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
    # A photographer's or illustrator's credit line ("Photographs by Karl Holm").
    re.compile(
        rf"^(?:photo(?:graph)?s|pictures|illustrations?|video|images)\s+by\s+{_NAME}$",
        re.IGNORECASE,
    ),
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
_MD_STRONG_RE = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
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
    line = _MD_STRONG_RE.sub(r"\1", line)
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
        if out and joinable and not line.item and _key(line.text) not in _key(out[-1]):
            out[-1] = f"{out[-1]} {line.text}"
        else:
            out.append(line.text)
        last = out[-1]
        # A wrapped line is long and stops mid-sentence (lower-case word, comma or hyphen).
        joinable = (
            not line.item and len(line.text) >= 50 and (last[-1:].islower() or last[-1:] in ",-")
        )
    return out


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "january jan",
            "february feb",
            "march mar",
            "april apr",
            "may",
            "june jun",
            "july jul",
            "august aug",
            "september sep sept",
            "october oct",
            "november nov",
            "december dec",
        ),
        start=1,
    )
    for name in names.split()
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_RES = (
    re.compile(
        rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b", re.I
    ),
    re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<year>(?:19|20)\d\d)\b", re.I
    ),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)(?!\d)"),
)
# "Published March 4, 2025", "Posted on July 14, 2024 by Ellen Price", "Updated 6:40 p.m. ..."
_DATELINE_RE = re.compile(
    r"^(?:first\s+)?(?:posted|published|updated|last updated)\b(?:\s+(?:on|at))?:?\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
# A wire dateline opening the story: "DES MOINES, Iowa, April 9, 2025 — ..."
_WIRE_DATELINE_RE = re.compile(
    r"^[A-Z][A-Z .'’-]{2,}(?:,\s*[A-Z][\w.]*(?:\s[A-Z][\w.]*)*)?,\s+(?P<rest>[^—–]{6,40})\s+[—–-]"
)
_TRAILING_BY_RE = re.compile(rf"\bby\s+(?P<name>{_NAME})\s*$")


def parse_date(text: str) -> str:
    """The first calendar date written in ``text`` as ``YYYY-MM-DD``, or ``""``."""
    import datetime

    for pattern in _DATE_RES:
        for match in pattern.finditer(text):
            month = match.group("month")
            number = int(month) if month.isdigit() else _MONTHS[month.casefold()]
            try:
                day = datetime.date(int(match.group("year")), number, int(match.group("day")))
            except ValueError:
                continue
            return day.isoformat()
    return ""


def _note_dateline(line: str, found: dict[str, str]) -> None:
    """Publication date (and author) of a "Published ..." line or a wire dateline."""
    if len(line.split()) > 15 and not _WIRE_DATELINE_RE.match(line):
        return
    match = _DATELINE_RE.match(line) or _WIRE_DATELINE_RE.match(line)
    if match is None:
        return
    when = parse_date(match.group("rest"))
    if when:
        found.setdefault("date", when)
    by = _TRAILING_BY_RE.search(match.group("rest"))
    if by and _DATELINE_RE.match(line):
        found.setdefault("author", by.group("name"))


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
            _note_dateline(line.text, found)
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


def _doubled_headline(paragraphs: list[str]) -> int | None:
    """Where a headline printed twice among the lines above the body first appears."""
    top: list[int] = []
    for i, p in enumerate(paragraphs):
        if _body_like(p):
            break
        top.append(i)
    keys = [_key(paragraphs[i]) for i in top]
    for i in top:
        if len(paragraphs[i].split()) >= 3 and keys.count(_key(paragraphs[i])) > 1:
            return i if _headline_like(paragraphs[i]) else None
    return None


def _masthead_pass(paragraphs: list[str], found: dict[str, str]) -> tuple[str | None, list[str]]:
    """A headline printed twice under a few short lines unlike it (the site's masthead, "The
    Baltic Courier"): the headline is the title, the lines above it go, and a "Name, <masthead>"
    byline gives the author and the outlet."""
    at = _doubled_headline(paragraphs)
    if not at:  # none, or the headline is the first line: nothing above it
        return None, paragraphs
    headline = paragraphs[at]
    mastheads = {
        _key(p): p
        for p in paragraphs[:at]
        if _headline_like(p) and len(p.split()) <= 6 and not _similar(p, headline)
    }
    if len(mastheads) != at:  # a longer line or another version of the headline: not a masthead
        return None, paragraphs
    rest = paragraphs[at:]
    for i, p in enumerate(rest[:4]):
        name, sep, outlet = p.rpartition(", ")
        if sep and _key(outlet) in mastheads and re.fullmatch(_NAME, name):
            found.setdefault("author", name)
            found.setdefault("outlet", mastheads[_key(outlet)])
            del rest[i]
            break
    return headline, rest


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


# ---------------------------------------------------------------------------------------------
# Blocks by what they are (plain text and Markdown)
#
# jusText's idea (Pomikálek 2011), adapted to text that has lost its markup: each block (a
# paragraph after the line pass) is classed by its own properties, then short and borderline
# blocks take the class of their context. The jusText library itself works on HTML and, run on
# plain-text paragraphs, classes real news paragraphs dense in names as boilerplate (measured on
# the seed articles), so the classes are computed here with its English stop-word list and
# thresholds fitted to news prose:
#   bad       no words; items joined by separators like a menu or footer ("A | B | C"); ©; a
#             sentence block with very few stop words (a list of names or tags); a call to action
#             (every sentence opens with an imperative such as "Subscribe", "Sign up", "Enter")
#   short     not a sentence (no final . ! ? …) or under 4 words: headlines, labels, menu items
#   good      a sentence block of 15+ words with stop-word density >= 0.2
#   neargood  the other sentence blocks (short paragraphs, one-line quotes)
# Context: a run of short blocks stays when good text is on both sides, or when it is a single
# block next to good text; otherwise it goes (related-headline lists, menus, newsletter boxes;
# the document's edges count as bad here). Then a near-good block stays unless the nearest
# good-or-bad blocks on both sides are bad (the end of the text counts as bad, its top does
# not). A text with no good block at all keeps everything but the blocks bad on their own; a
# text that is not English prose (under 15% English stop words overall) is not classified.
# The headline of a page that lost its markup is found among the short blocks above the body:
# the one repeated, else the longest headline-like one.

_SEPARATED_RE = re.compile(r"\S\s+(?:\||•|·|»|›|>)\s+\S")
_CTA_VERBS = frozenset(
    (
        *("subscribe", "sign", "enter", "get", "join", "follow", "share", "download"),
        *("support", "click", "tap", "register", "donate"),
    )
)
# A call to action speaks to the reader, or names what it sells.
_CTA_SIGNALS = frozenset(
    ("you", "your", "our", "us", "here", "now", "today", "free", "newsletter", "email", "inbox")
)
_CLOSERS = "\"”’')]*_ "
_STOPWORDS: frozenset[str] = frozenset()
_MIN_ENGLISH_DENSITY = 0.15


def _stop_words() -> frozenset[str]:
    global _STOPWORDS
    if not _STOPWORDS:
        import justext

        _STOPWORDS = frozenset(w.casefold() for w in justext.get_stoplist("English"))
    return _STOPWORDS


def _is_sentence(text: str) -> bool:
    return text.rstrip(_CLOSERS).endswith((".", "!", "?", "…"))


def _is_call_to_action(text: str, words: list[str]) -> bool:
    if len(words) > 25 or text.lstrip()[:1] in "\"“‘'":  # a quote is someone speaking
        return False
    if not any(w.casefold() in _CTA_SIGNALS for w in words):
        return False
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    return all(
        (first := _WORD_RE.findall(sentence)[:1]) and first[0].casefold() in _CTA_VERBS
        for sentence in sentences
    )


def block_class(text: str) -> str:
    """The class of one block on its own: ``good``, ``neargood``, ``short`` or ``bad``."""
    words = _WORD_RE.findall(text)
    if not words or "©" in text:
        return "bad"
    if _SEPARATED_RE.search(text) and not _is_sentence(text):
        return "bad"
    if not _is_sentence(text) or len(words) < 4:
        return "short"
    stop = sum(w.casefold() in _stop_words() for w in words) / len(words)
    if stop < 0.1 or _is_call_to_action(text, words):
        return "bad"
    return "good" if len(words) >= 15 and stop >= 0.2 else "neargood"


def _neighbour(classes: list[str], start: int, step: int, edge: str = "bad") -> str:
    i = start
    while 0 <= i < len(classes):
        if classes[i] in ("good", "bad"):
            return classes[i]
        i += step
    return edge


def classify_blocks(paragraphs: list[str]) -> list[str]:
    """The final class of each block, ``good`` (kept) or ``bad``, after context smoothing."""
    words = [w.casefold() for p in paragraphs for w in _WORD_RE.findall(p)]
    if not words or sum(w in _stop_words() for w in words) / len(words) < _MIN_ENGLISH_DENSITY:
        return ["good"] * len(paragraphs)  # not English prose: the stop words say nothing
    classes = [block_class(p) for p in paragraphs]
    if "good" not in classes:  # nothing article-like: leave the text to the line rules
        return ["bad" if c == "bad" else "good" for c in classes]
    # Runs of short blocks first, judged by the nearest good or bad blocks around the run
    # (near-good ones are weak evidence and are skipped, as in jusText).
    out = list(classes)
    i = 0
    while i < len(classes):
        if classes[i] != "short":
            i += 1
            continue
        j = i
        while j < len(classes) and classes[j] == "short":
            j += 1
        before, after = _neighbour(classes, i - 1, -1), _neighbour(classes, j, 1)
        keep = (before == after == "good") or (j - i == 1 and "good" in (before, after))
        for k in range(i, j):
            out[k] = "good" if keep else "bad"
        i = j
    # Then near-good blocks, by their neighbours as now classed (the top of the document is no
    # evidence, a lead stands there; its end counts as bad, where footers pile up).
    for i, cls in enumerate(classes):
        if cls == "neargood":
            before, after = _neighbour(out, i - 1, -1, "edge"), _neighbour(out, i + 1, 1)
            out[i] = "bad" if before == after == "bad" else "good"
    return out


def _headline_above_body(paragraphs: list[str], classes: list[str]) -> str:
    """The headline among the short blocks above the first kept block: repeated, else longest."""
    top: list[str] = []
    for text, cls in zip(paragraphs, classes, strict=True):
        if cls in ("good", "neargood"):
            break
        if cls == "short" and _headline_like(text) and len(text.split()) >= 3:
            top.append(text)
    # Repeated, or repeated inside another line ("Thread: <headline>" above "<headline>").
    keys = [_key(t) for t in top]
    exact = [t for t, key in zip(top, keys, strict=True) if keys.count(key) > 1]
    if exact:
        return exact[0]
    repeated = [t for t in top if sum(_key(t) in _key(u) for u in top) > 1]
    if repeated:
        return min(repeated, key=len)
    return max(top, key=lambda t: len(t.split()), default="")


def _classify_pass(paragraphs: list[str], title: str | None) -> tuple[str | None, list[str]]:
    classes = classify_blocks(paragraphs)
    if title is None and paragraphs and classes[0] == "bad":
        title = _headline_above_body(paragraphs, [block_class(p) for p in paragraphs]) or None
    return title, [p for p, c in zip(paragraphs, classes, strict=True) if c == "good"]


def clean_with_metadata(
    raw: str, title: str | None, *, classify: bool = False
) -> tuple[str, str, dict[str, str]]:
    """Like :func:`clean_text`, also returning the metadata read from dropped bylines.

    ``classify``: also drop the blocks that are boilerplate by what they are
    (:func:`classify_blocks`; for plain text and Markdown, whose markup is gone).

    Returns:
        ``(title, body, found)``: ``found`` may hold ``author`` and ``outlet``.
    """
    found: dict[str, str] = {}
    text = normalise_text(raw)
    given = None if title is None else " ".join(normalise_text(title).split())
    if given is None or classify:
        paragraphs = _line_pass(text, found)  # once, for both passes below
        masthead = None
        if given is None:
            masthead, paragraphs = _masthead_pass(paragraphs, found)
            given = masthead
        if classify:
            given, paragraphs = _classify_pass(paragraphs, given)
        if classify or masthead is not None:
            text = "\n\n".join(paragraphs)
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
    title_out, body, _ = clean_with_metadata(raw, title)
    return title_out, body
