"""The Milvus store on a real Milvus Lite (``pymilvus`` + ``milvus-lite``, nothing mocked):
search against FAISS, builds, incremental rebuilds and their switch, and the errors a missing
``pymilvus`` or an unreachable Milvus give.

Milvus Lite is the same client code (``MilvusClient``) that talks to a Milvus server; a *.db
path makes pymilvus serve the file from this process.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from qa_bot.answering.answer import AnswerSettings
from qa_bot.answering.retrieval import Retriever
from qa_bot.bot import QABot
from qa_bot.cli import cli
from qa_bot.errors import IndexCorruptError, VectorStoreUnreachableError
from qa_bot.index.ann.base import PASSAGES, SENTENCES, TITLES, WINDOWS
from qa_bot.index.ann.dense.faiss import FaissStore
from qa_bot.index.ann.dense.milvus import MilvusStore, collection_prefix, connect
from qa_bot.index.ann.factory import open_store
from qa_bot.index.build import build_index
from qa_bot.index.settings import IndexSettings
from qa_bot.index.store import VECTOR_FILES, current_version, load_index
from qa_bot.models import Hit

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

# A real Milvus Lite server process per test: integration, not unit.
pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
QUERIES = ("bees winter colonies", "tram line airport", "chess grandmasters Paris", "tickets")


def _unit_rows(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _collections(uri: str) -> list[str]:
    client = connect(uri)
    try:
        return sorted(client.list_collections())
    finally:
        client.close()


def _ranked(hits: list[Hit]) -> list[tuple[float, str]]:
    return sorted((round(-h.score, 5), h.passage.passage_id) for h in hits)


def _milvus(uri: Path | str | None = None) -> IndexSettings:
    return IndexSettings(vector_store="milvus", milvus_uri=None if uri is None else str(uri))


def test_milvus_search_equals_faiss_exact_search(tmp_path: Path) -> None:
    vectors, queries = _unit_rows(400), _unit_rows(25, seed=1)
    faiss = FaissStore(IndexSettings())
    faiss.add(PASSAGES, vectors)
    settings = _milvus(tmp_path / "m.db")
    with MilvusStore.create(settings, tmp_path, "v-1", tmp_path / "index") as milvus:
        milvus.add(PASSAGES, vectors)
        assert milvus.count(PASSAGES) == 400 and milvus.memory() == 400 * 32 * 4
        batch = milvus.search(PASSAGES, queries, 10)
        for query, found in zip(queries, batch, strict=True):
            expected = faiss.search(PASSAGES, query, 10)[0]
            assert found.ids == expected.ids
            np.testing.assert_allclose(found.scores, expected.scores, atol=1e-5)
            (single,) = milvus.search(PASSAGES, query, 10)
            assert single.ids == found.ids
            np.testing.assert_allclose(single.scores, found.scores, atol=1e-6)
        assert milvus.search(PASSAGES, queries[0], 0) == milvus.search(PASSAGES, queries[0], -1)
        assert len(milvus.search(PASSAGES, queries[0], 1000)[0]) == 400
        with pytest.raises(ValueError, match="exists already"):
            milvus.add(PASSAGES, vectors)


def test_save_and_open_round_trip(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    uri = tmp_path / "m.db"
    with MilvusStore.create(_milvus(uri), tmp_path, "v-7", index_dir) as store:
        for i, name in enumerate((PASSAGES, SENTENCES, WINDOWS)):
            store.add(name, _unit_rows(10 * (i + 1), seed=i))
        entry = store.save(tmp_path)
    assert entry["backend"] == "milvus" and entry["uri"] == str(uri) and entry["local"] is None
    assert entry["index"] == "FLAT" and entry["metric"] == "IP"
    prefix = collection_prefix(index_dir)
    assert entry["collections"] == {n: f"{prefix}v_7_{n}" for n in (PASSAGES, SENTENCES, WINDOWS)}
    opened = open_store(tmp_path, entry)
    try:
        assert isinstance(opened, MilvusStore)
        assert [opened.count(n) for n in (PASSAGES, SENTENCES, WINDOWS)] == [10, 20, 30]
        assert opened.search(WINDOWS, _unit_rows(30, seed=2)[4], 1)[0].ids == (4,)
    finally:
        opened.close()


def test_an_index_with_milvus_lite_inside_its_version(
    small_corpus: Path, tmp_path: Path, hash_embedder
) -> None:  # type: ignore[no-untyped-def]
    """No URI: a Milvus Lite file in the version folder; retrieval equals the FAISS index's."""
    faiss_dir, milvus_dir = tmp_path / "faiss", tmp_path / "milvus"
    build_index(small_corpus, faiss_dir, hash_embedder)
    report = build_index(small_corpus, milvus_dir, hash_embedder, settings=_milvus())
    assert report.status == "built"
    version = current_version(milvus_dir)
    assert version is not None and (version / "vectors.db").is_dir()
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    assert (
        manifest["vector_store"]["local"] == "vectors.db"
        and manifest["vector_store"]["uri"] is None
    )
    assert not any(name.startswith("vectors.db") for name in manifest["files"])
    assert "passages.faiss" not in manifest["files"]
    assert manifest["settings"]["vector_store"] == "milvus"
    faiss_store = load_index(faiss_dir, hash_embedder)
    milvus_store = load_index(milvus_dir, hash_embedder)
    try:
        assert isinstance(milvus_store.vectors, MilvusStore)
        assert milvus_store.vectors.count(WINDOWS) == manifest["counts"]["sentences"]
        for query in QUERIES:
            a = Retriever(faiss_store, hash_embedder).search(query, 5)
            b = Retriever(milvus_store, hash_embedder).search(query, 5)
            # The same ranking; passages of exactly equal score (0 here: no shared word) may come
            # in another order, as the two engines order ties differently.
            assert _ranked(a) == _ranked(b)
            assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-6)
        # Unchanged: reused as it is, the store opened once.
        again = build_index(small_corpus, milvus_dir, hash_embedder, settings=_milvus())
        assert again.status == "reused" and isinstance(again.store.vectors, MilvusStore)  # type: ignore[union-attr]
    finally:
        milvus_store.close()


@pytest.mark.slow
def test_incremental_rebuild_in_version_files(
    small_corpus: Path, tmp_path: Path, hash_embedder
) -> None:  # type: ignore[no-untyped-def]
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, hash_embedder, settings=_milvus())
    first = current_version(index_dir)
    reader = load_index(index_dir, hash_embedder)  # a reader of the first version
    bees = small_corpus / "bees.txt"
    bees.write_text(bees.read_text(encoding="utf-8").replace("half", "a third"), "utf-8")
    report = build_index(small_corpus, index_dir, hash_embedder, settings=_milvus())
    assert report.status == "updated" and report.embedded_passages == 1
    second = current_version(index_dir)
    assert second != first and second is not None and (second / "vectors.db").is_dir()
    store = load_index(index_dir, hash_embedder)
    try:
        hits = Retriever(store, hash_embedder).search("colonies a third", 1)
        assert "a third" in hits[0].passage.text
        # The version just replaced is kept with its Milvus Lite file: its reader still works.
        assert reader.vectors.count(PASSAGES) == len(reader.passages)
        assert "half" in Retriever(reader, hash_embedder).search("colonies half", 1)[0].passage.text
        bees.write_text(bees.read_text(encoding="utf-8") + "More hives.\n", "utf-8")
        build_index(small_corpus, index_dir, hash_embedder, settings=_milvus())
        assert first is not None and not first.exists()  # older versions go with their file
        assert second.exists()
    finally:
        store.close()
        reader.close()


@pytest.mark.slow
def test_incremental_rebuild_on_a_shared_milvus_switches_and_prunes(
    small_corpus: Path, tmp_path: Path, hash_embedder
) -> None:  # type: ignore[no-untyped-def]
    """One Milvus for every version: a collection set per version, named in its manifest; the
    versions a build removes lose their collections, leftovers of a killed build too."""
    uri = str(tmp_path / "shared.db")
    settings = _milvus(uri)
    index_dir = tmp_path / "index"
    prefix = collection_prefix(index_dir)

    def generation(version: Path | None) -> str:
        assert version is not None
        entry = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        assert entry["vector_store"]["uri"] == uri
        return entry["vector_store"]["collections"][PASSAGES].removesuffix("_passages")

    build_index(small_corpus, index_dir, hash_embedder, settings=settings)
    first = generation(current_version(index_dir))
    assert [c for c in _collections(uri) if c.startswith(first)] == [
        f"{first}_{n}" for n in sorted((PASSAGES, SENTENCES, TITLES, WINDOWS))
    ]
    # A killed build's collections (its version folder never went live).
    with MilvusStore.create(settings, tmp_path, "v-killed", index_dir) as killed:
        killed.add(PASSAGES, _unit_rows(3))
    # Another index in the same Milvus is none of this index's business.
    with MilvusStore.create(settings, tmp_path, "v-1", tmp_path / "other") as other:
        other.add(PASSAGES, _unit_rows(3))
    chess = small_corpus / "chess.txt"
    chess.write_text(chess.read_text(encoding="utf-8").replace("Lyon", "Nantes"), "utf-8")
    report = build_index(small_corpus, index_dir, hash_embedder, settings=settings)
    assert report.status == "updated" and report.embedded_passages == 1
    second = generation(current_version(index_dir))
    ours = [c for c in _collections(uri) if c.startswith(prefix)]
    assert {c.rsplit("_", 1)[0] for c in ours} == {first, second}  # killed build's dropped
    assert any(c.startswith(collection_prefix(tmp_path / "other")) for c in _collections(uri))
    store = load_index(index_dir, hash_embedder)
    assert "Nantes" in Retriever(store, hash_embedder).search("chess Nantes", 1)[0].passage.text
    store.close()
    build_index(small_corpus, index_dir, hash_embedder, settings=settings, force=True)
    third = generation(current_version(index_dir))
    ours = [c for c in _collections(uri) if c.startswith(prefix)]
    assert {c.rsplit("_", 1)[0] for c in ours} == {second, third}  # the first went


def test_a_missing_collection_is_a_corrupt_index(
    small_corpus: Path, tmp_path: Path, hash_embedder
) -> None:  # type: ignore[no-untyped-def]
    uri = str(tmp_path / "shared.db")
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, hash_embedder, settings=_milvus(uri))
    version = current_version(index_dir)
    assert version is not None
    entry = json.loads((version / "manifest.json").read_text(encoding="utf-8"))["vector_store"]
    client = connect(uri)
    client.drop_collection(entry["collections"][SENTENCES])
    client.close()
    with pytest.raises(IndexCorruptError, match=r"missing.*rebuild"):
        load_index(index_dir, hash_embedder)


def test_an_unreachable_milvus_fails_before_embedding(
    small_corpus: Path, tmp_path: Path, hash_embedder, one_line_error: Callable[[Result], str]
) -> None:  # type: ignore[no-untyped-def]
    uri = f"http://127.0.0.1:{_free_port()}"
    started = time.perf_counter()
    with pytest.raises(VectorStoreUnreachableError, match=f"cannot reach Milvus at {uri}"):
        build_index(small_corpus, tmp_path / "index", hash_embedder, settings=_milvus(uri))
    assert time.perf_counter() - started < 15
    assert not (tmp_path / "index" / "CURRENT").exists()
    line = one_line_error(
        CliRunner().invoke(cli, [
            "index", str(small_corpus), "--index-dir", str(tmp_path / "cli"), "--model",
            "hash:512", "--vector-store", "milvus", "--milvus-uri", uri, "-q",
        ])
    )  # fmt: skip
    assert "cannot reach Milvus" in line and "--milvus-uri" in line
    with pytest.raises(VectorStoreUnreachableError, match="Lite file"):
        connect(str(tmp_path / "no" / "such" / "folder.db"))


def test_an_unreachable_milvus_at_query_time(
    small_corpus: Path, tmp_path: Path, hash_embedder, one_line_error: Callable[[Result], str]
) -> None:  # type: ignore[no-untyped-def]
    """The index names a Milvus that has gone away: one line, exit 1, at load time."""
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, hash_embedder, settings=_milvus(tmp_path / "m.db"))
    version = current_version(index_dir)
    assert version is not None
    path = version / "manifest.json"  # not among its own checksums
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["vector_store"]["uri"] = f"http://127.0.0.1:{_free_port()}"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(VectorStoreUnreachableError):
        load_index(index_dir, hash_embedder)
    line = one_line_error(
        CliRunner().invoke(cli, ["ask", "Who won the chess open?", "--index-dir", str(index_dir)])
    )
    assert "cannot reach Milvus" in line


def test_ann_hnsw_builds_milvus_hnsw(tmp_path: Path) -> None:
    vectors = _unit_rows(300)
    settings = IndexSettings(
        vector_store="milvus", milvus_uri=str(tmp_path / "m.db"), ann="hnsw", hnsw_m=16
    )
    with MilvusStore.create(settings, tmp_path, "v-1", tmp_path) as store:
        store.add(PASSAGES, vectors)
        entry = store.save(tmp_path)
        queries = _unit_rows(10, seed=3)
        found = store.search(PASSAGES, queries, 10)
    assert entry["index"] == "HNSW"
    exact = [set(np.argsort(-(vectors @ q))[:10].tolist()) for q in queries]
    assert np.mean([len(set(f.ids) & e) / 10 for f, e in zip(found, exact, strict=True)]) >= 0.9


_WITHOUT_PYMILVUS = """
import sys
sys.modules["pymilvus"] = None  # as if the milvus extra were not installed
from qa_bot.cli import main
main(sys.argv[1:])
"""


def test_without_pymilvus_a_milvus_index_is_one_line(
    small_corpus: Path, tmp_path: Path, hash_embedder
) -> None:  # type: ignore[no-untyped-def]
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, hash_embedder, settings=_milvus())

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", _WITHOUT_PYMILVUS, *args], cwd=ROOT, capture_output=True,
            text=True, timeout=300, check=False,
        )  # fmt: skip

    for done in (
        run("index", str(small_corpus), "--index-dir", str(tmp_path / "new"), "--model",
            "hash:512", "--vector-store", "milvus", "-q"),
        run("ask", "Who won the chess open?", "--index-dir", str(index_dir)),
    ):  # fmt: skip
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 1, done.stderr
        assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
        assert "pymilvus" in lines[0] and "pip install 'qa_bot[milvus]'" in lines[0]
    shutil.rmtree(tmp_path / "new", ignore_errors=True)


def test_qa_bot_index_keeps_the_index_s_own_store(small_corpus: Path, tmp_path: Path) -> None:
    """`qa-bot index` without --vector-store updates a Milvus index in Milvus, not in FAISS."""
    index_dir = tmp_path / "index"
    uri = tmp_path / "m.db"
    common = ["--index-dir", str(index_dir), "--model", "hash:512", "-q"]
    first = CliRunner().invoke(
        cli,
        ["index", str(small_corpus), *common, "--vector-store", "milvus", "--milvus-uri", str(uri)],
    )
    assert first.exit_code == 0, first.output
    chess = small_corpus / "chess.txt"
    chess.write_text(chess.read_text(encoding="utf-8").replace("Lyon", "Nantes"), "utf-8")
    again = CliRunner().invoke(cli, ["index", *common])
    assert again.exit_code == 0 and "Updated the index" in again.output, again.output
    version = current_version(index_dir)
    assert version is not None
    entry = json.loads((version / "manifest.json").read_text(encoding="utf-8"))["vector_store"]
    assert entry["backend"] == "milvus" and entry["uri"] == str(uri)
    wrong = CliRunner().invoke(
        cli, ["index", *common, "--vector-store", "faiss", "--milvus-uri", "x.db"]
    )
    assert wrong.exit_code != 0 and "--milvus-uri needs --vector-store milvus" in wrong.output


def test_a_milvus_index_answers_without_vector_files(
    small_corpus: Path, tmp_path: Path, hash_embedder
) -> None:  # type: ignore[no-untyped-def]
    """Milvus keeps every vector: the version writes no vector .npy file, a query fetches the
    rows it scores from Milvus (bit for bit what FAISS's files hold), and the answers are the
    FAISS index's."""
    faiss_dir, milvus_dir = tmp_path / "faiss", tmp_path / "milvus"
    build_index(small_corpus, faiss_dir, hash_embedder)
    build_index(small_corpus, milvus_dir, hash_embedder, settings=_milvus())
    version = current_version(milvus_dir)
    assert version is not None
    assert not [f for f in VECTOR_FILES.values() if (version / f).exists()]
    assert (version / "sentences.npy").is_file()  # the row map (8 bytes a sentence) stays
    faiss_store = load_index(faiss_dir, hash_embedder)
    milvus_store = load_index(milvus_dir, hash_embedder)
    try:
        assert milvus_store.arrays == {}
        counts = milvus_store.manifest["counts"]
        sizes = {PASSAGES: counts["passages"], SENTENCES: counts["sentences"],
                 WINDOWS: counts["sentences"], TITLES: counts["documents"]}  # fmt: skip
        for name, size in sizes.items():
            rows = np.array([size - 1, 0, size - 1], dtype=np.int64)  # any order, repeats
            fetched = milvus_store.fetch(name, rows)
            assert fetched.dtype == np.float32
            np.testing.assert_array_equal(fetched, faiss_store.fetch(name, rows))
            np.testing.assert_array_equal(milvus_store.matrix(name), faiss_store.matrix(name))
        settings = AnswerSettings(abstain_below=0.3)
        bots = [
            QABot(s, hash_embedder, index_dir=d, answering=settings)
            for s, d in ((faiss_store, faiss_dir), (milvus_store, milvus_dir))
        ]
        for query in QUERIES:
            a = Retriever(faiss_store, hash_embedder).search(query, 5)
            b = Retriever(milvus_store, hash_embedder).search(query, 5)
            assert _ranked(a) == _ranked(b)
            faiss_answer, milvus_answer = (bot.ask(query) for bot in bots)
            assert milvus_answer.text == faiss_answer.text
            assert milvus_answer.citations == faiss_answer.citations
    finally:
        milvus_store.close()
