"""Generated streams into Kafka, and the analytics they must yield: what the stream job's
integration tests (local mode and on the Spark cluster) produce and compare against."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from trendstream.core.schema import Engagement, Tweet, parse_event
from trendstream.core.settings import Settings
from trendstream.kafka.admin import ensure_topics
from trendstream.kafka.producer import IdempotentProducer
from trendstream.stream.analytics import load_latest

ENGAGEMENT_COLUMNS = (("like", "likes"), ("retweet", "retweets"), ("reply", "replies"))


def produce(
    settings: Settings,
    tweets: Sequence[bytes],
    engagements: Sequence[bytes] = (),
    bad: Sequence[bytes] = (),
    bad_engagements: Sequence[bytes] = (),
) -> None:
    ensure_topics(settings)
    with IdempotentProducer(settings) as producer:
        for line in tweets:
            producer.produce(settings.kafka.tweets_topic, line, json.loads(line)["data"]["id"])
        for raw in bad:
            producer.produce(settings.kafka.tweets_topic, raw, None)
        for line in engagements:
            producer.produce(
                settings.kafka.engagements_topic, line, json.loads(line)["tweet_id"] or None
            )
        for raw in bad_engagements:
            producer.produce(settings.kafka.engagements_topic, raw, None)


def tweet_ids(lines: Sequence[bytes]) -> list[str]:
    return [json.loads(line)["data"]["id"] for line in lines]


def expected_hashtag_windows(tweets: Sequence[bytes], window_s: int) -> Counter:
    """(window start, hashtag) → posts, counted straight from the generated tweets."""
    expected: Counter = Counter()
    for line in tweets:
        tweet = parse_event(line)
        assert isinstance(tweet, Tweet)
        start = int(tweet.created_at.timestamp()) // window_s * window_s
        for tag in tweet.hashtags:
            expected[(datetime.fromtimestamp(start, UTC), tag)] += 1
    return expected


def hashtag_windows(settings: Settings) -> Counter:
    """The same key → count, as the job's analytics copy holds it."""
    frame = load_latest(settings, "hashtags")
    return Counter(
        {
            (row.window_start.to_pydatetime(), row.hashtag): row["count"]
            for _, row in frame.iterrows()
        }
    )


def expected_engagement_seconds(engagements: Sequence[bytes]) -> Counter:
    """(second, tweet id or "*", kind) → engagements, counted from the generated events."""
    kinds = {kind for kind, _ in ENGAGEMENT_COLUMNS}
    expected: Counter = Counter()
    for line in engagements:
        event = parse_event(line)
        assert isinstance(event, Engagement)
        if event.tweet_id and event.type in kinds:
            second = datetime.fromtimestamp(int(event.created_at.timestamp()), UTC)
            for key in (event.tweet_id, "*"):
                expected[(second, key, event.type)] += 1
    return expected


def engagement_seconds(settings: Settings) -> Counter:
    """The same key → count, as the job's analytics copy holds it."""
    got: Counter = Counter()
    for _, row in load_latest(settings, "engagement").iterrows():
        for kind, column in ENGAGEMENT_COLUMNS:
            if row[column]:
                got[(row.window_start.to_pydatetime(), row.tweet_id, kind)] = row[column]
    return got
