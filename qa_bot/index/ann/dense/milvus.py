"""The Milvus store: passage, sentence, window and title vectors in Milvus, through ``pymilvus``.

The same client code talks to a Milvus server or cluster (``http://host:19530``) and to
Milvus Lite (a local ``*.db`` path, served in this process by the ``milvus-lite`` package).
Needs the ``milvus`` extra; ``pymilvus`` is imported inside this module only.

Each index version writes its own collections, named
``qa_bot_<hash of the index folder>_<version folder>_<collection>`` and recorded in the
manifest; nothing changes a collection after it is built. A rebuild therefore switches in the
same way as with FAISS: the new collections are complete before ``CURRENT`` names the new
version, readers of the old version keep its collections, and the build after the switch drops
the collections of the versions it removes (``prune``), leftovers of killed builds included.
Without a URI (``IndexSettings.milvus_uri`` ``None``) the Milvus Lite file lives inside the
version folder (``vectors.db``) and goes away with it.

Milvus keeps every vector of the index: a Milvus-backed index writes no vector ``.npy`` file,
and a query fetches by primary key (``fetch``) just the rows it scores (the sentences and
windows of its candidate passages, their passage and title vectors), so qa_bot's own memory no
longer grows with the archive. Indexes built before titles moved here have no ``titles``
collection and keep their ``.npy`` files, which are then read (memory-mapped) instead.

Search is exact by default (a ``FLAT`` index, metric ``IP`` on normalised vectors: the same
scores as FAISS's ``IndexFlatIP``); ``ann="hnsw"`` builds Milvus's ``HNSW`` with the same M,
efConstruction and ef as FAISS's.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa_bot.errors import (
    IndexCorruptError,
    VectorStoreError,
    VectorStoreMissingError,
    VectorStoreUnreachableError,
)
from qa_bot.index.ann.base import (
    PASSAGES,
    SENTENCES,
    TITLES,
    WINDOWS,
    Neighbours,
    VectorStore,
    as_matrix,
    check_vectors,
)

if TYPE_CHECKING:
    from qa_bot.index.settings import IndexSettings

# The Milvus Lite file a version folder holds when no URI is given.
LOCAL_FILE = "vectors.db"
# Seconds to wait for a server to answer before saying it cannot be reached.
CONNECT_TIMEOUT = 10.0
# Rows sent per insert call (a gRPC message stays well under Milvus's 64 MB limit at 384-d).
INSERT_BATCH = 5000
# Rows asked for per fetch call (the same bound on the answer's size).
FETCH_BATCH = 5000
_ID, _VECTOR = "id", "vector"
_INSTALL = "pip install 'qa_bot[milvus]'"


def is_local(uri: str) -> bool:
    """True for a Milvus Lite file path, False for a server URI (``scheme://…``)."""
    return "://" not in uri and not uri.startswith("unix:")


def collection_prefix(index_dir: Path) -> str:
    """The prefix of every collection of the index in ``index_dir`` (unique per folder, so
    several indexes can share one Milvus)."""
    digest = hashlib.sha1(str(index_dir.resolve()).encode("utf-8")).hexdigest()[:12]
    return f"qa_bot_{digest}_"


def _generation(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]", "_", name)


def _message(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(text).splitlines()[0]


def _unusable(uri: str, exc: BaseException) -> str:
    return f"cannot use Milvus at {uri}: {_message(exc)}"


def _client_class() -> Any:
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise VectorStoreMissingError(
            f"the Milvus vector store needs pymilvus, which is not installed: {_INSTALL}"
        ) from None
    return MilvusClient


@contextlib.contextmanager
def _session(uri: str) -> Iterator[Any]:
    """A client for ``uri``, closed afterwards; any failure while using it is one
    ``VectorStoreUnreachableError`` line."""
    client = connect(uri)
    try:
        yield client
    except Exception as exc:
        raise VectorStoreUnreachableError(f"cannot use Milvus at {uri}: {_message(exc)}") from None
    finally:
        client.close()


def connect(uri: str) -> Any:
    """A ``MilvusClient`` for a server URI or a Milvus Lite file.

    Raises:
        VectorStoreMissingError: pymilvus (or, for a file, milvus-lite) is not installed.
        VectorStoreUnreachableError: the server does not answer or the file cannot be opened.
    """
    client_class = _client_class()
    if is_local(uri):
        try:
            import milvus_lite  # noqa: F401 - pymilvus starts it for a *.db path
        except ImportError:
            raise VectorStoreMissingError(
                f"a Milvus Lite file ({uri}) needs milvus-lite, which is not installed: {_INSTALL}"
            ) from None
        if not uri.endswith(".db"):
            raise VectorStoreUnreachableError(
                f"a Milvus Lite file must end in .db: {uri}; or give a server URI "
                "(http://host:19530)"
            )
        if not Path(uri).parent.is_dir():
            raise VectorStoreUnreachableError(
                f"cannot open Milvus Lite file {uri}: its folder does not exist"
            )
    try:
        return client_class(uri=uri, timeout=CONNECT_TIMEOUT)
    except Exception as exc:  # pymilvus raises MilvusException, gRPC and OS errors alike
        where = f"Milvus Lite file {uri}" if is_local(uri) else f"Milvus at {uri}"
        hint = (
            "another process may have it open"
            if is_local(uri)
            else "start it, or name another with --milvus-uri"
        )
        raise VectorStoreUnreachableError(
            f"cannot reach {where} ({_message(exc)}); {hint}"
        ) from None


def _release_local(uri: str) -> None:
    """Stop the in-process Milvus Lite server of a file (so its folder can be renamed)."""
    with contextlib.suppress(ImportError):
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)


class MilvusStore(VectorStore):
    """Collections in Milvus (server or Lite). Build with ``create``, load with ``open``."""

    backend = "milvus"
    collections = (PASSAGES, SENTENCES, WINDOWS, TITLES)
    holds_vectors = True

    def __init__(
        self, client: Any, uri: str, names: dict[str, str], *, ann: str, ef_search: int, m: int
    ) -> None:
        self._client = client
        self._uri = uri
        self._names = dict(names)
        self._ann = ann
        self._ef_search = ef_search
        self._m = m
        self._dims: dict[str, int] = {}
        self._closed = False
        # A build's own Milvus Lite file (inside the version folder it writes): its in-process
        # server is stopped on close, so the folder can be renamed into place. Other stores
        # leave the server running: another store of this process may be using it.
        self._owns_server = False

    # ------------------------------------------------------------ build and open

    @classmethod
    def create(
        cls, settings: IndexSettings, folder: Path, generation: str, index_dir: Path
    ) -> MilvusStore:
        """A new, empty store for the version ``generation`` being written in ``folder``.

        Raises:
            VectorStoreError: pymilvus is missing or the Milvus cannot be reached.
        """
        uri = settings.milvus_uri or str(folder / LOCAL_FILE)
        prefix = collection_prefix(index_dir) + _generation(generation)
        names = {name: f"{prefix}_{name}" for name in cls.collections}
        store = cls(
            connect(uri), uri, names, ann=settings.ann, ef_search=settings.hnsw_ef_search,
            m=settings.hnsw_m,
        )  # fmt: skip
        store._owns_server = settings.milvus_uri is None
        for name in names.values():  # a name is never reused, but a crash may have left one
            store._call(lambda n=name: store._client.drop_collection(n), "drop")
        return store

    @classmethod
    def open(cls, folder: Path, config: dict[str, Any]) -> MilvusStore:
        """The store a manifest's ``vector_store`` entry names, loaded for search.

        Raises:
            VectorStoreError: pymilvus is missing or the Milvus cannot be reached.
            IndexCorruptError: the entry is malformed or a collection it names is missing.
        """
        try:
            uri = str(config["uri"]) if config.get("uri") else str(folder / config["local"])
            names = {str(k): str(v) for k, v in dict(config["collections"]).items()}
            ann = str(config.get("index", "FLAT")).lower()
            ef_search, m = int(config.get("ef_search", 128)), int(config.get("m", 32))
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexCorruptError(
                f"the manifest of {folder} has a bad vector_store entry: {exc}"
            ) from exc
        store = cls(
            connect(uri), uri, names, ann="hnsw" if ann == "hnsw" else "flat",
            ef_search=ef_search, m=m,
        )  # fmt: skip
        try:
            for name, collection in names.items():
                if not store._call(lambda c=collection: store._client.has_collection(c), "find"):
                    raise IndexCorruptError(
                        f"the Milvus collection {collection} of index {folder} is missing from "
                        f"{uri}; rebuild the index"
                    )
                store._call(lambda c=collection: store._client.load_collection(c), "load")
                store._dims[name] = store._dimension(collection)
        except BaseException:
            store.close()
            raise
        return store

    @staticmethod
    def check(settings: IndexSettings) -> None:
        """Fail now, before a build embeds anything, if its Milvus cannot be used.

        Raises:
            VectorStoreError: pymilvus or milvus-lite is missing, or the server cannot be reached.
        """
        uri = settings.milvus_uri
        if uri is None:
            _client_class()
            try:
                import milvus_lite  # noqa: F401
            except ImportError:
                raise VectorStoreMissingError(
                    f"the Milvus Lite vector store needs milvus-lite, which is not installed: "
                    f"{_INSTALL}"
                ) from None
            return
        with _session(uri) as client:
            client.list_collections()

    @staticmethod
    def prune(settings: IndexSettings, index_dir: Path, keep: set[str]) -> list[str]:
        """Drop this index's collections of every version not in ``keep`` (version folder
        names) from the URI ``settings`` name; the names dropped. A no-op for the Milvus Lite
        file of each version folder, which goes away with its folder.

        Raises:
            VectorStoreError: the Milvus cannot be reached.
        """
        uri = settings.milvus_uri
        if uri is None:
            return []
        prefix = collection_prefix(index_dir)
        kept = tuple(prefix + _generation(name) + "_" for name in keep)
        dropped: list[str] = []
        with _session(uri) as client:
            for name in client.list_collections():
                if name.startswith(prefix) and not name.startswith(kept):
                    client.drop_collection(name)
                    dropped.append(name)
        return dropped

    # ------------------------------------------------------------ the interface

    def add(self, name: str, vectors: np.ndarray) -> None:
        from pymilvus import DataType, MilvusClient

        matrix = check_vectors(vectors)
        if name in self._dims:
            raise ValueError(f"collection {name!r} exists already")
        collection = self._names[name]
        dim = int(matrix.shape[1]) or 1
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field(_ID, DataType.INT64, is_primary=True)
        schema.add_field(_VECTOR, DataType.FLOAT_VECTOR, dim=dim)
        index_params = self._client.prepare_index_params()
        if self._ann == "hnsw":
            index_params.add_index(
                field_name=_VECTOR, index_type="HNSW", metric_type="IP",
                params={"M": self._m, "efConstruction": max(40, self._m * 2)},
            )  # fmt: skip
        else:
            index_params.add_index(field_name=_VECTOR, index_type="FLAT", metric_type="IP")
        self._call(
            lambda: self._client.create_collection(
                collection, schema=schema, index_params=index_params
            ),
            "create",
        )
        for first in range(0, len(matrix), INSERT_BATCH):
            rows = [
                {_ID: first + i, _VECTOR: vector}
                for i, vector in enumerate(matrix[first : first + INSERT_BATCH])
            ]
            self._call(lambda r=rows: self._client.insert(collection, r), "insert into")
        self._dims[name] = dim

    def search(self, name: str, queries: np.ndarray, k: int) -> list[Neighbours]:
        matrix = as_matrix(queries)
        if k <= 0 or len(matrix) == 0:
            return [Neighbours((), ()) for _ in matrix]
        params: dict[str, Any] = {"metric_type": "IP"}
        if self._ann == "hnsw":
            params["params"] = {"ef": max(self._ef_search, k)}
        collection = self._names[name]
        results = self._call(
            lambda: self._client.search(
                collection, data=list(matrix), limit=k, search_params=params,
                output_fields=[_ID], anns_field=_VECTOR,
            ),
            "search",
        )  # fmt: skip
        return [
            Neighbours(
                tuple(int(hit["id"]) for hit in hits), tuple(float(hit["distance"]) for hit in hits)
            )
            for hits in results
        ]

    def holds(self, name: str) -> bool:
        return name in self._names

    def fetch(self, name: str, ids: np.ndarray) -> np.ndarray:
        """The vectors of rows ``ids`` by primary key, as stored (float32, bit for bit)."""
        collection = self._names[name]
        wanted = np.asarray(ids, dtype=np.int64).reshape(-1)
        unique, inverse = np.unique(wanted, return_inverse=True)
        found = np.empty((len(unique), self._dims.get(name, 0)), dtype=np.float32)
        for first in range(0, len(unique), FETCH_BATCH):
            batch = [int(i) for i in unique[first : first + FETCH_BATCH]]
            rows = self._call(
                lambda b=batch: self._client.get(collection, ids=b, output_fields=[_VECTOR]),
                "fetch from",
            )
            by_id = {int(row[_ID]): row[_VECTOR] for row in rows}
            missing = [i for i in batch if i not in by_id]
            if missing:
                raise KeyError(f"rows {missing[:5]} are not in the Milvus collection {collection}")
            found[first : first + len(batch)] = np.asarray(
                [by_id[i] for i in batch], dtype=np.float32
            ).reshape(len(batch), -1)
        return found[inverse.reshape(-1)]

    def save(self, folder: Path) -> dict[str, Any]:
        built = {name: c for name, c in self._names.items() if name in self._dims}
        for collection in built.values():
            self._call(lambda c=collection: self._client.flush(c), "flush")
        local = self._uri == str(folder / LOCAL_FILE)
        return {
            "backend": self.backend,
            # A server or a file of the user's: the URI; a file inside the version: its name.
            "uri": None if local else self._uri,
            "local": LOCAL_FILE if local else None,
            "collections": built,  # the ones added
            "index": self._ann.upper(),
            "metric": "IP",
            "m": self._m,
            "ef_search": self._ef_search,
        }

    def count(self, name: str) -> int:
        collection = self._names.get(name)
        if collection is None:
            return 0
        stats = self._call(lambda: self._client.get_collection_stats(collection), "count")
        return int(stats.get("row_count", 0))

    def memory(self) -> int:
        """The vectors' bytes (FLAT keeps them as they are; HNSW adds its graph, not counted)."""
        return sum(self.count(name) * dim * 4 for name, dim in self._dims.items())

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._client.close()
        if self._owns_server:
            _release_local(self._uri)

    # ------------------------------------------------------------ helpers

    def _dimension(self, collection: str) -> int:
        info = self._call(lambda: self._client.describe_collection(collection), "describe")
        for field in info.get("fields", ()):
            if field.get("name") == _VECTOR:
                return int(field.get("params", {}).get("dim", 0))
        raise IndexCorruptError(f"the Milvus collection {collection} has no vector field")

    def _call(self, action: Any, what: str) -> Any:
        """Run one client call; a failure becomes a ``VectorStoreError`` naming the store."""
        try:
            return action()
        except (VectorStoreError, IndexCorruptError):
            raise
        except Exception as exc:  # MilvusException, gRPC errors
            raise VectorStoreUnreachableError(
                f"Milvus at {self._uri} failed to {what} a collection: {_message(exc)}"
            ) from None
