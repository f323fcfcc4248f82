"""
### Trend snapshot

Every 5 minutes (and on demand) the trend engine reads the recent window of tweets from
Milvus (plus the hashtag counts from the analytics Parquet), detects semantic trends, tracks
them against the previous snapshot, and writes the report: JSON + HTML under
`<state_dir>/reports/` with an `index.html`. The **Trends** view in the Airflow UI lists these
snapshots and shows the latest one.

When a trend reaches the top that was not there at the last alert, the task raises an
alert (file, then e-mail / Slack where configured).

The task declares the `trendstream://reports/snapshots` Asset as its outlet, so downstream
DAGs can be scheduled on new snapshots (`schedule=[Asset("trendstream://reports/snapshots")]`).

Params (optional, in the trigger form or as conf): `at` (ISO-8601, e.g.
`2026-11-21T10:00:00Z`) and `window_minutes` (0 < m ≤ 1440) to snapshot another moment or
window; Airflow refuses a run with a value that breaks the schema.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, Param, dag, task

from trendstream.orchestration.trend_snapshot import DEFAULT_ARGS, PARAMS, snapshot_for_run

SNAPSHOTS = Asset("trendstream://reports/snapshots")


@dag(
    dag_id="trend_snapshot",
    doc_md=__doc__,
    schedule=timedelta(minutes=5),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={name: Param(**schema) for name, schema in PARAMS.items()},
    tags=["trendstream", "trends", "reports"],
)
def trend_snapshot():
    @task(outlets=[SNAPSHOTS], execution_timeout=timedelta(minutes=10))
    def snapshot(params: dict | None = None) -> dict:
        return snapshot_for_run(params or {})

    snapshot()


trend_snapshot()
