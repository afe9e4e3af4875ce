"""Near-duplicate articles: the same story run by several outlets, or a page saved twice.

Each document's body is cut into word shingles (5 consecutive words, lower-cased); a MinHash of
them estimates the Jaccard similarity of two documents, and locality-sensitive hashing
(``datasketch.MinHashLSH``) finds the candidate pairs without comparing every pair. A pair whose
estimated similarity reaches the threshold is a duplicate; groups are the connected pairs. A
syndicated copy with its own headline and byline and a trimmed last paragraph keeps most of its
shingles (the headline is not in ``Document.text``; a byline or a paragraph is a few shingles out
of hundreds), so it is found; two different stories on one topic share few 5-word runs and are
not.

The copy kept is the longest text (the least trimmed), then the first ``doc_id``; the build
indexes only its passages and records the others beside it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qa_bot.models import Document

DEFAULT_THRESHOLD = 0.5
NUM_PERM = 128
SHINGLE_WORDS = 5
_SEED = 1  # fixed: the same corpus always gives the same groups
_BATCH = 4096
_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class DuplicateGroup:
    """Documents that tell the same story: ``kept`` is indexed, ``copies`` are not."""

    kept: Document
    copies: tuple[Document, ...]


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The set of ``size``-word runs of ``text`` (lower-cased words; the whole text if shorter)."""
    words = [w.lower() for w in _WORD_RE.findall(text)]
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def find_duplicates(
    documents: Sequence[Document], *, threshold: float = DEFAULT_THRESHOLD
) -> tuple[DuplicateGroup, ...]:
    """The groups of near-duplicate documents (each with at least one copy), in ``doc_id`` order
    of their kept document.

    Raises:
        ValueError: ``threshold`` is not in (0, 1].
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1]. Currently, it is {threshold}")
    if len(documents) < 2:
        return ()
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    hashes: dict[int, Any] = {}
    for i, document in enumerate(documents):
        runs = shingles(document.text)
        if runs:
            minhash = MinHash(num_perm=NUM_PERM, seed=_SEED)
            in_order = sorted(runs)
            # In slices: update_batch holds a (shingles x permutations) array of 64-bit hashes,
            # 1 GB for the million shingles of a 5 MB file at once.
            for start in range(0, len(in_order), _BATCH):
                batch = in_order[start : start + _BATCH]
                minhash.update_batch([s.encode("utf-8") for s in batch])
            hashes[i] = minhash
            lsh.insert(str(i), minhash)
    parent = list(range(len(documents)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, minhash in hashes.items():
        for key in lsh.query(minhash):
            j = int(key)
            # LSH gives candidates; the MinHash estimate of the similarity decides.
            if j != i and minhash.jaccard(hashes[j]) >= threshold:
                parent[root(i)] = root(j)
    members: dict[int, list[Document]] = {}
    for i, document in enumerate(documents):
        members.setdefault(root(i), []).append(document)
    groups = []
    for group in members.values():
        if len(group) > 1:
            ordered = sorted(group, key=lambda d: (-len(d.text), d.doc_id))
            groups.append(DuplicateGroup(ordered[0], tuple(sorted(ordered[1:], key=_doc_id))))
    return tuple(sorted(groups, key=lambda g: g.kept.doc_id))


def _doc_id(document: Document) -> str:
    return document.doc_id
