"""How an index is built: the settings recorded in every manifest (``settings``, ``build_key``).

In a module of its own because the vector store (:mod:`qa_bot.index.vectors`) reads them and the
index store (:mod:`qa_bot.index.store`) reads the vector store: kept in the index store, they
tied the two into an import cycle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from qa_bot.ingest.chunking import ChunkerSettings


@dataclass(frozen=True)
class IndexSettings:
    """How an index is built. ``ann`` is ``"flat"`` (exact) or ``"hnsw"`` (approximate)."""

    chunker: ChunkerSettings = field(default_factory=ChunkerSettings)
    ann: str = "flat"
    hnsw_m: int = 32
    hnsw_ef_search: int = 128

    def __post_init__(self) -> None:
        if self.ann not in ("flat", "hnsw"):
            raise ValueError(f"ann must be 'flat' or 'hnsw'. Currently, ann is {self.ann!r}")

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
