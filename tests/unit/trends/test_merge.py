"""Satellite merging: a side angle of a story joins it; a distinct story never does."""

from __future__ import annotations

import numpy as np

from trendstream.trends.cluster import Clusters, centroids_of
from trendstream.trends.merge import linked_share, merge_satellites


def _around(
    direction: np.ndarray, n: int, rng: np.random.Generator, noise: float = 0.05
) -> np.ndarray:
    points = direction + rng.normal(0.0, noise, (n, direction.size))
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def _story_with_side_angle_and_other_story():
    rng = np.random.default_rng(3)
    dim = 16
    e = np.eye(dim)
    main = _around(e[0], 40, rng)
    side = _around(np.cos(0.7) * e[0] + np.sin(0.7) * e[1], 12, rng)  # ~40° off: cos ≈ 0.76
    other = _around(e[2], 15, rng)
    vectors = np.vstack([main, side, other]).astype(np.float32)
    labels = np.array([0] * 40 + [1] * 12 + [2] * 15)
    return vectors, Clusters(labels=labels, centroids=centroids_of(vectors, labels))


def test_linked_share_counts_posts_with_a_neighbour_within_the_threshold():
    a = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    b = np.array([[1.0, 0.0]], np.float32)
    assert linked_share(a, b, 0.9) == 0.5
    assert linked_share(a, b[:0], 0.9) == 0.0


def test_side_angle_is_folded_into_the_story_and_other_story_is_kept():
    vectors, clusters = _story_with_side_angle_and_other_story()
    merged, kept = merge_satellites(vectors, clusters, [0, 2, 1], threshold=0.55)
    assert kept == [0, 2]
    assert (merged.labels[40:52] == 0).all() and (merged.labels[52:] == 2).all()
    assert merged.sizes[0] == 52
    # the story's centroid now leans towards its side angle; the other story's is untouched
    assert float(merged.centroids[0] @ clusters.centroids[1]) > float(
        clusters.centroids[0] @ clusters.centroids[1]
    )
    np.testing.assert_allclose(merged.centroids[2], clusters.centroids[2])


def test_satellite_joins_the_better_ranked_cluster_whatever_its_size():
    vectors, clusters = _story_with_side_angle_and_other_story()
    merged, kept = merge_satellites(vectors, clusters, [1, 0], threshold=0.55)
    assert kept == [1]
    assert (merged.labels[:52] == 1).all()


def test_a_tighter_threshold_keeps_them_apart():
    vectors, clusters = _story_with_side_angle_and_other_story()
    merged, kept = merge_satellites(vectors, clusters, [0, 1, 2], threshold=0.95)
    assert kept == [0, 1, 2]
    assert merged is clusters


def test_a_cluster_tagged_with_a_spelling_of_a_story_tag_folds_into_it():
    vectors, clusters = _story_with_side_angle_and_other_story()
    tags = {0: "worldcup", 2: "worldcupfinal"}
    _, kept = merge_satellites(vectors, clusters, [0, 2], threshold=0.99, tags=tags)
    assert kept == [0, 2]  # unrelated by centroid (< CENTROID_FLOOR): never folded
    _, kept = merge_satellites(vectors, clusters, [0, 1], threshold=0.99, tags={0: "a", 1: "b"})
    assert kept == [0, 1]
    _, kept = merge_satellites(
        vectors, clusters, [0, 1], threshold=0.99, tags={0: "worldcup", 1: "worldcupfinal"}
    )
    assert kept == [0]


def test_a_side_cluster_linked_only_to_a_folded_satellite_follows_it_home():
    # main → side (35°) → far side (65° from main: no post links to main, all to side)
    rng = np.random.default_rng(5)
    e = np.eye(16)
    angle = np.deg2rad
    main = _around(e[0], 40, rng, noise=0.02)
    side = _around(np.cos(angle(35)) * e[0] + np.sin(angle(35)) * e[1], 12, rng, noise=0.02)
    far = _around(np.cos(angle(65)) * e[0] + np.sin(angle(65)) * e[1], 10, rng, noise=0.02)
    vectors = np.vstack([main, side, far]).astype(np.float32)
    labels = np.array([0] * 40 + [1] * 12 + [2] * 10)
    clusters = Clusters(labels=labels, centroids=centroids_of(vectors, labels))
    assert linked_share(far, main, 0.55) == 0.0
    merged, kept = merge_satellites(vectors, clusters, [0, 1, 2], threshold=0.55)
    assert kept == [0]
    assert (merged.labels == 0).all()
