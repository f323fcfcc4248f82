"""Every DAG file parses cleanly, fast, and follows the house rules (Astronomer-style test).

Runs without secrets or services: connections are stubbed by env (``AIRFLOW_CONN_*``) and
Airflow gets a throw-away home, so the test stays green as DAG files are added.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.subprocess_json import run_python_json

REPO = Path(__file__).resolve().parents[2]
DAGS_DIR = REPO / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
MAX_PARSE_S = 1.0


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("airflow-home")
    stub = json.dumps({"conn_type": "generic", "host": "127.0.0.1"})
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW_CONN_SPARK_DEFAULT": json.dumps({"conn_type": "spark", "host": "local[*]"}),
        "AIRFLOW_CONN_MILVUS_DEFAULT": stub,
        "AIRFLOW_CONN_KUBERNETES_DEFAULT": json.dumps({"conn_type": "kubernetes"}),
        "TRENDSTREAM_STATE_DIR": str(home / "state"),
    }


# One subprocess loads the whole DagBag and reports what the test needs as JSON, so the
# test process never imports Airflow (and its settings) itself.
_INSPECT = r"""
import json, os, sys, time, importlib.util
import airflow.sdk  # what every DAG file imports; parse time below excludes it
from airflow.dag_processing.dagbag import DagBag
from trendstream.core.settings import get_settings


def describe(bag):
    return {
        "import_errors": {k: str(v) for k, v in bag.import_errors.items()},
        "dags": {
            dag_id: {
                "file": dag.fileloc,
                "tags": sorted(dag.tags),
                "doc_md": bool(dag.doc_md and dag.doc_md.strip()),
                "catchup": dag.catchup,
                "retries": {t.task_id: t.retries for t in dag.tasks},
            }
            for dag_id, dag in bag.dags.items()
        },
    }


parse_s = {}
for path in sys.argv[1:]:
    start = time.perf_counter()
    spec = importlib.util.spec_from_file_location("dag_under_test", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    parse_s[path] = time.perf_counter() - start
folder = os.path.dirname(sys.argv[1])
local = describe(DagBag(dag_folder=folder))
# The same DAG files with the deployment switch flipped: the Kubernetes path must parse too.
os.environ["TRENDSTREAM_DEPLOYMENT"] = "kubernetes"
get_settings.cache_clear()
kubernetes = describe(DagBag(dag_folder=folder))
print("@@" + json.dumps({"parse_s": parse_s, "local": local, "kubernetes": kubernetes}))
"""


@pytest.fixture(scope="module")
def inspected(airflow_env: dict[str, str]) -> dict:
    return run_python_json(_INSPECT, list(map(str, DAG_FILES)), airflow_env, timeout=240)


@pytest.fixture(scope="module")
def report(inspected: dict) -> dict:
    return {"parse_s": inspected["parse_s"], **inspected["local"]}


@pytest.fixture(scope="module")
def kubernetes_report(inspected: dict) -> dict:
    return inspected["kubernetes"]


def test_there_are_dag_files() -> None:
    assert DAG_FILES, f"no DAG files in {DAGS_DIR}"


def test_no_import_errors(report: dict, kubernetes_report: dict) -> None:
    assert report["import_errors"] == {}
    assert kubernetes_report["import_errors"] == {}


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_parse_time_under_a_second(report: dict, path: Path) -> None:
    assert report["parse_s"][str(path)] < MAX_PARSE_S, "heavy import at the top of the DAG file?"


def test_every_file_defines_a_dag(report: dict) -> None:
    files = {Path(d["file"]).name for d in report["dags"].values()}
    assert files == {p.name for p in DAG_FILES}


def test_house_rules(report: dict, kubernetes_report: dict) -> None:
    for which in (report, kubernetes_report):
        for dag_id, dag in which["dags"].items():
            assert dag["tags"], f"{dag_id} has no tags"
            assert dag["doc_md"], f"{dag_id} has no doc_md"
            assert dag["catchup"] is False, f"{dag_id} catches up"
            low = {t: r for t, r in dag["retries"].items() if r < 2}
            assert not low, f"{dag_id}: tasks with retries < 2: {low}"


def test_our_dags_present(report: dict, kubernetes_report: dict) -> None:
    ours = {"stream_supervisor", "milvus_maintenance", "data_quality", "trend_snapshot"}
    assert ours <= set(report["dags"])
    assert ours <= set(kubernetes_report["dags"])
    # The deployment switch changes how the stream is run, inside the same DAG.
    assert "supervise" in report["dags"]["stream_supervisor"]["retries"]
    assert "run_stream_job" in kubernetes_report["dags"]["stream_supervisor"]["retries"]
