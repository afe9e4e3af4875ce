"""The shipped reader on ONNX Runtime: P(this sentence answers the question), no torch.

The reader is a cross-encoder (all-MiniLM-L6-v2's weights, fine-tuned on SQuAD 2.0 pairs by
``python -m qa_bot.reader.train``): it reads the question and one candidate sentence together,
with the article's headline after it for context, and gives a logit.
``Reader.probabilities`` turns logits into calibrated probabilities with the Platt scaling fitted
on the held-out articles and recorded in the model card.

The model folder (``qa_bot/reader/model/``) holds ``reader.onnx``, the ``tokenizer.json`` it was
trained with and ``card.json`` (training config, data hash, metrics, the ONNX file's sha256).
Loading checks the file against the card's hash, so a damaged or swapped file is refused.

Thread-safety: ``logits`` may be called from many threads (ONNX Runtime sessions are
thread-safe; the tokenizer and the memo are used under a lock).

Each pair is run alone and unpadded, so its logit depends on nothing but the pair: a reader
made with ``memo=N`` keeps the last N pairs' logits and takes a pair it has read before from
them, with the same value. Off by default (every read costs what a new question's does, which
is what latency figures should show); the test suite turns it on, where the same questions are
retrieved and then answered, and asked again with and without a typo.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa_bot.errors import ModelLoadError
from qa_bot.index.checksums import sha256_file

MODEL_DIR = Path(__file__).resolve().parent / "model"
MAX_TOKENS = 128


def reader_text(sentence: str, title: str = "") -> str:
    """The second segment the reader reads: the candidate, then its article's headline.

    The candidate comes first so truncation cuts the headline, never the sentence itself. The
    sentence before it is not included: a first model that read it (trained the same way) put
    the sentence *after* the answer nearly as high as the answer itself, since its context then
    held the answer (right sentence of the paragraph 0.80 against 0.82 for the bi-encoder).
    """
    title = " ".join(title.split())
    sentence = " ".join(sentence.split())
    return f"{sentence} [SEP] {title}" if title else sentence


def load_tokenizer(path: Path, max_tokens: int = MAX_TOKENS) -> Any:
    """A ``tokenizers`` tokenizer that truncates the longer segment and pads to the batch.

    The sentence with its headline is nearly always the longer segment, so its end (the
    headline) is cut first; a question too long to fit is cut too instead of failing.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_tokens, strategy="longest_first")
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def encode_pairs(
    tokenizer: Any, question: str | Sequence[str], texts: Sequence[str]
) -> dict[str, np.ndarray]:
    """ids, mask and segment ids for (question, text) pairs, padded to the longest."""
    questions = [question] * len(texts) if isinstance(question, str) else list(question)
    return pair_arrays(tokenizer.encode_batch(list(zip(questions, texts, strict=True))))


def pair_arrays(encoded: Sequence[Any]) -> dict[str, np.ndarray]:
    """The model's inputs from a batch of ``tokenizers`` encodings (padded alike)."""
    return {
        "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
    }


class Reader:
    """The shipped reader (or one in ``model_dir``), loaded lazily on first use.

    Args:
        model_dir: a folder with ``reader.onnx``, ``tokenizer.json`` and ``card.json``.
        threads: ONNX Runtime intra-op threads (1 keeps single questions steady).
        memo: how many (question, text) logits to keep for pairs read again (0: none).
    """

    def __init__(
        self, model_dir: str | Path | None = None, *, threads: int = 1, memo: int = 0
    ) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else MODEL_DIR
        self.threads = threads
        self.memo = memo
        self._memo: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._card: dict[str, Any] | None = None

    @property
    def card(self) -> dict[str, Any]:
        """The model card (config, data hash, metrics, calibration, file hash)."""
        if self._card is None:
            path = self.model_dir / "card.json"
            try:
                self._card = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ModelLoadError(f"no readable reader model card at {path}: {exc}") from exc
        return self._card

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            card = self.card
            onnx_path = self.model_dir / card.get("file", "reader.onnx")
            if not onnx_path.is_file():
                raise ModelLoadError(f"the reader model {onnx_path} is missing")
            if sha256_file(onnx_path) != card.get("sha256"):
                raise ModelLoadError(
                    f"the reader model {onnx_path} does not match its card's sha256; "
                    "reinstall qa_bot or retrain with `python -m qa_bot.reader.train`"
                )
            try:
                import onnxruntime
            except ImportError as exc:  # pragma: no cover - a dependency
                raise ModelLoadError(f"the reader needs onnxruntime: {exc}") from exc
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            # Exact int8 products on every x86 CPU. Without a VNNI unit (AVX2 only: older Intel,
            # AMD EPYC before Zen 4) ONNX Runtime sums u8 x s8 products in 16-bit registers that
            # saturate, and the reader's scores depend on the CPU: on an AVX2-only EPYC it picked
            # the right sentence of the held-out SQuAD paragraphs 0.8416 of the time against its
            # card's 0.8515, and the follow-up set's answer evidence fell under its gate. This
            # option widens them to 16 x 16 bits there (32 pairs: 395 -> 454 ms on that CPU; fp32
            # weights took 567 ms) and changes nothing where VNNI is present.
            options.add_session_config_entry("session.x64quantprecision", "1")
            self._tokenizer = load_tokenizer(
                self.model_dir / "tokenizer.json", int(card.get("max_tokens", MAX_TOKENS))
            )
            self._tokenizer.no_padding()
            self._session = onnxruntime.InferenceSession(
                str(onnx_path), options, providers=["CPUExecutionProvider"]
            )

    def logits(self, question: str | Sequence[str], texts: Sequence[str]) -> np.ndarray:
        """Raw reader logits for (question, text) pairs; texts from ``reader_text``."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        self._load()
        questions = [question] * len(texts) if isinstance(question, str) else list(question)
        pairs = list(zip(questions, texts, strict=True))
        out = np.empty(len(pairs), dtype=np.float32)
        with self._lock:
            known = {row: self._memo.get(pair) for row, pair in enumerate(pairs)}
            todo = [row for row, value in known.items() if value is None]
            for row, value in known.items():
                if value is not None:
                    out[row] = value
                    self._memo.move_to_end(pairs[row])
            encoded = self._tokenizer.encode_batch([pairs[row] for row in todo]) if todo else []
        # One pair per run, unpadded: int8 dynamic quantisation scales activations over the
        # whole input, so padding would make a sentence's score depend on its batch (and on
        # CPU one pair at a time costs the same as a padded batch of 32).
        for row, e in zip(todo, encoded, strict=True):
            feed = {
                "input_ids": np.array([e.ids], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids], dtype=np.int64),
            }
            (logits,) = self._session.run(["logits"], feed)
            out[row] = float(np.asarray(logits).reshape(-1)[0])
        if self.memo > 0 and todo:
            with self._lock:
                for row in todo:
                    self._memo[pairs[row]] = float(out[row])
                while len(self._memo) > self.memo:
                    self._memo.popitem(last=False)
        return out

    def probabilities(self, question: str | Sequence[str], texts: Sequence[str]) -> np.ndarray:
        """Calibrated P(answers the question) for each text (Platt scaling from the card)."""
        return self.calibrate(self.logits(question, texts))

    def calibrate(self, logits: np.ndarray) -> np.ndarray:
        scale, shift = self.card.get("calibration", {"scale": 1.0, "shift": 0.0}).values()
        return 1.0 / (1.0 + np.exp(-(float(scale) * logits + float(shift))))
