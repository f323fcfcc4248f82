"""
### Trend snapshot

Every 5 minutes (and on demand) the trend engine reads the recent window of tweets from
Milvus (plus the hashtag counts from the analytics Parquet), detects semantic trends, tracks
them against the previous snapshot, and writes the report: JSON + HTML under
`<state_dir>/reports/` with an `index.html`. The **Trends** view in the Airflow UI lists these
snapshots and shows the latest one.

The task declares the `trendstream://reports/snapshots` Asset as its outlet, so downstream
DAGs can be scheduled on new snapshots (`schedule=[Asset("trendstream://reports/snapshots")]`).

Conf (optional): `{"at": "2026-11-21T10:00:00Z", "window_minutes": 15}` to snapshot another
moment or window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, dag, get_current_context, task

from trendstream.orchestration.trend_snapshot import DEFAULT_ARGS, snapshot_for_run

SNAPSHOTS = Asset("trendstream://reports/snapshots")


@dag(
    dag_id="trend_snapshot",
    doc_md=__doc__,
    schedule=timedelta(minutes=5),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["trendstream", "trends", "reports"],
)
def trend_snapshot():
    @task(outlets=[SNAPSHOTS], execution_timeout=timedelta(minutes=10))
    def snapshot() -> dict:
        return snapshot_for_run(get_current_context()["dag_run"].conf or {})

    snapshot()


trend_snapshot()
