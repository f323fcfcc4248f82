"""The analytics Parquet copy: each key's newest row wins, across batches and runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from trendstream.stream.analytics_store import AnalyticsStore

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def windows(*rows: tuple[int, str, int]) -> pa.Table:
    """Hashtag-window rows ``(seconds after T0, tag, count)`` as the stream emits them."""
    at = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "window_start": pa.array([T0 + timedelta(seconds=s) for s, _, _ in rows], at),
            "window_end": pa.array([T0 + timedelta(seconds=s + 5) for s, _, _ in rows], at),
            "hashtag": [tag for _, tag, _ in rows],
            "count": pa.array([n for _, _, n in rows], pa.int64()),
        }
    )


def counts(store: AnalyticsStore, **window) -> dict[tuple[int, str], int]:
    frame = store.latest("hashtags", ["count"], **window)
    assert frame is not None
    return {
        (int((ws - T0).total_seconds()), tag): int(n)
        for ws, tag, n in zip(frame["window_start"], frame["hashtag"], frame["count"], strict=True)
    }


def test_a_key_takes_its_newest_batch_and_a_rerun_batch_replaces_itself(tmp_path):
    store = AnalyticsStore(tmp_path)
    assert store.latest("hashtags") is None
    run = store.run_for(tmp_path / "checkpoints" / "stream")
    store.write_batch("hashtags", run, 0, windows((0, "a", 1), (0, "b", 2)))
    store.write_batch("hashtags", run, 1, windows((0, "a", 3)))
    store.write_batch("hashtags", run, 1, windows((0, "a", 4)))  # Spark re-executed batch 1
    assert counts(store) == {(0, "a"): 4, (0, "b"): 2}
    assert [b.batch_id for b in store.batches("hashtags")] == [0, 1]
    assert store.read_batch("hashtags", run, 1).column("count").to_pylist() == [4]
    assert store.read_batch("hashtags", run, 2) is None


def test_a_replay_restarting_at_batch_0_keeps_the_earlier_run_and_wins_over_it(tmp_path):
    """A replay's fresh checkpoint numbers batches from 0 again: it must neither overwrite
    the earlier run's batch 0 nor lose to that run's higher batch ids."""
    store = AnalyticsStore(tmp_path)
    checkpoints = tmp_path / "checkpoints"
    first = store.run_for(checkpoints / "stream", now=T0)
    assert store.run_for(checkpoints / "stream", now=T0 + timedelta(hours=1)) == first  # restart
    store.write_batch("hashtags", first, 0, windows((0, "a", 3), (5, "b", 2)))
    store.write_batch("hashtags", first, 7, windows((0, "c", 9)))
    replay = store.run_for(checkpoints / "replay-20261121T110000", now=T0 + timedelta(hours=1))
    assert replay != first
    store.write_batch("hashtags", replay, 0, windows((0, "a", 4), (0, "c", 10)))
    assert counts(store) == {(0, "a"): 4, (5, "b"): 2, (0, "c"): 10}
    assert counts(store, start=T0 + timedelta(seconds=5)) == {(5, "b"): 2}
    assert counts(store, end=T0 + timedelta(seconds=5)) == {(0, "a"): 4, (0, "c"): 10}


def test_runs_sort_by_start_even_across_checkpoint_names(tmp_path):
    late = AnalyticsStore.run_for(tmp_path / "a-late", now=T0 + timedelta(microseconds=1))
    early = AnalyticsStore.run_for(tmp_path / "z-early", now=T0)
    assert early < late
