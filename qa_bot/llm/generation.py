"""The optional LLM path: a generated answer from any OpenAI-compatible chat-completions server.

``OpenAIGenerator`` streams ``/v1/chat/completions`` over plain ``http.client`` (no new
dependency). ``stream_answer`` sends the numbered passages (``qa_bot.llm.prompts``), yields the
reply's text chunks as they arrive, runs the claim check (``qa_bot.llm.claims``) and yields the
final ``Answer`` last. ``generate_answer`` is the same without the iterator. A generated answer
keeps the fallback's question, query, hits and confidence (the retrieval evidence score); its text
and citations come from the claim check (unsupported sentences end in ``[?]``, see
``qa_bot.llm.claims``) and ``generated`` is True.

Failure policy: the extractive answer is always computed first and passed in as ``fallback``.
When the server times out, refuses the connection, answers with an HTTP error or a malformed
reply, or the claim check rejects the reply, the result is ``fallback`` (``generated=False``)
with timing keys added: ``llm`` (seconds spent), and ``llm_failed`` = 1.0 (server error; the
one-line message is logged at WARNING on ``qa_bot.llm.generation`` and passed to ``on_error``) or
``llm_rejected`` = 1.0 (too little support). These functions never raise ``GeneratorError``;
``OpenAIGenerator.stream`` and ``complete`` do.

Never hangs: ``timeout`` bounds the connection and every single read, ``total_timeout`` the
whole reply. The API key is read from the environment at each request, sent only in the
``Authorization`` header, and never stored on the object, logged, or put in an error message.

Thread-safety: a generator holds no per-request state; every call opens its own connection.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from qa_bot.errors import GeneratorError
from qa_bot.index.embedding import Embedder
from qa_bot.llm.claims import ClaimSettings, check_claims
from qa_bot.llm.prompts import build_answer_prompt, build_rewrite_prompt
from qa_bot.models import Answer, Hit

__all__ = ["OpenAIGenerator", "generate_answer", "rewrite_question", "stream_answer"]

logger = logging.getLogger(__name__)

_MAX_LINE = 1 << 20
_MAX_ERROR_BODY = 2000
_MAX_REWRITE_CHARS = 300


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be greater than 0. Currently, {name} is {value}")


class OpenAIGenerator:
    """A client of an OpenAI-compatible ``/v1/chat/completions`` endpoint (llama.cpp, vLLM, ...).

    Args:
        base_url: The server, e.g. ``http://127.0.0.1:8080`` (a trailing ``/v1`` is accepted).
        model: The model name sent in each request.
        api_key_env: The environment variable holding the API key; no key, no header.
        timeout: Seconds allowed to connect and for each read (first token included).
        max_tokens: The reply's token limit (also reserved out of the context for the prompt).
        temperature: Sampling temperature.
        context_tokens: The model's context window, for the prompt budget.
        total_timeout: Seconds allowed for a whole reply.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 60.0,
        max_tokens: int = 300,
        temperature: float = 0.1,
        context_tokens: int = 2048,
        total_timeout: float = 300.0,
    ) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"base_url must be an http(s) URL. Currently, base_url is {base_url!r}"
            )
        if parts.username or parts.password:
            raise ValueError("base_url must not contain credentials; set them in api_key_env")
        if not model:
            raise ValueError("model must be a non-empty model name")
        for name, value in (
            ("timeout", timeout), ("max_tokens", max_tokens), ("total_timeout", total_timeout),
            ("context_tokens", context_tokens),
        ):  # fmt: skip
            _positive(name, value)
        if context_tokens <= max_tokens:
            raise ValueError(
                f"context_tokens ({context_tokens}) must be greater than max_tokens ({max_tokens})"
            )
        path = parts.path.rstrip("/")
        if not path.endswith("/v1"):
            path += "/v1"
        self.base_url = f"{parts.scheme}://{parts.netloc}{path}"
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = float(timeout)
        self.max_tokens = int(max_tokens)
        self.temperature = float(temperature)
        self.context_tokens = int(context_tokens)
        self.total_timeout = float(total_timeout)
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._path = f"{path}/chat/completions"

    def __repr__(self) -> str:
        return (
            f"OpenAIGenerator(base_url={self.base_url!r}, model={self.model!r}, "
            f"api_key_env={self.api_key_env!r}, timeout={self.timeout}, "
            f"max_tokens={self.max_tokens}, context_tokens={self.context_tokens})"
        )

    def _fail(self, what: str) -> GeneratorError:
        key = os.environ.get(self.api_key_env)
        # A server may echo the request back in an error body; the key must not reach the user.
        if key:
            what = what.replace(key, "***")
        return GeneratorError(f"LLM server {self.base_url}: {what}")

    def _connect(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """Send ``messages`` and yield the reply's text chunks as the server streams them.

        Raises:
            GeneratorError: Timeout, connection error, HTTP error or malformed reply (one line).
        """
        body = {
            "model": self.model, "messages": messages, "stream": True,
            "max_tokens": self.max_tokens, "temperature": self.temperature,
        }  # fmt: skip
        logger.debug("LLM request to %s (model %s)", self.base_url, self.model)
        deadline = time.monotonic() + self.total_timeout
        conn = self._connect()
        try:
            try:
                conn.request("POST", self._path, json.dumps(body).encode("utf-8"), self._headers())
                response = conn.getresponse()
            except TimeoutError as exc:
                raise self._fail(f"no response within {self.timeout:g}s") from exc
            except ConnectionRefusedError as exc:
                raise self._fail("connection refused (is the server running?)") from exc
            except (OSError, http.client.HTTPException) as exc:
                raise self._fail(f"connection failed: {exc}") from exc
            if response.status != 200:
                raise self._fail(f"HTTP {response.status}: {_error_detail(response)}")
            content_type = response.getheader("Content-Type", "")
            if "text/event-stream" not in content_type:
                yield _whole_reply(self, response)
                return
            yield from self._events(response, deadline)
        finally:
            conn.close()

    def _events(self, response: http.client.HTTPResponse, deadline: float) -> Iterator[str]:
        finished = False
        while True:
            if time.monotonic() > deadline:
                raise self._fail(f"reply not finished within {self.total_timeout:g}s")
            try:
                raw = response.readline(_MAX_LINE)
            except TimeoutError as exc:
                raise self._fail(f"stalled: nothing received for {self.timeout:g}s") from exc
            except (OSError, http.client.HTTPException) as exc:
                raise self._fail(f"connection lost mid-reply: {exc!r}") from exc
            if not raw:
                if finished:
                    return
                raise self._fail("connection closed before the reply was complete")
            if len(raw) >= _MAX_LINE:
                raise self._fail("malformed reply: an event line over 1 MiB")
            line = raw.decode("utf-8", errors="replace").strip()
            if not line.startswith("data:"):
                continue  # blank separators, comments, "event:" and "id:" fields
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                return
            event = _parse_json(self, data)
            if "error" in event:
                raise self._fail(f"error event: {_message(event['error'])}")
            choice = _first_choice(self, event)
            delta = choice.get("delta") or {}
            if not isinstance(delta, dict):
                raise self._fail("malformed reply: 'delta' is not an object")
            text = delta.get("content")
            if text:
                if not isinstance(text, str):
                    raise self._fail("malformed reply: 'content' is not text")
                yield text
            if choice.get("finish_reason"):
                finished = True

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The whole reply to ``messages`` as one string.

        Raises:
            GeneratorError: As ``stream``.
        """
        return "".join(self.stream(messages))


def _message(error: Any) -> str:
    if isinstance(error, dict):
        error = error.get("message", error)
    return " ".join(str(error).split())[:300]


def _error_detail(response: http.client.HTTPResponse) -> str:
    try:
        body = response.read(_MAX_ERROR_BODY).decode("utf-8", errors="replace")
    except (OSError, http.client.HTTPException):
        return response.reason or "no details"
    try:
        parsed = json.loads(body)
    except ValueError:
        return " ".join(body.split())[:300] or response.reason or "no details"
    return _message(parsed.get("error", parsed) if isinstance(parsed, dict) else parsed)


def _parse_json(generator: OpenAIGenerator, data: str) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except ValueError as exc:
        raise generator._fail(f"malformed reply: not JSON: {data[:80]!r}") from exc
    if not isinstance(event, dict):
        raise generator._fail("malformed reply: not a JSON object")
    return event


def _first_choice(generator: OpenAIGenerator, event: dict[str, Any]) -> dict[str, Any]:
    choices = event.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise generator._fail("malformed reply: no 'choices'")
    return choices[0]


def _whole_reply(generator: OpenAIGenerator, response: http.client.HTTPResponse) -> str:
    # A server that ignores "stream": true answers with one JSON document.
    try:
        raw = response.read()
    except TimeoutError as exc:
        raise generator._fail(f"stalled: nothing received for {generator.timeout:g}s") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise generator._fail(f"connection lost mid-reply: {exc!r}") from exc
    event = _parse_json(generator, raw.decode("utf-8", errors="replace"))
    message = _first_choice(generator, event).get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise generator._fail("malformed reply: no message content")
    return content


def _noted(fallback: Answer, started: float, flag: str) -> Answer:
    timings = {**fallback.timings, "llm": time.perf_counter() - started, flag: 1.0}
    return replace(fallback, timings=timings)


def stream_answer(
    question: str,
    hits: Sequence[Hit],
    *,
    generator: OpenAIGenerator,
    embedder: Embedder,
    fallback: Answer,
    on_error: Callable[[str], None] | None = None,
    settings: ClaimSettings | None = None,
    prompts_dir: str | Path | None = None,
) -> Iterator[str | Answer]:
    """Yield the generated reply's text chunks as they arrive, then the final ``Answer``.

    The chunks are the model's raw words (its own ``[n]`` numbering); the final ``Answer``
    replaces them: checked, renumbered, or ``fallback`` (see the module docstring). When
    ``fallback`` abstained or there are no hits, the model is not asked and ``fallback`` is the
    only item.

    Args:
        question: The standalone question (for a follow-up, the rewritten one).
        hits: The retrieved passages, best first.
        generator: The LLM client.
        embedder: The index's embedder, for the claim check.
        fallback: The extractive answer to the same question.
        on_error: Called with the one-line message when the server fails.
        settings: Claim-check thresholds.
        prompts_dir: Where the templates are; the repository's ``prompts/`` by default.
    """
    if fallback.abstained or not hits:
        yield fallback
        return
    started = time.perf_counter()
    try:
        prompt = build_answer_prompt(
            question, hits, context_tokens=generator.context_tokens,
            reply_tokens=generator.max_tokens, prompts_dir=prompts_dir,
        )  # fmt: skip
        chunks: list[str] = []
        for chunk in generator.stream(prompt.messages):
            chunks.append(chunk)
            yield chunk
    except GeneratorError as exc:
        logger.warning("%s; showing the extractive answer", exc)
        if on_error is not None:
            on_error(str(exc))
        yield _noted(fallback, started, "llm_failed")
        return
    generated = time.perf_counter()
    check = check_claims(
        "".join(chunks), prompt.passages, embedder=embedder, question=question, settings=settings
    )
    checked = time.perf_counter()
    for claim in check.flagged:
        logger.info("claim check: %s %r (cited %s)", claim.status, claim.text, list(claim.cited))
    if not check.accepted:
        share = 100 * check.supported_share
        logger.info("claim check rejected the reply (%.0f%% supported)", share)
        yield _noted(fallback, started, "llm_rejected")
        return
    timings = {**fallback.timings, "llm": generated - started, "claim_check": checked - generated}
    yield replace(
        fallback, text=check.text, citations=check.citations, abstained=False,
        timings=timings, generated=True,
    )  # fmt: skip


def generate_answer(
    question: str,
    hits: Sequence[Hit],
    *,
    generator: OpenAIGenerator,
    embedder: Embedder,
    fallback: Answer,
    on_token: Callable[[str], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    settings: ClaimSettings | None = None,
    prompts_dir: str | Path | None = None,
) -> Answer:
    """A generated, claim-checked answer, or ``fallback`` (see ``stream_answer``).

    ``on_token`` is called with each raw text chunk as it arrives.
    """
    for item in stream_answer(
        question, hits, generator=generator, embedder=embedder, fallback=fallback,
        on_error=on_error, settings=settings, prompts_dir=prompts_dir,
    ):  # fmt: skip
        if isinstance(item, Answer):
            return item
        if on_token is not None:
            on_token(item)
    raise AssertionError("stream_answer always ends with an Answer")  # pragma: no cover


def rewrite_question(
    question: str,
    history: Sequence[str],
    *,
    generator: OpenAIGenerator,
    prompts_dir: str | Path | None = None,
) -> str:
    """``question`` rewritten to stand alone given earlier questions; unchanged on any failure.

    Worth it only with a capable model: SmolLM2-135M answers the question or repeats an earlier
    one instead (both rejected here, so the follow-up comes back unchanged).

    Args:
        question: The follow-up.
        history: The user's earlier questions, oldest first.
        generator: The LLM client.
        prompts_dir: Where the templates are.
    """
    if not history:
        return question
    try:
        reply = generator.complete(build_rewrite_prompt(question, history, prompts_dir=prompts_dir))
    except GeneratorError as exc:
        logger.warning("%s; searching the follow-up as asked", exc)
        return question
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if not lines:
        return question
    rewritten = lines[0].removeprefix("Standalone question:").strip().strip("\"'“”").strip()
    # A small model often answers instead, or just repeats an earlier question: keep the
    # follow-up as asked unless the reply is a new question.
    earlier = {turn.strip().casefold() for turn in history}
    if (
        not rewritten.endswith("?")
        or len(rewritten) > _MAX_REWRITE_CHARS
        or rewritten.casefold() in earlier
    ):
        return question
    return rewritten
