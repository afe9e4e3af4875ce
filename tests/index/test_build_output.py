"""What a build prints: one progress bar while it embeds (not the embedder's own), a summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa_bot.index.build import build_index

pytestmark = pytest.mark.integration


def test_a_build_shows_one_bar_per_stage_and_no_batches_bars(
    small_corpus: Path,
    tmp_path: Path,
    real_embedder,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    report = build_index(small_corpus, tmp_path / "i", real_embedder, show_progress=True)
    err = capsys.readouterr().err
    assert "Batches" not in err  # sentence-transformers' inner bars
    final = {line.split(":")[0] for line in re.split(r"[\r\n]+", err) if "100%" in line}
    assert final == {"Embedding passages, sentences, windows, headlines"}, err
    assert report.summary().endswith(
        f": 3 articles → 3 passages, 8 sentences; all embedded in {report.seconds:.1f} s."
    )
    # Without show_progress (the default, and the CLI off a terminal or with -q): silent.
    build_index(small_corpus, tmp_path / "j", real_embedder)
    assert capsys.readouterr().err == ""
