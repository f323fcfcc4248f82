"""Airflow connections → settings, with connections defined by env (``AIRFLOW_CONN_*``): they
resolve without an Airflow database. A subprocess resolves them, so this test process never
imports Airflow (and its global config) itself."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.subprocess_json import run_python_json
from trendstream.core.settings import Settings
from trendstream.platform.airflow import connections_env

PLUGINS = Path(__file__).resolve().parents[3] / "plugins"

_RESOLVE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])  # as Airflow does for its plugins folder
from trendstream.orchestration import connections as c

def view(s):
    return {"milvus": {k: getattr(s.milvus, k) for k in ("uri", "token", "db_name")},
            "bootstrap_servers": s.kafka.bootstrap_servers,
            "client_config": s.kafka.client_config, "master": s.stream.master}

out = {"task": view(c.task_settings())}
for milvus, kafka, spark in json.loads(sys.argv[2]):
    settings = c.milvus_connection_settings(milvus)
    out[milvus] = view(c.with_spark_connection(c.with_kafka_connection(settings, kafka), spark))
print("@@" + json.dumps(out))
"""


def resolve(tmp_path: Path, connections: dict[str, str], *triples: tuple[str, str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "TRENDSTREAM_"))}
    env.update(AIRFLOW_HOME=str(tmp_path / "airflow"), TRENDSTREAM_STATE_DIR=str(tmp_path))
    return run_python_json(_RESOLVE, [str(PLUGINS), json.dumps(triples)], {**env, **connections})


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The platform's own connections (for a non-default platform), plus hand-written ones."""
    platform = Settings(
        milvus={"uri": "http://10.1.2.3:29530", "token": "root:pw", "db_name": "analytics"},
        kafka={"bootstrap_servers": "10.1.2.3:29092", "client_config": {"client.id": "ts"}},
    )
    written = {
        "AIRFLOW_CONN_MILVUS_TLS": json.dumps(
            {
                "conn_type": "milvus",
                "host": "milvus.example",
                "port": 443,
                "schema": "db1",
                "login": "u",
                "password": "p",
                "extra": {"secure": "true"},
            }
        ),
        "AIRFLOW_CONN_KAFKA_SASL": json.dumps(
            {
                "conn_type": "kafka",
                "extra": {
                    "bootstrap.servers": "b1:9093,b2:9093",
                    "group.id": "airflow",
                    "security.protocol": "SASL_SSL",
                    "socket.timeout.ms": 5000,
                },
            }
        ),
        "AIRFLOW_CONN_SPARK_CLUSTER": "spark://spark-master:7077",
    }
    return resolve(
        tmp_path_factory.mktemp("conns"),
        {**connections_env(platform), **written},
        ("milvus_tls", "kafka_sasl", "spark_cluster"),
        ("milvus_absent", "kafka_absent", "spark_absent"),
    )


def test_the_platforms_connections_give_tasks_the_platforms_services(resolved: dict) -> None:
    assert resolved["task"] == {
        "milvus": {"uri": "http://10.1.2.3:29530", "token": "root:pw", "db_name": "analytics"},
        "bootstrap_servers": "10.1.2.3:29092",
        "client_config": {"client.id": "ts"},
        "master": "local[*]",
    }


def test_connections_win_over_settings_and_keep_our_consumer_groups(resolved: dict) -> None:
    assert resolved["milvus_tls"] == {
        "milvus": {"uri": "https://milvus.example:443", "token": "u:p", "db_name": "db1"},
        "bootstrap_servers": "b1:9093,b2:9093",
        # group.id stays out: every consumer of ours names its own group.
        "client_config": {"security.protocol": "SASL_SSL", "socket.timeout.ms": "5000"},
        "master": "spark://spark-master:7077",
    }


def test_undefined_connections_leave_the_settings_alone(
    resolved: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The child saw no TRENDSTREAM_* variables; earlier tests in this session may export some.
    for name in [n for n in os.environ if n.startswith("TRENDSTREAM_")]:
        monkeypatch.delenv(name)
    defaults = Settings()
    assert resolved["milvus_absent"] == {
        "milvus": {"uri": defaults.milvus.uri, "token": "", "db_name": "default"},
        "bootstrap_servers": defaults.kafka.bootstrap_servers,
        "client_config": {},
        "master": defaults.stream.master,
    }
