"""The claim check: parsing [n] markers, support, correction, renumbering, fallback decision."""

from __future__ import annotations

import pytest
from llm_data import BEES, KREMLIN, TRAM, make_hit

from qa_bot.index.embedding import HashEmbedder
from qa_bot.llm.claims import (
    UNSUPPORTED_MARK,
    ClaimCheck,
    ClaimSettings,
    check_claims,
    parse_claims,
    unsupported_sentences,
)
from qa_bot.llm.prompts import PromptPassage
from qa_bot.models import Answer, Citation

pytestmark = pytest.mark.unit


def shown(*texts: tuple[str, str]) -> list[PromptPassage]:
    hits = [make_hit(text, title, i + 1) for i, (text, title) in enumerate(texts)]
    return [PromptPassage(h.rank, h, len(h.passage.text)) for h in hits]


PASSAGES = shown((KREMLIN, "Moscow and Trump"), (BEES, "Honey bees"), (TRAM, "New tram line"))
EMBEDDER = HashEmbedder(512)


def check(text: str, **settings: float) -> ClaimCheck:
    return check_claims(text, PASSAGES, embedder=EMBEDDER, settings=ClaimSettings(**settings))


def assert_quotes_verbatim(citations: tuple[Citation, ...]) -> None:
    by_id = {p.passage.passage_id: p.passage for p in PASSAGES}
    for c in citations:
        passage = by_id[c.passage_id]
        assert passage.text[c.start : c.end] == c.quote
        assert c.supported


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Moscow is wary [1]. Bees died [2].", [("Moscow is wary.", [1]), ("Bees died.", [2])]),
        ("Moscow is wary. [1] Bees died. [2]", [("Moscow is wary.", [1]), ("Bees died.", [2])]),
        ("Moscow is wary [1, 3].", [("Moscow is wary.", [1, 3])]),
        ("Moscow is wary [1][3][1].", [("Moscow is wary.", [1, 3])]),
        ("Moscow is wary (Passage 2).", [("Moscow is wary.", [2])]),
        ("Answer: Moscow is wary [Passage 2].", [("Moscow is wary.", [2])]),
        ("- Moscow is wary [1]\n- Bees died [2]", [("Moscow is wary", [1]), ("Bees died", [2])]),
        ("[1] Moscow is wary.", [("Moscow is wary.", [1])]),
        ("Moscow is wary.\n[1]", [("Moscow is wary.", [1])]),
        ("", []),
    ],
)
def test_parse_claims_reads_marker_styles(text: str, expected: list[tuple[str, list[int]]]) -> None:
    assert parse_claims(text) == expected


def test_supported_claims_keep_citations_and_are_renumbered_by_first_use() -> None:
    result = check(
        "Beekeepers in Ohio lost half of their colonies over the winter [2]. "
        "The Kremlin is wary of Donald Trump [1]. Researchers blame a parasitic mite [2]."
    )
    assert result.accepted
    assert result.text == (
        "Beekeepers in Ohio lost half of their colonies over the winter. [1] "
        "The Kremlin is wary of Donald Trump. [2] Researchers blame a parasitic mite. [1]"
    )
    citations = result.citations
    assert [(c.number, c.passage_id) for c in citations] == [(1, "p2"), (2, "p1"), (1, "p2")]
    assert citations[0].quote == "Beekeepers in Ohio lost half of their colonies over the winter."
    assert citations[2].quote == "Researchers blame a parasitic mite and a wet spring."
    assert_quotes_verbatim(citations)
    assert [c.status for c in result.claims] == ["supported"] * 3


def test_unknown_citation_numbers_are_removed() -> None:
    result = check("The Kremlin is wary of Donald Trump [1][7]. Tickets cost two euros [9].")
    assert result.text == ("The Kremlin is wary of Donald Trump. [1] Tickets cost two euros. [2]")
    assert [c.passage_id for c in result.citations] == ["p1", "p3"]
    assert [c.status for c in result.claims] == ["corrected", "corrected"]


def test_wrong_citation_is_corrected_to_the_supporting_passage() -> None:
    result = check("Researchers blame a parasitic mite and a wet spring [3].")
    claim = result.claims[0]
    assert claim.status == "corrected"
    assert claim.cited == (3,)
    assert claim.sources == (2,)
    assert result.text == "Researchers blame a parasitic mite and a wet spring. [1]"
    assert result.citations[0].passage_id == "p2"


def test_uncited_supported_sentence_gets_a_citation() -> None:
    result = check("The city opened its first tram line on Monday.")
    assert result.claims[0].status == "added"
    assert result.text == "The city opened its first tram line on Monday. [1]"
    assert result.citations[0].passage_id == "p3"


def test_invented_sentence_is_flagged_and_kept_without_citation() -> None:
    result = check(
        "The Kremlin is wary of Donald Trump [1]. "
        "Russian officials say his policies are unpredictable [1]. "
        "Aliens from Mars secretly built the tram network last century [3]."
    )
    assert result.accepted
    assert result.supported_share == pytest.approx(2 / 3, abs=1e-3)
    flagged = result.flagged
    assert [c.status for c in flagged] == ["unsupported"]
    assert result.text.endswith(
        f"Aliens from Mars secretly built the tram network last century. {UNSUPPORTED_MARK}"
    )
    assert len(result.citations) == 2
    answer = Answer("q", result.text, result.citations, (), False, 0.5)
    assert unsupported_sentences(answer) == [
        "Aliens from Mars secretly built the tram network last century."
    ]


def test_a_number_missing_from_the_passage_is_not_supported() -> None:
    good = check("Trade talks between Moscow and Washington stalled in 2017 [1].")
    bad = check("Trade talks between Moscow and Washington stalled in 2019 [1].")
    assert good.claims[0].status == "supported"
    assert bad.claims[0].status == "unsupported"
    assert not bad.accepted


def test_low_support_is_not_accepted() -> None:
    result = check(
        "The Kremlin is wary of Donald Trump [1]. Penguins dislike warm weather in Peru [2]. "
        "The stock market doubled overnight in Brazil [3]."
    )
    assert result.supported_share == pytest.approx(1 / 3, abs=1e-3)
    assert not result.accepted
    assert check("Nothing here matches anything [1].").accepted is False
    assert check("").accepted is False


def test_filler_sentences_are_kept_but_not_counted() -> None:
    result = check("Here is what I found: The Kremlin is wary of Donald Trump [1].")
    statuses = [c.status for c in result.claims]
    assert "supported" in statuses
    assert result.accepted


def test_truncated_passage_supports_only_its_shown_sentences() -> None:
    hit = make_hit(KREMLIN, "Moscow and Trump", 1)
    first_end = hit.passage.sentences[0].end
    cut = [PromptPassage(1, hit, first_end)]
    result = check_claims(
        "Russian officials say his policies are unpredictable [1].", cut, embedder=EMBEDDER
    )
    assert result.claims[0].status == "unsupported"


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="similarity_weight must be between 0 and 1"):
        ClaimSettings(similarity_weight=1.5)
    with pytest.raises(ValueError, match="min_supported_share"):
        ClaimSettings(min_supported_share=-0.1)


def test_echoed_scaffolding_repeats_and_a_cut_off_end_are_dropped() -> None:
    reply = (
        "<<<END 3 5d1c0a9be2f4>>\nTitle: Moscow and Trump\n"
        "The Kremlin is wary of Donald Trump [1]. The Kremlin is wary of Donald Trump [2].\n"
        "Question: Why is Moscow wary?\nRussian officials say his policies are unpredictable"
        " [1]. Trade talks between Moscow and"
    )
    assert parse_claims(reply) == [
        ("The Kremlin is wary of Donald Trump.", [1, 2]),
        ("Russian officials say his policies are unpredictable.", [1]),
    ]


def test_words_of_the_question_do_not_count_as_support() -> None:
    passage = shown(
        (
            "Messaging aimed at the president stresses deal-making: energy, Arctic development "
            "and technological partnerships.",
            "Courting Trump",
        )
    )
    question = "Which sectors do Russian pitches to Trump offer as joint business ventures?"
    true = "Russian pitches to Trump offer joint ventures in energy and Arctic development."
    false = "Russian pitches to Trump offer joint ventures in banking and tourism."
    with_q = check_claims(f"{true} {false}", passage, embedder=EMBEDDER, question=question)
    assert [c.status for c in with_q.claims] == ["added", "unsupported"]
    without = check_claims(false, passage, embedder=EMBEDDER)
    assert without.claims[0].support > with_q.claims[1].support
