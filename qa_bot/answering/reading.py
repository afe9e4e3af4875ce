"""Reading: the reader model scores the candidate sentences of the top passages.

The bi-encoder scores every sentence of the top passages without reading it together with the
question; the reader (a cross-encoder, see qa_bot/reader/) does, and gives a calibrated
probability that the sentence answers the question. It reads a bounded set: the sentences of
the best ``ReaderSettings.passages`` passages, at most ``candidates`` of them (the bi-encoder's
best first), each followed by its article's headline (``reader_text``).

Its probabilities are used three ways (answer.py): to choose and order the answer's sentences
(blended with the bi-encoder score), to rerank passages (a passage's best sentence probability
blended with its retrieval score) and to abstain when no sentence is likely enough to answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from qa_bot.models import Hit, Passage
from qa_bot.reader.model import Reader, reader_text


@dataclass(frozen=True)
class ReaderSettings:
    """How the reader's probabilities are used, chosen on the held-out SQuAD articles
    (``scripts/tune_reader.py``; never on the news question sets).

    ``sentence_weight``: a candidate's score is its bi-encoder score plus this times its reader
    probability (0.5 quoted the right sentence most often; 1.0 and 2.0 less: the reader alone
    is wrong more often than the two together). ``passage_weight``: a passage's score is its
    retrieval score plus this times its best sentence's probability (0.25-1.0 scored the same;
    0.25 moves retrieval least). ``abstain_below``: the answer abstains when no candidate's
    probability reaches it; 0.05 took abstention on the held-out unanswerable questions from
    0.12 to 0.32 for false abstentions 0.04 -> 0.12; 0.1 reached 0.47 at 0.24 false abstentions.
    ``also_below``: a second or third sentence is quoted only when its probability is at least
    this share of the best one's; 0.5 lost 0.07 of right sentences quoted, so it is off, and
    answers are kept short by the blended score's ``keep_within`` band instead.

    ``sure_above``: when the leading sentence's probability reaches it, a weak bi-encoder
    evidence (under ``AnswerSettings.abstain_below``) is no reason to abstain; the rules'
    penalties still are. All 9 false abstentions on the held-out articles had the right sentence
    first, 5 of them with probabilities of 0.31-0.59: 0.3 took false abstention from 0.045 to
    0.025 and right sentences from 0.802 to 0.822, for abstention 0.119 -> 0.111; no news set
    moved (their probabilities rarely reach it). ``concise_above``: the answer is one sentence
    only when the leading one's probability reaches it, else the next best is quoted too (within
    ``max_sentences``, not a duplicate). In 10 of the 31 answers without the right sentence it
    came second or third; 0.7 took right sentences from 0.822 to 0.866 and gold answers from
    0.876 to 0.911, for 2.08 quotes an answer instead of 1.56 (0.5: 0.842, 0.6: 0.856, 0.8: no
    more right sentences, more quotes). Both chosen by ``scripts/tune_reader.py``.

    ``candidates``: how many of the best-scored sentences (of the best ``passages`` hits) the
    reader reads, each a run of the model of about 10 ms on two cores. Chosen on the news dev
    split (``scripts/eval_newsqa.py dev --candidates 32,24,20,16,12,8``): every value gave the
    same answer evidence (0.755), false abstention (0.099), look-alike (0.325) and off-topic
    (0.979) abstention and follow-up figures; the reader rarely lifts a sentence from below the
    eighth. 16 is the smallest that moves no committed set by more than one question (12 and 8
    lose one of the 22 answerable look-alikes and one of 53 seed questions; 16 loses 2 of 463 on
    the SQuAD held-out right sentence, 0.866 -> 0.861), at half the pairs of 32, the value before.
    """

    passages: int = 8
    candidates: int = 16
    sentence_weight: float = 0.5
    passage_weight: float = 0.25
    abstain_below: float = 0.0
    also_below: float = 0.0
    sure_above: float = 0.3
    concise_above: float = 0.7


def sentence_probabilities(
    query: str, sentences: Sequence[tuple[Passage, int]], reader: Reader
) -> np.ndarray:
    """The reader's probability for each (passage, sentence index), read in context."""
    texts = [
        reader_text(passage.sentence_texts()[index], passage.title) for passage, index in sentences
    ]
    return reader.probabilities(query, texts) if texts else np.zeros(0, dtype=np.float32)


def rerank_hits(hits: Sequence[Hit], best: Mapping[str, float], weight: float) -> list[Hit]:
    """Hits reordered by retrieval score plus ``weight`` x their best sentence's probability
    (``best``, by passage id), each carrying that probability in ``Hit.reader``; ranks
    renumbered. A hit the reader did not read keeps its score."""
    scored = [
        (h.score + weight * best.get(h.passage.passage_id, 0.0), i, h) for i, h in enumerate(hits)
    ]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [
        replace(h, score=float(s), rank=rank, reader=best.get(h.passage.passage_id))
        for rank, (s, _, h) in enumerate(scored, start=1)
    ]
