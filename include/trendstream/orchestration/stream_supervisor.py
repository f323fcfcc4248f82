"""The stream_supervisor DAG's tasks: a supervisor tick or a replay (local), the
SparkApplication to submit (Kubernetes), whose fixed name is the lock against a second copy.

Design: docs/orchestration.md#stream-supervisor-dag
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from trendstream.core.settings import Deployment, KubernetesSettings, Settings, get_settings
from trendstream.orchestration.alerts import dag_default_args
from trendstream.orchestration.run_params import REPLAY_PARAMS, given

DEFAULT_ARGS = dag_default_args(timedelta(seconds=20), retry_exponential_backoff=True)
PARAMS = REPLAY_PARAMS


def kubernetes_target() -> KubernetesSettings | None:
    """Where the job runs on a cluster (``deployment=kubernetes``), else None: the DAG's
    shape is decided by this when the file is parsed."""
    settings = get_settings()
    return settings.kubernetes if settings.deployment is Deployment.KUBERNETES else None


def supervise_or_replay(conf: Mapping[str, Any], settings: Settings | None = None) -> dict:
    """One supervisor tick, or a replay when the run's params ask for one."""
    from trendstream.orchestration.connections import task_settings
    from trendstream.orchestration.replay import is_replay, start_replay
    from trendstream.orchestration.supervisor import supervise_once

    settings, conf = settings or task_settings(), given(conf)
    if is_replay(conf):
        return start_replay(settings, conf)
    return supervise_once(settings).as_dict()


def application_for_run(
    conf: Mapping[str, Any], settings: Settings | None = None
) -> dict[str, Any]:
    """The SparkApplication manifest to submit, with a replay's settings as env."""
    from trendstream.orchestration.connections import task_settings
    from trendstream.orchestration.replay import is_replay, replay_plan_for
    from trendstream.orchestration.spark_application import build_spark_application

    settings, conf = settings or task_settings(), given(conf)
    manifest = build_spark_application(settings)
    if is_replay(conf):
        env = [{"name": k, "value": v} for k, v in replay_plan_for(settings, conf).env.items()]
        for role in ("driver", "executor"):
            manifest["spec"][role]["env"] = [*manifest["spec"][role].get("env", []), *env]
    return manifest
