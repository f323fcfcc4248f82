"""The engine's one service adapter: a time range of posts (with vectors) from Milvus."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from trendstream.core.settings import Settings
from trendstream.trends.posts import Posts, posts_from_rows

FIELDS = (
    "id",
    "created_at",
    "hashtags",
    "text",
    "like_count",
    "retweet_count",
    "reply_count",
    "quote_count",
)


def load_posts(settings: Settings, start: datetime, end: datetime, client: Any = None) -> Posts:
    """Posts with ``start <= created_at < end``, vectors included, as engine input."""
    from trendstream.vectorstore import milvus

    client = client or milvus.connect(settings.milvus)
    if not client.has_collection(settings.milvus.collection):
        return posts_from_rows([], settings.model.dimension)
    rows = milvus.query_time_range(
        client, settings, _ms(start), _ms(end), output_fields=FIELDS, include_vectors=True
    )
    return posts_from_rows(rows, settings.model.dimension)


def load_baseline(
    settings: Settings, start: datetime, end: datetime, client: Any = None
) -> tuple[Posts, float]:
    """The baseline posts and the weight their counts stand for: all of them, or — past
    ``trends.baseline_max_posts`` — a uniform sample of ids (seeded by ``start``, so a re-run
    snapshot sees the same sample) fetched with vectors, weighted ``total / sampled``."""
    from trendstream.vectorstore import milvus

    client = client or milvus.connect(settings.milvus)
    limit = settings.trends.baseline_max_posts
    if not (
        limit
        and client.has_collection(settings.milvus.collection)
        and milvus.count(client, settings, milvus.time_range_filter(_ms(start), _ms(end))) > limit
    ):
        return load_posts(settings, start, end, client), 1.0
    ids = [
        str(row["id"])
        for row in milvus.query_time_range(
            client, settings, _ms(start), _ms(end), output_fields=("id",)
        )
    ]
    picked = np.sort(np.random.default_rng(_ms(start)).choice(len(ids), limit, replace=False))
    rows = milvus.get_by_ids(
        client, settings, [ids[i] for i in picked], output_fields=(*FIELDS, milvus.VECTOR_FIELD)
    )
    return posts_from_rows(rows, settings.model.dimension), len(ids) / max(1, len(rows))


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)
