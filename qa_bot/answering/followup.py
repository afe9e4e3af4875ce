"""Follow-up questions without an LLM: carry the subject of earlier turns into the search query.

A follow-up such as "What did he do in 2017?" means nothing to a retriever on its own. When a
question leans on earlier turns (a pronoun with no antecedent of its own, "what about …", "and
…", or a short question with no named entity), a clear person pronoun is replaced by the most
recent person named earlier, and the earlier subject's key terms are appended in brackets:
``"What did Trump do in 2017? (Moscow)"``. An elliptic follow-up, one with at most one word of
its own ("Why?", "Why would he bother?", "Was he sincere?"), asks about the earlier question's
matter: that question's other words come too, ``"Why would Trump bother? (Kremlin, officials,
expect, push, peace, deals)"``, where its names alone would lose "peace deals". A question that
stands on its own is returned unchanged. A follow-up that names a person of its own, or a
subject of its own before a comma ("And how did Tulloch react?", "And the finance chief, what's
her view?"), is not given the earlier turn's person: it asks about another one. After a "who /
which" turn, the person is the one its answer named, when the turn carries its answer and no
person is that question's own subject ("Who wrote the piece?" then "What else has he written?":
the writer), and after a question about an article ("Who wrote the piece about ...?") "When was
it published?" asks for that article's date.

Only turns that were answered lend their subject: after "Who is Olaf Scholz?" found nothing,
"what does Putin want from Trump" is searched as it is. An unanswered turn lends its subject
only to the very next question, and only when that one refers back to it with a pronoun ("What
did he say about NATO?").

Names are runs of capitalised words that are not question or function words. Whether a name is
a person is spaCy's call where its recogniser names it (a PERSON; a place; part of a longer
organisation's name, as "Agrarian People" of "the Agrarian People's Party"), and a heuristic's
where it says nothing (a name after "the", or whose last word is such as "council" or "party",
names a thing or an institution). There is no list of the articles' places or people: "Moscow"
is not a person because the recogniser says it is a place, in a folder about any part of the
world.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from qa_bot.answering.analysis import entities
from qa_bot.answering.answer_type import persons
from qa_bot.answering.article_facts import fact_question
from qa_bot.models import Turn

__all__ = ["asks_for_more", "contextualize", "needs_context", "wants_new_quotes"]

# Person pronouns are replaced when the person is clear; the others only pull the subject in.
_PERSON_PRONOUNS = {"he": "", "him": "", "his": "'s", "she": "", "hers": "'s"}
# "her" may be "him" or "his": it pulls the subject in but is never replaced.
_GROUP_PRONOUNS = {"her", "they", "them", "their", "theirs"}
_OBJECT_PRONOUNS = {"him", "her", "them"}
# The pronouns that point at a person ("her" as well: it is never replaced, but it points).
_POINTING = set(_PERSON_PRONOUNS) | {"her"}
_THING_PRONOUNS = {"it", "its", "this", "that", "these", "those", "there"}
_FOLLOWUP_OPENERS = (
    "what about", "how about", "and", "also", "but", "so", "then", "what else", "why not",
    "anything else", "more on", "tell me more",
)  # fmt: skip
# "Tell me more", "Anything else?": the same subject again, less what was already quoted.
_MORE = re.compile(
    r"^\W*(?:(?:and\s+|so\s+)?(?:(?:please\s+)?tell\s+me\s+more|more(?:\s+please)?|"
    r"anything\s+(?:else|more)|what\s+(?:else|more)|go\s+on|keep\s+going)"
    r"(?:\s+(?:on|about)\s+(?:that|this|it|them))?)\W*$",
    re.IGNORECASE,
)
_MAX_SHORT_CONTENT_WORDS = 6
_MAX_TERMS = 5
# A follow-up with at most this many words of its own ("Why?", "How so?", "Why would he
# bother?", "Was he sincere?", "What about ideology?") is elliptic: it asks about the earlier
# question's matter, so that question's words are carried (up to _MAX_ELLIPTIC_TERMS), not
# only its names. A number is a word of its own ("What did he do in 2017?" asks about 2017).
_MAX_ELLIPTIC_WORDS = 1
_MAX_ELLIPTIC_TERMS = 8
_MAX_HISTORY = 6

_STOPWORDS = frozenset(
    {
        "a", "about", "above", "according", "across", "after", "again", "against", "all", "almost",
        "also", "although", "am", "among", "an", "and", "any", "anything", "are", "around", "as",
        "at", "be", "became", "because", "been", "before", "being", "below", "between", "both",
        "but", "by", "can", "could", "did", "do", "does", "doing", "done", "during", "each",
        "else", "either", "enough", "even", "ever", "every", "few", "for", "from", "further",
        "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
        "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "least", "less",
        "like", "made", "make", "many", "may", "me", "might", "more", "most", "much", "must", "my",
        "near", "neither", "no", "nor", "not", "now", "of", "off", "often", "on", "once", "one",
        "only", "or", "other", "our", "out", "over", "own", "per", "perhaps", "please", "quite",
        "rather", "really", "said", "same", "say", "says", "see", "seem", "seems", "several",
        "shall", "she", "should", "since", "so", "some", "still", "such", "than", "that", "the",
        "their", "theirs", "them", "then", "there", "these", "they", "this", "those", "though",
        "through", "thus", "to", "too", "toward", "towards", "under", "until", "up", "upon", "us",
        "very", "via", "was", "we", "well", "were", "what", "whatever", "when", "where", "whether",
        "which", "while", "who", "whom", "whose", "why", "will", "with", "within", "without",
        "would", "yes", "yet", "you", "your", "tell", "explain", "describe", "give", "list",
        "show", "know", "think", "get", "got", "go", "going", "happen", "happened",
        "happens", "thing", "things", "way", "ways", "mean", "means",
    }
)  # fmt: skip
# Capitalised words that start questions or sentences but name nothing.
_NOT_ENTITIES = _STOPWORDS | {
    "i", "mr", "mrs", "ms", "dr", "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday",
}  # fmt: skip
_PLACE_SUFFIXES = ("ia", "land", "stan", "ine", "ian", "ians", "ese", "ish")
# A name ending in one of these is an institution or a thing, not a person.
_ORG_WORDS = {
    "agency", "bank", "club", "committee", "council", "endowment", "forum", "foundation",
    "group", "house", "institute", "ministry", "news", "office", "party", "sea", "times",
    "union", "university", "war",
}  # fmt: skip
_TITLES = {"president", "prime", "minister", "senator", "chancellor", "king", "queen", "pope"}

_WORD = re.compile(r"[A-Za-z0-9][\w.'’-]*")


@dataclass(frozen=True)
class _Entity:
    text: str
    start: int
    person: bool


def _clean(token: str) -> str:
    token = re.sub(r"['’]s$", "", token)
    # Keep the final dot of abbreviations like "U.S." but not a sentence's full stop.
    return token if re.fullmatch(r"(?:[A-Za-z]\.)+", token) else token.rstrip(".'’-")


def _is_capitalised(token: str) -> bool:
    return token[:1].isupper() and _clean(token).lower() not in _NOT_ENTITIES


def _entities(text: str) -> list[_Entity]:
    """Runs of capitalised words, e.g. "Donald Trump", "White House", "U.S."."""
    out: list[_Entity] = []
    tokens = list(_WORD.finditer(text))
    # The recogniser's entities, each as its words and label, once for the whole text.
    found = entities(text) if any(_is_capitalised(t.group()) for t in tokens) else ()
    held = [(set(_words(ent)), label) for ent, label in found]
    i = 0
    while i < len(tokens):
        if not _is_capitalised(tokens[i].group()):
            i += 1
            continue
        j = i
        # A run continues over adjacent words only (no punctuation between them).
        while (
            j + 1 < len(tokens)
            and _is_capitalised(tokens[j + 1].group())
            and text[tokens[j].end() : tokens[j + 1].start()] == " "
            and not tokens[j].group().endswith(("'s", "’s"))
        ):
            j += 1
        words = [_clean(t.group()) for t in tokens[i : j + 1]]
        titled = words[0].lower() in _TITLES or (i > 0 and tokens[i - 1].group().lower() in _TITLES)
        words = [w for w in words if w.lower() not in _TITLES] or words
        name = " ".join(words)
        said = _recognised_person(name, held)
        # "the Kremlin", "the Agrarian People's Party": a person's name takes no article.
        named_thing = i > 0 and tokens[i - 1].group().lower() == "the"
        if said is None and named_thing:
            said = False
        person = titled or (said if said is not None else _looks_like_person(name))
        out.append(_Entity(name, tokens[i].start(), person))
        i = j + 1
    return out


def _recognised_person(name: str, held: list[tuple[set[str], str]]) -> bool | None:
    """spaCy's call on ``name``, a capitalised run of a text whose entities (their words and
    label) are ``held``: a person when a PERSON entity holds one of its words; not one when an
    entity of another kind holds all its words and more ("Agrarian People" of "the Agrarian
    People's Party") or is a place, a nationality or anything but an organisation; None when
    the recogniser says nothing of it (or is not installed). An organisation of the run's own
    words is left to the heuristic: the small model calls some people's names organisations
    ("Who is Oleg Ignatov?")."""
    words = set(name.lower().split())
    if any(label == "PERSON" and words & ent for ent, label in held):
        return True
    if any(label != "PERSON" and words <= ent and (label != "ORG" or ent - words - _STOPWORDS)
           for ent, label in held):  # fmt: skip
        return False
    return None


def _looks_like_person(name: str) -> bool:
    lowered = name.lower()
    if name.isupper() or any(c.isdigit() for c in name):
        return False
    if lowered.split()[-1] in _ORG_WORDS:
        return False
    return not lowered.endswith(_PLACE_SUFFIXES)


def _words(text: str) -> list[str]:
    return [_clean(m.group()).lower() for m in _WORD.finditer(text)]


def _content_words(text: str) -> list[str]:
    return [w for w in _words(text) if w and w not in _STOPWORDS]


def _first_pronoun(text: str) -> tuple[int, str] | None:
    for match in _WORD.finditer(text):
        word = match.group().lower()
        if word in _PERSON_PRONOUNS or word in _GROUP_PRONOUNS:
            return match.start(), word
    return None


def needs_context(question: str) -> bool:
    """Whether ``question`` seems to lean on earlier turns (see the module docstring)."""
    lowered = question.strip().lower()
    if any(re.match(rf"{re.escape(o)}\b", lowered) for o in _FOLLOWUP_OPENERS):
        return True
    entities = _entities(question)
    pronoun = _first_pronoun(question)
    # "Did Putin say he would go?": the pronoun has an antecedent in the question itself; an
    # object pronoun ("Did Putin call him?") rarely points back at its own sentence's subject.
    if pronoun is not None and (
        pronoun[1] in _OBJECT_PRONOUNS or not any(e.start < pronoun[0] for e in entities)
    ):
        return True
    if entities:
        return False
    if set(_words(question)) & _THING_PRONOUNS:
        return True
    return len(_content_words(question)) <= _MAX_SHORT_CONTENT_WORDS


def asks_for_more(question: str) -> bool:
    """Whether ``question`` asks for more on the subject so far ("Tell me more", "Anything
    else?", "What else?"): its answer should not quote again what earlier answers quoted."""
    return _MORE.match(question) is not None


# "Tell me more about his finances", "Can you say more about what that involves?", "Could you
# be more specific?": more on a matter of the conversation, named or not.
_MORE_ON = re.compile(
    r"^\W*(?:and\s+|so\s+)?(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?"
    r"(?:(?:tell|give|show)\s+(?:me|us)|say|explain|go\s+into|be)\s+(?:a\s+(?:bit|little)\s+)?"
    r"more\b",
    re.IGNORECASE,
)


def wants_new_quotes(question: str) -> bool:
    """Whether ``question`` asks for more than the earlier answers said ("Tell me more",
    "Tell me more about his finances", "Can you be more specific?"): those answers' quotes are
    not quoted again."""
    return asks_for_more(question) or _MORE_ON.match(question) is not None


def _subject_terms(turn: str, whole: bool = False) -> list[str]:
    """The key terms of an earlier (already contextualised) turn: its entities, else its nouns;
    with ``whole``, its entities and then its other content words (for an elliptic follow-up,
    which asks about the turn's matter, not only its names)."""
    entities: list[str] = []
    for entity in _entities(turn):
        if entity.text.lower() not in {e.lower() for e in entities}:
            entities.append(entity.text)
    if entities and not whole:
        return entities[:_MAX_TERMS]
    named = {word.lower() for entity in entities for word in entity.split()}
    terms = list(entities)
    for word in _content_words(turn):
        if not word.isdigit() and word not in named and word not in terms:
            terms.append(word)
    return terms[: _MAX_ELLIPTIC_TERMS if whole else _MAX_TERMS]


def _recent_person(turns: Sequence[str]) -> str | None:
    """The person of the most recent turn that names one, if that turn names exactly one."""
    for turn in reversed(turns):
        persons = {e.text: None for e in _entities(turn) if e.person}
        if persons:
            return next(iter(persons)) if len(persons) == 1 else None
    return None


def _replace_person_pronouns(question: str, person: str) -> str:
    def swap(match: re.Match[str]) -> str:
        word = match.group()
        return person + _PERSON_PRONOUNS[word.lower()]

    pattern = r"\b(?:" + "|".join(_PERSON_PRONOUNS) + r")\b"
    return re.sub(pattern, swap, question, flags=re.IGNORECASE)


def _refers_back(question: str) -> bool:
    """Whether the question has a pronoun that may point at the turn before it."""
    pronouns = set(_PERSON_PRONOUNS) | _GROUP_PRONOUNS | _THING_PRONOUNS
    return bool(set(_words(question)) & pronouns)


# "Who wrote ...?", "Which candidate ...?": a question whose answer may be a person.
_ASKS_WHO = re.compile(r"^\W*(?:who|whom|which)\b", re.IGNORECASE)
# "Who did Putin say ...?", "Which candidate would Trump ...?": where the turn's subject starts.
_SUBJECT = re.compile(
    r"^\W*(?:who|whom|which(?:\s+[\w-]+){0,3}?)\s+"
    r"(?:did|does|do|has|have|had|will|would|can|could|should|is|was|are|were)\s+",
    re.IGNORECASE,
)
# A quotation in an answer: a quoted sentence or an article's quoted headline.
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


def _answered_person(turn: Turn) -> str | None:
    """The person a "who" turn's answer named, unless a person is that question's subject:
    "Who wrote the Jadetimes piece on Trump?" answered "... was written by Khoshnaw Rahmani"
    makes a following "he" Khoshnaw Rahmani, but after "Who did Putin say was the best
    candidate?" "he" stays Putin.

    The answer's first quote is read, less what it puts in quotation marks (a headline, or
    someone's words that name others in passing: "what some might call “Trumpworld”"), for the
    first person spaCy's recogniser finds there that the question does not name; a single
    capitalised word is not enough in an answer ("Former diplomat Boris Bondarev ...").
    """
    if not turn.answered or not turn.answer or not _ASKS_WHO.match(turn.question):
        return None
    asked = _entities(turn.question)
    subject = _SUBJECT.match(turn.question)
    if subject and any(e.person and e.start == subject.end() for e in asked):
        return None  # "Who did Putin say ...?" then "Was he sincere?": he is Putin
    lead = _QUOTED.sub(" ", re.split(r"\[\d+\]", turn.answer, maxsplit=1)[0])
    named = {e.text.lower() for e in asked}
    # The small recogniser misses some names ("Anneliese Dodds"): a capitalised run of two or
    # more words that looks like a person's name is taken after what it finds.
    runs = [e.text for e in _entities(lead) if e.person and " " in e.text]
    for person in [*(persons(lead) or []), *runs]:
        if person.lower() not in named:
            return person
    return None


def _about_the_article(question: str, earlier: str) -> str | None:
    """ "When was it published?" after "Who wrote the piece about Putin riding a tiger?": the
    same article's facts, asked as "When was the piece about Putin riding tiger published?"
    (article_facts.py); None unless both are questions about an article."""
    asked = fact_question(earlier)
    pronoun = re.search(r"\b(?:it|this|that)\b", question, re.IGNORECASE)
    if asked is None or pronoun is None:
        return None
    named = f"{question[: pronoun.start()]}the piece about {asked.topic}{question[pronoun.end() :]}"
    return named if fact_question(named) is not None else None


# "And Suslov?", "What about China?": the earlier question asked again of another name.
_SWAP = re.compile(
    r"^\W*(?:(?:and|but)\s+(?:(?:what|how)\s+about\s+)?|(?:what|how)\s+about\s+)"
    r"(?P<name>[^?!.]+?)\W*$",
    re.IGNORECASE,
)


def _swapped(question: str, earlier: str) -> str | None:
    """ "What does Markov think of Trump?" then "And Suslov?": "What does Suslov think of
    Trump?". The follow-up must be an opener and one name only, and the earlier question (less
    the terms a follow-up carried in brackets) must name someone of the same kind (a person for
    a person, else a place or an institution); the first such name is replaced. None otherwise."""
    new = _swap_name(question)
    if new is None:
        return None
    base = re.sub(r"\s*\([^()]*\)\s*$", "", earlier)
    named = _entities(base)
    if any(set(new.text.lower().split()) & set(e.text.lower().split()) for e in named):
        return None  # "What about Putin?" after a question about Putin: not another name
    for old in named:
        if old.person == new.person and old.text.lower() != new.text.lower():
            at = base.find(old.text, old.start)
            if at >= 0:
                return base[:at] + new.text + base[at + len(old.text) :]
    return None


def _swap_name(question: str) -> _Entity | None:
    """The name of an opener-and-a-name follow-up ("Suslov" in "And Suslov?"), else None (not
    for "And the technocrats?", "What about his views?")."""
    match = _SWAP.match(question)
    if match is None:
        return None
    name = re.sub(r"^(?:the|about)\s+", "", match.group("name").strip(), flags=re.IGNORECASE)
    found = _entities(name)
    return found[0] if len(found) == 1 and found[0].text == _clean(name) else None


def _resolve(question: str, earlier: Sequence[Turn], focus: str | None = None) -> str:
    """``question`` searched in the context of the ``earlier`` (resolved) turns; ``focus`` is the
    person the last of them was asked about when two are named ("What does Suslov think of
    Trump?" asked as "And Suslov?": Suslov)."""
    if not earlier or not needs_context(question):
        return question
    # Answered turns lend their subject; the unanswered turn just before only to a pronoun.
    last = len(earlier) - 1
    lending = [
        turn
        for i, turn in enumerate(earlier)
        if turn.answered or (i == last and _refers_back(question))
    ]
    if not lending:
        return question
    lenders = [turn.question for turn in lending]
    subject_turn = lenders[-1]
    article = _about_the_article(question, subject_turn)
    if article is not None:
        return article
    named = _entities(subject_turn)
    if asks_for_more(question) and len({e.text for e in named}) == 1:
        # "Tell me more" after "Who is Oleg Ignatov?": more on him, not on his neighbours; a
        # person by surname, as articles name him after the first time ("Ignatov says").
        subject = named[0].text.split()[-1] if named[0].person else named[0].text
        return f"Tell me more about {subject}"
    swapped = _swapped(question, subject_turn)
    if swapped is not None:
        return swapped
    resolved = question
    asked = _entities(question)
    own = {e.text.lower() for e in asked}
    end = _own_subject_end(question)
    if set(_words(question[:end])) & set(_PERSON_PRONOUNS):
        person = _answered_person(lending[-1]) or _recent_person(lenders)
        if person is None and lending[-1] is earlier[-1]:
            person = focus
        if person is not None and person.lower() not in own:
            resolved = _replace_person_pronouns(question[:end], person) + question[end:]
    present = {w.lower() for w in _words(resolved)} | {e.text.lower() for e in _entities(resolved)}
    own_words = _content_words(question)
    # "What did he do in 2017?" asks about 2017: a number makes a follow-up its own.
    elliptic = len(own_words) <= _MAX_ELLIPTIC_WORDS and not any(w.isdigit() for w in own_words)
    terms = [t for t in _subject_terms(subject_turn, elliptic) if t.lower() not in present]
    if _names_its_own_subject(question, asked, end):
        # "And how did Tulloch react?", "And the finance chief, what did she say?": another
        # person asked about; the earlier one's name would pull the search back to them.
        earlier_persons = {e.text.lower() for e in named if e.person}
        terms = [t for t in terms if t.lower() not in earlier_persons]
    if not terms:
        return resolved
    return f"{resolved.rstrip()} ({', '.join(terms)})"


def _names_its_own_subject(question: str, asked: Sequence[_Entity], end: int) -> bool:
    """Whether the follow-up names whom it asks about: a person of its own among ``asked`` (its
    names: "And how did Tulloch react?"), or a subject of its own before a comma, which ends at
    ``end`` (``_own_subject_end``: "And the finance chief, what's her view?"; not "And his
    deputy, ...", someone's by an earlier turn)."""
    if any(e.person for e in asked):
        return True
    return end < len(question) and not set(_words(question[:end])) & _POINTING


def _own_subject_end(question: str) -> int:
    """Where the question's own subject ends when it names one before a comma and then points
    at it ("And the finance chief, how did she describe things?", "And his coach, how did he
    explain it?"): the pronouns after the comma are that subject, not an earlier turn's
    person, and only those before it may be. The question's length otherwise."""
    lead, comma, rest = question.partition(",")
    if comma and _content_words(lead) and set(_words(rest)) & _POINTING:
        return len(lead)
    return len(question)


def contextualize(question: str, history: Sequence[str | Turn]) -> str:
    """The question to search for, given the user's earlier turns (oldest first).

    A follow-up that leans on earlier turns gets their subject: a clear person pronoun
    ("he", "his", "him", "she") is replaced by the person named most recently (after a "who"
    turn that carries its answer, the person the answer named), and the key
    terms of the previous answered turn (its named entities, else its nouns; for an elliptic
    follow-up such as "Why?", its entities and then its other words) are appended in
    brackets. A question that stands on its own comes back unchanged. A turn the bot found
    nothing for lends nothing, unless the question right after it refers back with a pronoun.

    Args:
        question: The new question.
        history: The earlier turns, oldest first: ``Turn`` objects, or plain questions (taken
            as answered).

    Returns:
        The query to search for.
    """
    question = question.strip()
    turns = [t if isinstance(t, Turn) else Turn(t) for t in history]
    turns = [replace(t, question=t.question.strip()) for t in turns if t.question.strip()]
    # Earlier turns may be follow-ups themselves: resolve them in order so the subject carries.
    resolved: list[Turn] = []
    focus: str | None = None
    for turn in turns[-_MAX_HISTORY:]:
        asked = _resolve(turn.question, resolved, focus)
        resolved.append(replace(turn, question=asked))
        # "And Suslov?" asked again as "What does Suslov think of Trump?": a "he" after it is
        # Suslov, though the question now names two people.
        name = _swap_name(turn.question)
        swapped = asked != turn.question and "(" not in asked
        focus = name.text if name is not None and name.person and swapped else None
    return _resolve(question, resolved, focus)
