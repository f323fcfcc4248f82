#!/usr/bin/env bash
# The main command: set up, start the embedded platform, stream a sample through it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/trendstream demo "$@"
