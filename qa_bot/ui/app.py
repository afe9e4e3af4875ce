"""The browser chat (Gradio): cited answers, a sources panel with highlighted quotes, follow-ups.

Safety: every piece of article, passage and question text is HTML-escaped before it reaches
the page (answers and sources by ``qa_bot.ui.chat_html``, questions and errors here), and the chat
renders its messages as (sanitised) HTML, never as Markdown, so an article holding ``<script>``
or ``![x](http://…)`` shows as text, runs nothing and loads nothing. The server binds 127.0.0.1
by default, never opens a share link, serves no files (no file components, no ``allowed_paths``;
the corpus and index folders are blocked on top) and sends no telemetry.

Thread-safety: one ``QABot`` serves every session; its ``chat`` may run in several threads at
once. Each browser session keeps its own conversation in ``gr.State``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import gradio as gr

from qa_bot.errors import QABotError
from qa_bot.models import Turn
from qa_bot.ui.chat_html import (
    GENERATED_NOTE,
    NEAREST,
    NO_EVIDENCE,
    esc,
    render_answer,
    render_sources,
)

if TYPE_CHECKING:
    from qa_bot.index.store import Article, DocumentInfo
    from qa_bot.models import Answer

# The rendering of an answer and its texts live in qa_bot.ui.chat_html; re-exported here.
__all__ = ["EXAMPLES", "GENERATED_NOTE", "NEAREST", "NO_EVIDENCE", "Session", "build_app", "launch",
           "render_answer", "render_sources", "respond"]  # fmt: skip

log = logging.getLogger(__name__)

TITLE = "qa_bot — ask the news articles"
EXAMPLES = (
    "Why is Moscow wary of Trump?",
    "Why does the Russian elite court Trump?",
    "How did the Kremlin react to Trump's election?",
    "What did Putin say about Trump at Valdai?",
)
SEARCHING = "Searching the articles…"
PANEL_EMPTY = "The passages each answer quotes appear here, the quoted sentences highlighted."
_PANEL_TURNS = 10
# The newest sources go on top; a jump to an older [n] may have scrolled the panel down.
# Opening "Read the article" scrolls the article's box to its first highlighted sentence.
_PANEL_JS = """
watch('value', () => {
  for (let el = element; el && el.id !== 'qa-sources'; el = el.parentElement) el.scrollTop = 0;
});
element.addEventListener('toggle', (event) => {
  const view = event.target;
  if (!view.open || !view.classList || !view.classList.contains('qa-article')) return;
  const box = view.querySelector('.qa-article-text');
  const mark = box && box.querySelector('mark');
  if (mark) box.scrollTop = Math.max(0, mark.offsetTop - 24);
}, true);
"""
# A short pause between streamed sentences so the answer visibly builds up.
_STREAM_PAUSE = 0.04
_MARKER = re.compile(r"\[(\d+)\]")

CSS = """
.qa-header h1 { margin: 0 0 .2rem 0; font-size: 1.6rem; }
.qa-header h1, .qa-nothing, .qa-panel-title, .qa-turn-q, .qa-source-head b, .qa-cite,
.qa-nearest-label, .qa-why th { font-weight: 600; }
.qa-header p { margin: 0; color: var(--body-text-color-subdued); }
.qa-header details { margin-top: .3rem; font-size: .9rem; }
.qa-answer { line-height: 1.55; }
.qa-answer p { margin: .25rem 0; }
.qa-status { color: var(--body-text-color-subdued); font-style: italic; }
.qa-unsupported { color: #b45309; font-size: .8em; vertical-align: super; cursor: help; }
.qa-cite { text-decoration: none; font-size: .8em; vertical-align: super;
  padding: 0 .1em; }
.qa-meta, .qa-searched { font-size: .85em; color: var(--body-text-color-subdued); }
.qa-nothing { font-size: 1rem; }
.qa-why summary { cursor: pointer; font-size: .9em; padding-top: .3rem; }
.qa-why-intro, .qa-why-legend { font-size: .8em; color: var(--body-text-color-subdued); }
.qa-why-legend { margin: .3rem 0 0 0; padding-left: 1.1rem; line-height: 1.35; }
.qa-why table { border-collapse: collapse; font-size: .8em; width: 100%; }
.qa-why th, .qa-why td { padding: .15rem .25rem; text-align: left; vertical-align: top;
  border-bottom: 1px solid var(--border-color-primary); }
.qa-why th { white-space: normal; overflow-wrap: normal; word-break: normal; line-height: 1.2;
  vertical-align: bottom; cursor: help; font-size: .92em; }
.qa-why td { white-space: nowrap; }
.qa-why td.title { white-space: normal; overflow-wrap: normal; word-break: normal;
  min-width: 8em; line-height: 1.3; }
.qa-why td.num { text-align: right; font-variant-numeric: tabular-nums; }
.qa-why th:nth-child(n+2) { text-align: right; }
.qa-why-src { text-decoration: none; }
.qa-panel-title { font-size: 1.05rem; padding: .2rem 0; }
#qa-sources { padding-right: .3rem; }
#qa-send, #qa-clear { white-space: nowrap; }
.qa-empty { color: var(--body-text-color-subdued); }
.qa-turn { margin-bottom: 1.2rem; }
.qa-turn-q { margin-bottom: .3rem; padding-bottom: .2rem;
  border-bottom: 1px solid var(--border-color-primary); }
.qa-turn + .qa-turn { opacity: .75; }
.qa-nearest-label { color: #b45309; margin: .3rem 0; }
.qa-source { margin: .4rem 0 .8rem 0; scroll-margin-top: .5rem; }
.qa-source:target .qa-passage { outline: 2px solid var(--color-accent); }
.qa-source-head { font-size: .9em; }
.qa-source-meta { font-size: .8em; color: var(--body-text-color-subdued); margin-bottom: .25rem; }
.qa-article summary { cursor: pointer; font-size: .82em; margin-top: .3rem;
  color: var(--body-text-color-subdued); }
#qa-sources .qa-article-text { max-height: 24rem; overflow-y: auto; white-space: pre-wrap;
  font-size: .88em; line-height: 1.5; padding: .4rem .7rem; margin-top: .3rem;
  border: 1px solid var(--border-color-primary); border-radius: 4px; position: relative; }
#qa-sources .qa-passage { margin: 0; padding: .4rem .7rem;
  border-left: 3px solid var(--color-accent);
  background: var(--background-fill-secondary); font-size: .92em; line-height: 1.5;
  white-space: pre-wrap; border-radius: 0 4px 4px 0; }
.qa-passage mark, .qa-article-text mark { background: #fde68a; color: #1f2937;
  padding: 0 .1em; border-radius: 2px; }
#qa-sources .qa-nearest .qa-passage { border-left-color: var(--border-color-primary); }
"""


# Gradio's bundled Source Sans Pro: regular and bold only. Its SemiBold file drew some capitals
# ("A") in another face, so the 600 weight used for headings falls to the bold one.
THEME = gr.themes.Soft(
    font=[
        gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)),
        "ui-sans-serif",
        "system-ui",
        "sans-serif",
    ]
)


class ChatBot(Protocol):
    """What the app needs of a bot (``QABot`` has it; tests pass a small fake)."""

    max_question_chars: int

    @property
    def documents(self) -> Mapping[str, DocumentInfo]: ...

    def article(self, doc_id: str) -> Article | None: ...

    def chat(self, question: str, history: Sequence[str | Turn] = (), k: int = 5) -> Answer: ...

    def stream(
        self, question: str, history: Sequence[str | Turn] = (), k: int = 5
    ) -> Iterator[str | Answer]: ...


def _stream_cuts(text: str) -> list[str]:
    """Growing prefixes of ``text``, each ending after a ``[n]`` marker (one per sentence)."""
    cuts = [text[: m.end()] for m in _MARKER.finditer(text)]
    return cuts if cuts and cuts[-1] == text else [*cuts, text]


@dataclass(frozen=True)
class Session:
    """One browser session's conversation, kept server-side in ``gr.State``.

    The chat component's own value is never read back, so a client cannot slip file
    references or raw HTML into what the server sends out.
    """

    messages: tuple[dict[str, str], ...] = ()
    questions: tuple[str, ...] = ()
    answered: tuple[bool, ...] = ()  # per question: whether the bot found an answer
    replies: tuple[str, ...] = ()  # per question: the answer's text (a follow-up's "he")
    sources: tuple[str, ...] = ()  # one panel block per answered turn, newest first

    def panel(self) -> str:
        """The sources panel HTML."""
        if not self.sources:
            return f'<p class="qa-empty">{esc(PANEL_EMPTY)}</p>'
        return "".join(self.sources)


def _say(session: Session, user: dict[str, str], html_text: str, **changes: Any) -> Session:
    messages = (*session.messages, user, {"role": "assistant", "content": html_text})
    return replace(session, messages=messages, **changes)


def respond(bot: ChatBot, question: str, session: Session) -> Iterator[tuple[Session, str]]:
    """The chat handler: yields the session as the answer builds up, and the textbox value."""
    question = (question or "").strip()
    if not question:
        yield session, ""
        return
    user = {"role": "user", "content": esc(question)}
    if len(question) > bot.max_question_chars:
        limit = f"The question is {len(question)} characters long; the limit is "
        limit += f"{bot.max_question_chars}."
        yield _say(session, user, f'<p class="qa-nothing qa-error">{esc(limit)}</p>'), question
        return
    yield _say(session, user, f'<p class="qa-status">{esc(SEARCHING)}</p>'), ""
    answer: Answer | None = None
    draft = ""
    try:
        # Generated replies arrive as text chunks first (shown as a draft), then the checked
        # Answer; extractive answers arrive whole.
        history = [
            Turn(q, a, r)
            for q, a, r in zip(session.questions, session.answered, session.replies, strict=True)
        ]
        for item in bot.stream(question, history=history):
            if isinstance(item, str):
                draft += item
                yield _say(session, user, f'<p class="qa-status">{esc(draft)}</p>'), ""
            else:
                answer = item
        assert answer is not None
    except QABotError as exc:
        yield _say(session, user, f'<p class="qa-nothing qa-error">{esc(str(exc))}</p>'), ""
        return
    except Exception:
        log.exception("answering %r failed", question)
        failure = '<p class="qa-nothing qa-error">Something went wrong; please try again.</p>'
        yield _say(session, user, failure), ""
        return
    turn = len(session.questions) + 1
    if not answer.abstained:
        for prefix in _stream_cuts(answer.text)[:-1]:
            partial = render_answer(answer, turn=turn, text=prefix, final=False)
            yield _say(session, user, partial), ""
            time.sleep(_STREAM_PAUSE)
    yield _say(
        session, user, render_answer(answer, turn=turn),
        questions=(*session.questions, question),
        answered=(*session.answered, not answer.abstained),
        replies=(*session.replies, answer.text),
        sources=(
            render_sources(answer, bot.documents, turn=turn, article=bot.article),
            *session.sources,
        )[:_PANEL_TURNS],
    ), ""  # fmt: skip


def _header(bot: ChatBot) -> str:
    docs = sorted(bot.documents.values(), key=lambda d: d.title.lower())
    items = "".join(
        "<li>" + esc(" — ".join(filter(None, (d.title, d.metadata.get("outlet"))))) + "</li>"
        for d in docs
    )
    return (
        f'<div class="qa-header"><h1>{esc(TITLE)}</h1>'
        "<p>Answers are sentences quoted from the articles, each with its [n] source; "
        "hover a number for the quote, click it to jump to the passage. "
        "Everything runs on this machine.</p>"
        f"<details><summary>{len(docs)} articles in the index</summary><ul>{items}</ul>"
        "</details></div>"
    )


def build_app(bot: ChatBot) -> gr.Blocks:
    """The chat UI over ``bot`` (not yet queued or launched; ``launch`` does both)."""
    demo: gr.Blocks
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.HTML(_header(bot), padding=False)
        with gr.Row():
            with gr.Column(scale=5, min_width=360):
                chatbot = gr.Chatbot(
                    label="Conversation", show_label=False, height=600, layout="panel",
                    render_markdown=False, sanitize_html=True, latex_delimiters=[],
                    allow_tags=False, feedback_options=None, buttons=[], elem_id="qa-chat",
                    allow_file_downloads=False, examples=[{"text": q} for q in EXAMPLES],
                    placeholder="**Ask a question about the articles**, or pick an example:",
                )  # fmt: skip
                with gr.Row(equal_height=True):
                    box = gr.Textbox(
                        show_label=False, placeholder="Ask a question about the articles…",
                        max_length=bot.max_question_chars, lines=1, max_lines=4, scale=6,
                        autofocus=True, elem_id="qa-question",
                    )  # fmt: skip
                    send = gr.Button("Ask", variant="primary", scale=0, min_width=90,
                                     elem_id="qa-send")  # fmt: skip
                    clear = gr.Button("New chat", scale=0, min_width=120, elem_id="qa-clear")
            with gr.Column(scale=4, min_width=320):
                gr.HTML('<div class="qa-panel-title">Sources</div>', padding=False)
                panel = gr.HTML(Session().panel(), elem_id="qa-sources", max_height=640,
                                padding=False, js_on_load=_PANEL_JS)  # fmt: skip
        session = gr.State(Session())

        def handle(question: str, current: Session) -> Iterator[tuple[Any, ...]]:
            for state, text in respond(bot, question, current):
                yield list(state.messages), state, text, state.panel()

        def pick(evt: gr.SelectData) -> str:
            value = evt.value
            return str(value.get("text", "")) if isinstance(value, dict) else str(value)

        def reset() -> tuple[Any, ...]:
            return [], Session(), "", Session().panel()

        outputs = [chatbot, session, box, panel]
        private: dict[str, Any] = {"api_visibility": "private"}
        send.click(handle, [box, session], outputs, show_progress="hidden", **private)
        box.submit(handle, [box, session], outputs, show_progress="hidden", **private)
        chatbot.example_select(pick, None, box, **private).then(
            handle, [box, session], outputs, show_progress="hidden", **private
        )
        clear.click(reset, None, outputs, **private)
        # The chat's own trash button empties the view only; forget the conversation too.
        chatbot.clear(reset, None, outputs, **private)
    return demo


def _blocked_paths(bot: ChatBot) -> list[str]:
    # Nothing is allowed anyway; blocking the corpus and index folders guards against a
    # future change that would allow more.
    folders = {str(Path(info.source_path).resolve().parent) for info in bot.documents.values()}
    index_dir = getattr(bot, "index_dir", None)
    if index_dir is not None:
        folders.add(str(Path(index_dir).resolve()))
    return sorted(folders)


def launch(
    bot: ChatBot,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the chat on ``host:port`` until interrupted (no share link, no file serving).

    Gradio's own start-up lines are silenced (one of them suggests ``share=True``, which is off
    on purpose); ``on_ready`` is called with the page's address once it serves. Several people
    can use it at once: up to 4 answers are computed together and up to 64 requests wait in
    the queue.
    """
    demo = build_app(bot)
    demo.queue(default_concurrency_limit=4, max_size=64)
    demo.launch(
        server_name=host, server_port=port, share=False, inbrowser=False, show_error=False,
        blocked_paths=_blocked_paths(bot), ssr_mode=False, mcp_server=False, pwa=False,
        enable_monitoring=False, footer_links=["settings"], max_file_size="1kb",
        theme=THEME, css=CSS, quiet=True, prevent_thread_lock=True,
    )  # fmt: skip
    if on_ready is not None:
        on_ready(demo.local_url or f"http://{host}:{port}/")
    try:
        while demo.is_running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        with contextlib.redirect_stdout(io.StringIO()):  # Gradio prints "Closing server …"
            demo.close()
