#!/usr/bin/env bash
# The test command: set up from nothing, then run the whole suite against real local services.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export TRENDSTREAM_STATE_DIR="${TRENDSTREAM_STATE_DIR:-$PWD/.state/test}"
exec .venv/bin/python -m pytest "$@"
