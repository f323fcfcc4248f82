"""The Helm chart, rendered and linted by real Helm, checked without a cluster.

Built-in kinds are validated with kubernetes-validate (strict: unknown fields fail), custom
resources against their operators' CRD schemas, and the wiring between objects (selectors,
names, service accounts) is checked the way a cluster would resolve it.
"""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import helm_python
import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.k8s.chart_render import (
    CHART_DIR,
    KUBE_VERSION,
    NAMESPACE,
    REPO,
    VALUE_SETS,
    Rendered,
    load_values,
    render,
    settings_from_env,
)
from tests.k8s.crd_schema import crd_validators, find_schemas_dir
from trendstream.core.settings import Settings
from trendstream.kafka.admin import topic_specs
from trendstream.stream.job import spark_jars

CUSTOM_GROUPS = ("sparkoperator.k8s.io/", "kafka.strimzi.io/", "monitoring.coreos.com/")
WARNING = 2  # helm lint severities: 1 info, 2 warning, 3 error


@pytest.fixture(scope="module")
def validators() -> dict[tuple[str, str], jsonschema.Draft7Validator]:
    schemas = find_schemas_dir(REPO)
    if schemas is None:
        pytest.skip(
            "operator CRD schemas not found: set TRENDSTREAM_K8S_SCHEMAS or provide "
            "../shared/k8s-schemas (see its README)"
        )
    return crd_validators(schemas)


def _is_custom(doc: dict[str, Any]) -> bool:
    return doc["apiVersion"].startswith(CUSTOM_GROUPS)


# ------------------------------------------------------------------ lint and validation


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_chart_lints_clean(value_set: str) -> None:
    report = helm_python.lint(
        CHART_DIR, load_values(VALUE_SETS[value_set]), strict=True, kube_version=f"v{KUBE_VERSION}"
    )
    problems = [m for m in report["messages"] if m["severity"] >= WARNING]
    assert report["total_charts_linted"] == 1
    assert not report["errors"] and not problems, report


def test_renders_every_component(rendered: Rendered) -> None:
    kinds = {doc["kind"] for doc in rendered.docs}
    expected = {
        "ConfigMap",
        "PersistentVolumeClaim",
        "SparkApplication",
        "KafkaTopic",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "NetworkPolicy",
        "Service",
    }
    assert expected <= kinds, expected - kinds
    assert len(rendered.of_kind("KafkaTopic")) == 7


def test_builtin_manifests_are_valid_kubernetes(rendered: Rendered) -> None:
    builtin = [doc for doc in rendered.docs if not _is_custom(doc)]
    assert builtin
    for doc in builtin:
        try:
            kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {path}: {exc.message}")


def test_custom_resources_match_operator_crds(rendered: Rendered, validators) -> None:
    checked = 0
    for doc in rendered.docs:
        validator = validators.get((doc["apiVersion"], doc["kind"]))
        if validator is None:
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        assert not errors, [f"{doc['kind']}: {list(e.path)}: {e.message}" for e in errors]
        checked += 1
    assert checked == 1 + 7  # the SparkApplication and every topic


def test_every_manifest_has_a_validator(rendered: Rendered, validators) -> None:
    """Nothing the chart renders escapes validation."""
    for doc in rendered.docs:
        if _is_custom(doc) and doc["kind"] != "ServiceMonitor":
            assert (doc["apiVersion"], doc["kind"]) in validators, doc["kind"]


def test_crd_validation_catches_mistakes(renders: dict[str, Rendered], validators) -> None:
    app = copy.deepcopy(renders["default"].one("SparkApplication"))
    validator = validators[(app["apiVersion"], "SparkApplication")]
    app["spec"]["restartPolicy"]["type"] = "Sometimes"
    app["spec"]["driver"]["coress"] = 1
    del app["spec"]["mainApplicationFile"]
    messages = " ".join(e.message for e in validator.iter_errors(app))
    assert "Sometimes" in messages and "coress" in messages and "mainApplicationFile" in messages


def test_service_monitor_shape(renders: dict[str, Rendered]) -> None:
    """No CRD for it here: check what the Prometheus operator needs to find the driver."""
    prod = renders["production"]
    assert not renders["default"].of_kind("ServiceMonitor")  # off by default
    monitor = prod.one("ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    spec = monitor["spec"]
    service = prod.one("Service")
    assert spec["namespaceSelector"]["matchNames"] == [NAMESPACE]
    assert spec["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    port_names = {port["name"] for port in service["spec"]["ports"]}
    assert spec["endpoints"]
    for endpoint in spec["endpoints"]:
        assert endpoint["port"] in port_names
        assert endpoint["path"].startswith("/metrics/")
        for key in ("interval", "scrapeTimeout"):
            assert endpoint[key][:-1].isdigit() and endpoint[key][-1] in "smh"


# ------------------------------------------------------------------ wiring between objects


def test_selectors_reach_the_stream_pods(rendered: Rendered) -> None:
    spec = rendered.one("SparkApplication")["spec"]
    driver, executor = spec["driver"]["labels"], spec["executor"]["labels"]
    service = rendered.one("Service")
    assert service["spec"]["selector"].items() <= driver.items()
    assert not service["spec"]["selector"].items() <= executor.items()
    driver_ports = {p["name"]: p["containerPort"] for p in spec["driver"]["ports"]}
    for port in service["spec"]["ports"]:
        assert driver_ports[port["targetPort"]] == port["port"]
    for policy in rendered.of_kind("NetworkPolicy"):
        selector = policy["spec"]["podSelector"]["matchLabels"]
        assert selector.items() <= driver.items() and selector.items() <= executor.items()


def test_names_resolve(rendered: Rendered) -> None:
    app = rendered.one("SparkApplication")["spec"]
    claims = {doc["metadata"]["name"] for doc in rendered.of_kind("PersistentVolumeClaim")}
    assert app["volumes"][0]["persistentVolumeClaim"]["claimName"] in claims
    accounts = {doc["metadata"]["name"] for doc in rendered.of_kind("ServiceAccount")}
    assert app["driver"]["serviceAccount"] in accounts
    refs = app["driver"]["envFrom"]
    assert refs[0]["configMapRef"]["name"] == rendered.one("ConfigMap")["metadata"]["name"]
    secret_name = refs[1]["secretRef"]["name"]
    secrets = rendered.of_kind("Secret")
    if rendered.values.get("existingSecret"):
        assert not secrets and secret_name == rendered.values["existingSecret"]
    else:
        assert secret_name == secrets[0]["metadata"]["name"]
    roles = {doc["metadata"]["name"]: doc for doc in rendered.of_kind("Role")}
    for binding in rendered.of_kind("RoleBinding"):
        assert binding["roleRef"]["name"] in roles
        for subject in binding["subjects"]:
            assert subject["name"] in accounts


def test_airflow_worker_may_manage_spark_applications(rendered: Rendered) -> None:
    roles = rendered.of_kind("Role")
    role = next(r for r in roles if r["metadata"]["name"].endswith("airflow-worker"))
    granted = {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    for verb in ("create", "get", "watch", "delete", "patch"):
        assert ("sparkoperator.k8s.io", "sparkapplications", verb) in granted
        assert ("", "pods", verb) in granted
    assert ("", "pods/log", "get") in granted


def test_airflow_overlay_points_at_this_chart(renders: dict[str, Rendered]) -> None:
    overlay = yaml.safe_load((CHART_DIR / "airflow-values.yaml").read_text())
    default = renders["default"]
    env_from = yaml.safe_load(overlay["extraEnvFrom"])
    assert env_from[0]["configMapRef"]["name"] == default.one("ConfigMap")["metadata"]["name"]
    assert env_from[1]["secretRef"]["name"] == default.one("Secret")["metadata"]["name"]
    accounts = {doc["metadata"]["name"] for doc in default.of_kind("ServiceAccount")}
    assert overlay["workers"]["serviceAccount"]["name"] in accounts
    claim = default.one("PersistentVolumeClaim")["metadata"]["name"]
    for component in ("workers", "apiServer"):
        volumes = overlay[component]["extraVolumes"]
        assert volumes[0]["persistentVolumeClaim"]["claimName"] == claim
        mount = overlay[component]["extraVolumeMounts"][0]["mountPath"]
        assert mount == default.values.get("settings", {}).get("state_dir", "/var/lib/trendstream")
    env = {item["name"]: item["value"] for item in overlay["env"]}
    assert env["TRENDSTREAM_DEPLOYMENT"] == "kubernetes"
    assert {"AIRFLOW_CONN_KUBERNETES_DEFAULT", "AIRFLOW_CONN_KAFKA_DEFAULT"} <= env.keys()
    chart_values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    assert overlay["images"]["airflow"]["repository"] == chart_values["image"]["repository"]
    assert overlay["airflowVersion"] == _locked("apache-airflow")


# ------------------------------------------------------------------ settings parity


def test_config_carries_valid_trendstream_settings(rendered: Rendered) -> None:
    config = rendered.one("ConfigMap")["data"]
    secrets = rendered.of_kind("Secret")
    secret_keys = set(secrets[0]["stringData"]) if secrets else set()
    known = set(Settings().env()) | _excluded_secret_env_names()
    assert not (set(config) & secret_keys)
    unknown = (set(config) | secret_keys) - known
    assert not unknown, f"not Settings fields (pydantic would silently ignore them): {unknown}"
    assert not {"TRENDSTREAM_MILVUS__TOKEN", "TRENDSTREAM_KAFKA__CLIENT_CONFIG"} & set(config)
    settings = settings_from_env(rendered.env())
    assert settings.deployment.value == "kubernetes"
    assert settings.broker.enabled is False and settings.milvus.embedded == "none"
    values = rendered.values.get("settings", {})
    if "kafka" in values:
        assert settings.kafka.partitions == values["kafka"]["partitions"]


def test_kafka_topics_equal_the_local_topic_admin(rendered: Rendered) -> None:
    """Strimzi creates on a cluster exactly what ``topic_specs`` creates locally."""
    settings = settings_from_env(rendered.env())
    expected = {spec.name: spec for spec in topic_specs(settings)}
    topics = rendered.of_kind("KafkaTopic")
    assert {t["spec"]["topicName"] for t in topics} == set(expected)
    cluster = (rendered.values.get("kafkaTopics") or {}).get("cluster", "trendstream")
    for topic in topics:
        spec = expected[topic["spec"]["topicName"]]
        assert topic["spec"]["partitions"] == spec.partitions
        assert topic["spec"]["replicas"] == settings.kafka.replication_factor
        assert topic["spec"]["config"] == spec.config
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == cluster


# ------------------------------------------------------------------ values.schema.json


@pytest.mark.parametrize(
    ("bad", "complaint"),
    [
        ({"settings": {"kubernetes": {"executor_instances": -1}}}, "executor_instances"),
        ({"settings": {"kubernetes": {"restart_policy": "Sometimes"}}}, "restart_policy"),
        ({"settings": {"kubernetes": {"executor_memory": "lots"}}}, "executor_memory"),
        ({"settings": {"kubernetes": {"image": "evil:latest"}}}, "image"),
        ({"settings": {"kafka": {"partitions": 0}}}, "partitions"),
        ({"settings": {"deployment": "cloud"}}, "deployment"),
        ({"settings": {"milvus": {"token": "in-a-configmap"}}}, "milvus"),
        ({"image": {"pullPolicy": "Sometimes"}}, "pullPolicy"),
        ({"state": {"size": "twenty gigs"}}, "size"),
        ({"spark": {"enabled": "yes"}}, "enabled"),
        ({"replicas": 3}, "replicas"),
    ],
)
def test_schema_rejects_bad_values(chart: helm_python.Chart, bad: dict, complaint: str) -> None:
    with pytest.raises(helm_python.HelmError, match=complaint):
        render(chart, bad)


def test_shipped_values_name_only_real_settings() -> None:
    """A typo in a settings key would render fine and be silently ignored by pydantic."""
    fields = Settings.model_fields
    for path in [CHART_DIR / "values.yaml", *filter(None, VALUE_SETS.values())]:
        values = yaml.safe_load(path.read_text())
        for tree_name in ("settings", "secretSettings"):
            for key, value in (values.get(tree_name) or {}).items():
                assert key in fields, f"{path.name}: {tree_name}.{key}"
                if isinstance(value, dict):
                    section = fields[key].annotation.model_fields
                    unknown = set(value) - set(section)
                    assert not unknown, f"{path.name}: {tree_name}.{key}: {unknown}"


def test_versions_match_the_project() -> None:
    chart_meta = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert chart_meta["appVersion"] == project["version"]
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    assert values["spark"]["sparkVersion"] == _locked("pyspark")
    # The image bakes what jvm/pom.xml resolves; the chart's --jars must name exactly those.
    resolved = sorted(jar.name for jar in spark_jars(Settings()))
    assert sorted(values["spark"]["jars"]) == resolved


def _locked(package: str) -> str:
    for line in (REPO / "requirements.lock").read_text().splitlines():
        name, _, pinned = line.partition("==")
        if name.strip().lower() == package:
            return pinned.split()[0]  # the hashed lock continues the line: "1.2.3 \\"
    raise AssertionError(f"{package} is not pinned in requirements.lock")


def _excluded_secret_env_names() -> set[str]:
    """Secret fields kept out of ``Settings.env()`` (never serialized) but set from a Secret."""
    names = set()
    for section, field in Settings.model_fields.items():
        for name, info in getattr(field.annotation, "model_fields", {}).items():
            if info.exclude:
                names.add(f"TRENDSTREAM_{section.upper()}__{name.upper()}")
    return names


def test_chart_readme_documents_install() -> None:
    readme = (CHART_DIR / "README.md").read_text()
    for needle in ("helm upgrade --install", "strimzi-kafka-operator", "spark-operator/"):
        assert needle in readme
    for needle in ("zilliztech/milvus", "apache-airflow/airflow", "airflow-values.yaml"):
        assert needle in readme
