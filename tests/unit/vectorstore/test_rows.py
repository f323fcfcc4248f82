"""Tweets → Milvus rows: the shape the collection declares, within its byte limits."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from trendstream.core.schema import parse_event
from trendstream.vectorstore.collection import SCALAR_FIELDS, VECTOR_FIELD
from trendstream.vectorstore.rows import epoch_ms, rows_from_tweets, truncate_utf8


def test_rows_from_canonical_tweets() -> None:
    tweet = parse_event(
        {
            "kind": "tweet",
            "id": "123",
            "text": "RT @a: Big #Launch today &amp; more https://t.co/x",
            "created_at": "2025-06-01T12:00:00.250Z",
            "author_id": "9",
            "lang": "en",
            "metrics": {"like_count": 4, "retweet_count": 2, "reply_count": 1, "quote_count": 0},
        }
    )
    (row,) = rows_from_tweets([tweet.to_dict()], np.ones((1, 3)), ingested_at_ms=7)
    assert row == {
        "id": "123",
        "embedding": [1.0, 1.0, 1.0],
        "created_at": 1_748_779_200_250,
        "author_id": "9",
        "lang": "en",
        "hashtags": ["launch"],
        "like_count": 4,
        "retweet_count": 2,
        "reply_count": 1,
        "quote_count": 0,
        "text": "RT @a: Big #Launch today &amp; more https://t.co/x",
        "clean_text": "Big Launch today & more",
        "ingested_at": 7,
    }


def test_rows_keep_utf8_within_byte_limits() -> None:
    text = "é" * 3000  # 6000 bytes
    (row,) = rows_from_tweets(
        [
            {
                "id": "1",
                "text": text,
                "created_at": datetime(2025, 1, 1, tzinfo=UTC),
                "hashtags": [f"t{i}" for i in range(40)],
                "like_count": 3,
                "clean_text": "given",
            }
        ],
        np.zeros((1, 4)),
        ingested_at_ms=5,
    )
    assert len(row["text"].encode()) <= 4096 and row["text"] == "é" * 2048
    assert row["created_at"] == 1_735_689_600_000 and row["ingested_at"] == 5
    assert len(row["hashtags"]) == 32 and row["like_count"] == 3 and row["lang"] == "und"
    assert row["clean_text"] == "given"


def test_truncate_never_splits_a_character() -> None:
    assert truncate_utf8("a🔥b", 3) == "a"
    assert truncate_utf8("a🔥b", 5) == "a🔥"
    assert truncate_utf8("short", 100) == "short"


def test_rows_need_one_vector_per_tweet() -> None:
    with pytest.raises(ValueError, match="2 tweets but 1 vectors"):
        rows_from_tweets(
            [{"id": "1", "created_at": 1}, {"id": "2", "created_at": 2}], np.zeros((1, 2))
        )


def test_rows_carry_exactly_the_declared_fields() -> None:
    (row,) = rows_from_tweets([{"id": "1", "created_at": 5}], np.zeros((1, 2)))
    assert set(row) == {*SCALAR_FIELDS, VECTOR_FIELD}


def test_epoch_ms_accepts_every_timestamp_form() -> None:
    assert epoch_ms(datetime(2025, 1, 1)) == 1_735_689_600_000  # naive = UTC
    assert epoch_ms(np.int64(7)) == 7
    assert epoch_ms("2025-01-01T00:00:00.5Z") == 1_735_689_600_500
