"""Alerts reach the file and a real SMTP server through Airflow's SMTP notifier: a supervisor
give-up and a failed quality check (the failure callback) and a new top trend (once)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.support.smtp_sink import smtp_sink
from tests.support.subprocess_json import run_python_json
from trendstream.core.settings import Settings
from trendstream.orchestration.alerts import channels, new_top_trend

TREND = {
    "trend_id": "T1-00",
    "status": "emerging",
    "size": 42,
    "keywords": ["eclipse", "sky"],
    "hashtags": ["eclipse2026"],
}

# Runs in a child: Airflow (and its connection lookup) stays out of the test process.
_RAISE_ALERTS = r"""
import json, sys
from types import SimpleNamespace
from trendstream.core.settings import get_settings
from trendstream.orchestration.alerts import alert_on_new_top_trend, task_failure_alert

def failed(dag_id, task_id, exc):
    ti = SimpleNamespace(dag_id=dag_id, task_id=task_id, run_id="r1", try_number=3)
    task_failure_alert({"ti": ti, "exception": exc})

failed("stream_supervisor", "supervise", RuntimeError("restart budget spent"))
failed("data_quality", "analytics", RuntimeError("data quality suite 'analytics' failed"))
payload = json.loads(sys.argv[1])
first = alert_on_new_top_trend(get_settings(), payload)
again = alert_on_new_top_trend(get_settings(), payload)
print("@@" + json.dumps({"first": bool(first), "again": again}))
"""


def test_alerts_are_written_and_mailed(tmp_path: Path) -> None:
    with smtp_sink() as (port, inbox):
        smtp = {"conn_type": "smtp", "host": "127.0.0.1", "port": port}
        smtp["extra"] = {"disable_ssl": True, "disable_tls": True}
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
            "AIRFLOW_CONN_SMTP_ALERTS": json.dumps(smtp),
            "TRENDSTREAM_STATE_DIR": str(tmp_path / "state"),
            "TRENDSTREAM_ALERTS__EMAIL_TO": '["ops@example.org"]',
            "TRENDSTREAM_ALERTS__SMTP_CONN_ID": "smtp_alerts",
        }
        payload = {"snapshot_at": "2026-11-21T10:00:00+00:00", "trends": [TREND]}
        out = run_python_json(_RAISE_ALERTS, [json.dumps(payload)], env, timeout=180)
        subjects = sorted(m["Subject"] for m in inbox)
    assert out == {"first": True, "again": None}  # one trend at the top alerts once
    lines = (tmp_path / "state" / "alerts" / "alerts.jsonl").read_text().splitlines()
    sources = [json.loads(line)["source"] for line in lines]
    assert sources == ["stream_supervisor.supervise", "data_quality.analytics", "trend_snapshot"]
    assert len(subjects) == 3 and all(s.startswith("[trendstream] ") for s in subjects)
    assert any("restart budget spent" in s for s in subjects)
    assert any("new top trend T1-00" in s and "#eclipse2026" in s for s in subjects)
    assert all(m["To"] == "ops@example.org" for m in inbox)


def test_channels_follow_the_settings() -> None:
    s = Settings(alerts={"email_to": [], "slack_conn_id": ""})
    assert channels(s) == []
    s = Settings(alerts={"email_to": ["a@b.c"]})
    assert channels(s) == [("smtp", "smtp_default"), ("slack", "slack_alerts")]


def test_new_top_trend_is_the_top_one_not_yet_alerted() -> None:
    other = {**TREND, "trend_id": "T2-00"}
    assert new_top_trend({"trends": []}, None) is None
    assert new_top_trend({"trends": [TREND, other]}, None) == TREND
    assert new_top_trend({"trends": [TREND, other]}, "T1-00") is None
    assert new_top_trend({"trends": [other, TREND]}, "T1-00") == other
