"""The trend_snapshot DAG's task: run params → ``run_snapshot`` → an alert when a new trend
tops the list → a small XCom summary."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from trendstream.core.settings import Settings
from trendstream.orchestration.alerts import alert_on_new_top_trend, dag_default_args
from trendstream.orchestration.run_params import SNAPSHOT_PARAMS, given

DEFAULT_ARGS = dag_default_args()
PARAMS = SNAPSHOT_PARAMS


def snapshot_for_run(conf: Mapping[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    """Snapshot ``conf["at"]`` (default now) over ``conf["window_minutes"]`` (default setting)."""
    from trendstream.orchestration.connections import task_settings
    from trendstream.trends.snapshot import run_snapshot

    settings, conf = settings or task_settings(), given(conf)
    at = datetime.fromisoformat(str(conf["at"]).replace("Z", "+00:00")) if conf.get("at") else None
    window = (
        timedelta(minutes=float(conf["window_minutes"])) if conf.get("window_minutes") else None
    )
    result = run_snapshot(settings, at=at, window=window)
    alert = alert_on_new_top_trend(settings, result.payload)
    return {
        "new_top_trend": alert["trend_id"] if alert else None,
        "snapshot_at": result.detection.snapshot_at.isoformat(),
        "trends": len(result.detection.trends),
        "json": str(result.paths.json),
        "html": str(result.paths.html),
        "seconds": round(result.seconds, 2),
    }
