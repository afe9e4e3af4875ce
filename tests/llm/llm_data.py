"""Passages and hits shared by the LLM unit tests (test_claims, test_generation)."""

from __future__ import annotations

from qa_bot.ingest.chunking import split_sentences
from qa_bot.models import Hit, Passage

KREMLIN = (
    "The Kremlin is wary of Donald Trump. Russian officials say his policies are unpredictable. "
    "Trade talks between Moscow and Washington stalled in 2017."
)
BEES = (
    "Beekeepers in Ohio lost half of their colonies over the winter. "
    "Researchers blame a parasitic mite and a wet spring."
)
TRAM = "The city opened its first tram line on Monday. Tickets cost two euros."


def make_hit(text: str, title: str, rank: int) -> Hit:
    passage = Passage(
        passage_id=f"p{rank}", doc_id=f"d{rank}", title=title, text=text, start=0,
        end=len(text), sentences=tuple(split_sentences(text)),
    )  # fmt: skip
    return Hit(passage=passage, score=1.0 / rank, dense=0.5, sentence=0.5, bm25=0.5, rank=rank)
