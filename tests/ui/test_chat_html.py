"""The HTML an answer is turned into, without Gradio (see test_app.py for the chat itself)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from qa_bot.answering.answer import NO_ANSWER
from qa_bot.models import Answer, Citation
from qa_bot.ui.chat_html import highlight, render_answer, render_sources

pytestmark = pytest.mark.unit


def test_highlight_marks_exactly_the_quoted_sentence() -> None:
    text = "First one here. Second <b>one</b> & more. Third one."
    second = (text.index(" Second"), text.index(" Third"))
    html = highlight(text, [second])
    assert re.findall(r"<mark>(.*?)</mark>", html) == [" Second &lt;b&gt;one&lt;/b&gt; &amp; more."]
    assert html.startswith("First one here.<mark>")
    assert html.endswith("</mark> Third one.")


def test_highlight_merges_and_clips_spans() -> None:
    assert highlight("abcdef", [(1, 3), (2, 4), (5, 99)]) == "a<mark>bcd</mark>e<mark>f</mark>"
    assert highlight("abc", []) == "abc"


def test_an_answer_that_retrieved_nothing_has_no_score_table() -> None:
    # A list of the articles (answering/collection.py) quotes their openings but retrieved
    # nothing: a "Why these passages" table would show scores that were never computed.
    citation = Citation(1, "a.txt#0", "a.txt", "Storm", "A storm hit.", 0, 12)
    listed = Answer("What articles do you have?", "“Storm” [1].", (citation,), (), False, 1.0)
    html = render_answer(replace(listed, timings={"total": 0.01}))
    assert "Why these passages" not in html and "answered in 0.01 s" in html
    assert 'class="qa-cite"' in html
    sources = render_sources(listed, {})
    assert "<mark>A storm hit.</mark>" in sources


def test_an_abstention_shows_the_bot_s_words_when_they_say_more() -> None:
    generic = render_answer(Answer("Who is X?", NO_ANSWER, (), (), True, 0.1))
    assert "The articles hold no answer to this question." in generic
    none = Answer(
        "Which articles mention NATO?", "None of the 5 articles mentions NATO.", (), (), True, 0.0
    )
    html = render_answer(none)
    assert "None of the 5 articles mentions NATO." in html
    assert "Nearest passages" not in html  # there are none
