"""One story, one trend: fold a reported cluster into another it is a satellite of.

Satellites are told apart from neighbouring stories by post-to-post linkage, not by centroid
similarity. Design: docs/trends.md#merge
"""

from __future__ import annotations

import numpy as np

from trendstream.trends.cluster import Clusters, centroids_of
from trendstream.trends.hashtags import related_tags

MERGE_SHARE = 0.5
CENTROID_FLOOR = 0.3  # pairs less similar than this are never compared post by post
SAMPLE_SMALL = 128
SAMPLE_LARGE = 2048


def linked_share(small: np.ndarray, large: np.ndarray, threshold: float) -> float:
    """Share of ``small``'s rows with at least one row of ``large`` at cosine ≥ ``threshold``."""
    if small.shape[0] == 0 or large.shape[0] == 0:
        return 0.0
    return float(((small @ large.T).max(axis=1) >= threshold).mean())


def merge_satellites(
    vectors: np.ndarray,
    clusters: Clusters,
    chosen: list[int],
    threshold: float,
    *,
    seed: int = 0,
    tags: dict[int, str] | None = None,
) -> tuple[Clusters, list[int]]:
    """``chosen`` (best first) with satellites folded into the first cluster they link to, or
    whose main hashtag (``tags``: cluster → its top tag) is a spelling variant of theirs; a
    folded satellite's posts count as its home's for the clusters after it (chains of side
    clusters fold too); returns the relabelled clusters and the surviving chosen clusters, in
    the same order."""
    if len(chosen) < 2:
        return clusters, chosen
    rng = np.random.default_rng(seed)
    members = {c: clusters.members(c) for c in chosen}
    samples = {c: _sample(rows, SAMPLE_LARGE, rng) for c, rows in members.items()}
    kept: list[int] = []
    target: dict[int, int] = {}
    for cluster in chosen:
        home = next(
            (
                k
                for k in kept
                if _is_satellite(vectors, clusters, samples, cluster, k, threshold, rng, tags or {})
            ),
            None,
        )
        if home is None:
            kept.append(cluster)
        else:
            target[cluster] = home
            # a later satellite may link to this one's posts rather than the home's own
            samples[home] = _sample(
                np.concatenate([samples[home], samples[cluster]]), SAMPLE_LARGE, rng
            )
    if not target:
        return clusters, chosen
    labels = clusters.labels.copy()
    for satellite, home in target.items():
        labels[members[satellite]] = home
    centroids = clusters.centroids.copy()
    recomputed = centroids_of(vectors, labels)
    homes = sorted(set(target.values()))
    centroids[homes] = recomputed[homes]
    return Clusters(labels=labels, centroids=centroids), kept


def _is_satellite(
    vectors: np.ndarray,
    clusters: Clusters,
    samples: dict[int, np.ndarray],
    a: int,
    b: int,
    threshold: float,
    rng: np.random.Generator,
    tags: dict[int, str],
) -> bool:
    if float(clusters.centroids[a] @ clusters.centroids[b]) < CENTROID_FLOOR:
        return False
    if a in tags and b in tags and related_tags(tags[a], tags[b]):
        return True
    small, large = (a, b) if samples[a].size <= samples[b].size else (b, a)
    probe = _sample(samples[small], SAMPLE_SMALL, rng)
    return linked_share(vectors[probe], vectors[samples[large]], threshold) >= MERGE_SHARE


def _sample(rows: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    return rows if rows.size <= limit else np.sort(rng.choice(rows, limit, replace=False))
