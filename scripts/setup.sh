#!/usr/bin/env bash
# Create .venv and install trendstream with every dependency, from nothing.
# Idempotent: re-runs only reinstall when the lock, pyproject.toml or the JVM sources changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
VENV="${TRENDSTREAM_VENV:-.venv}"
STAMP="$VENV/.trendstream-installed"
want="$(cat pyproject.toml requirements.lock jvm/pom.xml jvm/*/pom.xml scripts/setup.sh web/package*.json \
  $(find jvm/*/src -type f | sort) | sha256sum | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "setup: $VENV is up to date"
  exit 0
fi
command -v java >/dev/null || { echo "setup: Spark needs Java 17+ (apt-get install -y openjdk-17-jre-headless)" >&2; exit 1; }
start=$(date +%s)
[[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
# uv, pinned, installs the hashed lock with about half pip's CPU time (README: set-up times); its
# download cache is per user (~/.cache/uv, or UV_CACHE_DIR).
"$VENV/bin/python" -m pip install -q --disable-pip-version-check uv==0.13.8
UV=("$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python")
# Every package at the locked version and hash (torch is PyPI's CUDA build: it runs on the CPU
# too, ~7 GB of .venv), then the project itself on top without resolving anything again.
"${UV[@]}" --require-hashes -r requirements.lock
"${UV[@]}" --no-deps -e .
# Bytecode for every module, ours included (~75 s on 2 cores): each process imports thousands
# (Airflow, Spark's Python, the model stack) and, with no .pyc and PYTHONDONTWRITEBYTECODE set or
# a read-only venv, compiles them all again (~13 s of CPU for the encoder's imports alone). Its
# status is not checked: a few torch test modules need a newer Python (and cannot be imported
# either). An edited file of ours is simply compiled in memory again.
"$VENV/bin/python" -m compileall -qq -j 0 include dags plugins spark_jobs \
  "$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" || true
"$VENV/bin/python" -c "import trendstream, pyspark, pymilvus, confluent_kafka, airflow, sentence_transformers" \
  || { echo "setup: install is incomplete" >&2; exit 1; }
# The CPU encoder's ONNX export of the shipped model (fused, int8; ~20 s of CPU), made now rather
# than by the stream's first batch; cached in the user cache by model + backend + quantisation.
"$VENV/bin/python" -c "from trendstream.core.settings import get_settings as s; \
from trendstream.encode.model import get_encoder; get_encoder(s().model)" \
  || { echo "setup: the embedding model does not load (see the error above)" >&2; exit 1; }
# Apache Kafka (the local broker and its tools) and Spark's Kafka connector from Maven Central,
# and our record parser for Spark (jvm/parse) compiled against them.
command -v mvn >/dev/null || { echo "setup: the JVM parts need Maven (apt-get install -y maven)" >&2; exit 1; }
mvn -q -B -Dstyle.color=never -f jvm/pom.xml package dependency:copy-dependencies \
  || { echo "setup: mvn could not resolve jvm/pom.xml from Maven Central" >&2; exit 1; }
# kcat: a Kafka client we did not write, for the integration tests (best effort: needs root).
if ! command -v kcat >/dev/null && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
  (apt-get install -y -qq kcat >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq kcat >/dev/null 2>&1; }) \
    || echo "setup: warning: kcat not installed; the kcat test will say so and skip" >&2
fi
# The Trends page's chart scripts (vega, vega-lite, vega-embed), pinned in web/package-lock.json
# and served by the page itself (no CDN). Without npm the page works, minus the timeline chart.
if command -v npm >/dev/null; then
  npm ci --prefix web --ignore-scripts --no-audit --no-fund --loglevel=error --color=false >/dev/null \
    || { echo "setup: npm could not install web/package-lock.json" >&2; exit 1; }
else
  echo "setup: warning: npm not found; the Trends page will show no timeline charts" >&2
fi
# chromium: the browser the Playwright tests drive (best effort: needs root).
if ! command -v chromium >/dev/null && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
  (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }) \
    || echo "setup: warning: chromium not installed; the browser test will say so and skip" >&2
fi
echo "$want" > "$STAMP"
echo "setup: done in $(( $(date +%s) - start ))s"
