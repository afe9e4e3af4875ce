"""Training pairs for the reader from SQuAD 2.0 JSON: (question, sentence in context, label).

Each paragraph is split into sentences with the same splitter the index uses. For an answerable
question, the sentence holding the answer's first character is the positive and the paragraph's
other sentences are hard negatives; for an unanswerable one (written on purpose to look
answerable from the paragraph) every sentence of the paragraph is a negative. Optionally, the
sentences of *other* paragraphs of the same article that the bi-encoder ranks highest for the
question are added as negatives (never a sentence that contains a gold answer). The sentence
holding an unanswerable question's "plausible answer" (SQuAD 2.0 marks one) is kind "plausible",
so training can weigh that hardest negative more (``TrainConfig.plausible_weight``).

Optionally too, look-alike questions: an answerable question with one of its names or numbers
that the answer sentence contains swapped for another name or number of the same article that
the sentence does not contain ("When did the Normans reach Italy?" -> "When did the Normans
reach Sicily?"), paired with that sentence as a negative. The names and topics are still there,
the answer is not: the kind of question that drew confident quotes instead of "not in the
articles". Measured and left off by default (``TrainConfig.lookalikes``): the model trained with
them was worse on the held-out articles, both at picking the answer sentence and at telling
unanswerable questions apart.

Every pair's text is ``reader_text(sentence, article title)``: what the reader sees at query
time.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_bot.ingest.sentences import split_sentences
from qa_bot.reader.model import reader_text


@dataclass(frozen=True)
class SquadQuestion:
    qid: str
    question: str
    answers: tuple[str, ...]
    answer_starts: tuple[int, ...]
    impossible: bool
    # An unanswerable question's "plausible answer" (SQuAD 2.0): where a reader that does not
    # check the details would find the answer.
    plausible_starts: tuple[int, ...] = ()


@dataclass(frozen=True)
class SquadParagraph:
    article: str
    index: int
    context: str
    sentences: tuple[tuple[int, int], ...]  # character spans of the context's sentences
    questions: tuple[SquadQuestion, ...]

    def sentence(self, i: int) -> str:
        start, end = self.sentences[i]
        return self.context[start:end]

    def sentence_at(self, at: int) -> int | None:
        """The index of the sentence holding character ``at`` of the context."""
        for i, (start, end) in enumerate(self.sentences):
            if start <= at < end:
                return i
        return None

    def plausible_sentence(self, q: SquadQuestion) -> int | None:
        """For an unanswerable question, the sentence holding its plausible answer."""
        if not q.impossible or not q.plausible_starts:
            return None
        return self.sentence_at(q.plausible_starts[0])

    def answer_sentence(self, q: SquadQuestion) -> int | None:
        """The index of the sentence holding the first answer's first character."""
        if q.impossible or not q.answer_starts:
            return None
        return self.sentence_at(q.answer_starts[0])


@dataclass(frozen=True)
class Pair:
    question: str
    text: str
    label: float
    article: str
    qid: str
    # "answer" | "paragraph" | "unanswerable" | "plausible" (the sentence holding an
    # unanswerable question's plausible answer) | "retrieved" | "lookalike"; from a news split
    # (news_pairs): "news_answer" | "news" | "news_lookalike"
    kind: str
    answer: str = ""  # a positive's gold answer text, as it stands in ``text`` (span loss)


def load_squad(path: str | Path) -> list[SquadParagraph]:
    """Every paragraph of a SQuAD 2.0 (or 1.1) JSON file, split into sentences."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out: list[SquadParagraph] = []
    for article in data["data"]:
        title = str(article.get("title", "")).replace("_", " ")
        for i, para in enumerate(article["paragraphs"]):
            context = para["context"]
            questions = tuple(
                SquadQuestion(
                    qid=str(q["id"]),
                    question=q["question"].strip(),
                    answers=tuple(a["text"] for a in q.get("answers", [])),
                    answer_starts=tuple(int(a["answer_start"]) for a in q.get("answers", [])),
                    impossible=bool(q.get("is_impossible", False)) or not q.get("answers"),
                    plausible_starts=tuple(
                        int(a["answer_start"]) for a in q.get("plausible_answers", [])
                    ),
                )
                for q in para["qas"]
            )
            spans = tuple((s.start, s.end) for s in split_sentences(context))
            out.append(SquadParagraph(title, i, context, spans, questions))
    return out


def candidate_texts(paragraph: SquadParagraph) -> list[str]:
    """The reader input for each sentence of a paragraph (its article title as context)."""
    return [
        reader_text(paragraph.sentence(i), paragraph.article)
        for i in range(len(paragraph.sentences))
    ]


def build_pairs(
    paragraphs: Sequence[SquadParagraph],
    *,
    encode: Callable[[list[str]], np.ndarray] | None = None,
    retrieved_negatives: int = 2,
    lookalikes: int = 0,
    seed: int = 0,
) -> list[Pair]:
    """Pairs for every question of ``paragraphs`` (see the module docstring).

    ``encode`` (texts -> unit vectors) enables the bi-encoder-ranked negatives from the other
    paragraphs of the same article; ``lookalikes`` the look-alike questions (at most that many per
    answerable question that has a name or number to swap, chosen with ``seed``).
    """
    pairs: list[Pair] = []
    texts = {id(p): candidate_texts(p) for p in paragraphs}
    for para in paragraphs:
        for q in para.questions:
            gold = para.answer_sentence(q)
            if not q.impossible and gold is None:
                continue  # an answer offset outside every sentence: skip rather than mislabel
            plausible = para.plausible_sentence(q)
            for i, text in enumerate(texts[id(para)]):
                label = 1.0 if i == gold else 0.0
                kind = "answer" if label else ("unanswerable" if q.impossible else "paragraph")
                if i == plausible:
                    kind = "plausible"
                answer = _answer_in(q, text) if label else ""
                pairs.append(Pair(q.question, text, label, para.article, q.qid, kind, answer))
    if encode is not None and retrieved_negatives > 0:
        pairs += _retrieved_negatives(paragraphs, texts, encode, retrieved_negatives)
    if lookalikes > 0:
        pairs += lookalike_pairs(paragraphs, random.Random(seed), lookalikes)
    return pairs


def _answer_in(q: SquadQuestion, text: str) -> str:
    """The first of the question's gold answers that ``text`` holds verbatim (whitespace
    normalised), or "" when none does."""
    for answer in q.answers:
        answer = " ".join(answer.split())
        if answer and answer in text:
            return answer
    return ""


_NAME_OR_NUMBER = re.compile(r"\b(?:[A-Z][\w'-]*[a-z][\w'-]*|\d[\d,.]*\d|\d)\b")
# A capitalised word inside a sentence (after a lower-case word or a comma) is a name; one that
# opens a sentence ("Clearly", "One") may not be.
_INNER_NAME = re.compile(r"(?<=[a-z,] )[A-Z][\w'-]*[a-z][\w'-]*\b")
_NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")


def _names_and_numbers(text: str) -> set[str]:
    return set(_NAME_OR_NUMBER.findall(text))


def _swap_pool(text: str) -> set[str]:
    return set(_INNER_NAME.findall(text)) | set(_NUMBER.findall(text))


def _kind(token: str) -> str:
    if not token[0].isdigit():
        return "name"
    return "year" if re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", token) else "number"


def lookalike_question(
    question: str, sentence: str, pool: Sequence[str], rng: random.Random
) -> str | None:
    """``question`` with one name or number that ``sentence`` holds replaced by one of ``pool``
    of the same kind (name for name, number for number) that ``sentence`` does not hold; None
    when there is nothing to swap. The question's first word is never swapped (a capitalised
    question word is not a name)."""
    first = question.split(maxsplit=1)[0] if question.split() else ""
    in_sentence = _names_and_numbers(sentence)
    swappable = sorted(t for t in _names_and_numbers(question) if t in in_sentence and t != first)
    if not swappable:
        return None
    target = rng.choice(swappable)
    options = sorted(
        t
        for t in set(pool)
        if _kind(t) == _kind(target)
        and t not in sentence
        and t not in question
        and t.lower() not in sentence.lower()
    )
    if not options:
        return None
    return re.sub(rf"\b{re.escape(target)}\b", rng.choice(options), question, count=1)


def lookalike_pairs(
    paragraphs: Sequence[SquadParagraph], rng: random.Random, per_question: int = 2
) -> list[Pair]:
    """Up to ``per_question`` look-alike negatives per answerable question that has a name or
    number to swap, the replacement drawn from the names and numbers used inside the sentences
    of the same article (module docstring)."""
    pools: dict[str, list[str]] = {}
    for para in paragraphs:
        pools.setdefault(para.article, []).extend(sorted(_swap_pool(para.context)))
    out: list[Pair] = []
    for para in paragraphs:
        pool = pools[para.article]
        for q in para.questions:
            gold = para.answer_sentence(q)
            if gold is None:
                continue
            sentence = para.sentence(gold)
            made: set[str] = set()
            for _ in range(per_question):
                changed = lookalike_question(q.question, sentence, pool, rng)
                if changed is None or changed in made:
                    continue
                made.add(changed)
                text = reader_text(sentence, para.article)
                out.append(Pair(changed, text, 0.0, para.article, q.qid, "lookalike"))
    return out


def _retrieved_negatives(
    paragraphs: Sequence[SquadParagraph],
    texts: dict[int, list[str]],
    encode: Callable[[list[str]], np.ndarray],
    per_question: int,
) -> list[Pair]:
    out: list[Pair] = []
    by_article: dict[str, list[SquadParagraph]] = {}
    for para in paragraphs:
        by_article.setdefault(para.article, []).append(para)
    for article, paras in by_article.items():
        rows = [(p, i) for p in paras for i in range(len(p.sentences))]
        vectors = encode([p.sentence(i) for p, i in rows])
        questions = [(p, q) for p in paras for q in p.questions]
        qvectors = encode([q.question for _, q in questions])
        scores = qvectors @ vectors.T
        for (para, q), row in zip(questions, scores, strict=True):
            answers = [a.lower() for a in q.answers if a.strip()]
            taken = 0
            for j in np.argsort(-row):
                other, i = rows[int(j)]
                if other is para:
                    continue
                sentence = other.sentence(i).lower()
                if any(a in sentence for a in answers):
                    continue
                out.append(Pair(q.question, texts[id(other)][i], 0.0, article, q.qid, "retrieved"))
                taken += 1
                if taken >= per_question:
                    break
    return out


def news_pairs(
    folder: str | Path,
    encode: Callable[[list[str]], np.ndarray],
    *,
    negatives: int = 4,
    lookalikes: bool = True,
) -> list[Pair]:
    """Pairs from a news question split (``tests/data/newsqa/train``: ``articles/*.txt`` and
    ``questions.jsonl``), as news readers meet them: paraphrased questions, long articles.

    An answerable question's positives are the article's sentences that hold one of its evidence
    strings; its negatives are the ``negatives`` other sentences of the article the bi-encoder
    ranks highest for it. A look-alike question (the article's people and matter, an answer the
    article does not give) has the ``negatives`` sentences the bi-encoder ranks highest as
    negatives, kind "news_lookalike": the hard negatives news look-alikes are (left out when not
    ``lookalikes``). Off-topic questions and follow-ups are left out (what a follow-up searches
    is resolved from its earlier turns by the answering layer, above the reader).
    """
    from qa_bot.ingest.cleaning import clean_text
    from qa_bot.ingest.sentences import split_sentences

    root = Path(folder)
    articles: dict[str, tuple[str, list[str]]] = {}
    for path in sorted((root / "articles").glob("*.txt")):
        title, body = clean_text(path.read_text(encoding="utf-8"))
        sentences = [body[s.start : s.end] for s in split_sentences(body)]
        articles[path.stem] = (title, sentences)
    rows = [json.loads(line) for line in (root / "questions.jsonl").open(encoding="utf-8")]
    out: list[Pair] = []
    vectors = {doc: encode(sentences) for doc, (_, sentences) in articles.items()}
    asked = [r for r in rows if r.get("article") in articles and not r.get("history")]
    asked = [
        r for r in asked if r.get("answerable") or (lookalikes and r.get("group") == "lookalike")
    ]
    qvectors = encode([r["question"] for r in asked])
    for row, qvector in zip(asked, qvectors, strict=True):
        title, sentences = articles[row["article"]]
        folded = [" ".join(s.split()).lower() for s in sentences]
        evidence = [" ".join(e.split()).lower() for e in row.get("evidence", [])]
        gold = {i for i, s in enumerate(folded) if any(e in s or s in e for e in evidence)}
        if row.get("answerable") and not gold:
            continue  # evidence across a sentence break the splitter made: skip, not mislabel
        kind = "news" if row.get("answerable") else "news_lookalike"
        for i in sorted(gold):
            text = reader_text(sentences[i], title)
            out.append(Pair(row["question"], text, 1.0, row["article"], row["id"], "news_answer"))
        order = np.argsort(-(vectors[row["article"]] @ qvector))
        taken = [int(i) for i in order if int(i) not in gold][:negatives]
        for i in taken:
            text = reader_text(sentences[i], title)
            out.append(Pair(row["question"], text, 0.0, row["article"], row["id"], kind))
    return out
