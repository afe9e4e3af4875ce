"""The HTML an answer is turned into, without Gradio (see test_app.py for the chat itself)."""

from __future__ import annotations

import re

import pytest

from qa_bot.ui.chat_html import highlight

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
