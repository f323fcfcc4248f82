"""The three detectors compared, behind one call: window + baseline posts → detections.

* ``semantic``: our engine (:func:`trendstream.trends.engine.detect_trends`).
* ``hashtag``: the hashtag-count burst baseline (:mod:`trendstream.trends.hashtags`).
* ``bertopic``: BERTopic fitted on each window with the *same* precomputed embeddings
  (UMAP + HDBSCAN + c-TF-IDF, its defaults), its topics scored with the *same* burst
  score and thresholds as ours, and matched across windows by centroid similarity —
  so the comparison isolates how each finds the topics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from trendstream.core.settings import TrendSettings
from trendstream.trends.burst import ball_counts, burst_scores, neighbourhood_radii
from trendstream.trends.cluster import centroids_of
from trendstream.trends.engine import detect_trends
from trendstream.trends.hashtags import count_hashtags, hashtag_bursts, with_tweet_ids
from trendstream.trends.posts import Posts
from trendstream.trends.tracking import match_centroids


@dataclass(frozen=True)
class Detected:
    label: str
    tweet_ids: list[str]
    trend_id: str = ""


@dataclass
class Snapshot:
    at: datetime
    window: Posts
    baseline: Posts
    window_start: datetime
    baseline_seconds: float


@dataclass
class Detector:
    name: str
    run: Callable[[Snapshot], list[Detected]]
    state: dict[str, Any] = field(default_factory=dict)

    def timed(self, snapshot: Snapshot) -> tuple[list[Detected], float]:
        started = time.perf_counter()
        found = self.run(snapshot)
        return found, time.perf_counter() - started


def semantic(config: TrendSettings) -> Detector:
    holder: dict[str, Any] = {"state": None, "viral": set()}

    def run(s: Snapshot) -> list[Detected]:
        detection = detect_trends(
            s.window,
            s.baseline,
            at=s.at,
            window_start=s.window_start,
            baseline_seconds=s.baseline_seconds,
            config=config,
            previous=holder["state"],
        )
        holder["state"] = detection.state
        holder["viral"].update(v.tweet_id for v in detection.viral)
        return [
            Detected(", ".join(t.keywords[:3]), t.tweet_ids, t.trend_id) for t in detection.trends
        ]

    return Detector("semantic", run, holder)


def hashtag(config: TrendSettings) -> Detector:
    def run(s: Snapshot) -> list[Detected]:
        seconds = (s.at - s.window_start).total_seconds()
        found = hashtag_bursts(
            count_hashtags(s.window.hashtags),
            count_hashtags(s.baseline.hashtags),
            seconds,
            s.baseline_seconds,
            min_count=config.min_cluster_size,
            min_score=config.min_score,
            max_trends=config.max_trends,
            min_growth=config.min_growth,
        )
        return [
            Detected("#" + t.hashtag, t.tweet_ids, t.hashtag)
            for t in with_tweet_ids(found, s.window.ids, s.window.hashtags)
        ]

    return Detector("hashtag", run)


def bertopic(config: TrendSettings, seed: int = 42) -> Detector:
    holder: dict[str, Any] = {"centroids": np.empty((0, 0), np.float32), "ids": [], "next": 0}

    def run(s: Snapshot) -> list[Detected]:
        if len(s.window) < max(10, config.min_cluster_size * 2):
            return []
        topics = _bertopic_topics(s.window, config.min_cluster_size, seed)
        centroids = centroids_of(s.window.vectors, topics)
        radii = neighbourhood_radii(s.window.vectors, topics, centroids)
        scores = burst_scores(
            ball_counts(s.window.vectors, centroids, radii),
            ball_counts(s.baseline.vectors, centroids, radii),
            (s.at - s.window_start).total_seconds(),
            s.baseline_seconds,
        )
        sizes = np.bincount(topics[topics >= 0], minlength=centroids.shape[0])
        chosen = [
            t
            for t in np.argsort(-scores.score)
            if scores.score[t] >= config.min_score
            and scores.growth[t] >= config.min_growth
            and sizes[t] >= config.min_cluster_size
        ]
        chosen = chosen[: config.max_trends]
        ids = _track(holder, centroids[chosen], config.tracking_similarity)
        return [
            Detected(f"topic {t}", [s.window.ids[i] for i in np.flatnonzero(topics == t)], tid)
            for t, tid in zip(chosen, ids, strict=False)
        ]

    return Detector("bertopic", run, holder)


def _bertopic_topics(window: Posts, min_cluster_size: int, seed: int) -> np.ndarray:
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from umap import UMAP

    model = BERTopic(
        embedding_model=None,  # embeddings are always passed in: it never embeds by itself
        umap_model=UMAP(
            n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed
        ),
        hdbscan_model=HDBSCAN(
            min_cluster_size=min_cluster_size,
            metric="euclidean",
            cluster_selection_method="eom",
            prediction_data=False,
        ),
        calculate_probabilities=False,
    )
    topics, _ = model.fit_transform(window.texts, embeddings=window.vectors)
    return np.asarray(topics, dtype=np.int64)


def _track(holder: dict[str, Any], centroids: np.ndarray, similarity: float) -> list[str]:
    previous = holder["centroids"]
    matches = match_centroids(centroids, previous, similarity) if previous.size else {}
    ids = []
    for row in range(centroids.shape[0]):
        if row in matches:
            ids.append(holder["ids"][matches[row]])
        else:
            holder["next"] += 1
            ids.append(f"B{holder['next']:03d}")
    holder["centroids"], holder["ids"] = centroids, ids
    return ids


DETECTORS: dict[str, Callable[[TrendSettings], Detector]] = {
    "semantic": semantic,
    "hashtag": hashtag,
    "bertopic": bertopic,
}
