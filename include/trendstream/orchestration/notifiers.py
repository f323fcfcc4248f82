"""Alert delivery through Airflow's provider notifiers: SMTP (``SmtpNotifier``) and Slack
(``SlackWebhookNotifier``), each over an Airflow connection that may or may not exist.

Imported only when a channel is configured, so code paths without one never load Airflow.
Design: docs/orchestration.md#alerts
"""

from __future__ import annotations

import html
import logging
from typing import Any

from airflow.sdk import BaseHook, BaseNotifier
from airflow.sdk.exceptions import AirflowNotFoundException

from trendstream.core.settings import Settings

log = logging.getLogger(__name__)


def subject(record: dict[str, Any]) -> str:
    first_line = str(record["message"]).splitlines()[0] if record["message"] else ""
    return f"[trendstream] {record['source']}: {first_line[:120]}"


def html_body(record: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><th align=left>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in record.items()
    )
    return f"<p>trendstream alert</p><table>{rows}</table>"


def notifier(settings: Settings, kind: str, conn_id: str, record: dict[str, Any]) -> BaseNotifier:
    if kind == "smtp":
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        return SmtpNotifier(
            to=settings.alerts.email_to,
            from_email=settings.alerts.email_from,
            subject=subject(record),
            html_content=html_body(record),
            smtp_conn_id=conn_id,
        )
    from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

    return SlackWebhookNotifier(slack_webhook_conn_id=conn_id, text=subject(record))


def _exists(conn_id: str) -> bool:
    try:
        BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return False
    return True


def send(settings: Settings, record: dict[str, Any], channels: list[tuple[str, str]]) -> list[str]:
    """Send ``record`` on each channel whose connection exists; returns the kinds sent. A
    delivery error is logged, never raised: the alert is already in the file."""
    sent = []
    for kind, conn_id in channels:
        try:
            if not _exists(conn_id):
                log.info("alert channel %s skipped: no Airflow connection %r", kind, conn_id)
                continue
            notifier(settings, kind, conn_id, record).notify({})
        except Exception:  # noqa: BLE001 - lookup or transport error; the file has the alert
            log.exception("alert delivery via %s (%s) failed", kind, conn_id)
            continue
        sent.append(kind)
    return sent
