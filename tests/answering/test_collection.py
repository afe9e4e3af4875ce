"""Questions about the collection itself: which articles there are, who wrote or ran which."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qa_bot.answering import collection
from qa_bot.answering.collection import CollectionQuestion, collection_question
from qa_bot.bot import QABot
from qa_bot.models import Answer

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("What articles do you have?", CollectionQuestion("all")),
        ("Which stories are in the archive?", CollectionQuestion("all")),
        ("How many articles are there?", CollectionQuestion("all")),
        ("list all the articles", CollectionQuestion("all")),
        ("What can I ask about?", CollectionQuestion("all")),
        ("Summarize the articles", CollectionQuestion("summary")),
        ("What are the main points of the articles?", CollectionQuestion("summary")),
        ("give me an overview of all the stories", CollectionQuestion("summary")),
        ("What has Dana Whitfield written?", CollectionQuestion("by", "Dana Whitfield")),
        ("What else did she write?", CollectionQuestion("by", "she")),
        (
            "Which articles did the Harbour Herald publish?",
            CollectionQuestion("by", "Harbour Herald"),
        ),
        ("Which pieces are by Dana Whitfield?", CollectionQuestion("by", "Dana Whitfield")),
        ("Articles from the Harbour Herald", CollectionQuestion("by", "Harbour Herald")),
        ("Did Whitfield write any of the articles?", CollectionQuestion("by", "Whitfield")),
        (
            "Which articles mention the harbour master?",
            CollectionQuestion("mention", "harbour master"),
        ),
        ("Do the articles discuss ferries?", CollectionQuestion("mention", "ferries")),
        ("How many articles mention the ferries?", CollectionQuestion("mention", "ferries")),
        ("how many of the stories cover the quay", CollectionQuestion("mention", "quay")),
        ("which article talks about the quay", CollectionQuestion("mention", "quay")),
        ("Who is Dana Whitfield?", CollectionQuestion("who", "Dana Whitfield")),
        ("what is the harbour herald", CollectionQuestion("who", "harbour herald")),
    ],
)
def test_questions_about_the_collection(question: str, asked: CollectionQuestion) -> None:
    assert collection_question(question) == asked


@pytest.mark.parametrize(
    "question",
    [
        "Has Dana Whitfield written any books?",  # what the text says, not the collection
        "What did Dana Whitfield write about the ferries?",
        "Why did the harbour stay dark?",
        "What do the articles say about the ferries?",
        "Which articles mention him?",  # no one to look for
    ],
)
def test_other_questions_are_not_about_the_collection(question: str) -> None:
    assert collection_question(question) is None


STORM = (
    "A storm tore the roof off the harbour office on Friday night. Crews worked for two days to "
    "make it safe. The harbour master called it the worst damage in years.\n"
)
FERRIES = (
    "The island ferries sailed on time all week. Their crews carried the repair teams across for "
    "free. Passengers thanked them at the quay.\n"
)
MARKET = (
    "The fish market reopened on Monday after the storm. Traders said prices had doubled. The "
    "council promised help for the stalls that lost their roofs.\n"
)


@pytest.fixture
def bot(hashed_bot: Callable[[dict[str, str]], QABot]) -> QABot:
    front = "---\ntitle: {}\nauthor: Dana Whitfield\noutlet: Harbour Herald\ndate: {}\n---\n\n"
    return hashed_bot(
        {
            "a_storm.md": front.format("Storm darkens the harbour", "2025-03-04") + STORM,
            "b_market.md": front.format("Fish market reopens", "2025-03-10") + MARKET,
            "c_ferries.txt": "Ferries keep running\n\n" + FERRIES,
        }
    )


def _quotes_verbatim(bot: QABot, answer: Answer) -> list[int]:
    """Each citation quotes a whole sentence of its article verbatim; where each quote starts."""
    assert answer.citations
    starts = []
    for citation in answer.citations:
        article = bot.article(citation.doc_id)
        assert article is not None
        span = article.span(citation.passage_id, citation.start, citation.end)
        assert span is not None and article.text[span[0] : span[1]] == citation.quote
        assert citation.quote.endswith(".")
        starts.append(span[0])
    return starts


def _cites_openings(bot: QABot, answer: Answer) -> None:
    """Each citation quotes its article's opening sentence, verbatim."""
    assert set(_quotes_verbatim(bot, answer)) == {0}


def test_the_articles_are_listed_with_their_facts(bot: QABot) -> None:
    answer = bot.ask("What articles do you have?")
    assert not answer.abstained
    assert answer.text == (
        "The index holds 3 articles: “Fish market reopens” (Harbour Herald, Dana Whitfield, "
        "March 10, 2025) [1]; “Storm darkens the harbour” (Harbour Herald, Dana Whitfield, "
        "March 4, 2025) [2]; “Ferries keep running” [3]."
    )  # the most recent first, the undated last
    assert [c.doc_id for c in answer.citations] == ["b_market.md", "a_storm.md", "c_ferries.txt"]
    _cites_openings(bot, answer)


def test_a_long_list_says_how_many_more(bot: QABot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collection, "MAX_LISTED", 2)
    answer = bot.ask("List the articles")
    assert answer.text.startswith("The index holds 3 articles; the 2 most recent:")
    assert answer.text.endswith("; and 1 more (ask about a subject to find them).")
    assert len(answer.citations) == 2


@pytest.mark.parametrize(
    "question",
    [
        "What has Dana Whitfield written?",
        "what has whitfield written",
        "Which articles are from the Harbour Herald?",
    ],
)
def test_an_author_s_or_outlet_s_articles(bot: QABot, question: str) -> None:
    answer = bot.ask(question)
    assert not answer.abstained
    assert [c.doc_id for c in answer.citations] == ["b_market.md", "a_storm.md"]
    assert "“Storm darkens the harbour”" in answer.text and "“Fish market reopens”" in answer.text
    assert "Ferries" not in answer.text
    if "Herald" in question:
        assert answer.text.startswith("Harbour Herald published 2 of the articles:")
    else:  # the name as the articles give it
        assert answer.text.startswith("Dana Whitfield wrote 2 of the articles:")
    _cites_openings(bot, answer)


def test_a_name_no_article_has_stays_an_ordinary_question(bot: QABot) -> None:
    answer = bot.ask("What has the harbour master written?")
    assert "of the articles:" not in answer.text


def test_who_is_an_author_the_text_does_not_describe(bot: QABot) -> None:
    answer = bot.ask("Who is Dana Whitfield?")
    assert not answer.abstained
    assert answer.text.startswith(
        "The articles do not say who Dana Whitfield is; Dana Whitfield wrote 2 of the articles:"
    )
    _cites_openings(bot, answer)
    # Someone who wrote none of them gets the usual answer.
    assert "of the articles:" not in bot.ask("Who is the harbour master?").text


def test_a_summary_of_the_articles_gives_each_one_s_opening(bot: QABot) -> None:
    answer = bot.ask("Summarize the articles")
    assert not answer.abstained
    assert answer.text.startswith("The index holds 3 articles, each by its opening sentence: ")
    assert "“Ferries keep running”: The island ferries sailed on time all week. [3]" in answer.text
    assert [c.quote for c in answer.citations][-1] == "The island ferries sailed on time all week."
    _cites_openings(bot, answer)


def test_the_articles_that_mention_a_subject_with_their_first_mention(bot: QABot) -> None:
    answer = bot.ask("Which articles mention the crews?")
    assert not answer.abstained
    assert answer.text == (
        "2 of the articles mention crews (each by its first mention): “Storm darkens the "
        "harbour” (Harbour Herald, Dana Whitfield, March 4, 2025): Crews worked for two days to "
        "make it safe. [1] “Ferries keep running”: Their crews carried the repair teams across "
        "for free. [2]"
    )
    assert all(start > 0 for start in _quotes_verbatim(bot, answer))  # not the openings
    one = bot.ask("Do the articles mention the quay?")
    assert one.text.startswith("One of the articles mentions quay: “Ferries keep running”")


def test_no_article_mentions_it(bot: QABot) -> None:
    answer = bot.ask("Which articles mention the lighthouse?")
    assert answer.abstained and not answer.citations
    assert answer.text == "None of the 3 articles mentions lighthouse."
    # An author no text names: the articles by that name.
    assert bot.ask("Which articles mention Whitfield?").text.startswith(
        "Dana Whitfield wrote 2 of the articles:"
    )
