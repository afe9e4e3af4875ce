"""File checksums: the one sha256 helper of the package.

Below everything else in :mod:`qa_bot.index` so that any module may use it: the store (every
index file), the build, the ONNX export's check (:mod:`qa_bot.index.onnx_embedding`, which the
store's module imports indirectly), the reader's card check and the SQuAD cache folder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
