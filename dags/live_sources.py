"""
### Live sources

Streams posts from a live service into the `tweets` topic for a bounded time, through the
same validated ingest path as archives (invalid records go to the dead-letter topic):

- **x** — the X API v2 filtered stream (posts matching the stream rules; manage them with
  `trendstream source x-stream --rules-add/--rules-list/--rules-delete`). The bearer token
  is the **password of the Airflow connection `x_api`**; it is handed to the library as
  `TRENDSTREAM_SOURCES__X_BEARER_TOKEN` and never logged.
- **bluesky** — the Jetstream firehose (`app.bsky.feed.post` creates, optional `dids`
  filter). No credentials; resumes from the cursor saved under the state dir, so a retry
  or the next run misses nothing and repeats nothing.

Trigger manually with params `source`, `duration_s`, optional `max_events` and `dids`.
Reconnects inside a run follow X's documented backoff; a retry of the task starts a new
bounded run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

from trendstream.orchestration.live_sources import DEFAULT_ARGS, stream_live_source


@dag(
    dag_id="live_sources",
    doc_md=__doc__,
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "source": Param("bluesky", enum=["x", "bluesky"], description="Which live service."),
        "duration_s": Param(
            300,
            type="integer",
            minimum=1,
            maximum=6 * 3600,
            description="Stop after this many seconds.",
        ),
        "max_events": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            description="Optionally stop after this many posts.",
        ),
        "dids": Param([], type="array", description="Bluesky only: only posts by these DIDs."),
    },
    tags=["trendstream", "sources", "live"],
)
def live_sources():
    @task(execution_timeout=timedelta(hours=6, minutes=10))
    def stream(params: dict | None = None) -> dict:
        return stream_live_source(params or {})

    stream()


live_sources()
