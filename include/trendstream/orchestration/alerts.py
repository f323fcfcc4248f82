"""Alerts: orchestration gave up (supervisor restart budget spent, a quality suite failed — any
task failing for good) or a new trend reached the top. Each is one JSON line in a file plus an
error log line, then delivered through Airflow notifiers (SMTP, Slack) where configured.

A file under the state dir is the one sink that works on every deployment without credentials,
so it is written first and a failed e-mail or Slack post never loses an alert.
Design: docs/orchestration.md#alerts
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
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


def channels(settings: Settings) -> list[tuple[str, str]]:
    """``(kind, conn_id)`` of each notifier to try (pure): SMTP when there is someone to mail,
    Slack when a conn id is configured; missing connections are skipped at send time."""
    a = settings.alerts
    wanted = [("smtp", a.smtp_conn_id if a.email_to else ""), ("slack", a.slack_conn_id)]
    return [(kind, conn_id) for kind, conn_id in wanted if conn_id]


def deliver_alert(settings: Settings, source: str, message: str, **context: Any) -> dict[str, Any]:
    """Record the alert, then send it through every configured notifier."""
    record = record_alert(settings, source, message, **context)
    if channels(settings):
        from trendstream.orchestration.notifiers import send

        send(settings, record, channels(settings))
    return record


def task_failure_alert(context: dict[str, Any]) -> None:
    """Airflow ``on_failure_callback``: a task failed for good (its retries are spent)."""
    from trendstream.core.settings import get_settings

    ti = context.get("ti") or context.get("task_instance")
    deliver_alert(
        get_settings(),
        source=f"{getattr(ti, 'dag_id', '?')}.{getattr(ti, 'task_id', '?')}",
        message=str(context.get("exception") or "task failed"),
        run_id=getattr(ti, "run_id", None),
        try_number=getattr(ti, "try_number", None),
    )


def new_top_trend(payload: Mapping[str, Any], last_alerted: str | None) -> dict[str, Any] | None:
    """The snapshot's top trend when it is not the one last alerted on, else None (pure)."""
    trends = payload.get("trends") or []
    if not trends or trends[0]["trend_id"] == last_alerted:
        return None
    return trends[0]


def alert_on_new_top_trend(settings: Settings, payload: Mapping[str, Any]) -> dict | None:
    """Alert once per trend reaching the top of a snapshot; returns the alert, if any."""
    path = settings.paths.top_trend_file
    try:
        last = json.loads(path.read_text()).get("trend_id")
    except (FileNotFoundError, ValueError):
        last = None
    top = new_top_trend(payload, last)
    if top is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"trend_id": top["trend_id"], "at": payload.get("snapshot_at")}))
    words = ", ".join([*(f"#{h}" for h in top.get("hashtags", [])[:2]), *top["keywords"][:3]])
    return deliver_alert(
        settings,
        source="trend_snapshot",
        message=f"new top trend {top['trend_id']} ({top['status']}, {top['size']} posts): {words}",
        trend_id=top["trend_id"],
        snapshot_at=payload.get("snapshot_at"),
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
