"""Burst score: is a cluster's neighbourhood busier now than it used to be?

A conditional Poisson z-score and a growth ratio over the baseline; a trend must clear both.
Design: docs/trends.md#burst
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SMOOTHING = 1.0
COVERAGE = 0.9


@dataclass(frozen=True)
class BurstScores:
    window_counts: np.ndarray
    baseline_counts: np.ndarray
    expected: np.ndarray
    score: np.ndarray
    growth: np.ndarray


def neighbourhood_radii(
    vectors: np.ndarray, labels: np.ndarray, centroids: np.ndarray, coverage: float = COVERAGE
) -> np.ndarray:
    """Per cluster, the cosine to its centroid that ``coverage`` of its members reach."""
    radii = np.empty(centroids.shape[0], np.float32)
    for cluster in range(centroids.shape[0]):
        sims = vectors[labels == cluster] @ centroids[cluster]
        radii[cluster] = np.quantile(sims, 1.0 - coverage) if sims.size else 1.0
    return radii


def ball_hits(
    vectors: np.ndarray, centroids: np.ndarray, radii: np.ndarray, chunk: int = 16384
) -> tuple[np.ndarray, np.ndarray]:
    """(post row, cluster) pairs of ``vectors`` in each centroid's ball (blockwise, O(n·k·d))."""
    rows, cols = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for start in range(0, vectors.shape[0], chunk):
        r, c = np.nonzero(vectors[start : start + chunk] @ centroids.T >= radii)
        rows.append(r + start)
        cols.append(c)
    return np.concatenate(rows), np.concatenate(cols)


def ball_counts(
    vectors: np.ndarray,
    centroids: np.ndarray,
    radii: np.ndarray,
    chunk: int = 16384,
    *,
    include: np.ndarray | None = None,
) -> np.ndarray:
    """How many of ``vectors`` (only rows where ``include``, when given) fall within each
    centroid's ball (blockwise, O(n·k·d))."""
    counts = np.zeros(centroids.shape[0], np.int64)
    for start in range(0, vectors.shape[0], chunk):
        inside = vectors[start : start + chunk] @ centroids.T >= radii
        if include is not None:
            inside = inside[include[start : start + chunk]]
        counts += inside.sum(axis=0)
    return counts


def rate_ratio_z(
    window_counts: np.ndarray,
    baseline_counts: np.ndarray,
    window_seconds: float,
    baseline_seconds: float,
) -> np.ndarray:
    """Conditional z of the window count given window + baseline counts (docs/trends.md#burst)."""
    w = np.asarray(window_counts, np.float64)
    n = w + np.asarray(baseline_counts, np.float64)
    p = window_seconds / (window_seconds + max(baseline_seconds, 0.0))
    mean = n * p
    spread = np.sqrt(np.maximum(mean * (1.0 - p), 1.0))  # ≥ 1: a count is at least ±1 noisy
    return (w - mean) / spread


def expected_counts(
    baseline_counts: np.ndarray,
    window_seconds: float,
    baseline_seconds: float,
    *,
    baseline_weight: float = 1.0,
    smoothing: float = SMOOTHING,
) -> np.ndarray:
    """``λ = (B·weight + α) · T_window / T_baseline`` (docs/trends.md#burst)."""
    scale = window_seconds / max(baseline_seconds, 1e-9)
    return (np.asarray(baseline_counts, np.float64) * baseline_weight + smoothing) * scale


def burst_scores(
    window_counts: np.ndarray,
    baseline_counts: np.ndarray,
    window_seconds: float,
    baseline_seconds: float,
    *,
    baseline_weight: float = 1.0,
    smoothing: float = SMOOTHING,
) -> BurstScores:
    expected = expected_counts(
        baseline_counts,
        window_seconds,
        baseline_seconds,
        baseline_weight=baseline_weight,
        smoothing=smoothing,
    )
    window_counts = np.asarray(window_counts, np.float64)
    baseline_counts = np.asarray(baseline_counts, np.float64) * baseline_weight
    return BurstScores(
        window_counts=window_counts,
        baseline_counts=baseline_counts,
        expected=expected,
        score=rate_ratio_z(window_counts, baseline_counts, window_seconds, baseline_seconds),
        growth=window_counts / expected,
    )
