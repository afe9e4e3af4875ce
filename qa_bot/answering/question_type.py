"""What a question names and what kind of answer it asks for: the cues behind abstaining.

A bi-encoder scores "How much are Russia's reserves worth?" high against a sentence about the
reserves that gives no figure, and "What did NATO's secretary general say?" high against a
sentence about what someone else said. These checks catch such questions, on topic but not
answered by the articles:

- names: the question's names ("NATO", "Harris", "Brazil") must occur in the passages the answer
  would quote, their headlines or their articles' outlet/author;
- whose words: a question asking what a named person said or thinks ("What did Markov say
  about ...?", "What was Peskov’s reaction ...?") is answered only when its leading sentence
  comes from a passage naming them, or from their own article (outlet or author); when they
  wrote one of the articles read, only that article is quoted (answer.py);
- the kind of answer: a question asking for a quantity ("how many", "how much money", "what
  share") needs a sentence with a number the question does not already give, one asking for a
  date or year ("what date", "which year") a sentence with a date, one asking for a duration
  ("how long") a sentence with a number, a date or a "since".

All are deliberately narrow: a question word alone like "when" or "who" is not enough ("Who
is the audience for the flattery?" is answered by "domestic audiences"). Not caught: questions
whose answer would be a name ("Who did Trump choose as CIA director?" against a sentence saying
Moscow watches that post); a check for a new capitalised word did not separate them, since
news sentences nearly always have one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from qa_bot.answering.abbreviations import canonical

# Capitalised words that are not names: question words, auxiliaries, pronouns.
_NOT_NAMES = frozenset(
    [
        "what",
        "why",
        "how",
        "who",
        "whom",
        "whose",
        "which",
        "when",
        "where",
        "does",
        "did",
        "do",
        "is",
        "are",
        "was",
        "were",
        "could",
        "would",
        "should",
        "can",
        "has",
        "have",
        "had",
        "in",
        "on",
        "at",
        "according",
        "and",
        "but",
        "or",
        "i",
        "the",
        "a",
        "an",
        "if",
        "since",
        "after",
        "before",
        "as",
        "during",
        "for",
        "from",
        "of",
        "to",
        "with",
    ]
)
_NAME = re.compile(r"\b[A-Z][\w-]*")
_POSSESSIVE = re.compile(r"[’']s\b")
_FIRST_WORD = re.compile(r"^\W*([A-Za-z][\w-]*)")

_ASKS_NUMBER = re.compile(
    r"\bhow\s+many\b"
    r"|\bhow\s+much\b(?!\s+(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could)\b)"
    r"|\bhow\s+much\b.*\b(?:worth|cost|costs|spend|spent|pay|paid|dollars|euros|roubles|rubles)\b"
    r"|\bwhat\s+(?:number|percentage|share|proportion|amount|sum|figure|price|cost)\b"
    r"|\bwhich\s+number\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"\b(?:what|which)\s+(?:date|day|year|month)\b|\bin\s+what\s+year\b|\bon\s+what\s+day\b",
    re.IGNORECASE,
)
_ASKS_DURATION = re.compile(r"\bhow\s+long\b", re.IGNORECASE)
# "When did Ignatov resign?", not "When the embargo ended, what did Japan do?" (a when-clause
# before the real question).
_ASKS_TIME = re.compile(
    r"^\W*when\b(?![^?]*,\s*(?:what|which|who|whom|how|where|why)\b)", re.IGNORECASE
)
_SINCE = re.compile(r"\bsince\b", re.IGNORECASE)
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    "hundred hundreds thousand thousands million millions billion billions trillion dozen dozens "
    "half quarter percent"
)
_HAS_NUMBER = re.compile(
    rf"\d+(?:[.,]\d+)*|\b(?:{'|'.join(_NUMBER_WORDS.split())})\b", re.IGNORECASE
)
_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday "
    "saturday sunday yesterday today tomorrow"
)
_HAS_DATE = re.compile(
    rf"\b(?:1[6-9]|20)\d\d\b|\b(?:{'|'.join(_MONTHS.split())})\b"
    r"|\b(?:last|next|this)\s+(?:week|month|year|spring|summer|autumn|fall|winter)\b",
    re.IGNORECASE,
)
# What answers "when": a date, or a year of any age ("in 911", "the 1050s"), a century, "ago",
# or an event the time is told by ("after the election", "during his first term").
_HAS_TIME = re.compile(
    r"\b\d{3,4}s?\b|\b\d{1,2}(?:st|nd|rd|th)\b[\w\s-]{0,20}?\bcentur(?:y|ies)\b|\bago\b"
    r"|\b(?:after|before|during|until|till|since|following)\s+(?:the|his|her|their|its|a|an)\b",
    re.IGNORECASE,
)


def question_names(question: str) -> list[str]:
    """Capitalised words of a question that look like names ("NATO", "Harris", "India").

    The first word is capitalised anyway, so it counts only when written in capitals ("EU").
    """
    text = _POSSESSIVE.sub("", question)
    first = _FIRST_WORD.match(text)
    skip = first.start(1) if first and not first.group(1).isupper() else -1
    return [
        m.group(0)
        for m in _NAME.finditer(text)
        if m.start() != skip and m.group(0).lower() not in _NOT_NAMES
    ]


# Countries are named several ways: "British" in a question, "UK" in the article.
_ALIASES = [
    ("us", "u.s", "usa", "america", "american", "united states"),
    ("uk", "u.k", "britain", "british", "united kingdom"),
    ("russia", "russian"),
    ("ukraine", "ukrainian"),
    ("eu", "european union"),
    ("china", "chinese"),
    ("germany", "german"),
    ("france", "french"),
    ("canada", "canadian"),
    ("india", "indian"),
]
_ALIAS = {form: group for group in _ALIASES for form in group}


def missing_names(question: str, texts: Iterable[str]) -> list[str]:
    """The question's names that none of ``texts`` contains (case-insensitive).

    A name matches at the start of a word ("Russian" in "Russians"), by another name of the
    same country ("British" by "UK") or by another form of the same abbreviation ("PM" by
    "prime minister", abbreviations.py); a name in capitals ("UN") only as a whole word.
    """
    text = canonical(" ".join(texts))
    return [name for name in question_names(canonical(question)) if not _names(text, name)]


def names(texts: Iterable[str], name: str) -> bool:
    """Whether one of ``texts`` contains ``name``, matched as in :func:`missing_names`."""
    return _names(canonical(" ".join(texts)), canonical(name))


def _names(text: str, name: str) -> bool:
    return any(
        re.search(
            rf"(?<!\w){re.escape(form)}" + (r"(?!\w)" if name.isupper() else ""),
            text,
            flags=re.IGNORECASE,
        )
        for form in _ALIAS.get(name.lower(), (name,))
    )


# "What did Markov say ...?", "How does Putin view ...?", "What was Peskov's reaction ...?": a
# question asking for a named person's words or view.
_VIEW_VERBS = (
    r"(?:say|tell|think|believe|argue|claim|warn|write|view|see|react|respond|describe|predict|"
    r"suggest|mean|feel|expect|make\s+of)"
)
_VIEW_NOUNS = (
    r"(?:take|view|views|reaction|response|assessment|opinion|verdict|position|stance|"
    r"explanation|comment|comments)"
)
_NAME_WORDS = r"(?:[A-Z][\w.’'-]*\s+){0,2}[A-Z][\w.’'-]*"
_ASKS_VIEW = re.compile(
    rf"^\W*(?i:what|how|why)\s+(?i:did|does|do|has|have|had|would|will)\s+(?P<who>{_NAME_WORDS})"
    rf"\s+(?:\w+ly\s+)?(?i:{_VIEW_VERBS})\b"
    rf"|^\W*(?i:what)\s+(?i:was|is|were|are)\s+(?P<whose>{_NAME_WORDS})[’']s?\s+"
    rf"(?:\w+\s+)?(?i:{_VIEW_NOUNS})\b"
)


def asked_speaker(question: str) -> str | None:
    """The surname of the person whose words or view ``question`` asks for ("Markov" in "What
    did Sergei Markov say about ...?"), or None for any other question."""
    match = _ASKS_VIEW.search(question)
    if match is None:
        return None
    who = _POSSESSIVE.sub("", match.group("who") or match.group("whose"))
    return who.split()[-1]


# "Who is Dmitry Suslov?", "What is the Institute for Political Studies?": a name alone (its
# words capitalised, small linking words aside), asked what or who it is.
_DEFINITION = re.compile(
    r"^\W*(?i:who|what)\s+(?i:is|was|are|were)\s+(?:the\s+)?"
    r"(?P<name>[A-Z][\w.’'-]*(?:\s+(?:(?:of|for|and|the|de|von|van|al)\s+)*[A-Z][\w.’'-]*)*)"
    r"\W*(?:\([^)]*\)\W*)?$"
)


def defined_name(question: str) -> str | None:
    """The name a "Who is X?" / "What is X?" question asks to be defined, or None."""
    match = _DEFINITION.match(question)
    return match.group("name") if match else None


def name_forms(name: str) -> set[str]:
    """The forms articles name ``name`` by: itself and, for a name of several capitalised words,
    its last one ("Ignatov" for "Oleg Ignatov", as articles write after the first time)."""
    return {name, name.split()[-1]} if " " in name and name.split()[0][0].isupper() else {name}


_PERSON = r"[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*){0,2}"
# "Compare the views of Markov and Suslov", "How do Markov and Suslov differ on Ukraine?",
# "What do Markov and Suslov say about China?", "Markov vs Suslov on sanctions".
_COMPARE = re.compile(
    rf"^\W*(?:(?i:compare|contrast)\s+(?:(?i:the\s+)?(?i:views?|positions?|takes?|opinions?)\s+"
    rf"(?i:of)\s+)?(?P<a>{_PERSON})(?:[’']s)?\s+(?i:and|with|to)\s+(?P<b>{_PERSON})(?:[’']s)?"
    rf"(?:\s+(?i:views?|positions?))?(?:\s+(?i:on|about|over)\s+(?P<t>[^?(]+?))?"
    rf"|(?i:how|where|why)\s+(?i:do|did|does)\s+(?P<a2>{_PERSON})\s+(?i:and)\s+(?P<b2>{_PERSON})"
    rf"\s+(?i:differ|disagree|agree)(?:\s+(?i:on|about|over)\s+(?P<t2>[^?(]+?))?"
    rf"|(?i:what)\s+(?i:do|did)\s+(?P<a3>{_PERSON})\s+(?i:and)\s+(?P<b3>{_PERSON})\s+(?i:each\s+)?"
    rf"(?i:say|think|argue|believe)(?:\s+(?i:about|of|on)\s+(?P<t3>[^?(]+?))?"
    rf"|(?P<a4>{_PERSON})\s+(?i:vs\.?|versus)\s+(?P<b4>{_PERSON})(?:\s+(?i:on|about)\s+(?P<t4>[^?(]+?))?"
    rf")\W*(?:\([^)]*\)\W*)?$"
)


def compared(question: str) -> tuple[str, str, str] | None:
    """The two people a question compares and what on ("" for their views in general):
    ("Markov", "Suslov", "Ukraine") for "How do Markov and Suslov differ on Ukraine?"."""
    match = _COMPARE.match(question)
    if match is None:
        return None
    for a, b, t in (("a", "b", "t"), ("a2", "b2", "t2"), ("a3", "b3", "t3"), ("a4", "b4", "t4")):
        if match.group(a):
            return match.group(a), match.group(b), (match.group(t) or "").strip()
    return None


def question_numbers(question: str) -> list[str]:
    """The numbers and years a question gives in digits ("2017", "47")."""
    return re.findall(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])", question)


_DIGIT_WORDS = dict(enumerate(_NUMBER_WORDS.split()[:12], start=1))  # 1: "one" ... 12: "twelve"


def missing_numbers(question: str, texts: Iterable[str]) -> list[str]:
    """The numbers and years the question gives in digits that none of ``texts`` contains,
    as digits ("1,000" as "1000" too) or, up to twelve, as a word ("5" by "five", "fivefold")."""
    text = " ".join(texts)
    flat = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    missing = []
    for number in question_numbers(question):
        digits = number.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", number) else number
        if re.search(rf"(?<![\d.,]){re.escape(digits)}(?!\d)", flat):
            continue
        word = _DIGIT_WORDS.get(int(digits)) if digits.isdigit() else None
        if word is not None and re.search(rf"\b{word}", text, re.IGNORECASE):
            continue
        missing.append(number)
    return missing


def expected_kind(question: str) -> str | None:
    """``"number"``, ``"date"``, ``"duration"`` or ``"time"`` (a "when" question) when the
    question asks for one, else ``None``."""
    if _ASKS_DATE.search(question):
        return "date"
    if _ASKS_NUMBER.search(question):
        return "number"
    if _ASKS_DURATION.search(question):
        return "duration"
    if _ASKS_TIME.search(question):
        return "time"
    return None


def has_kind(text: str, kind: str, question: str = "") -> bool:
    """Whether ``text`` contains something of the ``kind`` asked for that the question itself
    does not already say (a sentence repeating the question's "2022" gives no figure).

    A duration ("how long") is given by a number ("three years"), a date ("since 2014", "until
    March") or a "since" ("since the invasion").
    """
    if kind == "duration":
        return (
            has_kind(text, "number", question)
            or has_kind(text, "date", question)
            or _SINCE.search(text) is not None
        )
    if kind == "time":
        if has_kind(text, "date", question):
            return True
        pattern = _HAS_TIME
    else:
        pattern = _HAS_DATE if kind == "date" else _HAS_NUMBER
    own = {m.group(0).lower() for m in pattern.finditer(question)}
    return any(m.group(0).lower() not in own for m in pattern.finditer(text))


# "What do the articles say about China?", "Tell me about the sanctions": a request for what the
# articles say on a subject, not a question a sentence answers.
_TOPIC_REQUEST = re.compile(
    r"^\W*(?:(?:what|anything)\s+(?:do|does|did)\s+(?:the\s+|these\s+|your\s+)?"
    r"(?:articles?|pieces?|stories|story|reports?|texts?|sources?|news)\s+"
    r"(?:say|said|tell\s+(?:me|us)|report|write|mention)"
    r"|(?:what|anything)\s+(?:is|was)\s+(?:said|written|reported)"
    r"|anything\s+in\s+(?:the\s+)?(?:articles?|news)"
    r"|tell\s+me(?:\s+more)?)"
    r"\s+(?:about|on|of)\s+(?P<topic>[^?(]+?)\W*(?:\([^)]*\)\W*)?$",
    re.IGNORECASE,
)
# fmt: off
PRONOUNS = frozenset(["it", "this", "that", "these", "those", "them", "him", "her", "he", "she",
                      "they"])
_TOPIC_STOPWORDS = frozenset(["the", "a", "an", "of", "in", "on", "and", "or", "to", "for", "with",
                              "about", "from", "by", "at", "as", "its", "their", "his", "her",
                              "this", "that"])
# fmt: on
# Words that make a request's subject a clause or a reference back, not a topic.
_CLAUSE_STARTS = frozenset(
    ["what", "how", "why", "who", "whom", "whose", "where", "when", "which", "whether", "if"]
)  # fmt: skip
_REFERS_BACK = PRONOUNS | {"his", "its", "their", "theirs", "hers"}


# "What happened in the Oval Office?", "What happened at Valdai?": a place or an event named
# alone, asked what happened there, is asked what the articles say of it (a bi-encoder scores
# such a short question low against any one sentence: "What happened in the Oval Office?" was
# refused). Not "What happened to Ignatov?": that asks for an event in his life, which the
# sentences that name him need not give.
_HAPPENED = re.compile(
    r"^\W*(?i:what)\s+(?i:happened|has\s+happened|went\s+on)\s+(?i:in|at|during)\s+"
    r"(?:(?i:the)\s+)?(?P<topic>[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*){0,3})\W*(?:\([^)]*\)\W*)?$"
)


def topic_request(question: str) -> str | None:
    """The subject of a request like "What do the articles say about China?", "Tell me about
    the sanctions" or "What happened in the Oval Office?" ("China", "the sanctions", "Oval
    Office"), or None for any other question."""
    match = _TOPIC_REQUEST.match(question) or _HAPPENED.match(question)
    if match is None:
        return None
    # A follow-up's subject terms in brackets (followup.py) are context, not the topic. A topic
    # is a thing named: a clause ("Tell me more about what that means for staff", "... how she
    # is handling it") or a phrase that points back ("Tell me more about his finances", "...
    # about that programme") asks a question of the conversation's subject, and is left to the
    # follow-up rewriting and the answer (news dev split: BENCHMARKS.md, "Topic requests").
    topic = match.group("topic").strip()
    words = re.findall(r"[^\W\d_]+", topic.lower())
    if not words or words[0] in _CLAUSE_STARTS or not _REFERS_BACK.isdisjoint(words):
        return None
    return topic


def mentions(text: str, topic: str) -> bool:
    """Whether ``text`` speaks of ``topic``: each of its words, less "the", "of" and the like,
    at the start of a word of ``text`` (a final "s" aside: "sanctions" by "sanction"), or
    another name of the same country ("China" by "Chinese"). Topic and text are compared in the
    abbreviations' short forms, so "the United States" matches "the U.S." and "the US"."""
    words = [
        w for w in re.findall(r"[\w’'-]+", canonical(topic)) if w.lower() not in _TOPIC_STOPWORDS
    ]
    folded = canonical(text)
    return bool(words) and all(
        _names(folded, w[:-1] if len(w) > 3 and w.lower().endswith("s") else w) for w in words
    )
