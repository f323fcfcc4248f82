"""The trend engine's pure core: posts in, scored + tracked + labelled trends out.

No service is touched here (:mod:`.source` loads, :mod:`.report` writes), so tests and
benchmarks drive it with any posts. Design: docs/trends.md#engine
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from trendstream.core.settings import TrendSettings
from trendstream.trends.burst import (
    BurstScores,
    ball_counts,
    ball_hits,
    burst_scores,
    neighbourhood_radii,
)
from trendstream.trends.cluster import Clusters, cluster_vectors
from trendstream.trends.hashtags import (
    HashtagTrend,
    count_hashtags,
    hashtag_bursts,
    hashtag_variants,
    with_tweet_ids,
)
from trendstream.trends.labels import (
    REST_SAMPLE,
    Representative,
    ctfidf_keywords,
    representatives,
    top_hashtags,
)
from trendstream.trends.merge import merge_satellites
from trendstream.trends.posts import Posts
from trendstream.trends.status import trend_status
from trendstream.trends.tracking import TrackingState, advance, match_centroids
from trendstream.trends.viral import ViralPost, viral_posts
from trendstream.trends.voices import (
    Voices,
    count_authors,
    distinct_voices,
    post_voices,
    suspected_coordination,
)

log = logging.getLogger(__name__)

# A tracked trend stays reported while its score is above this share of min_score
# (hysteresis: a story does not flicker off the list on one noisy window).
CONTINUE_FACTOR = 0.5


@dataclass(frozen=True)
class Trend:
    trend_id: str
    status: str
    score: float
    size: int
    growth: float
    keywords: list[str]
    hashtags: list[str]
    tweet_ids: list[str]
    representatives: list[Representative]
    expected: float
    baseline_count: float
    engagement: float
    distinct_authors: int
    retweet_share: float
    hashtag_variants: list[str]
    first_seen: str
    history: list[tuple[str, int, float]]
    timeline: list[int]
    centroid: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class Detection:
    snapshot_at: datetime
    window_start: datetime
    window_end: datetime
    trends: list[Trend]
    hashtag_trends: list[HashtagTrend]
    state: TrackingState
    stats: dict[str, Any]
    viral: list[ViralPost] = field(default_factory=list)
    suppressed: list[dict[str, Any]] = field(default_factory=list)


def detect_trends(
    window: Posts,
    baseline: Posts,
    *,
    at: datetime,
    window_start: datetime,
    baseline_seconds: float,
    config: TrendSettings,
    previous: TrackingState | None = None,
    baseline_weight: float = 1.0,
    hashtag_counts: tuple[Counter[str], Counter[str]] | None = None,
) -> Detection:
    """Trends of ``window`` (posts in ``[window_start, at)``) against ``baseline``.

    ``baseline_weight`` scales baseline counts (neighbourhoods and hashtags) when ``baseline``
    is a sample; ``hashtag_counts`` (window, baseline) overrides counting the posts' own
    hashtags (and is taken as complete: it is not weighted).
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    window_seconds = max((at - window_start).total_seconds(), 1.0)

    clusters = cluster_vectors(
        window.vectors,
        config.similarity_threshold,
        config.min_cluster_size,
        cohesion=config.cluster_cohesion,
        seed=int(at.timestamp()),
    )
    timings["cluster_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    radii = neighbourhood_radii(window.vectors, clusters.labels, clusters.centroids)
    window_voices = post_voices(window.texts, window.retweets, window.author_ids)
    k = clusters.count
    scores = burst_scores(
        distinct_voices(*ball_hits(window.vectors, clusters.centroids, radii), window_voices, k),
        # the baseline counts its original posts: no author cap, no re-post check (both only
        # lower W's side, so the test errs conservative) — 25k texts per snapshot stay cheap
        ball_counts(baseline.vectors, clusters.centroids, radii, include=~baseline.retweets),
        window_seconds,
        baseline_seconds,
        baseline_weight=baseline_weight,
    )
    coordinated = _coordinated(window, baseline, clusters, scores, window_voices, config)
    timings["score_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    clusters, chosen, state, tracked = _select_and_track(
        window.vectors, clusters, scores, at, config, previous, set(coordinated), window
    )
    timings["track_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    trends = _label(window, clusters, chosen, tracked, scores, _minute_edges(window_start, at))
    timings["label_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    window_tags, baseline_tags = hashtag_counts or (
        count_hashtags(window.hashtags),
        Counter({tag: n * baseline_weight for tag, n in count_hashtags(baseline.hashtags).items()}),
    )
    hashtag_trends = with_tweet_ids(
        hashtag_bursts(
            window_tags,
            baseline_tags,
            window_seconds,
            baseline_seconds,
            min_count=config.min_cluster_size,
            min_score=config.min_score,
            max_trends=config.max_trends,
            min_growth=config.min_growth,
        ),
        window.ids,
        window.hashtags,
    )
    timings["hashtag_baseline_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    viral = viral_posts(
        window,
        baseline,
        window_seconds,
        baseline_seconds,
        min_count=config.min_cluster_size,
        min_score=config.min_score,
        min_growth=config.min_growth,
        baseline_weight=baseline_weight,
    )
    timings["viral_s"] = time.perf_counter() - clock
    stats = {
        "window_posts": len(window),
        "baseline_posts": len(baseline),
        "baseline_weight": baseline_weight,
        "clusters": clusters.count,
        "clustered_posts": int((clusters.labels >= 0).sum()),
        "suppressed_clusters": len(coordinated),
        **{k: round(v, 4) for k, v in timings.items()},
    }
    log.info(
        "snapshot %s: %d window posts, %d baseline, %d clusters, %d trends, %d hashtag bursts",
        at.isoformat(),
        len(window),
        len(baseline),
        clusters.count,
        len(trends),
        len(hashtag_trends),
    )
    return Detection(
        at,
        window_start,
        at,
        trends,
        hashtag_trends,
        state,
        stats,
        viral,
        list(coordinated.values()),
    )


def _candidates(scores: BurstScores, config: TrendSettings) -> np.ndarray:
    """Clusters over the hysteresis bars: new trends need the full bars, tracked ones these."""
    return np.flatnonzero(
        (scores.score >= config.min_score * CONTINUE_FACTOR)
        & (scores.growth >= max(1.0, config.min_growth * CONTINUE_FACTOR))
    )


def _coordinated(
    window: Posts,
    baseline: Posts,
    clusters: Clusters,
    scores: BurstScores,
    voices: Voices,
    config: TrendSettings,
) -> dict[int, dict[str, Any]]:
    """Bursting clusters that look like coordination (:mod:`.voices`), with what was seen."""
    bursting = _candidates(scores, config)
    if bursting.size == 0:
        return {}
    known = set(baseline.author_ids)
    original = ~window.retweets
    new = np.fromiter((a not in known for a in window.author_ids), bool, count=len(window))
    window_new_share = float(new[original].mean()) if original.any() else 0.0
    found = {}
    for cluster in bursting:
        rows = clusters.members(int(cluster))
        rows = rows[original[rows]]
        keys = [voices.keys[i] for i in rows]
        authors = [window.author_ids[i] for i in rows]
        if suspected_coordination(keys, authors, new[rows], window_new_share):
            found[int(cluster)] = {
                "size": int(clusters.sizes[cluster]),
                "distinct_authors": count_authors(authors),
                "new_author_share": round(float(new[rows].mean()), 4) if rows.size else 0.0,
                "text": window.texts[int(rows[0])] if rows.size else "",
            }
    return found


def _select_and_track(
    vectors: np.ndarray,
    clusters: Clusters,
    scores: BurstScores,
    at: datetime,
    config: TrendSettings,
    previous: TrackingState | None,
    suppressed: set[int],
    window: Posts,
) -> tuple[Clusters, list[int], TrackingState, list]:
    """Clusters to report: bursting (score and growth both over their bars), or continuing a
    tracked trend over the hysteresis bars (``CONTINUE_FACTOR`` of each), and not
    ``suppressed``; satellites of a better-ranked reported cluster (linked posts, or a variant
    of its main hashtag) are folded into it (:mod:`.merge`) before tracking."""
    dimension = vectors.shape[1]
    score = scores.score
    bursting = (score >= config.min_score) & (scores.growth >= config.min_growth)
    candidates = np.array(
        [c for c in _candidates(scores, config) if int(c) not in suppressed], np.int64
    )
    prior = (
        previous.centroid_matrix(dimension) if previous else np.empty((0, dimension), np.float32)
    )
    matches = match_centroids(clusters.centroids[candidates], prior, config.tracking_similarity)
    keep = [i for i, c in enumerate(candidates) if bursting[c] or i in matches]
    keep.sort(key=lambda i: -score[candidates[i]])
    chosen = [int(candidates[i]) for i in keep[: config.max_trends]]
    tags = {}
    for c in chosen:
        top = top_hashtags([window.hashtags[i] for i in clusters.members(c)])
        if top:
            tags[c] = top[0]
    clusters, chosen = merge_satellites(
        vectors, clusters, chosen, config.similarity_threshold, seed=int(at.timestamp()), tags=tags
    )
    centroids = clusters.centroids[chosen] if chosen else np.empty((0, dimension), np.float32)
    sizes = clusters.sizes
    state, tracked = advance(
        previous,
        at,
        centroids,
        [int(sizes[c]) for c in chosen],
        [float(score[c]) for c in chosen],
        match_centroids(centroids, prior, config.tracking_similarity),
    )
    return clusters, chosen, state, tracked


def baseline_span_seconds(
    baseline: Posts, baseline_start: datetime, window_start: datetime
) -> float:
    """How much history the baseline really covers: from its first post (or its nominal
    start, if earlier posts exist) to the window. A platform that has only run for 20
    minutes has a 20-minute baseline, whatever ``baseline_minutes`` says."""
    nominal = (window_start - baseline_start).total_seconds()
    if len(baseline) == 0:
        return nominal
    first = max(float(baseline.created_ms.min()) / 1000.0, baseline_start.timestamp())
    return max(window_start.timestamp() - first, min(nominal, 60.0))


def _minute_edges(start: datetime, end: datetime) -> np.ndarray:
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    buckets = max(1, min(60, round((end_ms - start_ms) / 60000)))
    return np.linspace(start_ms, end_ms, buckets + 1)


def _label(
    window: Posts, clusters: Clusters, chosen: list[int], tracked: list, scores, edges: np.ndarray
) -> list[Trend]:
    if not chosen:
        return []
    members = [clusters.members(c) for c in chosen]
    in_trend = np.zeros(len(window), bool)
    for rows in members:
        in_trend[rows] = True
    rest = np.flatnonzero(~in_trend)
    rest_sample = rest
    if rest.size > REST_SAMPLE:
        rest_sample = np.random.default_rng(0).choice(rest, REST_SAMPLE, replace=False)
    keywords = ctfidf_keywords(
        [[window.texts[i] for i in rows] for rows in members],
        [window.texts[i] for i in rest_sample],
        rest_weight=rest.size / max(1, rest_sample.size),
    )
    retweet = window.retweets
    trends = []
    for cluster, rows, words, track in zip(chosen, members, keywords, tracked, strict=False):
        centroid = clusters.centroids[cluster]
        timeline = np.histogram(window.created_ms[rows], bins=edges)[0].tolist()
        trends.append(
            Trend(
                trend_id=track.trend_id,
                status=trend_status([h[1] for h in track.history], timeline),
                score=float(scores.score[cluster]),
                size=int(rows.size),
                growth=float(scores.growth[cluster]),
                keywords=words,
                hashtags=top_hashtags([window.hashtags[i] for i in rows]),
                tweet_ids=[window.ids[i] for i in rows],
                representatives=representatives(
                    [window.ids[i] for i in rows],
                    [window.texts[i] for i in rows],
                    window.vectors[rows],
                    centroid,
                ),
                expected=float(scores.expected[cluster]),
                baseline_count=float(scores.baseline_counts[cluster]),
                engagement=float(window.engagement[rows].sum()),
                distinct_authors=count_authors(
                    [window.author_ids[i] for i in rows[~retweet[rows]]]
                ),
                retweet_share=float(retweet[rows].mean()),
                hashtag_variants=hashtag_variants(window.texts[i] for i in rows),
                first_seen=track.first_seen,
                history=list(track.history),
                timeline=timeline,
                centroid=centroid,
            )
        )
    return trends
