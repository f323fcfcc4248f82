"""Burst scoring: Poisson z of the window count vs the baseline rate in the same ball."""

from __future__ import annotations

import numpy as np

from tests.support.synthetic import around, unit
from trendstream.trends.burst import (
    ball_counts,
    burst_scores,
    expected_counts,
    neighbourhood_radii,
    rate_ratio_z,
)


def test_expected_count_scales_baseline_rate_to_window_with_smoothing():
    # 80 posts in 120 min -> 10 expected in 15 min; +1 smoothing post -> 10.125.
    assert np.allclose(expected_counts(np.array([80]), 900, 7200), [10.125])
    assert np.allclose(expected_counts(np.array([0]), 900, 7200), [0.125])
    assert np.allclose(expected_counts(np.array([40]), 900, 7200, baseline_weight=2.0), [10.125])


def test_conditional_z_formula():
    # W=40, B=60, T_w=1/4 of the time: n·p = 25, sd = sqrt(25·0.75) -> z = 15/4.33.
    assert np.allclose(
        rate_ratio_z(np.array([40.0]), np.array([60.0]), 900, 2700), [15 / np.sqrt(18.75)]
    )
    assert np.allclose(rate_ratio_z(np.array([25.0]), np.array([75.0]), 900, 2700), [0.0])
    # A short baseline makes the same counts less surprising.
    short = rate_ratio_z(np.array([11.0]), np.array([7.0]), 600, 300)
    long = rate_ratio_z(np.array([11.0]), np.array([7.0]), 600, 2100)
    assert short < 1.0 < long


def test_flat_topic_scores_low_and_new_topic_scores_high():
    scores = burst_scores(np.array([10, 30]), np.array([80, 0]), 900, 7200)
    flat, new = scores.score
    assert abs(flat) < 1.0
    assert new > 10
    assert scores.growth[1] > 100 and 0.9 < scores.growth[0] < 1.1


def test_ball_counts_and_radii_count_the_neighbourhood_in_both_periods():
    rng = np.random.default_rng(0)
    centre = unit(rng, 1, 64)[0]
    members = around(rng, centre, 50, 0.85)
    labels = np.zeros(50, np.int64)
    radii = neighbourhood_radii(members, labels, centre[None, :])
    assert 0.6 < radii[0] < 0.95
    baseline = np.concatenate([around(rng, centre, 20, 0.9), unit(rng, 500, 64)])
    counts = ball_counts(baseline, centre[None, :], radii, chunk=64)
    assert 15 <= counts[0] <= 20  # the related posts, none of the random ones
    assert ball_counts(members, centre[None, :], radii)[0] >= 44  # ~90 % coverage


def test_ball_counts_skip_excluded_rows_and_ball_hits_name_them():
    from trendstream.trends.burst import ball_hits

    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], np.float32)
    centres = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    radii = np.array([0.9, 0.9], np.float32)
    assert ball_counts(vectors, centres, radii).tolist() == [2, 1]
    include = np.array([False, True, True])
    assert ball_counts(vectors, centres, radii, chunk=2, include=include).tolist() == [1, 1]
    rows, cols = ball_hits(vectors, centres, radii, chunk=2)
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 0), (1, 0), (2, 1)]
