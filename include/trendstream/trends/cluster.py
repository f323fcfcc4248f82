"""Density clustering (DBSCAN) of a window's embeddings on cosine similarity.

Trends are dense patches of paraphrases among noise, in unknown number; large windows use an
approximate (IVF-style) neighbour graph. Design: docs/trends.md#cluster
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

log = logging.getLogger(__name__)

ROW_CHUNK = 1024
COHESION = 0.65  # mean member→centroid cosine below which a component is split further
STEP = 0.05
MAX_LEVEL = 0.9


@dataclass(frozen=True)
class Clusters:
    """``labels[i]`` is post i's cluster (−1 = noise); clusters are ordered by size, largest
    first."""

    labels: np.ndarray
    centroids: np.ndarray

    @property
    def count(self) -> int:
        return int(self.centroids.shape[0])

    @property
    def sizes(self) -> np.ndarray:
        return np.bincount(self.labels[self.labels >= 0], minlength=self.count)

    def members(self, cluster: int) -> np.ndarray:
        return np.flatnonzero(self.labels == cluster)


@dataclass(frozen=True)
class NeighbourGraph:
    """Per post: how many posts are within the threshold, and its top neighbours (−1 = none)."""

    degree: np.ndarray
    neighbours: np.ndarray
    similarities: np.ndarray


def cluster_vectors(
    vectors: np.ndarray,
    threshold: float,
    min_cluster_size: int,
    *,
    min_samples: int | None = None,
    cohesion: float = COHESION,
    max_neighbours: int = 32,
    exact_below: int = 6000,
    seed: int = 0,
) -> Clusters:
    """DBSCAN on cosine similarity ≥ ``threshold`` over L2-normalised ``vectors``, with
    incoherent clusters split at rising thresholds (see :func:`split_incoherent`)."""
    n = vectors.shape[0]
    if n == 0:
        return Clusters(np.empty(0, np.int64), np.empty((0, vectors.shape[1]), np.float32))
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    min_samples = min_samples or max(2, min_cluster_size // 2)
    graph = neighbour_graph(vectors, threshold, max_neighbours, exact_below=exact_below, seed=seed)
    labels = split_incoherent(vectors, graph, threshold, min_samples, min_cluster_size, cohesion)
    labels = _drop_small(labels, min_cluster_size)
    return Clusters(labels=labels, centroids=centroids_of(vectors, labels))


def split_incoherent(
    vectors: np.ndarray,
    graph: NeighbourGraph,
    threshold: float,
    min_samples: int,
    min_cluster_size: int,
    cohesion: float,
) -> np.ndarray:
    """DBSCAN components, each re-clustered at a higher threshold while it is incoherent.

    Splits the chatter blobs that bridging posts chain together (mean member→centroid cosine
    below ``cohesion``), reusing the stored neighbour lists. Design: docs/trends.md#cluster
    """
    labels = np.full(vectors.shape[0], -1, np.int64)
    queue = [(np.arange(vectors.shape[0]), threshold)]
    next_label = 0
    while queue:
        subset, level = queue.pop()
        for members in _components(graph, subset, level, min_samples):
            if members.size < min_cluster_size:
                continue
            centre = vectors[members].mean(axis=0)
            centre /= max(float(np.linalg.norm(centre)), 1e-12)
            if float((vectors[members] @ centre).mean()) < cohesion and level + STEP <= MAX_LEVEL:
                queue.append((members, level + STEP))
                continue
            labels[members] = next_label
            next_label += 1
    return labels


def neighbour_graph(
    vectors: np.ndarray,
    threshold: float,
    max_neighbours: int,
    *,
    exact_below: int = 6000,
    seed: int = 0,
) -> NeighbourGraph:
    """The ε-neighbourhood graph, exact for small inputs and IVF-partitioned for large ones."""
    n = vectors.shape[0]
    m = max(1, min(max_neighbours, n - 1))
    degree = np.zeros(n, np.int64)
    neighbours = np.full((n, m), -1, np.int64)
    sims = np.full((n, m), -1.0, np.float32)
    blocks = _exact_blocks(n) if n <= exact_below else _ivf_blocks(vectors, seed)
    for rows, cols in blocks:
        block = vectors[rows] @ vectors[cols].T
        hit_row, hit_col = np.nonzero(block >= threshold)  # sparse: most posts have few hits
        hit_sim = block[hit_row, hit_col]
        not_self = rows[hit_row] != cols[hit_col]
        hit_row, hit_col, hit_sim = hit_row[not_self], hit_col[not_self], hit_sim[not_self]
        degree[rows] = np.bincount(hit_row, minlength=len(rows))
        order = np.lexsort((-hit_sim, hit_row))  # by row, most similar first
        hit_row, hit_col, hit_sim = hit_row[order], hit_col[order], hit_sim[order]
        rank = np.arange(hit_row.size) - np.searchsorted(hit_row, hit_row)
        top = rank < m
        neighbours[rows[hit_row[top]], rank[top]] = cols[hit_col[top]]
        sims[rows[hit_row[top]], rank[top]] = hit_sim[top]
    return NeighbourGraph(degree=degree, neighbours=neighbours, similarities=sims)


def centroids_of(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """L2-normalised mean vector of each cluster ``0..labels.max()``."""
    count = int(labels.max()) + 1 if labels.size and labels.max() >= 0 else 0
    assigned = labels >= 0
    sums = sum_by_label(vectors[assigned], labels[assigned], count)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.maximum(norms, 1e-12)).astype(np.float32)


def sum_by_label(vectors: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """Row sums per label as one sparse one-hot product (``np.add.at`` is ~100× slower)."""
    onehot = csr_matrix(
        (np.ones(labels.size, np.float32), (labels, np.arange(labels.size))),
        shape=(count, labels.size),
    )
    return np.asarray(onehot @ vectors, dtype=np.float64)


def spherical_kmeans(
    vectors: np.ndarray, k: int, *, iterations: int = 5, sample: int = 20000, seed: int = 0
) -> np.ndarray:
    """Cell centres for the IVF partition: k-means on the unit sphere over a sample."""
    rng = np.random.default_rng(seed)
    n = vectors.shape[0]
    fit = vectors[rng.choice(n, size=min(n, sample), replace=False)]
    centres = fit[rng.choice(fit.shape[0], size=k, replace=False)].copy()
    for _ in range(iterations):
        sums = sum_by_label(fit, assign_nearest(fit, centres), k)
        empty = ~np.any(sums, axis=1)
        sums[empty] = fit[rng.choice(fit.shape[0], size=int(empty.sum()), replace=False)]
        centres = (sums / np.linalg.norm(sums, axis=1, keepdims=True)).astype(np.float32)
    return centres


def assign_nearest(vectors: np.ndarray, centres: np.ndarray, chunk: int = 8192) -> np.ndarray:
    out = np.empty(vectors.shape[0], np.int64)
    for start in range(0, vectors.shape[0], chunk):
        out[start : start + chunk] = np.argmax(vectors[start : start + chunk] @ centres.T, axis=1)
    return out


def _exact_blocks(n: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    cols = np.arange(n)
    for start in range(0, n, ROW_CHUNK):
        yield np.arange(start, min(n, start + ROW_CHUNK)), cols


def _ivf_blocks(
    vectors: np.ndarray, seed: int, cell_size: int = 200, probe: int = 6
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    n = vectors.shape[0]
    k = max(2, n // cell_size)
    centres = spherical_kmeans(vectors, k, seed=seed)
    cell = assign_nearest(vectors, centres)
    order = np.argsort(cell, kind="stable")
    bounds = np.searchsorted(cell[order], np.arange(k + 1))
    members = [order[bounds[c] : bounds[c + 1]] for c in range(k)]
    near = np.argsort(-(centres @ centres.T), axis=1)[:, : min(probe, k)]
    log.debug("IVF neighbour graph: %d posts in %d cells, probing %d", n, k, near.shape[1])
    for c in range(k):
        if members[c].size == 0:
            continue
        cols = np.concatenate([members[j] for j in near[c]])
        for start in range(0, members[c].size, ROW_CHUNK):
            yield members[c][start : start + ROW_CHUNK], cols


def _components(
    graph: NeighbourGraph, subset: np.ndarray, level: float, min_samples: int
) -> list[np.ndarray]:
    """DBSCAN on the posts ``subset`` using only their stored edges with similarity ≥ ``level``:
    core posts have ≥ ``min_samples`` such neighbours, components are connected core posts,
    and a border post joins the component of its most similar core neighbour."""
    local = np.full(graph.neighbours.shape[0], -1, np.int64)
    local[subset] = np.arange(subset.size)
    nbrs = graph.neighbours[subset]
    valid = (nbrs >= 0) & (graph.similarities[subset] >= level)
    valid &= local[np.maximum(nbrs, 0)] >= 0
    nbrs_local = np.where(valid, local[np.maximum(nbrs, 0)], -1)
    core = valid.sum(axis=1) >= min_samples
    rows = np.repeat(np.arange(subset.size), nbrs.shape[1])[valid.ravel()]
    cols = nbrs_local[valid]
    core_edge = core[rows] & core[cols]
    adjacency = coo_matrix(
        (np.ones(int(core_edge.sum()), np.int8), (rows[core_edge], cols[core_edge])),
        shape=(subset.size, subset.size),
    )
    _, component = connected_components(adjacency, directed=True, connection="weak")
    labels = np.where(core, component, -1)
    border = np.flatnonzero(~core)
    if border.size:
        is_core = (nbrs_local[border] >= 0) & core[np.maximum(nbrs_local[border], 0)]
        best_sims = np.where(is_core, graph.similarities[subset[border]], -np.inf)
        best = np.argmax(best_sims, axis=1)
        attached = np.isfinite(best_sims[np.arange(border.size), best])
        labels[border[attached]] = labels[nbrs_local[border[attached], best[attached]]]
    assigned = labels >= 0
    if not assigned.any():
        return []
    order = np.argsort(labels[assigned], kind="stable")
    ids, starts = np.unique(labels[assigned][order], return_index=True)
    return np.split(subset[np.flatnonzero(assigned)[order]], starts[1:])


def _drop_small(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Components below ``min_size`` become noise; the rest are renumbered largest first."""
    assigned = labels >= 0
    if not assigned.any():
        return np.full(labels.shape, -1, np.int64)
    ids, counts = np.unique(labels[assigned], return_counts=True)
    kept = ids[counts >= min_size]
    kept = kept[np.argsort(-counts[counts >= min_size], kind="stable")]
    remap = np.full(int(labels.max()) + 1, -1, np.int64)
    remap[kept] = np.arange(kept.size)
    return np.where(assigned, remap[np.maximum(labels, 0)], -1)
