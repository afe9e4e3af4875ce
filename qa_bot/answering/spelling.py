"""Misspelt question words, corrected against the words of the indexed articles.

"Wat did Putn say about Trmp at Valdai?" embeds far from every passage and names two people
the articles never mention, so the bot would say the articles hold no answer: an untrue
refusal. A question word is corrected only when it is unknown twice over, to the articles and
to an English word list (symspellpy's bundled frequency dictionary), and then only to a word of
the articles (SymSpell lookup) that:

- starts with the same letter (first letters are rarely mistyped, and this keeps "Harris" from
  becoming "Paris"),
- is one edit away, or two for words of ``long_word`` letters or more,
- is the closest such word, the most frequent one on a tie.

Short words (under ``min_length`` letters) are left alone: "wat" is too close to too much.
A name the articles do not know and that is not near one of their words stays as it is, so the
abstention check still sees it (see question_type.py). The correction is visible: the answer's
``query`` is what was searched, and the chat shows it.

Thread-safety: a ``Speller`` is read-only once built.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from symspellpy import SymSpell, Verbosity

__all__ = ["Speller"]

# Letters only: "elite's" is "elite" and "s", so a possessive is never taken for a misspelling.
_WORD = re.compile(r"[^\W\d_]+")
_ENGLISH = "frequency_dictionary_en_82_765.txt"


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    text = (resources.files("symspellpy") / _ENGLISH).read_text(encoding="utf-8")
    return frozenset(line.split(" ", 1)[0] for line in text.splitlines() if line)


class Speller:
    """Corrects the misspelt words of a question to words of ``texts`` (see the module doc).

    Args:
        texts: The texts whose words are the vocabulary (passages, headlines).
        min_length: Words shorter than this are never corrected.
        long_word: Words at least this long may be two edits away from their correction.
    """

    def __init__(self, texts: Iterable[str], *, min_length: int = 4, long_word: int = 8) -> None:
        if min_length < 2 or long_word < min_length:
            raise ValueError(
                "min_length must be at least 2 and long_word at least min_length. Currently, "
                f"min_length is {min_length} and long_word is {long_word}"
            )
        self.min_length = min_length
        self.long_word = long_word
        forms: Counter[str] = Counter()
        for text in texts:
            forms.update(_WORD.findall(text))
        counts: Counter[str] = Counter()
        # The usual spelling of each word in the articles ("Putin", "sanctions").
        self._form: dict[str, str] = {}
        for form, count in forms.most_common():
            key = form.lower()
            counts[key] += count
            self._form.setdefault(key, form)
        self._symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in counts.items():
            if len(word) >= min_length:
                self._symspell.create_dictionary_entry(word, count)

    def known(self, word: str) -> bool:
        """Whether ``word`` is a word of the articles or of English."""
        key = word.lower()
        return key in self._form or key in _english_words()

    def suggest(self, word: str) -> str | None:
        """The articles' word ``word`` is taken to be a misspelling of, if any."""
        key = word.lower()
        if len(key) < self.min_length or self.known(key):
            return None
        distance = 2 if len(key) >= self.long_word else 1
        found = [
            s
            for s in self._symspell.lookup(key, Verbosity.ALL, max_edit_distance=distance)
            if s.term[0] == key[0]
        ]
        if not found:
            return None
        best = max(found, key=lambda s: (-s.distance, s.count, s.term))
        form = self._form[best.term]
        return form[0].upper() + form[1:] if word[0].isupper() else form

    def correct(self, question: str) -> str:
        """``question`` with its misspelt words replaced; unchanged when there are none."""

        def fix(match: re.Match[str]) -> str:
            return self.suggest(match.group()) or match.group()

        return _WORD.sub(fix, question)
