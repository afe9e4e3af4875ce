"""How an index is built: the settings recorded in every manifest (``settings``, ``build_key``).

In a module of its own because the vector store (:mod:`qa_bot.index.vectors`) reads them and the
index store (:mod:`qa_bot.index.store`) reads the vector store: kept in the index store, they
tied the two into an import cycle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from qa_bot.ingest.chunking import ChunkerSettings
from qa_bot.ingest.duplicates import DEFAULT_THRESHOLD


@dataclass(frozen=True)
class IndexSettings:
    """How an index is built. ``ann`` is ``"flat"`` (exact) or ``"hnsw"`` (approximate).

    ``duplicate_threshold``: articles whose estimated word-shingle similarity reaches it are one
    story, indexed once (:mod:`qa_bot.ingest.duplicates`); ``None`` indexes every copy. Part of
    ``build_key``, so an index built before it existed is rebuilt (reusing its vectors).
    """

    chunker: ChunkerSettings = field(default_factory=ChunkerSettings)
    ann: str = "flat"
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    duplicate_threshold: float | None = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        if self.ann not in ("flat", "hnsw"):
            raise ValueError(f"ann must be 'flat' or 'hnsw'. Currently, ann is {self.ann!r}")
        threshold = self.duplicate_threshold
        if threshold is not None and not 0.0 < threshold <= 1.0:
            raise ValueError(
                f"duplicate_threshold must be in (0, 1] or None. Currently, it is {threshold}"
            )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexSettings:
        """The settings ``to_json`` wrote (a manifest's ``settings``).

        Raises:
            KeyError, TypeError, ValueError: ``data`` is not such a dict.
        """
        fields = dict(data)
        return cls(chunker=ChunkerSettings(**fields.pop("chunker")), **fields)
