"""One trend snapshot end to end: the single entry point for the DAG and the CLI.

Loads posts, continues tracking, runs the pure engine, saves state and reports.
Design: docs/trends.md#snapshot
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from trendstream.core.settings import Settings
from trendstream.stream.analytics_store import AnalyticsStore
from trendstream.trends.engine import Detection, baseline_span_seconds, detect_trends
from trendstream.trends.hashtags import counts_from_parquet
from trendstream.trends.report import ReportPaths, snapshot_payload, write_report
from trendstream.trends.tracking import StateStore

log = logging.getLogger(__name__)

STATE_FILE = "tracking.json"


@dataclass(frozen=True)
class SnapshotResult:
    detection: Detection
    payload: dict[str, Any]
    paths: ReportPaths
    seconds: float


def run_snapshot(
    settings: Settings, at: datetime | None = None, window: timedelta | None = None
) -> SnapshotResult:
    """Detect, track, label and report the trends of the window ending at ``at`` (default now)."""
    from trendstream.trends.source import load_baseline, load_posts
    from trendstream.vectorstore.store import TweetStore

    started = time.perf_counter()
    at = _utc(at or datetime.now(UTC))
    window = window or timedelta(minutes=settings.trends.window_minutes)
    window_start = at - window
    baseline_start = window_start - timedelta(minutes=settings.trends.baseline_minutes)
    with TweetStore.connect(settings) as store:
        window_posts = load_posts(store, window_start, at)
        baseline_posts, baseline_weight = load_baseline(store, baseline_start, window_start)
    analytics = AnalyticsStore.of(settings)
    window_tags = counts_from_parquet(analytics, window_start, at)
    baseline_tags = counts_from_parquet(analytics, baseline_start, window_start)
    load_s = time.perf_counter() - started
    store = StateStore(settings.paths.reports_dir / STATE_FILE)
    detection = detect_trends(
        window_posts,
        baseline_posts,
        at=at,
        window_start=window_start,
        baseline_seconds=baseline_span_seconds(baseline_posts, baseline_start, window_start),
        config=settings.trends,
        previous=store.before(at),
        baseline_weight=baseline_weight,
        hashtag_counts=None
        if window_tags is None or baseline_tags is None
        else (window_tags, baseline_tags),
    )
    detection.stats["load_s"] = round(load_s, 4)  # Milvus + Parquet reads, for the timing split
    store.save(detection.state)
    paths = write_report(detection, settings.paths.reports_dir)
    seconds = time.perf_counter() - started
    log.info(
        "trend snapshot %s: %d trends in %.1fs → %s",
        at.isoformat(),
        len(detection.trends),
        seconds,
        paths.html,
    )
    return SnapshotResult(detection, snapshot_payload(detection), paths, seconds)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
