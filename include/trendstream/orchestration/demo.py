"""The README's main command as a library call: the whole data path on the embedded platform.

Design: docs/orchestration.md#demo
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from trendstream.core.settings import Settings

log = logging.getLogger(__name__)

DEMO_DAGS = ("stream_supervisor", "milvus_maintenance", "data_quality", "trend_snapshot")
SNAPSHOT_DAG = "trend_snapshot"
# The trend_snapshot DAG's schedule: the demo replays it over the sample's span.
SNAPSHOT_EVERY = timedelta(minutes=5)


@dataclass
class DemoResult:
    """What the demo did, for the CLI's summary."""

    sample_dir: Path
    ingest: dict[str, Any] = field(default_factory=dict)
    stream: dict[str, Any] = field(default_factory=dict)
    milvus_rows: int = 0
    top_hashtags: list[tuple[str, int]] = field(default_factory=list)
    trends: list[dict[str, Any]] = field(default_factory=list)
    # (snapshot time, trend ids ranked) of each snapshot taken through the sample's span
    snapshots: list[tuple[datetime, list[str]]] = field(default_factory=list)
    report_html: Path | None = None
    report_json: Path | None = None
    airflow_url: str = ""
    airflow_user: str = ""
    airflow_password: str = ""
    snapshot_run: tuple[str, str] | None = None  # (run id, final state)


def run_demo(
    settings: Settings,
    *,
    minutes: float = 30.0,
    rate: float = 3.0,
    seed: int = 7,
    with_airflow: bool = True,
    note: Callable[[str], None] = lambda _msg: None,
) -> DemoResult:
    """Run the whole path once; leaves the platform running for the user to explore."""
    from trendstream.platform import services

    wanted = ("broker", "milvus", "airflow") if with_airflow else ("broker", "milvus")
    services.up(settings, wanted, progress=note)
    now = datetime.now(UTC).replace(microsecond=0)
    result = DemoResult(sample_dir=settings.paths.sample_dir)
    paths = _generate(
        result.sample_dir, minutes, rate, seed, now - timedelta(minutes=minutes), note
    )
    result.ingest = _ingest(settings, [paths.tweets, paths.engagements], note)
    result.stream = _stream(settings, note)
    result.milvus_rows, result.top_hashtags = _stored(
        settings, now - timedelta(minutes=minutes), now
    )
    window = timedelta(minutes=settings.trends.window_minutes)
    times = snapshot_times(now - timedelta(minutes=minutes), now, window)
    _snapshots(settings, times, result, note)
    if with_airflow:
        _airflow(settings, result, note)
    return result


def _generate(out: Path, minutes: float, rate: float, seed: int, start: datetime, note):
    from trendstream.sources.generator import GeneratorConfig, write_stream

    note(f"generating {minutes:g} minutes of posts at {rate:g}/s chatter (seed {seed}) into {out}")
    return write_stream(out, GeneratorConfig(seed=seed, minutes=minutes, rate=rate, start=start))


def _ingest(settings: Settings, files: list[Path], note) -> dict[str, Any]:
    from trendstream.kafka.admin import ensure_topics
    from trendstream.sources.ingest import ingest_files

    ensure_topics(settings)
    note("ingesting the sample into Kafka (invalid records go to the dead-letter topic)")
    summary = ingest_files(settings, files, source="demo-sample", workers=1)
    return summary.to_dict()


def _stream(settings: Settings, note) -> dict[str, Any]:
    from trendstream.stream.job import run_stream

    note("running the Spark streaming job until it has caught up (embeddings → Milvus)")
    return run_stream(settings, available_now=True).to_dict()


def _stored(
    settings: Settings, start: datetime, end: datetime
) -> tuple[int, list[tuple[str, int]]]:
    from trendstream.stream.analytics_store import AnalyticsStore
    from trendstream.trends.hashtags import counts_from_parquet
    from trendstream.vectorstore.store import TweetStore

    with TweetStore.connect(settings) as store:
        rows = store.count()
    tags = counts_from_parquet(AnalyticsStore.of(settings), start, end)
    return rows, (tags.most_common(10) if tags else [])


def snapshot_times(
    start: datetime, end: datetime, window: timedelta, every: timedelta = SNAPSHOT_EVERY
) -> list[datetime]:
    """When the trend_snapshot DAG would have run over ``start``..``end``: every ``every``,
    and at ``end`` (pure). The first is once ``every`` of data lies before its window: with
    no baseline every topic looks new (measured: 19 "trends" instead of the planted one)."""
    times, at = [], start + window + every
    while at < end:
        times.append(at)
        at += every
    return [*times, end]


def _snapshots(settings: Settings, times: list[datetime], result: DemoResult, note) -> None:
    """Snapshot the sample as the schedule would have, oldest first, so tracking links the
    trends across snapshots and the timelines show stories emerge, peak and fade."""
    from trendstream.trends.snapshot import run_snapshot

    note(f"taking {len(times)} trend snapshots, one every {SNAPSHOT_EVERY.seconds // 60} minutes")
    for i, at in enumerate(times, 1):
        snapshot = run_snapshot(settings, at=at)
        ids = [t["trend_id"] for t in snapshot.payload["trends"]]
        result.snapshots.append((at, ids))
        note(f"  snapshot {i}/{len(times)} at {at:%H:%M}: {len(ids)} trends")
    result.trends = snapshot.payload["trends"]
    result.report_html = snapshot.paths.html
    result.report_json = snapshot.paths.json


def _airflow(settings: Settings, result: DemoResult, note) -> None:
    from trendstream.orchestration.airflow_api import AirflowClient
    from trendstream.platform.airflow import airflow_url, credentials

    creds = credentials(settings)
    result.airflow_url = airflow_url(settings)
    result.airflow_user, result.airflow_password = creds.username, creds.password
    with AirflowClient(result.airflow_url, creds.username, creds.password) as client:
        note("waiting for Airflow to parse the DAGs")
        _wait_for_dags(client, DEMO_DAGS)
        for dag_id in DEMO_DAGS:
            client.set_paused(dag_id, False)
        note(f"triggering a {SNAPSHOT_DAG} run through the REST API")
        run_id = client.trigger(SNAPSHOT_DAG)
        result.snapshot_run = (run_id, client.wait(SNAPSHOT_DAG, run_id, timeout_s=600))


def _wait_for_dags(client: Any, dag_ids: tuple[str, ...], timeout_s: float = 300.0) -> None:
    """The dag-processor parses new files on its own schedule; wait until all are known."""
    deadline = time.monotonic() + timeout_s
    while (missing := set(dag_ids) - client.dag_ids()) and time.monotonic() < deadline:
        time.sleep(3.0)
    if missing:
        raise RuntimeError(
            f"Airflow has not parsed {sorted(missing)} after {timeout_s:.0f}s; "
            "see `trendstream platform logs airflow`"
        )
