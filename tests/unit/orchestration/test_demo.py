"""The demo snapshots the sample the way the trend_snapshot DAG's schedule would have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trendstream.orchestration.demo import snapshot_times

START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=10)


def minutes(*m: float) -> list[datetime]:
    return [START + timedelta(minutes=x) for x in m]


def test_every_five_minutes_once_a_baseline_exists_ending_at_the_end() -> None:
    assert snapshot_times(START, START + timedelta(minutes=30), WINDOW) == minutes(15, 20, 25, 30)


def test_a_span_not_a_multiple_of_the_step_still_ends_at_its_end() -> None:
    assert snapshot_times(START, START + timedelta(minutes=22), WINDOW) == minutes(15, 20, 22)
    assert snapshot_times(START, START + timedelta(minutes=3), WINDOW) == minutes(3)
