"""The demo snapshots the sample the way the trend_snapshot DAG's schedule would have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trendstream.orchestration.demo import snapshot_times

START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def test_every_five_minutes_through_the_span_ending_at_its_end() -> None:
    times = snapshot_times(START, START + timedelta(minutes=30))
    assert [t - START for t in times] == [timedelta(minutes=m) for m in (5, 10, 15, 20, 25, 30)]


def test_a_span_not_a_multiple_of_the_step_still_ends_at_its_end() -> None:
    end = START + timedelta(minutes=12)
    assert snapshot_times(START, end) == [
        START + timedelta(minutes=5),
        START + timedelta(minutes=10),
        end,
    ]
    assert snapshot_times(START, START + timedelta(minutes=3)) == [START + timedelta(minutes=3)]
