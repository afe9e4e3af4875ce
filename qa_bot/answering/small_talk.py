"""Small talk: a greeting, thanks or a request for help is not a question about the articles.

"Hello", "Thanks!" and "What can you do?" used to be searched like questions and answered "I
found nothing in the articles that answers this question", with the nearest passages. They get a
short reply of their own instead, that says what the bot can be asked; nothing is searched or
cited. Only messages that are nothing but small talk count ("Thanks, and what did Putin say?"
is a question).
"""

from __future__ import annotations

import re

__all__ = ["small_talk_reply"]

_END = r"[\s!.?,:;)(*-]*$"
_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            rf"^\W*(?:hi|hello|hey|hiya|howdy|greetings|good\s+(?:morning|afternoon|evening)|"
            rf"yo)(?:\s+(?:there|bot|qa_bot|everyone))?{_END}",
            re.IGNORECASE,
        ),
        "Hello! Ask me about the {articles} in the index: a question on their subject, or “What "
        "articles do you have?”. I answer with sentences quoted from the articles, each with "
        "its [n] source, or say so when they do not answer.",
    ),
    (
        re.compile(
            rf"^\W*(?:(?:many\s+)?thanks?(?:\s+(?:you|a\s+lot|so\s+much))*|thank\s+you(?:\s+"
            rf"(?:very\s+much|so\s+much))?|thx|ty|cheers|much\s+appreciated)(?:\s+(?:bot|qa_bot))?"
            rf"{_END}",
            re.IGNORECASE,
        ),
        "You're welcome. Ask another question about the articles whenever you like.",
    ),
    (
        re.compile(
            rf"^\W*(?:(?:good)?bye|see\s+you(?:\s+later)?|good\s+night|that'?s\s+all){_END}",
            re.IGNORECASE,
        ),
        "Goodbye! Your questions stay in this chat until you start a new one.",
    ),
    (
        re.compile(
            rf"^\W*(?:help|what\s+can\s+(?:you|i)\s+do|how\s+does\s+(?:this|it)\s+work|"
            rf"what\s+are\s+you|who\s+are\s+you|how\s+do\s+i\s+use\s+(?:this|you)){_END}",
            re.IGNORECASE,
        ),
        "I answer questions about the {articles} in the index with sentences quoted from them, "
        "each with its [n] source, or I say that they do not answer. Ask a question on their "
        "subject, follow up with “Why?” or “Tell me more”, or ask “What articles do you "
        "have?”, “Summarize the articles” or “Which articles mention …?”.",
    ),
    (
        re.compile(
            rf"^\W*(?:ok(?:ay)?|great|cool|nice|got\s+it|i\s+see|alright|all\s+right|sure|"
            rf"interesting|wow|hm+|k){_END}",
            re.IGNORECASE,
        ),
        "Ask another question about the articles whenever you like.",
    ),
)


def small_talk_reply(message: str, articles: int) -> str | None:
    """The reply to ``message`` when it is only small talk (a greeting, thanks, goodbye, a
    request for help, an acknowledgement), else ``None``. ``articles`` is how many articles the
    index holds."""
    for pattern, reply in _KINDS:
        if pattern.match(message):
            count = f"{articles} article" + ("s" if articles != 1 else "")
            return reply.format(articles=count)
    return None
