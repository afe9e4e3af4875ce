#!/usr/bin/env bash
# Set up qa_bot from nothing: a virtualenv in .venv with the CPU build of torch pinned
# (an unpinned torch pulls a multi-GB CUDA build) and the package with its dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
# setuptools' "Editable installation" banner (a build-backend warning) is noise for a user.
# QA_BOT_EXTRAS: the extras to install (scripts/test.sh asks for all the tests use, in this
# one install); torch is named again so no extra can move it.
PYTHONWARNINGS=ignore .venv/bin/python -m pip install -q -e ".[${QA_BOT_EXTRAS:-dev}]" \
  "torch==2.13.0"
