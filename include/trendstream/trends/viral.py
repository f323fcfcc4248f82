"""Viral posts: one post whose retweets burst — shown as its own short list, not as a trend.

A retweet storm is many people passing on one post, not many people saying something, so it
is scored per original post with the same burst test as a trend. Design: docs/trends.md#viral
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from trendstream.trends.burst import burst_scores
from trendstream.trends.posts import Posts

MAX_VIRAL = 5


@dataclass(frozen=True)
class ViralPost:
    tweet_id: str
    author_id: str
    text: str
    retweets: int
    quotes: int
    likes: int
    engagement_growth: float


def retweet_counts(posts: Posts) -> Counter[str]:
    """Retweets per retweeted post, keyed by the retweet text ("RT @user: original")."""
    return Counter(posts.texts[i].strip() for i in np.flatnonzero(posts.retweets))


def original_text(retweet: str) -> str:
    """The retweeted post's text: the retweet minus its "RT @user:" prefix."""
    return retweet.split(":", 1)[1].strip() if ":" in retweet else retweet


def viral_posts(
    window: Posts,
    baseline: Posts,
    window_seconds: float,
    baseline_seconds: float,
    *,
    min_count: int,
    min_score: float,
    min_growth: float,
    baseline_weight: float = 1.0,
    top: int = MAX_VIRAL,
) -> list[ViralPost]:
    """Posts whose retweets in the window burst against their retweets in the baseline (same
    z-score and growth bars as trends), most retweeted first, at most ``top``."""
    now = {k: n for k, n in retweet_counts(window).items() if n >= min_count}
    if not now:
        return []
    keys = sorted(now)
    before = retweet_counts(baseline)
    scores = burst_scores(
        np.array([now[k] for k in keys]),
        np.array([before.get(k, 0) for k in keys]),
        window_seconds,
        baseline_seconds,
        baseline_weight=baseline_weight,
    )
    bursting = [
        i
        for i in range(len(keys))
        if scores.score[i] >= min_score and scores.growth[i] >= min_growth
    ]
    bursting.sort(key=lambda i: (-now[keys[i]], keys[i]))
    return [
        _describe(keys[i], now[keys[i]], float(scores.growth[i]), window, baseline)
        for i in bursting[:top]
    ]


def _describe(key: str, retweets: int, growth: float, window: Posts, baseline: Posts) -> ViralPost:
    """The original post when it is in the window or baseline, else the first retweet seen."""
    text = original_text(key)
    for posts in (window, baseline):
        for i, candidate in enumerate(posts.texts):
            if candidate.strip() == text:
                return ViralPost(
                    tweet_id=posts.ids[i],
                    author_id=posts.author_ids[i],
                    text=text,
                    retweets=retweets,
                    quotes=int(posts.quotes[i]),
                    likes=int(posts.likes[i]),
                    engagement_growth=round(growth, 4),
                )
    first = next(i for i, candidate in enumerate(window.texts) if candidate.strip() == key)
    return ViralPost(window.ids[first], "", text, retweets, 0, 0, round(growth, 4))
