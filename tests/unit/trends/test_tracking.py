"""Tracking: ids survive across snapshots, status follows the volume curve, state persists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from tests.support.synthetic import around, unit
from trendstream.trends.tracking import StateStore, advance, match_centroids

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_matching_is_one_to_one_and_thresholded():
    rng = np.random.default_rng(1)
    a, b = unit(rng, 2, 32)
    previous = np.stack([a, b])
    current = np.stack([around(rng, b, 1, 0.95)[0], around(rng, b, 1, 0.9)[0], unit(rng, 1, 32)[0]])
    matches = match_centroids(current, previous, 0.75)
    assert matches == {0: 1}  # the closer one wins b; the other and the stranger start anew


def test_ids_are_stable_across_snapshots_and_status_evolves(tmp_path):
    rng = np.random.default_rng(2)
    centre = unit(rng, 1, 32)[0]
    store = StateStore(tmp_path / "tracking.json")
    sizes = [10, 40, 38, 12]
    ids, statuses = [], []
    for step, size in enumerate(sizes):
        at = T0 + timedelta(minutes=5 * step)
        previous = store.before(at)
        centroid = around(rng, centre, 1, 0.97)  # the conversation drifts a little
        prior = previous.centroid_matrix(32) if previous else np.empty((0, 32), np.float32)
        state, tracked = advance(
            previous, at, centroid, [size], [9.0], match_centroids(centroid, prior, 0.75)
        )
        store.save(state)
        ids.append(tracked[0].trend_id)
        statuses.append(tracked[0].status)
    assert len(set(ids)) == 1
    assert statuses == ["emerging", "emerging", "peaking", "fading"]


def test_rerunning_a_snapshot_continues_from_the_state_before_it(tmp_path):
    rng = np.random.default_rng(3)
    centroid = unit(rng, 1, 16)
    store = StateStore(tmp_path / "tracking.json")
    first, _ = advance(None, T0, centroid, [10], [5.0], {})
    store.save(first)
    second, tracked = advance(
        store.before(T0 + timedelta(minutes=5)),
        T0 + timedelta(minutes=5),
        centroid,
        [20],
        [6.0],
        {0: 0},
    )
    store.save(second)
    again = store.before(T0 + timedelta(minutes=5))  # a retry of the second snapshot
    assert again.snapshot_at == T0.isoformat()
    assert [h[1] for h in again.trends[0].history] == [10]


def test_unmatched_trends_survive_a_quiet_window_then_expire():
    rng = np.random.default_rng(4)
    state, _ = advance(None, T0, unit(rng, 1, 16), [10], [5.0], {})
    empty = np.empty((0, 16), np.float32)
    for step in (1, 2):
        state, _ = advance(state, T0 + timedelta(minutes=5 * step), empty, [], [], {}, max_missed=2)
        assert len(state.trends) == 1 and state.trends[0].missed == step
    state, _ = advance(state, T0 + timedelta(minutes=15), empty, [], [], {}, max_missed=2)
    assert state.trends == []
