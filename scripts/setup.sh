#!/usr/bin/env bash
# Set up qa_bot from nothing: a virtualenv in .venv with the CPU build of torch pinned
# (an unpinned torch pulls a multi-GB CUDA build) and the package with its dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
EXTRAS=${QA_BOT_EXTRAS:-dev}  # the extras to install (scripts/test.sh asks for all the tests use)
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip "uv>=0.5"
# torch through pip: pip's configuration is what finds the CPU build on this machine's disk
# (uv does not read it). torch is named again in every install below so nothing can move it.
.venv/bin/python -m pip install -q "torch==2.13.0"
# The llm extra's llama-cpp-python has no wheel on PyPI and compiles (about 9 min on two
# cores): through pip, whose wheel cache keeps the build for every later install (uv builds it
# again each time here, since the index's files come without caching headers).
if [[ ",$EXTRAS," == *",llm,"* ]]; then
  mapfile -t llm < <(.venv/bin/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["llm"], sep="\n")')
  .venv/bin/python -m pip install -q "${llm[@]}" "torch==2.13.0"
fi
# The package and the rest through uv (from PyPI, like pip): about 200 packages in seconds,
# where pip takes a minute and a half unpacking them (docs/testing.md).
.venv/bin/uv pip install -q --python .venv/bin/python -e ".[$EXTRAS]" "torch==2.13.0"
