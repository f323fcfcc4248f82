"""
### Data quality

Great Expectations suites over recent data, every 15 minutes:

- **analytics** — the hashtag-window Parquet: schema and types, null rates, non-negative
  counts, `window_end > window_start`, freshness of the newest window;
- **vectors** — a sample of Milvus rows: embedding dimension, unit norm, duplicate ids,
  `created_at` neither in the future nor before 2006;
- **stream** — dead-letter rate and consumer lag under their thresholds.

Every run is rendered into the Great Expectations **Data Docs** site (HTML, one page per
validation, an index with pass/fail) under `<state_dir>/quality/data_docs/`, which the Trends
page links. A failing suite fails its task with the expectations that broke in the error
(and raises an alert), writes a quarantine record naming the offending batch under
`<state_dir>/quality/quarantine/`, and keeps the validation result JSON under
`<state_dir>/quality/<suite>/`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

from trendstream.orchestration.data_quality import DEFAULT_ARGS, SUITES, check_suite


@dag(
    dag_id="data_quality",
    doc_md=__doc__,
    schedule=timedelta(minutes=15),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["trendstream", "quality"],
)
def data_quality():
    @task(execution_timeout=timedelta(minutes=10))
    def check(suite: str) -> dict:
        return check_suite(suite)

    for suite in SUITES:
        check.override(task_id=suite)(suite)


data_quality()
