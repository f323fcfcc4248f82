"""The pure parts of the Milvus sink: row building and the retry policy."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import pytest
from pymilvus.exceptions import MilvusException, ParamError

from trendstream.core.schema import parse_event
from trendstream.core.settings import MilvusSettings
from trendstream.vectorstore.milvus import (
    MilvusUnavailable,
    is_transient,
    rows_from_tweets,
    truncate_utf8,
    with_retry,
)


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


def test_transient_errors_are_told_apart_from_bad_requests() -> None:
    assert is_transient(MilvusException(code=2, message="Fail connecting to server"))
    assert is_transient(MilvusException(code=1, message="server unavailable, try later"))
    assert is_transient(ConnectionResetError())
    assert not is_transient(MilvusException(code=1100, message="invalid dimension"))
    assert not is_transient(ParamError(message="bad param"))
    assert not is_transient(ValueError("nope"))


def test_retry_gives_up_with_milvus_unavailable_within_the_budget() -> None:
    settings = MilvusSettings(retry_timeout_s=1.0)
    calls = []

    def down() -> None:
        calls.append(time.monotonic())
        raise MilvusException(code=2, message="Fail connecting to server")

    started = time.monotonic()
    with pytest.raises(MilvusUnavailable, match="upsert failed .* times"):
        with_retry(settings, "upsert", down)
    assert 1.0 <= time.monotonic() - started < 2.0
    assert len(calls) >= 3  # 0.25 + 0.5 + ... backoff


def test_retry_returns_once_the_server_answers_and_never_retries_bad_requests() -> None:
    settings = MilvusSettings(retry_timeout_s=5.0)
    attempts = iter([MilvusException(code=2, message="connect"), None])

    def flaky() -> str:
        error = next(attempts)
        if error:
            raise error
        return "ok"

    assert with_retry(settings, "search", flaky) == "ok"
    bad_calls = []

    def bad_request() -> None:
        bad_calls.append(1)
        raise ParamError(message="bad")

    with pytest.raises(ParamError):
        with_retry(settings, "search", bad_request)
    assert bad_calls == [1]
