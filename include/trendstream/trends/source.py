"""The engine's one service adapter: a time range of posts (with vectors) from Milvus."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trendstream.core.settings import Settings
from trendstream.trends.posts import Posts, posts_from_rows

FIELDS = ("id", "created_at", "hashtags", "text", "like_count", "retweet_count", "reply_count", "quote_count")


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


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)
