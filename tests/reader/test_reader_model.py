"""The shipped reader: its file matches its card, it loads without torch, it reads."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa_bot.errors import ModelLoadError
from qa_bot.index.checksums import sha256_file
from qa_bot.reader.model import MODEL_DIR, Reader, reader_text


def test_reader_text_puts_the_sentence_before_its_headline() -> None:
    assert (
        reader_text("Prices rose  by 5%.", "Oil\ncrisis") == "Prices rose by 5%. [SEP] Oil crisis"
    )
    assert reader_text("Alone.") == "Alone."


def test_shipped_model_matches_its_card() -> None:
    card = json.loads((MODEL_DIR / "card.json").read_text())
    assert sha256_file(MODEL_DIR / card["file"]) == card["sha256"]
    assert (MODEL_DIR / "tokenizer.json").is_file()
    assert "CC BY-SA 4.0" in card["license"]
    assert card["held_out"] and not set(card["held_out"]) & set(card["train_articles"])
    size_mb = (MODEL_DIR / card["file"]).stat().st_size / 1e6
    assert size_mb < 50, f"the shipped reader is {size_mb:.0f} MB"


def test_a_damaged_model_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(MODEL_DIR, copy)
    card = json.loads((copy / "card.json").read_text())
    with (copy / card["file"]).open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\0\0\0\0")
    with pytest.raises(ModelLoadError, match="sha256"):
        Reader(copy).logits("q", ["a sentence"])


def test_a_missing_card_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="card"):
        Reader(tmp_path).logits("q", ["a sentence"])


def test_the_reader_prefers_the_sentence_that_answers() -> None:
    reader = Reader()
    question = "What did the city open on Monday?"
    texts = [
        reader_text("The mayor has been in office since 2019.", "New tram line opens"),
        reader_text("The city opened its first tram line on Monday.", "New tram line opens"),
        reader_text("Tickets cost two euros.", "New tram line opens"),
    ]
    probs = reader.probabilities(question, texts)
    assert probs.shape == (3,)
    assert np.all((probs >= 0) & (probs <= 1))
    assert int(np.argmax(probs)) == 1
    # batches of any size give the same scores as one at a time
    one_by_one = np.array([reader.probabilities(question, [t])[0] for t in texts])
    assert np.allclose(one_by_one, probs, atol=1e-4)
    assert reader.logits(question, []).shape == (0,)


def test_a_long_headline_is_truncated_not_refused() -> None:
    reader = Reader()
    long_context = " ".join(["word"] * 400)
    probs = reader.probabilities(
        "What happened?", [reader_text("Something happened.", long_context)]
    )
    assert probs.shape == (1,)


def test_reading_imports_no_torch() -> None:
    code = (
        "import sys\n"
        "from qa_bot.reader.model import Reader, reader_text\n"
        "Reader().probabilities('Who won?', [reader_text('Lyon won.', 'Chess')])\n"
        "bad = [m for m in ('torch', 'transformers', 'sentence_transformers')"
        " if m in sys.modules]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
