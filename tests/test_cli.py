"""The command line: errors are one line with exit 1; help is instant and does not import torch."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qa_bot.cli import cli, main
from qa_bot.index.store import read_manifest

pytestmark = pytest.mark.unit


def test_empty_question(tmp_path: Path, one_line_error: Callable[[Result], str]) -> None:
    line = one_line_error(CliRunner().invoke(cli, ["ask", "  ", "--index-dir", str(tmp_path)]))
    assert "empty" in line


def test_missing_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_line_error: Callable[[Result], str]
) -> None:
    line = one_line_error(
        CliRunner().invoke(cli, ["ask", "hi?", "--index-dir", str(tmp_path / "no")])
    )
    assert "no index" in line
    # From another folder, with the default index folder: the absolute path and the next step.
    monkeypatch.chdir(tmp_path)
    line = one_line_error(CliRunner().invoke(cli, ["ask", "hi?"]))
    assert f"no index in {tmp_path.resolve() / 'embeddings'}" in line
    assert "qa-bot index FOLDER --index-dir" in line and "--index-dir" in line


def test_missing_corpus(tmp_path: Path, one_line_error: Callable[[Result], str]) -> None:
    result = CliRunner().invoke(
        cli, ["index", str(tmp_path / "nope"), "--index-dir", str(tmp_path / "i")]
    )
    one_line_error(result)


def test_empty_corpus(tmp_path: Path, one_line_error: Callable[[Result], str]) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(
        cli, ["index", str(tmp_path / "empty"), "--index-dir", str(tmp_path / "i")]
    )
    one_line_error(result)


def test_index_and_ask_with_fake_model(small_corpus: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    index_dir = str(tmp_path / "i")
    result = runner.invoke(
        cli, ["index", str(small_corpus), "--index-dir", index_dir, "--model", "hash:512", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        rf"Built the index in {re.escape(str(Path(index_dir).resolve()))}: 3 articles → "
        r"3 passages, 8 sentences; all embedded in \d+\.\d s\.\n",
        result.output,
    ), result.output
    again = runner.invoke(
        cli, ["index", str(small_corpus), "--index-dir", index_dir, "--model", "hash:512"]
    )
    assert again.output.endswith(
        "is up to date: 3 articles → 3 passages, 8 sentences; nothing to embed.\n"
    )
    result = runner.invoke(
        cli, ["ask", "Why did Ohio beekeepers lose colonies?", "--index-dir", index_dir, "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["question"].startswith("Why did Ohio")
    assert {"text", "citations", "hits", "abstained"} <= set(data)


def test_index_update_keeps_the_index_model(small_corpus: Path, tmp_path: Path) -> None:
    """Without --model, an update embeds with the model the index was built with (before, it
    silently rebuilt everything with the bundled model)."""
    index_dir = tmp_path / "i"
    runner = CliRunner()
    args = ["index", str(small_corpus), "--index-dir", str(index_dir), "-q"]
    assert runner.invoke(cli, [*args, "--model", "hash:512"]).exit_code == 0
    (small_corpus / "new.txt").write_text(
        "Wasps in Kent\n\nA new wasp nest was found in a Kent orchard on Monday morning.\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "4 articles" in result.output and "1 passage" in result.output, result.output
    assert read_manifest(index_dir)["model"]["id"] == "hash:512"


def _bee_questions(folder: Path) -> Path:
    """A one-question set about the small corpus's beekeepers."""
    questions = folder / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "b1", "question": "Why did Ohio beekeepers lose colonies?",
                    "evidence": ["Researchers blame a parasitic mite"], "answerable": True})
        + "\n",
        encoding="utf-8",
    )  # fmt: skip
    return questions


def test_eval_builds_the_index_from_a_corpus_first(small_corpus: Path, tmp_path: Path) -> None:
    questions = _bee_questions(tmp_path)
    index_dir = str(tmp_path / "i")
    runner = CliRunner()
    args = ["eval", str(questions), "--index-dir", index_dir, "--model", "hash:512", "--json"]
    missing = runner.invoke(cli, args)
    assert missing.exit_code == 1 and "no index" in missing.output
    result = runner.invoke(cli, [*args, "--corpus", str(small_corpus)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["totals"]["questions"] == 1 and report["totals"]["hit@5"] == 1.0


def test_help_is_fast_and_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from qa_bot.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "mods = ('torch', 'sentence_transformers', 'faiss', 'numpy')\n"
        "heavy = [m for m in mods if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def _run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "qa_bot.cli", *args], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip


def test_chat_with_a_missing_corpus_says_only_that(small_corpus: Path, tmp_path: Path) -> None:
    # With no index, and with ./embeddings built from another folder: nothing is printed
    # before the error, the error is about the missing folder, and it names the next step.
    for attempt in ("no index", "an index of another folder"):
        run = _run_cli(["chat", "--corpus", "/missing"], tmp_path)
        assert run.returncode == 1, attempt
        assert run.stdout == "", attempt
        assert run.stderr.count("\n") == 1, run.stderr
        assert run.stderr.startswith("Error: corpus folder not found: /missing; name a folder")
        built = CliRunner().invoke(
            cli, ["index", str(small_corpus), "--index-dir", str(tmp_path / "embeddings"),
                  "--model", "hash:512", "-q"],
        )  # fmt: skip
        assert built.exit_code == 0, built.output


def _broken_index(small_corpus: Path, tmp_path: Path) -> str:
    index_dir = tmp_path / "broken"
    CliRunner().invoke(
        cli, ["index", str(small_corpus), "--index-dir", str(index_dir), "--model", "hash:512"]
    )
    version = next(index_dir.glob("v-*"))
    (version / "passages.json").write_text("[]", encoding="utf-8")
    return str(index_dir)


def _good_questions(tmp_path: Path) -> str:
    path = tmp_path / "good.jsonl"
    line = {"id": "x", "question": "Why?", "evidence": [], "answerable": False}
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    return str(path)


def _bad_questions(tmp_path: Path) -> str:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "x", "question": "Why?"\n', encoding="utf-8")
    return str(path)


# Each mistake a user can make, and the words of the next step the error must name.
USER_ERRORS = {
    "missing argument": (lambda c, t: ["ask"], "see `qa-bot ask --help`"),
    "unknown option": (lambda c, t: ["index", "--nope"], "see `qa-bot index --help`"),
    "empty question": (lambda c, t: ["ask", " ", "--index-dir", str(t)], 'qa-bot ask "'),
    "long question": (lambda c, t: ["ask", "x" * 1001, "--index-dir", str(t)], "shorten it"),
    "empty corpus": (
        lambda c, t: ["index", str(t / "empty"), "--index-dir", str(t / "i")],
        "name a folder that",
    ),
    "corpus is a file": (
        lambda c, t: ["index", str(c / "bees.txt"), "--index-dir", str(t / "i")],
        "name a folder",
    ),
    "damaged index": (
        lambda c, t: ["ask", "Why?", "--index-dir", _broken_index(c, t)],
        "qa-bot index CORPUS_DIR",
    ),
    "unknown model": (
        lambda c, t: ["index", str(c), "--index-dir", str(t / "i"), "--model", str(t / "m")],
        "leave out --model",
    ),
    "llm model without url": (lambda c, t: ["ask", "Why?", "--llm-model", "x"], "add the URL"),
    "bad llm url": (lambda c, t: ["ask", "Why?", "--llm-url", "ftp://x"], "--llm-url http://"),
    "bad question file": (
        lambda c, t: ["eval", _bad_questions(t), "--index-dir", str(t)],
        "a question set is JSONL",
    ),
    "missing question file": (
        lambda c, t: ["eval", str(t / "nope.jsonl"), "--index-dir", str(t)],
        "check the path",
    ),
    "bad compare report": (
        lambda c, t: ["eval", _good_questions(t), "--compare", str(c / "bees.txt")],
        "--compare takes a report",
    ),
    "bad gate": (lambda c, t: ["eval", "q.jsonl", "--fail-under", "hit@1"], "hit@1=0.8"),
    "unknown gate metric": (
        lambda c, t: ["eval", "q.jsonl", "--fail-under", "hits=1"],
        "the metrics are hit@1",
    ),
}


@pytest.mark.parametrize("mistake", sorted(USER_ERRORS))
def test_every_user_error_is_one_line_naming_the_next_step(
    mistake: str, small_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_args, next_step = USER_ERRORS[mistake]
    args = make_args(small_corpus, tmp_path)
    (tmp_path / "empty").mkdir(exist_ok=True)
    with pytest.raises(SystemExit) as exited:
        main(args)
    captured = capsys.readouterr()
    assert exited.value.code == 1
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("Error: "), captured.err
    assert next_step in captured.err, captured.err


def test_every_command_takes_quiet() -> None:
    for name, command in cli.commands.items():
        options = {opt for param in command.params for opt in param.opts}
        assert {"-q", "--quiet"} <= options, name


def test_eval_exits_1_when_a_gate_is_missed(small_corpus: Path, tmp_path: Path) -> None:
    questions = _bee_questions(tmp_path)
    args = ["eval", str(questions), "--index-dir", str(tmp_path / "i"), "--model", "hash:512",
            "--corpus", str(small_corpus), "--no-reader", "-q"]  # fmt: skip
    met = CliRunner().invoke(
        cli, [*args, "--fail-under", "hit@5=0.5", "--fail-over", "false_abstention_rate=0"]
    )
    assert met.exit_code == 0, met.output
    assert "hit@5" in met.stdout and met.stderr == ""
    missed = CliRunner().invoke(
        cli, [*args, "--fail-under", "hit@5=1.01", "--fail-over", "ask_p50_ms=0"]
    )
    assert missed.exit_code == 1
    assert "hit@5" in missed.stdout  # the report is printed in full first
    lines = missed.stderr.splitlines()
    assert lines[0] == "FAIL hit@5 = 1.000, target >= 1.01"
    assert lines[1].startswith("FAIL ask_p50_ms = ") and lines[1].endswith("target <= 0")


def test_nearest_passages_are_a_clean_numbered_list() -> None:
    from qa_bot.cli import format_answer
    from qa_bot.index.store import DocumentInfo
    from qa_bot.models import Answer, Hit, Passage, Span

    text = (
        "Beekeepers in Ohio reported losses.\n\n\n  Researchers blame a parasitic mite and a wet "
        "spring, and the state plans to fund new hives next year across every county of the "
        "state, from the lake shore down to the river valleys in the south, where the worst "
        "losses were counted."
    )
    hits = tuple(
        Hit(Passage(f"p{n}", "bees.txt", "Honey bees", text, 0, len(text), (Span(0, 10),)),
            0.5 - n / 10, 0.4, 0.3, 0.2, n + 1)
        for n in range(4)
    )  # fmt: skip
    meta = {"outlet": "Farm News", "date": "2025-03-04"}
    documents = {"bees.txt": DocumentInfo("bees.txt", "Honey bees", "/c/bees.txt", meta)}
    answer = Answer("How many bees?", "I found nothing.", (), hits, True, 0.1)
    out = format_answer(answer, documents)
    listing = out.split("Nearest passages (not an answer):\n")[1].splitlines()
    assert all(line.strip() for line in listing)  # no blank lines
    assert all(len(line) <= 88 for line in listing)
    heads = [line for line in listing if not line.startswith("   ")]
    assert heads == [
        f"{n}. Honey bees — Farm News · 2025-03-04 (score {0.5 - (n - 1) / 10:.2f})"
        for n in (1, 2, 3)
    ]
    body = " ".join(line.strip() for line in listing[1 : listing.index(heads[1])])
    assert body.startswith("Beekeepers in Ohio reported losses. Researchers blame")
    assert body.endswith(" …") and len(body) <= 245


def test_an_answer_with_nothing_to_list_is_printed_alone() -> None:
    from qa_bot.cli import format_answer
    from qa_bot.models import Answer

    hello = Answer("Hello", "Hello! Ask me about the 5 articles.", (), (), False, 1.0)
    assert format_answer(hello, {}) == "Hello! Ask me about the 5 articles."
    none = Answer(
        "Which articles mention NATO?", "None of the 5 articles mentions NATO.", (), (), True, 0.0
    )
    assert format_answer(none, {}) == "None of the 5 articles mentions NATO."
