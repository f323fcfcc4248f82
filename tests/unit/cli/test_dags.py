"""``trendstream dags``: options, a bad run conf, and an unreachable Airflow."""

from __future__ import annotations

import time

from tests.support.cli import Invoke, fails_with, help_names


def test_help(cli: Invoke) -> None:
    help_names(cli("dags", "--help"), "list", "unpause", "pause", "trigger")
    help_names(cli("dags", "list", "--help"))
    help_names(cli("dags", "unpause", "--help"), "DAG_IDS")
    help_names(cli("dags", "pause", "--help"), "DAG_IDS")
    help_names(cli("dags", "trigger", "--help"), "DAG_ID", "--conf", "--wait", "--timeout")


def test_a_conf_that_is_not_json_is_refused(cli: Invoke) -> None:
    result = cli("dags", "trigger", "trend_snapshot", "--conf", "{from: now}")
    fails_with(result, 2, "Invalid value for --conf", "not JSON")


def test_dag_ids_are_required(cli: Invoke) -> None:
    fails_with(cli("dags", "unpause"), 2, "Missing argument 'DAG_IDS...'")


def test_an_unreachable_airflow_is_a_clear_error(cli: Invoke, dead_port: int) -> None:
    started = time.monotonic()
    result = cli("dags", "list")
    fails_with(result, 1, f"Airflow at http://127.0.0.1:{dead_port}", "is it up?")
    assert time.monotonic() - started < 30
