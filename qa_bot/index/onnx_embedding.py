"""An ONNX Runtime backend for the bundled all-MiniLM-L6-v2: same vectors, no torch at query time.

It is the query path by default (``load_query_embedder``): answering a question needs only
``onnxruntime`` and ``tokenizers``, which import in a fraction of a second where
``sentence_transformers`` (and torch) take seconds.

The model is exported with ``torch.onnx.export`` (mean pooling and L2 normalisation are part
of the graph) into a cache folder, ``$QA_BOT_CACHE/onnx`` or ``~/.cache/qa_bot/onnx``, named by
the sha256 of the weights it came from, with a sidecar ``.json`` recording that hash and the
export's own sha256 and size (``ensure_export``). The export is made when an index is built
(torch is loaded then anyway; ``build_index`` calls ``ensure_export`` with ``verify=True``,
which re-hashes both files and re-exports on any mismatch); a query process only finds it
(sidecar, size, export version; the index's fingerprint check then compares its vectors with
the build model's). An index built before the export existed still answers: the first load
exports it, with a one-line notice on stderr. Exporting needs torch, transformers and ``onnx``.

Its vectors match the sentence-transformers ones (cosine > 0.9999 on every text of the seed
corpus, tested), so it reports the same ``model_id`` and an index built with either backend
loads with the other (the weights fingerprint check tolerates the difference).

Thread-safety: ``encode`` and ``count_tokens`` may be called from many threads; ONNX Runtime
sessions are thread-safe and the tokenizers are used under one lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa_bot.errors import ModelLoadError
from qa_bot.index.bundled_model import BUNDLED_MODEL_ID, bundled_model_path
from qa_bot.index.checksums import sha256_file

if TYPE_CHECKING:
    from collections.abc import Sequence

# Bump when the exported graph changes, so old cached exports are not reused.
EXPORT_VERSION = 2
QUERY_BATCH = 4  # batches up to this size run on one thread (steadiest single-query latency)
TOKEN_BUDGET = 4096  # padded tokens per ONNX Runtime call (rows x longest row)


def default_cache_dir() -> Path:
    """Where exported models are kept: ``$QA_BOT_CACHE/onnx`` or ``~/.cache/qa_bot/onnx``."""
    base = os.environ.get("QA_BOT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "qa_bot"
    )
    return Path(base) / "onnx"


def _weights_file(model_dir: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).is_file():
            return model_dir / name
    raise ModelLoadError(f"no model weights (model.safetensors) in {model_dir}")


def export_onnx(model_dir: str | Path, out: str | Path) -> Path:
    """Export a BERT-style sentence-transformers folder to ONNX: ids and mask in, unit vectors out.

    The file is written next to ``out`` and moved into place, so a crash leaves no half file.

    Raises:
        ModelLoadError: torch, transformers or onnx is missing, or the export fails.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    # A local folder must never reach for the hub (there may be no network), as in embedding.py.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        class _Pooled(torch.nn.Module):
            def __init__(self, encoder: Any) -> None:
                super().__init__()
                self.encoder = encoder

            def forward(self, input_ids: Any, attention_mask: Any) -> Any:
                hidden = self.encoder(
                    input_ids=input_ids, attention_mask=attention_mask,
                    token_type_ids=torch.zeros_like(input_ids),
                ).last_hidden_state  # fmt: skip
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        wrapped = _Pooled(AutoModel.from_pretrained(str(model_dir))).eval()
        example = (torch.ones((2, 8), dtype=torch.int64), torch.ones((2, 8), dtype=torch.int64))
        axes = {0: "batch", 1: "tokens"}
        # The tracer warns about shape-dependent Python branches that are constant for BERT.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapped, example, str(tmp), input_names=["input_ids", "attention_mask"],
                output_names=["embedding"], opset_version=17, dynamo=False,
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "embedding": {0: "batch"}},
            )  # fmt: skip
        os.replace(tmp, out)
    except ModelLoadError:
        raise
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise ModelLoadError(
            f"could not export {model_dir} to ONNX (needs torch, transformers and onnx): {exc}"
        ) from exc
    return out


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON next to ``path`` and move it into place (readers never see half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def weights_digest(model_dir: str | Path, cache_dir: Path, *, rehash: bool = False) -> str:
    """The sha256 of a model folder's weights file.

    Remembered in the cache folder by the file's path, size and modification time, so a query
    process does not read 90 MB to find its export; ``rehash`` always reads the file (the
    build does).
    """
    weights = _weights_file(Path(model_dir))
    stat = weights.stat()
    source = {"path": str(weights.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    key = hashlib.sha256(json.dumps(source, sort_keys=True).encode("utf-8")).hexdigest()[:16]
    memo = cache_dir / f"weights-{key}.json"
    if not rehash:
        known = _read_json(memo)
        if known is not None and known.get("source") == source:
            return str(known["weights_sha256"])
    digest = sha256_file(weights)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _write_json(memo, {"source": source, "weights_sha256": digest})
    except OSError:  # a read-only cache only costs the hashing next time
        pass
    return digest


def _export_paths(model_dir: Path, cache_dir: Path, digest: str) -> tuple[Path, Path]:
    stem = f"{model_dir.name}-{digest[:16]}-v{EXPORT_VERSION}"
    return cache_dir / f"{stem}.onnx", cache_dir / f"{stem}.json"


def _export_ok(onnx: Path, sidecar: Path, digest: str, *, verify: bool) -> bool:
    """The export exists, came from weights of sha256 ``digest`` with this exporter, and has
    the size (``verify``: the sha256 too) its sidecar records."""
    record = _read_json(sidecar)
    if record is None or not onnx.is_file():
        return False
    if record.get("weights_sha256") != digest or record.get("export_version") != EXPORT_VERSION:
        return False
    if onnx.stat().st_size != record.get("onnx_size"):
        return False
    return not verify or sha256_file(onnx) == record.get("onnx_sha256")


def find_export(model_dir: str | Path, cache_dir: Path | None = None) -> Path | None:
    """The checked ONNX export of a model folder's weights, or None when there is none yet.

    Cheap (no hashing once the weights' digest is remembered): the query path calls it.
    """
    cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
    digest = weights_digest(model_dir, cache_dir)
    onnx, sidecar = _export_paths(Path(model_dir), cache_dir, digest)
    return onnx if _export_ok(onnx, sidecar, digest, verify=False) else None


def ensure_export(
    model_dir: str | Path, cache_dir: Path | None = None, *, verify: bool = False
) -> tuple[Path, bool]:
    """The ONNX export of a model folder, made when missing or stale; True when made now.

    With ``verify`` the weights and the export are hashed again and compared with the
    sidecar (a changed model or a damaged export is exported again): what a build does.

    Raises:
        ModelLoadError: the folder has no weights, or the export fails (see ``export_onnx``).
    """
    model_dir = Path(model_dir)
    cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
    digest = weights_digest(model_dir, cache_dir, rehash=verify)
    onnx, sidecar = _export_paths(model_dir, cache_dir, digest)
    if _export_ok(onnx, sidecar, digest, verify=verify):
        return onnx, False
    export_onnx(model_dir, onnx)
    _write_json(
        sidecar,
        {
            "source": str(model_dir),
            "weights_sha256": digest,
            "onnx_sha256": sha256_file(onnx),
            "onnx_size": onnx.stat().st_size,
            "export_version": EXPORT_VERSION,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )
    return onnx, True


class OnnxEmbedder:
    """all-MiniLM-L6-v2 (or another BERT-style sentence-transformers folder) on ONNX Runtime.

    Args:
        model_path: a local sentence-transformers folder; the bundled model when None.
        cache_dir: where the exported ``.onnx`` is kept (see ``default_cache_dir``).
        batch_threads: ONNX Runtime threads for batches bigger than a query; all cores if None.
    """

    def __init__(
        self,
        model_path: str | None = None,
        *,
        cache_dir: str | Path | None = None,
        batch_threads: int | None = None,
    ) -> None:
        if batch_threads is not None and batch_threads < 1:
            raise ValueError(
                f"batch_threads must be greater than 0. Currently, batch_threads is {batch_threads}"
            )
        self._name = model_path
        self._cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self._batch_threads = batch_threads or max(1, os.cpu_count() or 1)
        self._lock = threading.Lock()
        self._loaded = False
        self._onnx_path: Path | None = None
        self._query_session: Any = None
        self._batch_session: Any = None
        self._tokenizer: Any = None
        self._counter: Any = None
        self._dimension = 0
        self._max_tokens = 0
        self._pad_id = 0

    @property
    def model_id(self) -> str:
        return self._name or BUNDLED_MODEL_ID

    @property
    def dimension(self) -> int:
        self.warm_up()
        return self._dimension

    @property
    def max_tokens(self) -> int:
        self.warm_up()
        return self._max_tokens

    @property
    def onnx_path(self) -> Path:
        """The exported model file in use (exported on first use)."""
        self.warm_up()
        assert self._onnx_path is not None
        return self._onnx_path

    def warm_up(self) -> None:
        """Export (first time only) and load the model. Raises ModelLoadError with a reason."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            model_dir = Path(self._name or bundled_model_path())
            try:
                import onnxruntime
                from tokenizers import Tokenizer
            except ImportError as exc:
                raise ModelLoadError(
                    f"the ONNX backend needs onnxruntime and tokenizers: {exc}"
                ) from exc
            try:
                config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
                st_config = model_dir / "sentence_bert_config.json"
                max_tokens = int(
                    json.loads(st_config.read_text(encoding="utf-8")).get("max_seq_length", 256)
                    if st_config.is_file() else config.get("max_position_embeddings", 512)
                )  # fmt: skip
                tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
                counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            except Exception as exc:  # a missing or malformed file, whatever the library raises
                raise ModelLoadError(f"cannot read model folder {model_dir}: {exc}") from exc
            target = find_export(model_dir, self._cache_dir)
            if target is None:
                # An index built before exports were made at build time: export it now, once.
                print(
                    f"qa_bot: exporting the embedding model to ONNX once (torch, ~10 s) into "
                    f"{self._cache_dir}; `qa-bot index` does this when it builds an index",
                    file=sys.stderr,
                    flush=True,
                )
                target, _ = ensure_export(model_dir, self._cache_dir)
            # This model's tokenizer.json pads and truncates to 128; the model reads 256 and
            # encode() pads each batch itself.
            tokenizer.enable_truncation(max_tokens)
            tokenizer.no_padding()
            counter.no_truncation()
            counter.no_padding()
            self._query_session = self._session(onnxruntime, target, 1)
            self._tokenizer, self._counter = tokenizer, counter
            self._onnx_path = target
            self._dimension = int(config["hidden_size"])
            self._max_tokens = max_tokens
            self._pad_id = int(config.get("pad_token_id") or 0)
            self._loaded = True

    @staticmethod
    def _session(onnxruntime: Any, path: Path, threads: int) -> Any:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            return onnxruntime.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise ModelLoadError(f"cannot load ONNX model {path}: {exc}".splitlines()[0]) from exc

    def _session_for(self, size: int) -> Any:
        if size <= QUERY_BATCH or self._batch_threads == 1:
            return self._query_session
        if self._batch_session is None:
            import onnxruntime

            assert self._onnx_path is not None
            self._batch_session = self._session(onnxruntime, self._onnx_path, self._batch_threads)
        return self._batch_session

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        """Encode texts to normalised float32 vectors, shape ``(len(texts), dimension)``.

        Texts longer than ``max_tokens`` word pieces are truncated, as sentence-transformers does.
        """
        self.warm_up()
        if batch_size < 1:
            raise ValueError(
                f"batch_size must be greater than 0. Currently, batch_size is {batch_size}"
            )
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        if not texts:
            return out
        # Like sentence-transformers: strip, and batch texts of similar length to pad less.
        cleaned = [str(t).strip() for t in texts]
        with self._lock:
            encoded = self._tokenizer.encode_batch(cleaned)
        lengths = np.asarray([len(e.ids) for e in encoded], dtype=np.int64)
        order = np.argsort(-lengths, kind="stable")
        session = self._session_for(len(cleaned))
        start = 0
        while start < len(order):
            longest = int(lengths[order[start]])
            # A token budget per batch bounds the attention buffers ONNX Runtime keeps: 64
            # passages of 256 tokens peaked at 2 GB RSS, 16 at 0.65 GB, and ran faster.
            rows = order[start : start + max(1, min(batch_size, TOKEN_BUDGET // longest))]
            ids = np.full((len(rows), longest), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), longest), dtype=np.int64)
            for k, row in enumerate(rows):
                ids[k, : lengths[row]] = encoded[row].ids
                mask[k, : lengths[row]] = 1
            out[rows] = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            start += len(rows)
        return out

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for ``text``, special tokens included, before truncation."""
        self.warm_up()
        with self._lock:
            return len(self._counter.encode(text, add_special_tokens=True).ids)
