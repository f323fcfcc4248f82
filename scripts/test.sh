#!/usr/bin/env bash
# The test command: set up from nothing, lint, then run the whole suite against real local services.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Lint first: a style slip fails in seconds, not after the suite (ruff is pinned in the dev extra).
.venv/bin/ruff check . || { echo "test: ruff check failed (fix, or 'ruff check --fix .')" >&2; exit 1; }
.venv/bin/ruff format --check . \
  || { echo "test: files need formatting (run '.venv/bin/ruff format .')" >&2; exit 1; }
export TRENDSTREAM_STATE_DIR="${TRENDSTREAM_STATE_DIR:-$PWD/.state/test}"
exec .venv/bin/python -m pytest "$@"
