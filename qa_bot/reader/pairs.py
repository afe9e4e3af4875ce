"""Training pairs for the reader from SQuAD 2.0 JSON: (question, sentence in context, label).

Each paragraph is split into sentences with the same splitter the index uses. For an answerable
question, the sentence holding the answer's first character is the positive and the paragraph's
other sentences are hard negatives; for an unanswerable one (written on purpose to look
answerable from the paragraph) every sentence of the paragraph is a negative. Optionally, the
sentences of *other* paragraphs of the same article that the bi-encoder ranks highest for the
question are added as negatives (never a sentence that contains a gold answer).

Every pair's text is ``reader_text(sentence, article title)``: what the reader sees at query
time.
"""

from __future__ import annotations

import json
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

    def answer_sentence(self, q: SquadQuestion) -> int | None:
        """The index of the sentence holding the first answer's first character."""
        if q.impossible or not q.answer_starts:
            return None
        at = q.answer_starts[0]
        for i, (start, end) in enumerate(self.sentences):
            if start <= at < end:
                return i
        return None


@dataclass(frozen=True)
class Pair:
    question: str
    text: str
    label: float
    article: str
    qid: str
    kind: str  # "answer" | "paragraph" | "unanswerable" | "retrieved"


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
) -> list[Pair]:
    """Pairs for every question of ``paragraphs`` (see the module docstring).

    ``encode`` (texts -> unit vectors) enables the bi-encoder-ranked negatives from the other
    paragraphs of the same article.
    """
    pairs: list[Pair] = []
    texts = {id(p): candidate_texts(p) for p in paragraphs}
    for para in paragraphs:
        for q in para.questions:
            gold = para.answer_sentence(q)
            if not q.impossible and gold is None:
                continue  # an answer offset outside every sentence: skip rather than mislabel
            for i, text in enumerate(texts[id(para)]):
                label = 1.0 if i == gold else 0.0
                kind = "answer" if label else ("unanswerable" if q.impossible else "paragraph")
                pairs.append(Pair(q.question, text, label, para.article, q.qid, kind))
    if encode is not None and retrieved_negatives > 0:
        pairs += _retrieved_negatives(paragraphs, texts, encode, retrieved_negatives)
    return pairs


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
