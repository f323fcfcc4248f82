"""The streaming job as a Kubeflow Spark operator ``SparkApplication`` (v1beta2).

The Helm chart renders the same manifest from the same settings (``tests/k8s`` checks it).
Design: docs/orchestration.md#spark-application
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

import yaml

from trendstream.core.settings import Settings

API_VERSION = "sparkoperator.k8s.io/v1beta2"
KIND = "SparkApplication"
# Where the Dockerfile puts the repository inside the image.
APP_HOME = "/opt/trendstream"
MAIN_APPLICATION_FILE = f"local://{APP_HOME}/spark_jobs/stream_job.py"
# Where the Dockerfile puts the Maven-resolved jars (TRENDSTREAM_JVM_LIB_DIR in the image).
IMAGE_JVM_LIB = f"{APP_HOME}/jvm/lib"
STATE_VOLUME = "state"
UI_PORT_NAME = "spark-ui"
PART_OF = "trendstream"
# The non-root user the Dockerfile creates; fsGroup makes the state volume writable for it.
IMAGE_UID = 10001
# Spark's built-in PrometheusServlet: driver and executor metrics on the UI port, no agent jar.
PROMETHEUS_SPARK_CONF = {
    "spark.ui.prometheus.enabled": "true",
    "spark.sql.streaming.metricsEnabled": "true",
    "spark.metrics.conf.*.sink.prometheusServlet.class": (
        "org.apache.spark.metrics.sink.PrometheusServlet"
    ),
    "spark.metrics.conf.*.sink.prometheusServlet.path": "/metrics/prometheus",
}


def spark_version() -> str:
    """The Spark version the image runs: the installed pyspark (pinned in requirements.lock)."""
    return version("pyspark")


def image_jars(settings: Settings) -> list[str]:
    """Spark's Kafka connector jars as ``local://`` paths in the image: the same files
    ``spark_jars`` finds here, so the operator's ``--jars`` matches the local job."""
    from trendstream.stream.job import spark_jars

    return [f"local://{IMAGE_JVM_LIB}/spark/{jar.name}" for jar in spark_jars(settings)]


def component_labels(settings: Settings, component: str) -> dict[str, str]:
    """Pod labels the chart's metrics Service and NetworkPolicies select on."""
    return {
        "app.kubernetes.io/name": PART_OF,
        "app.kubernetes.io/instance": settings.kubernetes.app_name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
    }


def build_spark_application(
    settings: Settings,
    image: str | None = None,
    namespace: str | None = None,
    *,
    name: str | None = None,
    arguments: Sequence[str] = (),
) -> dict[str, Any]:
    """The SparkApplication manifest for the streaming job.

    ``image``, ``namespace`` and ``name`` default to ``settings.kubernetes``; pass ``name``
    and ``arguments`` to submit a second application, e.g. a bounded replay.
    """
    k = settings.kubernetes
    # What driver and executors share: settings as env, the state volume, a non-root user.
    pod: dict[str, Any] = {
        "envFrom": [{"configMapRef": {"name": k.config_map}}, {"secretRef": {"name": k.secret}}],
        "volumeMounts": [{"name": STATE_VOLUME, "mountPath": str(settings.state_dir)}],
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": IMAGE_UID,
            "runAsGroup": IMAGE_UID,
            "fsGroup": IMAGE_UID,
        },
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    driver: dict[str, Any] = {
        "cores": k.driver_cores,
        "memory": k.driver_memory,
        "serviceAccount": k.service_account,
        "labels": component_labels(settings, "stream-driver"),
        **pod,
        "ports": [{"name": UI_PORT_NAME, "containerPort": k.ui_port, "protocol": "TCP"}],
    }
    executor: dict[str, Any] = {
        "instances": k.executor_instances,
        "cores": k.executor_cores,
        "memory": k.executor_memory,
        "labels": component_labels(settings, "stream-executor"),
        **pod,
    }
    if k.executor_gpus:
        executor["gpu"] = {"name": "nvidia.com/gpu", "quantity": k.executor_gpus}
    spec: dict[str, Any] = {
        "type": "Python",
        "pythonVersion": "3",
        "mode": "cluster",
        "image": image or k.image,
        "imagePullPolicy": k.image_pull_policy,
        "mainApplicationFile": MAIN_APPLICATION_FILE,
        "sparkVersion": spark_version(),
        "deps": {"jars": image_jars(settings)},
        # ui_port wins over spark_conf: the metrics Service and NetworkPolicy use it.
        "sparkConf": {**PROMETHEUS_SPARK_CONF, **k.spark_conf, "spark.ui.port": str(k.ui_port)},
        "restartPolicy": _restart_policy(settings),
        "volumes": [{"name": STATE_VOLUME, "persistentVolumeClaim": {"claimName": k.state_claim}}],
        "driver": driver,
        "executor": executor,
    }
    if arguments:
        spec["arguments"] = list(arguments)
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": name or k.app_name,
            "namespace": namespace or k.namespace,
            "labels": {"app.kubernetes.io/part-of": PART_OF},
        },
        "spec": spec,
    }


def _restart_policy(settings: Settings) -> dict[str, Any]:
    """Operator-side restarts; retry counts only mean something for ``OnFailure``."""
    k = settings.kubernetes
    policy: dict[str, Any] = {
        "type": k.restart_policy,
        "onFailureRetryInterval": k.on_failure_retry_interval_s,
        "onSubmissionFailureRetryInterval": k.on_submission_failure_retry_interval_s,
    }
    if k.restart_policy == "OnFailure":
        policy["onFailureRetries"] = k.on_failure_retries
        policy["onSubmissionFailureRetries"] = k.on_submission_failure_retries
    return policy


def to_yaml(manifest: dict[str, Any]) -> str:
    """A manifest as YAML, keys in the order they were built (what ``kubectl`` users read)."""
    return yaml.safe_dump(manifest, sort_keys=False, default_flow_style=False)
