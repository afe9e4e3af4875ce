"""The command line: errors are one line with exit 1; help is instant and does not import torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_bot.cli import cli

pytestmark = pytest.mark.unit


def _one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_empty_question(tmp_path: Path) -> None:
    line = _one_line_error(CliRunner().invoke(cli, ["ask", "  ", "--index-dir", str(tmp_path)]))
    assert "empty" in line


def test_missing_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line = _one_line_error(
        CliRunner().invoke(cli, ["ask", "hi?", "--index-dir", str(tmp_path / "no")])
    )
    assert "no index" in line
    # From another folder, with the default index folder: the absolute path and the next step.
    monkeypatch.chdir(tmp_path)
    line = _one_line_error(CliRunner().invoke(cli, ["ask", "hi?"]))
    assert f"no index in {tmp_path.resolve() / 'embeddings'}" in line
    assert "qa-bot index FOLDER --index-dir" in line and "--index-dir" in line


def test_missing_corpus(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["index", str(tmp_path / "nope"), "--index-dir", str(tmp_path / "i")]
    )
    _one_line_error(result)


def test_empty_corpus(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(
        cli, ["index", str(tmp_path / "empty"), "--index-dir", str(tmp_path / "i")]
    )
    _one_line_error(result)


def test_index_and_ask_with_fake_model(small_corpus: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    index_dir = str(tmp_path / "i")
    result = runner.invoke(
        cli, ["index", str(small_corpus), "--index-dir", index_dir, "--model", "hash:512", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "built index" in result.output
    result = runner.invoke(
        cli, ["ask", "Why did Ohio beekeepers lose colonies?", "--index-dir", index_dir, "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["question"].startswith("Why did Ohio")
    assert {"text", "citations", "hits", "abstained"} <= set(data)


def test_eval_builds_the_index_from_a_corpus_first(small_corpus: Path, tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "b1", "question": "Why did Ohio beekeepers lose colonies?",
                    "evidence": ["Researchers blame a parasitic mite"], "answerable": True})
        + "\n",
        encoding="utf-8",
    )  # fmt: skip
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
