"""The stream_supervisor DAG's entry module: the DAG's shape and the manifest it submits."""

from __future__ import annotations

import pytest

from trendstream.core.settings import Settings, get_settings
from trendstream.orchestration import replay
from trendstream.orchestration.spark_application import build_spark_application
from trendstream.orchestration.stream_supervisor import application_for_run, kubernetes_target
from trendstream.orchestration.supervisor import JobPlan


@pytest.mark.parametrize("deployment", ["local", "kubernetes"])
def test_the_deployment_decides_whether_there_is_a_cluster_target(monkeypatch, deployment) -> None:
    monkeypatch.setenv("TRENDSTREAM_DEPLOYMENT", deployment)
    monkeypatch.setenv("TRENDSTREAM_KUBERNETES__APP_NAME", "stream-x")
    get_settings.cache_clear()
    try:
        target = kubernetes_target()
    finally:
        get_settings.cache_clear()
    assert (target.app_name if target else None) == ("stream-x" if deployment != "local" else None)


def test_kubernetes_mode_submits_the_charts_application_and_a_replay_as_env(monkeypatch) -> None:
    s = Settings(deployment="kubernetes")
    assert application_for_run({}, s) == build_spark_application(s)
    plan = JobPlan(env={"TRENDSTREAM_STREAM__CHECKPOINT_NAME": "replay-x"})
    monkeypatch.setattr(replay, "replay_plan_for", lambda settings, conf: plan)
    manifest = application_for_run({"from_time": "2026-11-21T11:00:00Z"}, s)
    for role in ("driver", "executor"):
        assert {"name": "TRENDSTREAM_STREAM__CHECKPOINT_NAME", "value": "replay-x"} in manifest[
            "spec"
        ][role]["env"]
    assert manifest["metadata"]["name"] == s.kubernetes.app_name  # the name is the lock
