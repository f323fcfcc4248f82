"""The SparkApplication the supervisor DAG submits equals the one the chart renders."""

from __future__ import annotations

import yaml

from tests.k8s.chart_render import Rendered, settings_from_env
from trendstream.core.settings import Settings
from trendstream.orchestration.spark_application import (
    MAIN_APPLICATION_FILE,
    build_spark_application,
    spark_version,
    to_yaml,
)


def test_dag_side_manifest_equals_the_chart(rendered: Rendered) -> None:
    """Same values → same ConfigMap → same settings in the Airflow worker → same job."""
    chart_app = rendered.one("SparkApplication")
    settings = settings_from_env(rendered.env())
    built = build_spark_application(settings)
    assert built["apiVersion"] == chart_app["apiVersion"] and built["kind"] == chart_app["kind"]
    assert built["metadata"]["name"] == chart_app["metadata"]["name"]
    assert built["metadata"]["namespace"] == chart_app["metadata"]["namespace"]
    assert built["spec"] == chart_app["spec"]


def test_restart_policy_follows_settings(renders: dict[str, Rendered]) -> None:
    default = renders["default"].one("SparkApplication")["spec"]["restartPolicy"]
    assert default["type"] == "Always" and "onFailureRetries" not in default
    production = renders["production"].one("SparkApplication")["spec"]
    policy = production["restartPolicy"]
    assert policy == {
        "type": "OnFailure",
        "onFailureRetries": 10,
        "onFailureRetryInterval": 60,
        "onSubmissionFailureRetries": 5,
        "onSubmissionFailureRetryInterval": 30,
    }
    assert production["executor"]["gpu"] == {"name": "nvidia.com/gpu", "quantity": 1}
    assert "gpu" not in renders["default"].one("SparkApplication")["spec"]["executor"]


def test_overrides_for_a_second_application() -> None:
    settings = Settings(kubernetes={"namespace": "ns", "image": "img:1"})
    app = build_spark_application(
        settings, "img:2", "other", name="trendstream-replay", arguments=["--available-now"]
    )
    assert app["metadata"] == {
        "name": "trendstream-replay",
        "namespace": "other",
        "labels": {"app.kubernetes.io/part-of": "trendstream"},
    }
    assert app["spec"]["image"] == "img:2"
    assert app["spec"]["arguments"] == ["--available-now"]
    assert "arguments" not in build_spark_application(settings)["spec"]
    assert build_spark_application(settings)["spec"]["image"] == "img:1"


def test_manifest_basics_and_yaml() -> None:
    settings = Settings(kubernetes={"spark_conf": {"spark.ui.port": "4141", "a.b": "c"}})
    app = build_spark_application(settings)
    spec = app["spec"]
    assert spec["mainApplicationFile"] == MAIN_APPLICATION_FILE
    assert spec["sparkVersion"] == spark_version()
    assert spec["sparkConf"]["a.b"] == "c"
    assert spec["sparkConf"]["spark.ui.port"] == "4040"  # ui_port wins: Service/policy use it
    mount = spec["driver"]["volumeMounts"][0]
    assert mount["mountPath"] == str(settings.state_dir)
    assert yaml.safe_load(to_yaml(app)) == app
    assert to_yaml(app).startswith("apiVersion: sparkoperator.k8s.io/v1beta2\n")
