"""The keyword-frequency baseline: hashtags whose count bursts against their own baseline.

Same burst score as the semantic engine, so only what is counted differs.
Design: docs/trends.md#hashtags
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from trendstream.core.schema import HASHTAG_PATTERN
from trendstream.stream.analytics_store import AnalyticsStore
from trendstream.trends.burst import burst_scores

log = logging.getLogger(__name__)

HASHTAG_TABLE = "hashtags"  # the stream's hashtag-window table in the AnalyticsStore
# Two tags are spellings of one story when equal ignoring case, or when one contains the
# other and the shorter has at least this many letters (#WorldCup ⊂ #WorldCupFinal).
VARIANT_MIN_LENGTH = 6


@dataclass(frozen=True)
class HashtagTrend:
    hashtag: str
    count: int
    expected: float
    score: float
    growth: float
    tweet_ids: list[str] = field(default_factory=list)


def count_hashtags(hashtags: Iterable[Sequence[str]]) -> Counter[str]:
    """Posts per hashtag (a tag repeated inside one post counts once)."""
    return Counter(tag for tags in hashtags for tag in {t.lower() for t in tags})


def related_tags(a: str, b: str) -> bool:
    """Whether two hashtags (without ``#``) are spelling variants of one story."""
    a, b = a.lower(), b.lower()
    short, long = sorted((a, b), key=len)
    return short == long or (len(short) >= VARIANT_MIN_LENGTH and short in long)


def hashtag_variants(texts: Iterable[str]) -> list[str]:
    """The spellings (as written, with ``#``) of a cluster's main hashtag and the tags related
    to it, most frequent first: ``["#WorldCup", "#worldcup", "#WorldCupFinal"]``."""
    written = Counter(
        "#" + tag for text in texts if "#" in text for tag in set(HASHTAG_PATTERN.findall(text))
    )
    if not written:
        return []
    by_tag = Counter()
    for spelling, n in written.items():
        by_tag[spelling[1:].lower()] += n
    main = min(by_tag, key=lambda tag: (-by_tag[tag], tag))
    related = [s for s in written if related_tags(s[1:], main)]
    return sorted(related, key=lambda s: (-written[s], s))


def hashtag_bursts(
    window: Counter[str],
    baseline: Counter[str],
    window_seconds: float,
    baseline_seconds: float,
    *,
    min_count: int,
    min_score: float,
    max_trends: int,
    min_growth: float = 1.0,
) -> list[HashtagTrend]:
    tags = sorted(tag for tag, n in window.items() if n >= min_count)
    if not tags:
        return []
    scores = burst_scores(
        np.array([window[t] for t in tags]),
        np.array([baseline.get(t, 0) for t in tags]),
        window_seconds,
        baseline_seconds,
    )
    found = [
        HashtagTrend(
            hashtag=tag,
            count=int(scores.window_counts[i]),
            expected=float(scores.expected[i]),
            score=float(scores.score[i]),
            growth=float(scores.growth[i]),
        )
        for i, tag in enumerate(tags)
        if scores.score[i] >= min_score and scores.growth[i] >= min_growth
    ]
    found.sort(key=lambda t: (-t.score, t.hashtag))
    return found[:max_trends]


def with_tweet_ids(
    trends: list[HashtagTrend], ids: Sequence[str], hashtags: Sequence[Sequence[str]]
) -> list[HashtagTrend]:
    """Attach the window's posts carrying each trending hashtag."""
    wanted = {t.hashtag: [] for t in trends}
    for post_id, tags in zip(ids, hashtags, strict=False):
        for tag in {t.lower() for t in tags}:
            if tag in wanted:
                wanted[tag].append(post_id)
    return [
        HashtagTrend(t.hashtag, t.count, t.expected, t.score, t.growth, wanted[t.hashtag])
        for t in trends
    ]


def counts_from_parquet(
    store: AnalyticsStore, start: datetime, end: datetime
) -> Counter[str] | None:
    """Hashtag counts over windows starting in ``[start, end)`` from the stream's 5-s
    Parquet output, or None when there is none (the caller then counts posts' hashtags).
    The stream rewrites a window's count as late posts arrive: each window's newest row counts.
    """
    import pyarrow as pa

    try:
        latest = store.latest(HASHTAG_TABLE, ["count"], start=start, end=end)
    except (KeyError, ValueError, OSError, pa.ArrowInvalid) as exc:
        log.warning(
            "hashtag Parquet under %s unreadable (%s); counting posts instead", store.root, exc
        )
        return None
    if latest is None:
        return None
    counts: Counter[str] = Counter()
    for tag, n in zip(latest["hashtag"], latest["count"], strict=False):
        counts[str(tag).lower().lstrip("#")] += int(n)
    return counts
