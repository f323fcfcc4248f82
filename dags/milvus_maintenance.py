"""
### Milvus maintenance

Hourly upkeep of the tweet collection, safe while the stream writes (every step is an
online Milvus operation; upserts keep flowing):

1. **flush** sealed segments to storage;
2. **ttl_delete** vectors older than `milvus.ttl_days`;
3. **compact** to reclaim deleted rows and merge small segments;
4. **index** — rebuild the vector index only when `milvus.index_type` / `index_params` /
   `metric_type` changed;
5. **stats** — row count, segments, index parameters, recorded to
   `<state_dir>/milvus/stats.jsonl` and returned as XCom.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

from trendstream.orchestration.milvus_maintenance import DEFAULT_ARGS, STEPS, run_step


@dag(
    dag_id="milvus_maintenance",
    doc_md=__doc__,
    schedule=timedelta(hours=1),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["trendstream", "milvus", "maintenance"],
)
def milvus_maintenance():
    @task(execution_timeout=timedelta(minutes=30))
    def step(name: str) -> dict:
        return run_step(name)

    steps = [step.override(task_id=name)(name) for name in STEPS]
    for upstream, downstream in zip(steps, steps[1:], strict=False):
        upstream >> downstream


milvus_maintenance()
