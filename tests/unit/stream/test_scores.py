"""User activity scores: the per-window rebased sums the stream job keeps add up to the
documented decayed score (``fold_actions``)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from trendstream.stream.scores import ACTION_WEIGHTS, fold_actions, window_score

H = 3600.0


def window_sums(times: list[float], actions: list[str], width: float) -> dict[float, float]:
    """What the Spark aggregation computes: per window start, Σ w · 2^((t − start)/H)."""
    sums: dict[float, float] = {}
    for when, action in zip(times, actions, strict=False):
        start = when // width * width
        sums[start] = sums.get(start, 0.0) + ACTION_WEIGHTS[action] * 2.0 ** ((when - start) / H)
    return sums


@pytest.mark.parametrize("seed", range(5))
def test_windows_combine_into_the_folded_score(seed: int) -> None:
    rng = random.Random(seed)
    times = [1.75e9 + rng.uniform(0, 30 * H) for _ in range(200)]
    actions = [rng.choice(list(ACTION_WEIGHTS)) for _ in times]
    expected, latest = fold_actions(0.0, None, times, actions, H)
    sums = window_sums(times, actions, H)
    combined = sum(window_score(s, start, latest, H) for start, s in sums.items())
    assert combined == pytest.approx(expected, rel=1e-12)
    # a window's sum stays bounded by its action count times the largest weight times 2
    assert all(s <= 2 * max(ACTION_WEIGHTS.values()) * len(times) for s in sums.values())


def test_window_score_works_elementwise_and_halves_per_half_life() -> None:
    got = window_score(np.array([4.0, 4.0]), np.array([0.0, -H]), 0.0, H)
    assert got.tolist() == [4.0, 2.0]


def test_a_window_sum_never_overflows_however_late_the_stream() -> None:
    """A single global origin would need 2^(t/H), past float range after ~1024 half-lives;
    a window's own start keeps the exponent below W/H."""
    late = 5000 * H
    sums = window_sums([late + 1.0, late + 2.0], ["post", "reply"], H)
    assert all(np.isfinite(s) and s < 4 for s in sums.values())
    with pytest.raises(OverflowError):
        2.0 ** (late / H)
