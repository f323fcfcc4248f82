"""Density clustering of window embeddings: planted dense groups found, noise left out."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.synthetic import around, unit
from trendstream.trends.cluster import cluster_vectors, neighbour_graph


def _planted(rng, sizes, background, dimension=64, similarity=0.85):
    centres = unit(rng, len(sizes), dimension)
    parts = [around(rng, c, n, similarity) for c, n in zip(centres, sizes, strict=False)]
    parts.append(unit(rng, background, dimension))
    truth = np.concatenate([np.full(n, i) for i, n in enumerate(sizes)] + [np.full(background, -1)])
    return np.concatenate(parts), truth


@pytest.mark.parametrize("background,exact_below", [(400, 6000), (5000, 1000)])
def test_planted_groups_become_clusters_and_noise_stays_out(background, exact_below):
    rng = np.random.default_rng(3)
    vectors, truth = _planted(rng, [60, 25, 12], background)
    found = cluster_vectors(vectors, 0.55, 8, exact_below=exact_below)
    assert found.count == 3
    for cluster in range(found.count):
        members = truth[found.members(cluster)]
        assert (members == members[0]).all() and members[0] >= 0  # pure
    assert sorted(found.sizes.tolist(), reverse=True) == [60, 25, 12]  # complete, largest first
    assert (found.labels[truth == -1] == -1).all()


def test_groups_below_min_cluster_size_are_noise():
    rng = np.random.default_rng(4)
    vectors, _ = _planted(rng, [5], 100)
    assert cluster_vectors(vectors, 0.55, 8).count == 0


def test_centroids_are_unit_vectors_near_their_members():
    rng = np.random.default_rng(5)
    vectors, _ = _planted(rng, [40], 50)
    found = cluster_vectors(vectors, 0.55, 8)
    assert np.allclose(np.linalg.norm(found.centroids, axis=1), 1.0, atol=1e-5)
    assert (vectors[found.members(0)] @ found.centroids[0]).min() > 0.7


def test_ivf_graph_agrees_with_exact_graph():
    rng = np.random.default_rng(6)
    vectors, _ = _planted(rng, [80, 40], 5000)
    exact = neighbour_graph(vectors, 0.55, 16, exact_below=10**9)
    approx = neighbour_graph(vectors, 0.55, 16, exact_below=0)
    planted = slice(0, 120)
    # Planted members' neighbour counts are (nearly) all recovered by the partitioned scan.
    assert approx.degree[planted].sum() >= 0.95 * exact.degree[planted].sum()
    assert (approx.degree <= exact.degree).all()


def test_empty_window():
    found = cluster_vectors(np.empty((0, 8), np.float32), 0.5, 3)
    assert found.count == 0 and found.labels.size == 0
