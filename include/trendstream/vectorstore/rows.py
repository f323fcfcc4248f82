"""Tweets + their vectors → Milvus rows that fit the schema in :mod:`.collection` (pure).

Strings are cut to the schema's byte limits: Milvus rejects a whole upsert for one long field.
Design: docs/vectorstore.md#rows
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from trendstream.core.schema import parse_time
from trendstream.vectorstore.collection import (
    ENGAGEMENT_FIELDS,
    HASHTAG_MAX_BYTES,
    ID_MAX_BYTES,
    LANG_MAX_BYTES,
    MAX_HASHTAGS,
    TEXT_MAX_BYTES,
    VECTOR_FIELD,
)


def truncate_utf8(text: str, max_bytes: int) -> str:
    """At most ``max_bytes`` of UTF-8, never cutting a character in half."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def epoch_ms(value: Any) -> int:
    """datetime, ISO/v1.1 string or epoch-ms number → epoch milliseconds."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    return int(parse_time(value).timestamp() * 1000)


def rows_from_tweets(
    tweets: Sequence[dict[str, Any]],
    vectors: np.ndarray,
    *,
    ingested_at_ms: int | None = None,
) -> list[dict[str, Any]]:
    """Tweet dicts (``Tweet.to_dict()`` shape, or flat engagement counts) + their vectors →
    Milvus rows. ``clean_text`` is taken from the dict when present, else computed."""
    from trendstream.encode.text import clean_text

    if len(tweets) != len(vectors):
        raise ValueError(f"{len(tweets)} tweets but {len(vectors)} vectors")
    ingested = ingested_at_ms if ingested_at_ms is not None else int(time.time() * 1000)
    rows = []
    for tweet, vector in zip(tweets, np.asarray(vectors, dtype=np.float32), strict=True):
        metrics = tweet.get("metrics") or {}
        text = str(tweet.get("text", ""))
        cleaned = tweet.get("clean_text")
        rows.append(
            {
                "id": truncate_utf8(str(tweet["id"]), ID_MAX_BYTES),
                VECTOR_FIELD: vector.tolist(),
                "created_at": epoch_ms(tweet["created_at"]),
                "author_id": truncate_utf8(str(tweet.get("author_id", "")), ID_MAX_BYTES),
                "lang": truncate_utf8(str(tweet.get("lang") or "und"), LANG_MAX_BYTES),
                "hashtags": [
                    truncate_utf8(str(tag), HASHTAG_MAX_BYTES)
                    for tag in list(tweet.get("hashtags") or ())[:MAX_HASHTAGS]
                ],
                **{
                    name: int(tweet.get(name, metrics.get(name, 0)) or 0)
                    for name in ENGAGEMENT_FIELDS
                },
                "text": truncate_utf8(text, TEXT_MAX_BYTES),
                "clean_text": truncate_utf8(
                    cleaned if cleaned is not None else clean_text(text), TEXT_MAX_BYTES
                ),
                "ingested_at": ingested,
            }
        )
    return rows
