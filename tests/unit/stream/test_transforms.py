"""The streaming job's per-batch decisions, on plain data (no Spark, Kafka or model)."""

from __future__ import annotations

import json

import pytest

from trendstream.core.schema import DeadLetterReason
from trendstream.core.settings import Limits, Settings
from trendstream.stream.scores import ACTION_WEIGHTS, fold_actions, score_at
from trendstream.stream.source import end_offsets, kafka_options
from trendstream.stream.transforms import (
    Position,
    dedupe_latest,
    encoder_texts,
    length_chunks,
    parse_tweets,
)

T0 = "2025-06-01T12:00:00.000Z"
LIMITS = Limits()


def tweet(
    id_: str, text: str = "hello #World and #world", created_at: str = T0, author: str = "7"
) -> bytes:
    return json.dumps(
        {
            "data": {
                "id": id_,
                "text": text,
                "author_id": author,
                "created_at": created_at,
                "lang": "en",
            }
        }
    ).encode()


def engagement(id_: str, kind: str, tweet_id: str = "11", user: str = "9") -> bytes:
    return json.dumps(
        {
            "kind": "engagement",
            "id": id_,
            "type": kind,
            "user_id": user,
            "created_at": T0,
            "tweet_id": tweet_id,
        }
    ).encode()


def positions(n: int, partition: int = 0) -> list[Position]:
    return [Position("tweets", partition, i) for i in range(n)]


def test_parse_splits_good_from_dead_with_reasons():
    values = [
        tweet("11"),
        b"not json{",
        tweet("12", text="   "),
        None,
        engagement("13", "like"),
        b'{"data": {"id": "abc", "text": "x", "author_id": "1", "created_at": "'
        + T0.encode()
        + b'"}}',
    ]
    parsed = parse_tweets(values, positions(len(values)), LIMITS)
    assert [t.id for t, _ in parsed.tweets] == ["11"]
    reasons = {str(d.position): d.reason for d in parsed.dead}
    assert reasons == {
        "tweets:0:1": DeadLetterReason.INVALID_JSON,
        "tweets:0:2": DeadLetterReason.EMPTY_TEXT,
        "tweets:0:3": DeadLetterReason.MISSING_FIELD,
        "tweets:0:4": DeadLetterReason.UNKNOWN_FORMAT,  # an engagement on the tweets topic
        "tweets:0:5": DeadLetterReason.BAD_ID,
    }
    assert parsed.dead[0].raw == b"not json{"


def test_parse_honours_size_limits():
    parsed = parse_tweets([tweet("11", text="x" * 50)], positions(1), Limits(max_text_chars=10))
    assert parsed.dead[0].reason is DeadLetterReason.OVERSIZED_TEXT
    parsed = parse_tweets([tweet("11")], positions(1), Limits(max_record_bytes=20))
    assert parsed.dead[0].reason is DeadLetterReason.OVERSIZED_RECORD


def test_dedupe_keeps_the_latest_copy_per_id():
    values = [tweet("1", "first"), tweet("2", "other"), tweet("1", "edited")]
    parsed = parse_tweets(values, positions(3), LIMITS)
    kept = dedupe_latest(parsed.tweets)
    assert [(t.id, t.text, p.offset) for t, p in kept] == [("1", "edited", 2), ("2", "other", 1)]


def test_encoder_texts_clean_and_never_empty():
    parsed = parse_tweets(
        [
            tweet("1", "RT @bob: Great &amp; sunny https://t.co/x #Beach"),
            tweet("2", "https://t.co/abc"),
        ],
        positions(2),
        LIMITS,
    )
    cleaned = encoder_texts([t for t, _ in parsed.tweets])
    assert "http" not in cleaned[0] and "&amp;" not in cleaned[0] and "RT" not in cleaned[0]
    assert "Beach" in cleaned[0]
    assert cleaned[1]  # only a URL: falls back to the raw text rather than an empty input


def test_user_score_decays_by_half_life_and_is_order_independent():
    h = 100.0
    score, latest = fold_actions(0.0, None, [0.0, 100.0], ["reply", "post"], h)
    assert latest == 100.0
    assert score == pytest.approx(ACTION_WEIGHTS["reply"] / 2 + ACTION_WEIGHTS["post"])
    # the same actions folded one at a time, newest first, give the same state
    s1, l1 = fold_actions(0.0, None, [100.0], ["post"], h)
    s2, l2 = fold_actions(s1, l1, [0.0], ["reply"], h)
    assert (s2, l2) == pytest.approx((score, latest))
    assert score_at(score, latest, latest + h, h) == pytest.approx(score / 2)


def test_kafka_options_are_spark_options_with_replay_offsets_cut_to_the_subscription():
    s = Settings(kafka={"client_config": {"security.protocol": "SASL_SSL"}})
    options = kafka_options(s, ["tweets"], max_offsets_per_trigger=7)
    assert options == {
        "kafka.bootstrap.servers": s.kafka.bootstrap_servers,
        "subscribe": "tweets",
        "startingOffsets": "earliest",
        "maxOffsetsPerTrigger": "7",
        "failOnDataLoss": str(s.stream.fail_on_data_loss).lower(),
        "kafka.isolation.level": "read_committed",
        "kafka.security.protocol": "SASL_SSL",
    }
    replay = json.dumps({"tweets": {"0": 5, "1": -2}, "engagements": {"0": 3}})
    assert json.loads(kafka_options(s, ["tweets"], starting_offsets=replay)["startingOffsets"]) == {
        "tweets": {"0": 5, "1": -2}
    }
    both = kafka_options(s, ["tweets", "engagements"], starting_offsets=replay)
    assert (both["subscribe"], json.loads(both["startingOffsets"])) == (
        "tweets,engagements",
        json.loads(replay),
    )


def test_end_offsets_merge_every_source_of_a_progress():
    progress = {
        "sources": [
            {"endOffset": '{"tweets": {"0": 4, "1": 9}}'},
            {"endOffset": '{"engagements": {"0": 2}}'},
            {"endOffset": "null"},
        ]
    }
    assert end_offsets(progress) == {"tweets": {"0": 4, "1": 9}, "engagements": {"0": 2}}
    assert end_offsets(None) == {}


def test_length_chunks_cover_every_text_once_grouped_by_length() -> None:
    texts = ["ccc", "a", "bbbbb", "dd", "e", "ffff"]
    chunks = length_chunks(texts, 4)
    assert [len(c) for c in chunks] == [4, 2]
    assert sorted(i for c in chunks for i in c) == list(range(len(texts)))
    assert [len(texts[i]) for c in chunks for i in c] == [1, 1, 2, 3, 4, 5]
    assert length_chunks([], 4) == []
