"""The index owns its corpus: every command serves the index the user built, updates it only from
the folder it was built from, and refuses another folder unless --force (issue 14)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qa_bot.cli import cli
from qa_bot.index.build import build_index
from qa_bot.index.embedding import HashEmbedder
from qa_bot.index.store import MANIFEST, current_version, read_manifest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
TRAM_QUESTION = "How long does the tram take to the airport?"


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder holds a ./corpus of its own (as the project folder does): the folder
    a command used to fall back on when the user named none."""
    work = tmp_path / "work"
    (work / "corpus").mkdir(parents=True)
    (work / "corpus" / "volcano.txt").write_text(
        "Volcano erupts in Iceland\n\nA volcano near Grindavik erupted on Tuesday night. "
        "Lava reached the edge of the town by morning.\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def user_index(small_corpus: Path, tmp_path: Path) -> Path:
    """MYIDX, built by the user from their own folder with `qa-bot index`."""
    index_dir = tmp_path / "myidx"
    result = CliRunner().invoke(
        cli, ["index", str(small_corpus), "--index-dir", str(index_dir), "--model", "hash:512"]
    )
    assert result.exit_code == 0, result.output
    return index_dir


def _doc_ids(index_dir: Path) -> set[str]:
    version = current_version(index_dir)
    assert version is not None
    return {d["doc_id"] for d in json.loads((version / "documents.json").read_text())}


def _eval_file(tmp_path: Path, question: str, evidence: str) -> Path:
    path = tmp_path / "q.jsonl"
    path.write_text(
        json.dumps({"id": "q1", "question": question, "evidence": [evidence], "answerable": True})
        + "\n",
        encoding="utf-8",
    )
    return path


def _add_article(folder: Path) -> None:
    (folder / "ferry.txt").write_text(
        "Ferry service resumes\n\nThe island ferry resumed service on Friday after a storm. "
        "Crossings now leave every forty minutes from the harbour.\n",
        encoding="utf-8",
    )


# ----------------------------------------------------------------------- the manifest


def test_the_manifest_records_the_absolute_corpus_folder(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "i"
    monkeypatch.chdir(small_corpus.parent)
    build_index(Path(small_corpus.name), index_dir, HashEmbedder(64))
    assert read_manifest(index_dir)["corpus"]["folder"] == str(small_corpus.resolve())


def test_building_from_another_folder_is_refused_unless_replacing(
    small_corpus: Path, tmp_path: Path
) -> None:
    from qa_bot.errors import CorpusMismatchError

    index_dir = tmp_path / "i"
    build_index(small_corpus, index_dir, HashEmbedder(64))
    live = current_version(index_dir)
    other = tmp_path / "other"
    other.mkdir()
    _add_article(other)
    with pytest.raises(CorpusMismatchError, match="was built from"):
        build_index(other, index_dir, HashEmbedder(64))
    assert current_version(index_dir) == live
    # The same folder by another path (a symlink) is the same folder.
    (tmp_path / "link").symlink_to(small_corpus)
    assert build_index(tmp_path / "link", index_dir, HashEmbedder(64)).status == "reused"
    report = build_index(other, index_dir, HashEmbedder(64), replace_corpus=True)
    assert report.documents == 1
    assert read_manifest(index_dir)["corpus"]["folder"] == str(other.resolve())


# ----------------------------------------------------------------------- ask


def test_ask_serves_the_users_index_not_the_local_corpus(workdir: Path, user_index: Path) -> None:
    live = current_version(user_index)
    result = CliRunner().invoke(
        cli, ["ask", TRAM_QUESTION, "--index-dir", str(user_index), "--json"]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["hits"][0]["passage"]["doc_id"] == "rail.md"
    assert current_version(user_index) == live
    assert "volcano.txt" not in _doc_ids(user_index)


def test_ask_updates_from_the_recorded_folder_when_it_changed_and_says_so(
    workdir: Path, user_index: Path, small_corpus: Path
) -> None:
    _add_article(small_corpus)
    args = ["ask", "How often does the island ferry leave?", "--index-dir", str(user_index)]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert "changed since the index was built: updated the index" in result.stderr
    assert str(small_corpus.resolve()) in result.stderr
    assert json.loads(result.stdout)["hits"][0]["passage"]["doc_id"] == "ferry.txt"
    assert _doc_ids(user_index) == {"bees.txt", "chess.txt", "ferry.txt", "rail.md"}
    again = CliRunner().invoke(cli, [*args, "--json"])
    assert again.exit_code == 0 and again.stderr == ""  # unchanged now: nothing to say


def test_ask_with_another_corpus_is_an_error_unless_forced(workdir: Path, user_index: Path) -> None:
    live = current_version(user_index)
    args = ["ask", TRAM_QUESTION, "--index-dir", str(user_index), "--corpus", "corpus"]
    line = _one_line_error(CliRunner().invoke(cli, args))
    assert "was built from" in line and "--force" in line
    assert current_version(user_index) == live
    forced = CliRunner().invoke(cli, [*args, "--force", "--json"])
    assert forced.exit_code == 0, forced.output
    assert _doc_ids(user_index) == {"volcano.txt"}
    assert read_manifest(user_index)["model"]["id"] == "hash:512"  # the index keeps its model


def test_ask_with_its_own_corpus_named_works(user_index: Path, small_corpus: Path) -> None:
    args = ["ask", TRAM_QUESTION, "--index-dir", str(user_index), "--corpus", str(small_corpus)]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["hits"][0]["passage"]["doc_id"] == "rail.md"


def test_ask_when_the_recorded_folder_is_gone_serves_the_index_as_built(
    workdir: Path, user_index: Path, small_corpus: Path
) -> None:
    small_corpus.rename(small_corpus.with_name("moved"))
    live = current_version(user_index)
    result = CliRunner().invoke(
        cli, ["ask", TRAM_QUESTION, "--index-dir", str(user_index), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert "no longer exists; serving the index as built" in result.stderr
    assert json.loads(result.stdout)["hits"][0]["passage"]["doc_id"] == "rail.md"
    assert current_version(user_index) == live


# ----------------------------------------------------------------------- eval


def test_eval_serves_the_users_index_and_updates_from_its_folder(
    workdir: Path, user_index: Path, small_corpus: Path, tmp_path: Path
) -> None:
    questions = _eval_file(
        tmp_path, "How often does the island ferry leave?", "every forty minutes"
    )
    args = ["eval", str(questions), "--index-dir", str(user_index), "--json", "--no-reader"]
    before = CliRunner().invoke(cli, args)
    assert before.exit_code == 0, before.output
    assert json.loads(before.stdout)["totals"]["hit@5"] == 0.0  # not in the folder yet
    assert "volcano.txt" not in _doc_ids(user_index)
    _add_article(small_corpus)
    after = CliRunner().invoke(cli, args)
    assert after.exit_code == 0, after.output
    assert "updated the index" in after.stderr
    assert json.loads(after.stdout)["totals"]["hit@1"] == 1.0


def test_eval_with_another_corpus_is_an_error_unless_forced(
    workdir: Path, user_index: Path, tmp_path: Path
) -> None:
    questions = _eval_file(tmp_path, "Where did the volcano erupt?", "near Grindavik")
    args = ["eval", str(questions), "--index-dir", str(user_index), "--corpus", "corpus"]
    line = _one_line_error(CliRunner().invoke(cli, [*args, "--json", "--no-reader"]))
    assert "was built from" in line
    forced = CliRunner().invoke(cli, [*args, "--force", "--json", "--no-reader"])
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["totals"]["hit@1"] == 1.0


# ----------------------------------------------------------------------- index


def test_index_without_a_folder_updates_from_the_recorded_one(
    workdir: Path, user_index: Path, small_corpus: Path
) -> None:
    _add_article(small_corpus)
    args = ["index", "--index-dir", str(user_index), "--model", "hash:512", "-q"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Updated the index in {user_index.resolve()}: 4 articles")
    assert _doc_ids(user_index) == {"bees.txt", "chess.txt", "ferry.txt", "rail.md"}


def test_index_from_another_folder_is_an_error_unless_forced(
    workdir: Path, user_index: Path
) -> None:
    live = current_version(user_index)
    args = ["index", "corpus", "--index-dir", str(user_index), "--model", "hash:512", "-q"]
    line = _one_line_error(CliRunner().invoke(cli, args))
    assert "was built from" in line
    assert current_version(user_index) == live
    assert CliRunner().invoke(cli, [*args, "--force"]).exit_code == 0
    assert _doc_ids(user_index) == {"volcano.txt"}


def test_an_index_that_records_no_folder(
    workdir: Path, user_index: Path, small_corpus: Path
) -> None:
    # Indexes written before the folder was recorded: served as built; `index` asks for the
    # folder once, and naming one records it.
    manifest_path = current_version(user_index) / MANIFEST  # type: ignore[operator]
    manifest = json.loads(manifest_path.read_text())
    del manifest["corpus"]["folder"]
    manifest_path.write_text(json.dumps(manifest))
    asked = CliRunner().invoke(cli, ["ask", TRAM_QUESTION, "--index-dir", str(user_index)])
    assert asked.exit_code == 0, asked.output
    index_args = ["index", "--index-dir", str(user_index), "--model", "hash:512", "-q"]
    line = _one_line_error(CliRunner().invoke(cli, index_args))
    assert "does not record its corpus folder" in line
    named = CliRunner().invoke(cli, ["index", str(small_corpus), *index_args[1:]])
    assert named.exit_code == 0, named.output
    assert read_manifest(user_index)["corpus"]["folder"] == str(small_corpus.resolve())


# ----------------------------------------------------------------------- chat


def test_chat_with_another_corpus_or_no_index_is_an_error(workdir: Path, user_index: Path) -> None:
    live = current_version(user_index)
    args = ["chat", "--index-dir", str(user_index), "--corpus", "corpus"]
    assert "was built from" in _one_line_error(CliRunner().invoke(cli, args))
    assert current_version(user_index) == live
    missing = CliRunner().invoke(cli, ["chat", "--index-dir", str(workdir / "nothing")])
    assert "no index" in _one_line_error(missing)
    assert not (workdir / "nothing").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_chat_serves_the_users_index_as_built(workdir: Path, user_index: Path) -> None:
    # The reported bug: `qa-bot chat --index-dir MYIDX` rebuilt MYIDX from ./corpus.
    live = current_version(user_index)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "qa_bot.cli", "chat", "--index-dir", str(user_index)]
    log = workdir.parent / "chat.log"  # a file, not a pipe: progress bars cannot block it
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [*command, "--port", str(port)], cwd=workdir, env=env, stdout=log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        served = False
        while time.monotonic() < deadline and process.poll() is None:
            assert current_version(user_index) == live, "the chat replaced the user's index"
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0 and "Chat ready" in log.read_text():
                    served = True
                    break
            time.sleep(0.5)
        assert served, f"the chat did not start (exit {process.poll()})"
    finally:
        process.kill()
        process.wait(timeout=30)
    # One line says where to open it; Gradio's own banner (which suggests share=True) is gone.
    output = log.read_text()
    assert output.splitlines() == [
        f"Chat ready at http://127.0.0.1:{port}/ over the index in {user_index.resolve()} "
        "(3 articles, 3 passages). Ctrl+C stops it."
    ], output
    assert current_version(user_index) == live
    assert _doc_ids(user_index) == {"bees.txt", "chess.txt", "rail.md"}
