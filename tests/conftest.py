"""Shared fixtures: a tiny fake embedder for unit tests; the real bundled model, the seed index
and the qa_bot cache folder once per session (once per worker under pytest-xdist)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first (a stable sort: the rest keep their order). pytest-xdist hands out work
    in this order, so the long tests start at once on every worker and the short ones fill the
    gaps at the end, instead of one long test ending the run alone (longest first)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One qa_bot cache folder for the session (``QA_BOT_CACHE``: the ONNX export of the
    bundled model, SQuAD indexes), so the model is exported once per session (per worker under
    pytest-xdist) and never into the user's own ~/.cache; the CLI processes tests start inherit
    it. A test of the cache itself sets its own."""
    cache = tmp_path_factory.getbasetemp() / "qa_bot_cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QA_BOT_CACHE", str(cache))
        yield cache


@pytest.fixture
def hash_embedder():  # type: ignore[no-untyped-def]
    from qa_bot.index.embedding import HashEmbedder

    return HashEmbedder(512)


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Three short articles of other kinds than the seed ones."""
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "bees.txt").write_text(
        "Honey bees in decline\n\n"
        "Beekeepers in Ohio reported losing half of their colonies over the winter. "
        "Researchers blame a parasitic mite and a wet spring. "
        "The state plans to fund new hives next year.\n",
        encoding="utf-8",
    )
    (root / "rail.md").write_text(
        "---\ntitle: New tram line opens\noutlet: City Gazette\n---\n"
        "The city opened its first tram line on Monday. "
        "The line links the airport with the central station in 25 minutes. "
        "Tickets cost two euros.\n",
        encoding="utf-8",
    )
    (root / "chess.txt").write_text(
        "Chess prodigy wins open\n\n"
        "A twelve-year-old from Lyon won the Paris chess open on Sunday. "
        "She beat three grandmasters on her way to the title.\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def hashed_bot(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A maker of bots over small articles (file name -> text), hashed embeddings, no reader."""
    from qa_bot.bot import QABot
    from qa_bot.index.embedding import HashEmbedder

    def make(files: dict[str, str]) -> QABot:
        corpus = tmp_path / "corpus"
        corpus.mkdir(exist_ok=True)
        for name, text in files.items():
            (corpus / name).write_text(text, encoding="utf-8")
        bot = QABot.from_corpus(corpus, tmp_path / "index", embedder=HashEmbedder(512))
        bot.reader = None
        return bot

    return make


@pytest.fixture(scope="session")
def real_embedder():  # type: ignore[no-untyped-def]
    """The bundled all-MiniLM-L6-v2, loaded once per session."""
    from qa_bot.index.embedding import load_embedder

    embedder = load_embedder(None)
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """The seed corpus indexed with the real model, once per session (a fresh copy)."""
    from qa_bot.index.build import build_index

    base = tmp_path_factory.mktemp("seed")
    corpus = base / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    index_dir = base / "index"
    build_index(corpus, index_dir, real_embedder)
    yield index_dir


@pytest.fixture(scope="session")
def memo_reader():  # type: ignore[no-untyped-def]
    """The shipped reader, loaded once, remembering the (question, sentence) pairs it read: the
    suite asks the same questions again (retrieved then answered by the quality gates, with and
    without a typo), and a pair read again has exactly the logit it had (qa_bot/reader/model.py)."""
    from qa_bot.reader.model import Reader

    return Reader(memo=100_000)


@pytest.fixture(scope="session")
def seed_bot(seed_index: Path, real_embedder, memo_reader):  # type: ignore[no-untyped-def]
    from qa_bot.bot import QABot

    return QABot.load(seed_index, embedder=real_embedder, reader=memo_reader)


@pytest.fixture
def one_line_error() -> Callable[[Result], str]:
    """A check of a CLI run that failed as a user error: exit 1, no traceback, exactly one line
    on stderr and nothing on stdout; returns that line."""

    def check(result: Result) -> str:
        assert isinstance(result.exception, SystemExit), (
            f"uncaught {type(result.exception).__name__}: {result.exception}\n{result.output}"
        )
        assert result.exit_code == 1, result.output
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert "Traceback" not in result.output and not result.stdout.strip(), result.output
        return lines[0]

    return check
