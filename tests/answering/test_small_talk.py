"""Small talk gets a reply of its own; nothing is searched or cited."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qa_bot.answering.small_talk import small_talk_reply
from qa_bot.bot import QABot
from qa_bot.models import Turn

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("message", "starts"),
    [
        ("Hello", "Hello! Ask me about the 3 articles"),
        ("hi there!", "Hello!"),
        ("Good morning", "Hello!"),
        ("Thanks!", "You're welcome."),
        ("thank you so much", "You're welcome."),
        ("bye", "Goodbye!"),
        ("What can you do?", "I answer questions about the 3 articles"),
        ("help", "I answer questions"),
        ("ok", "Ask another question"),
        ("Got it.", "Ask another question"),
    ],
)
def test_small_talk_is_recognised(message: str, starts: str) -> None:
    reply = small_talk_reply(message, 3)
    assert reply is not None and reply.startswith(starts)


@pytest.mark.parametrize(
    "message",
    [
        "Thanks, and what did the harbour master say?",
        "Hello, who repaired the pier?",
        "Why?",
        "What did the storm do?",
        "Help for the harbour",
    ],
)
def test_questions_are_not_small_talk(message: str) -> None:
    assert small_talk_reply(message, 3) is None


@pytest.fixture
def bot(hashed_bot: Callable[[dict[str, str]], QABot]) -> QABot:
    return hashed_bot(
        {
            "pier.txt": "Pier news\n\nStorms closed the north pier twice this winter. The harbour "
            "board will repair the north pier in May. Ferries use the south pier until then.\n"
        }
    )


def test_a_greeting_is_answered_without_searching(bot: QABot) -> None:
    answer = bot.ask("Hello")
    assert answer.text.startswith("Hello! Ask me about the 1 article in the index")
    assert not answer.abstained and not answer.citations and not answer.hits


def test_small_talk_in_a_chat_lends_no_subject(bot: QABot) -> None:
    history = [Turn("When will the north pier be repaired?", True, "x"), Turn("ok", True, "y")]
    assert bot.chat("Why?", history).query == "Why? (north, pier, repaired)"
