"""How an index is built: the settings recorded in every manifest (``settings``, ``build_key``).

In a module of its own because the vector stores (:mod:`qa_bot.index.ann`) read them and the
index store (:mod:`qa_bot.index.store`) reads the vector stores: kept in the index store, they
tied the two into an import cycle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qa_bot.ingest.chunking import ChunkerSettings
from qa_bot.ingest.duplicates import DEFAULT_THRESHOLD

# The vector stores an index can be built with (one module each under qa_bot/index/ann/dense/).
VECTOR_STORES = ("faiss", "milvus")
DEFAULT_VECTOR_STORE = "faiss"


@dataclass(frozen=True)
class IndexSettings:
    """How an index is built. ``ann`` is ``"flat"`` (exact) or ``"hnsw"`` (approximate).

    ``vector_store`` is where the passage and sentence vectors are searched
    (:mod:`qa_bot.index.ann`): ``"faiss"`` (embedded FAISS files in the version folder, the
    default) or ``"milvus"`` (Milvus through ``pymilvus``; the ``milvus`` extra). ``milvus_uri``
    names the Milvus to use: a server (``http://host:19530``) or a Milvus Lite file
    (``path/vectors.db``); ``None`` puts a Milvus Lite file inside each version folder.
    Both are left out of ``to_json`` while they are the defaults, so the manifest and
    ``build_key`` of a FAISS index are what they were before vector stores could be chosen.

    ``duplicate_threshold``: articles whose estimated word-shingle similarity reaches it are one
    story, indexed once (:mod:`qa_bot.ingest.duplicates`); ``None`` indexes every copy. Part of
    ``build_key``, so an index built before it existed is rebuilt (reusing its vectors).
    """

    chunker: ChunkerSettings = field(default_factory=ChunkerSettings)
    ann: str = "flat"
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    duplicate_threshold: float | None = DEFAULT_THRESHOLD
    vector_store: str = DEFAULT_VECTOR_STORE
    milvus_uri: str | None = None

    def __post_init__(self) -> None:
        if self.ann not in ("flat", "hnsw"):
            raise ValueError(f"ann must be 'flat' or 'hnsw'. Currently, ann is {self.ann!r}")
        if self.vector_store not in VECTOR_STORES:
            raise ValueError(
                f"vector_store must be one of {', '.join(VECTOR_STORES)}. Currently, it is "
                f"{self.vector_store!r}"
            )
        if self.milvus_uri is not None and self.vector_store != "milvus":
            raise ValueError("milvus_uri needs vector_store='milvus'")
        if self.milvus_uri is not None and not self.milvus_uri.strip():
            raise ValueError("milvus_uri must not be empty (None: a Milvus Lite file per version)")
        uri = self.milvus_uri
        if uri is not None and "://" not in uri and not uri.startswith("unix:"):
            # A Milvus Lite file: recorded absolute, so an update from another folder finds it.
            object.__setattr__(self, "milvus_uri", str(Path(uri).expanduser().resolve()))
        threshold = self.duplicate_threshold
        if threshold is not None and not 0.0 < threshold <= 1.0:
            raise ValueError(
                f"duplicate_threshold must be in (0, 1] or None. Currently, it is {threshold}"
            )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.vector_store == DEFAULT_VECTOR_STORE:  # as before vector stores were chosen
            del data["vector_store"], data["milvus_uri"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexSettings:
        """The settings ``to_json`` wrote (a manifest's ``settings``).

        Raises:
            KeyError, TypeError, ValueError: ``data`` is not such a dict.
        """
        fields = dict(data)
        return cls(chunker=ChunkerSettings(**fields.pop("chunker")), **fields)
