"""The exception tree. Every error a user can cause is a ``QABotError``."""

from __future__ import annotations


class QABotError(Exception):
    """Base class of every qa_bot error a user can cause."""


class CorpusError(QABotError):
    """The corpus folder is missing, empty or holds nothing readable."""


class CorpusMismatchError(CorpusError):
    """A corpus folder was named for an index built from another folder."""


class QuestionError(QABotError, ValueError):
    """The question is empty or otherwise unusable."""


class IndexError_(QABotError):
    """Base for index problems (named with a trailing underscore to not shadow the builtin)."""


class IndexNotFoundError(IndexError_):
    """No index at the given folder."""


class IndexCorruptError(IndexError_):
    """An index file is truncated, altered or inconsistent with the manifest."""


class IndexVersionError(IndexError_):
    """The index was written in a format version this qa_bot does not read."""


class ModelMismatchError(IndexError_):
    """The index was built with another embedding model than the one loaded."""


class ModelLoadError(QABotError):
    """The embedding model could not be loaded (offline, missing, wrong path)."""


class GeneratorError(QABotError):
    """The LLM server failed: timeout, connection error or malformed reply."""


class ClusterError(QABotError):
    """A distributed build cannot run: ``ray`` is not installed or the cluster cannot be reached."""


class VectorStoreError(QABotError):
    """The index's vector store cannot be used (:mod:`qa_bot.index.ann`)."""


class VectorStoreMissingError(VectorStoreError):
    """The vector store's client library is not installed (``pymilvus``: the ``milvus`` extra)."""


class VectorStoreUnreachableError(VectorStoreError):
    """The vector store's server does not answer, or its local file cannot be opened."""
