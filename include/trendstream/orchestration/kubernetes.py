"""The SparkApplication the supervisor DAG submits on Kubernetes, replay included.

The application's fixed name is the lock on a cluster: the operator re-attaches to a running
application of that name instead of creating a second one. A replay is the same application
with the replay's settings (fresh checkpoint, starting offsets) as driver/executor env, so it
goes through the same settings path as a local replay; the running application must be
deleted first (``kubectl delete sparkapplication <name>``) since the name is taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trendstream.core.settings import Settings
from trendstream.orchestration.replay import is_replay, replay_plan_for
from trendstream.orchestration.spark_application import build_spark_application


def application_for_run(settings: Settings, conf: Mapping[str, Any]) -> dict[str, Any]:
    manifest = build_spark_application(settings)
    if is_replay(conf):
        env = [{"name": k, "value": v} for k, v in replay_plan_for(settings, conf).env.items()]
        for role in ("driver", "executor"):
            manifest["spec"][role]["env"] = [*manifest["spec"][role].get("env", []), *env]
    return manifest
