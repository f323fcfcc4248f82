"""The engine's one service adapter: a time range of posts (with vectors) from Milvus."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from trendstream.trends.posts import Posts, posts_from_rows
from trendstream.vectorstore.collection import VECTOR_FIELD
from trendstream.vectorstore.store import TweetStore, time_range_filter

FIELDS = (
    "id",
    "created_at",
    "author_id",
    "hashtags",
    "text",
    "like_count",
    "retweet_count",
    "reply_count",
    "quote_count",
)


def load_posts(store: TweetStore, start: datetime, end: datetime) -> Posts:
    """Posts with ``start <= created_at < end``, vectors included, as engine input."""
    dimension = store.settings.model.dimension
    if not store.exists():
        return posts_from_rows([], dimension)
    rows = store.time_range(_ms(start), _ms(end), output_fields=FIELDS, include_vectors=True)
    return posts_from_rows(rows, dimension)


def load_baseline(store: TweetStore, start: datetime, end: datetime) -> tuple[Posts, float]:
    """The baseline posts and the weight their counts stand for: all of them, or — past
    ``trends.baseline_max_posts`` — a uniform sample of ids (seeded by ``start``, so a re-run
    snapshot sees the same sample) fetched with vectors, weighted ``total / sampled``."""
    limit = store.settings.trends.baseline_max_posts
    if not (
        limit and store.exists() and store.count(time_range_filter(_ms(start), _ms(end))) > limit
    ):
        return load_posts(store, start, end), 1.0
    ids = [str(row["id"]) for row in store.time_range(_ms(start), _ms(end), output_fields=("id",))]
    picked = np.sort(np.random.default_rng(_ms(start)).choice(len(ids), limit, replace=False))
    rows = store.get_by_ids([ids[i] for i in picked], output_fields=(*FIELDS, VECTOR_FIELD))
    return posts_from_rows(rows, store.settings.model.dimension), len(ids) / max(1, len(rows))


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)
