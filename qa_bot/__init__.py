"""qa_bot: offline, cited question answering over news articles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qa_bot.errors import (
    ClusterError,
    CorpusError,
    GeneratorError,
    IndexCorruptError,
    IndexError_,
    IndexNotFoundError,
    IndexVersionError,
    ModelLoadError,
    ModelMismatchError,
    QABotError,
    QuestionError,
    VectorStoreError,
)
from qa_bot.models import Answer, Citation, Document, Hit, Passage, Span, Turn
from qa_bot.version import __version__

if TYPE_CHECKING:
    from qa_bot.bot import QABot

__all__ = [
    "Answer",
    "Citation",
    "ClusterError",
    "CorpusError",
    "Document",
    "GeneratorError",
    "Hit",
    "IndexCorruptError",
    "IndexError_",
    "IndexNotFoundError",
    "IndexVersionError",
    "ModelLoadError",
    "ModelMismatchError",
    "Passage",
    "QABot",
    "QABotError",
    "QuestionError",
    "Span",
    "Turn",
    "VectorStoreError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    # QABot pulls in numpy/faiss; keep `import qa_bot` (and the CLI's --help) light.
    if name == "QABot":
        from qa_bot.bot import QABot

        return QABot
    raise AttributeError(name)
