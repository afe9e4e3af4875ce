"""Find the corpus files, decode them, read their metadata and build cleaned documents.

Everything here is deterministic and offline. The cleaning rules (web boilerplate, captions,
bylines, HTML extraction) live in :mod:`qa_bot.ingest.cleaning`; ``clean_text`` is re-exported here.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa_bot.errors import CorpusError
from qa_bot.ingest.cleaning import clean_text as clean_text  # re-exported for existing callers
from qa_bot.ingest.cleaning import clean_with_metadata, html_to_text, normalise_text
from qa_bot.models import Document

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
DEFAULT_MAX_FILE_BYTES = 5_000_000
SIDECAR_NAME = "metadata.json"

_HTML_SUFFIXES = (".html", ".htm")
_BINARY_SNIFF_BYTES = 8192


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
            return normalise_text(data[len(bom) :].decode(encoding, errors="replace"))
    try:
        return normalise_text(data.decode("utf-8"))
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
                return normalise_text(str(best))
        except Exception:  # a detector failure must not stop the corpus load
            pass
    return normalise_text(data.decode("utf-8", errors="qa_bot.cp1252"))


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


def _extract_html(html: str) -> tuple[str, str, dict[str, str]]:
    """Return (title, text, metadata) of an HTML page; text lines are paragraphs."""
    title, text, raw = html_to_text(html)
    return title, text, _meta_values(raw)


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
    # Plain text and Markdown lost their markup: their blocks are also classed by what they
    # are; trafilatura has already done that for HTML.
    classify = path.suffix.lower() not in _HTML_SUFFIXES
    title, body, found = clean_with_metadata(text, given, classify=classify)
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


@dataclass(frozen=True)
class CorpusFile:
    """One supported file of a corpus folder, before it is read (see ``list_corpus``)."""

    path: str  # absolute
    rel: str  # its name in the corpus: the document id
    metadata: Mapping[str, str] | None  # its entry in the metadata.json sidecar, if any


@dataclass(frozen=True)
class CorpusListing:
    """The files of a corpus folder to read, and what the walk passed over."""

    folder: Path  # as given
    files: tuple[CorpusFile, ...]
    skipped: tuple[SkippedFile, ...]


@dataclass(frozen=True)
class FileLoad:
    """One file read and cleaned: its document and the sha256 of its bytes, or why not."""

    rel: str
    document: Document | None
    reason: str
    sha256: str


def list_corpus(corpus_dir: str | Path) -> CorpusListing:
    """Walk a corpus folder: the supported files (sorted) with their sidecar metadata.

    The first step of ``load_corpus``; a distributed build reads the files elsewhere with
    ``load_file`` and puts the results together with ``assemble_corpus``.

    Raises:
        CorpusError: The folder is missing, not a folder, holds no supported file, or
            ``metadata.json`` is malformed.
    """
    given = check_corpus_dir(corpus_dir)
    root = given.resolve()
    sidecar = _read_sidecar(root)
    candidates, skipped = _walk(root)
    if not candidates:
        raise CorpusError(f"no supported files ({', '.join(SUPPORTED_SUFFIXES)}) in {given}")
    files = tuple(CorpusFile(str(path), rel, sidecar.get(rel)) for path, rel in candidates)
    return CorpusListing(given, files, tuple(skipped))


def load_file(file: CorpusFile, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> FileLoad:
    """Read, decode and clean one corpus file (never raises for a bad file: ``reason`` says)."""
    doc, reason, data = _load_one(Path(file.path), file.rel, max_file_bytes, file.metadata)
    return FileLoad(file.rel, doc, reason, hashlib.sha256(data).hexdigest() if doc else "")


def assemble_corpus(listing: CorpusListing, loads: list[FileLoad]) -> CorpusLoad:
    """The ``CorpusLoad`` of a listing from its files' loads, one per file in listing order.

    Raises:
        CorpusError: no file yields text.
    """
    skipped = list(listing.skipped)
    documents: list[Document] = []
    hashes: dict[str, str] = {}
    for file, load in zip(listing.files, loads, strict=True):
        doc, reason = load.document, load.reason
        if doc is not None and file.rel in hashes:
            doc, reason = None, "another file has the same name once decoded"
        if doc is None:
            skipped.append(SkippedFile(file.rel, reason))
            continue
        documents.append(doc)
        hashes[file.rel] = load.sha256
    if not documents:
        raise CorpusError(
            f"no text found in {listing.folder}: all {len(listing.files)} supported files "
            "were skipped"
        )
    return CorpusLoad(
        documents=tuple(sorted(documents, key=lambda d: d.doc_id)),
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        file_hashes=dict(sorted(hashes.items())),
    )


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


def check_corpus_dir(corpus_dir: str | Path) -> Path:
    """The corpus folder (user folder expanded) if it exists and is a folder.

    Raises:
        CorpusError: it does not exist, or is not a folder.
    """
    given = Path(corpus_dir).expanduser()
    if not given.exists():
        raise CorpusError(f"corpus folder not found: {given.absolute()}")
    if not given.is_dir():
        raise CorpusError(f"corpus path is not a folder: {given.absolute()}")
    return given


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
    listing = list_corpus(corpus_dir)
    return assemble_corpus(listing, [load_file(f, max_file_bytes) for f in listing.files])
