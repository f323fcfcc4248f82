#!/usr/bin/env bash
# Create .venv and install trendstream with every dependency, from nothing.
# Idempotent: re-runs only reinstall when pyproject.toml or requirements.lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
VENV="${TRENDSTREAM_VENV:-.venv}"
STAMP="$VENV/.trendstream-installed"
want="$(cat pyproject.toml requirements.lock package-lock.json scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "setup: $VENV is up to date"
  exit 0
fi
command -v java >/dev/null || { echo "setup: Spark needs Java 17+ (apt-get install -y openjdk-17-jre-headless)" >&2; exit 1; }
start=$(date +%s)
[[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip wheel setuptools 2>&1 | grep -v "is ignored" || true
# torch first, pinned, so pip takes the local CPU wheel instead of a multi-GB CUDA build.
"$VENV/bin/python" -m pip install -q torch==2.13.0 2>&1 | grep -v "is ignored" || true
"$VENV/bin/python" -m pip install -q -c requirements.lock -e ".[dev]" 2>&1 | grep -v "is ignored" || true
"$VENV/bin/python" -c "import trendstream, pyspark, pymilvus, confluent_kafka, airflow, sentence_transformers" \
  || { echo "setup: install is incomplete" >&2; exit 1; }
# s3rver backs the broker's durable (S3) storage mode; node + npm are on this machine kind.
if command -v npm >/dev/null && [[ ! -x node_modules/.bin/s3rver ]]; then
  npm ci --silent --no-audit --no-fund >/dev/null 2>&1 \
    || echo "setup: warning: s3rver not installed; durable broker mode unavailable" >&2
fi
echo "$want" > "$STAMP"
echo "setup: done in $(( $(date +%s) - start ))s"
