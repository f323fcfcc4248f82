"""The live_sources DAG's task: one bounded live run, the X token from an Airflow connection."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from trendstream.orchestration.alerts import dag_default_args

X_CONNECTION_ID = "x_api"
DEFAULT_ARGS = dag_default_args(timedelta(minutes=1))


def stream_live_source(params: Mapping[str, Any]) -> dict[str, Any]:
    """Stream ``params["source"]`` for ``duration_s`` (and at most ``max_events``) into Kafka."""
    from trendstream.core.settings import get_settings
    from trendstream.orchestration.connections import task_settings
    from trendstream.sources.live import run_live_source

    if params["source"] == "x":
        from airflow.sdk import Connection

        token = Connection.get(X_CONNECTION_ID).password
        if not token:
            raise ValueError(
                f"Airflow connection {X_CONNECTION_ID!r} has no password (the bearer token)"
            )
        os.environ["TRENDSTREAM_SOURCES__X_BEARER_TOKEN"] = token  # this task process only
        get_settings.cache_clear()
    return run_live_source(
        task_settings(),
        params["source"],
        duration_s=float(params["duration_s"]),
        max_events=params.get("max_events"),
        dids=params.get("dids") or (),
    )
