"""Alerts raised when orchestration gives up: one JSON line each, plus an error log line.

A file under the state dir is the one sink that works on every deployment without credentials.
Design: docs/orchestration.md#alerts
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from trendstream.core.settings import Settings

log = logging.getLogger(__name__)


def record_alert(settings: Settings, source: str, message: str, **context: Any) -> dict[str, Any]:
    """Append an alert and log it at ERROR; returns the record written."""
    record = {"at": datetime.now(UTC).isoformat(), "source": source, "message": message, **context}
    path = settings.paths.alerts_file
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(json.dumps(record, default=str) + "\n")
    log.error("ALERT from %s: %s", source, message)
    return record


def read_alerts(settings: Settings) -> list[dict[str, Any]]:
    try:
        lines = settings.paths.alerts_file.read_text().splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


def task_failure_alert(context: dict[str, Any]) -> None:
    """Airflow ``on_failure_callback``: a task failed for good (its retries are spent)."""
    from trendstream.core.settings import get_settings

    ti = context.get("ti") or context.get("task_instance")
    record_alert(
        get_settings(),
        source=f"{getattr(ti, 'dag_id', '?')}.{getattr(ti, 'task_id', '?')}",
        message=str(context.get("exception") or "task failed"),
        run_id=getattr(ti, "run_id", None),
        try_number=getattr(ti, "try_number", None),
    )


def dag_default_args(
    retry_delay: timedelta = timedelta(seconds=30), **extra: Any
) -> dict[str, Any]:
    """The ``default_args`` every trendstream DAG shares: owner, 2 retries, the alert callback."""
    return {
        "owner": "trendstream",
        "retries": 2,
        "retry_delay": retry_delay,
        "on_failure_callback": task_failure_alert,
        **extra,
    }
