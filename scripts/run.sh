#!/usr/bin/env bash
# Set up, index the bundled corpus and open the chat at http://127.0.0.1:7860
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/qa-bot chat --corpus corpus --index-dir embeddings --host 127.0.0.1 --port "${PORT:-7860}"
