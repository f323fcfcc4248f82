"""Replay planning against the real broker: a time maps to the first offsets at or after it,
and the planned offsets are where Spark's Kafka source starts."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from trendstream.core.settings import Settings
from trendstream.kafka.admin import commit_group_offsets, ensure_topics, high_watermarks
from trendstream.kafka.producer import IdempotentProducer
from trendstream.orchestration.replay import kafka_offsets_at, replay_plan_for
from trendstream.stream.job import query_group, spark_session
from trendstream.stream.source import read_kafka

pytestmark = pytest.mark.integration


def produce(settings: Settings, start: int, n: int) -> None:
    with IdempotentProducer(settings) as producer:
        for i in range(start, start + n):
            producer.produce(settings.kafka.tweets_topic, json.dumps({"n": i}).encode(), str(i))


def test_from_time_replays_exactly_the_records_after_that_time(settings: Settings) -> None:
    ensure_topics(settings)
    produce(settings, 0, 60)
    time.sleep(1.2)
    middle = datetime.now(UTC)
    time.sleep(0.2)
    produce(settings, 60, 40)

    lookup = kafka_offsets_at(settings)
    at_middle = lookup(settings.kafka.tweets_topic, int(middle.timestamp() * 1000))
    before = lookup(
        settings.kafka.tweets_topic, int((middle - timedelta(hours=1)).timestamp() * 1000)
    )
    after = lookup(
        settings.kafka.tweets_topic, int((middle + timedelta(hours=1)).timestamp() * 1000)
    )
    assert sum(before.values()) == 0
    assert sum(at_middle.values()) == 60  # the 40 later records are what a replay re-reads
    assert sum(after.values()) == 100  # nothing after: start at the end

    plan = replay_plan_for(settings, {"from_time": middle.isoformat()})
    offsets = json.loads(plan.env["TRENDSTREAM_STREAM__STARTING_OFFSETS"])
    assert {int(p): o for p, o in offsets[settings.kafka.tweets_topic].items()} == at_middle
    assert set(offsets) == {settings.kafka.tweets_topic, settings.kafka.engagements_topic}


def test_the_planned_offsets_are_where_the_native_source_starts(settings, tmp_path, monkeypatch):
    """from_offsets for one partition, the reading group's position elsewhere; the plan travels
    as settings and the tweets-only query gets just the tweets topic's offsets."""
    ensure_topics(settings)
    produce(settings, 0, 40)
    tweets, engagements = settings.kafka.tweets_topic, settings.kafka.engagements_topic
    highs = high_watermarks(settings, tweets)
    commit_group_offsets(
        settings,
        settings.kafka.consumer_group,
        {tweets: {str(p): min(3, high) for p, high in highs.items()}},
    )
    commit_group_offsets(settings, query_group(settings, "engagement"), {engagements: {"0": 0}})

    plan = replay_plan_for(settings, {"from_offsets": {"0": 1}})
    planned = json.loads(plan.env["TRENDSTREAM_STREAM__STARTING_OFFSETS"])
    assert planned[engagements]["0"] == 0  # the engagement query's group, not the embed one's
    for name, value in plan.env.items():
        monkeypatch.setenv(name, value)
    replay = Settings()
    assert replay.stream.checkpoint_name == plan.replay["checkpoint"]

    spark = spark_session(replay, app_name="test-replay")
    try:
        query = (
            read_kafka(spark, replay, [tweets])
            .writeStream.format("memory")
            .queryName("replayed")
            .option("checkpointLocation", str(tmp_path / "replayed"))
            .trigger(availableNow=True)
            .start()
        )
        assert query.awaitTermination(300) and query.exception() is None
        got = sorted((r.partition, r.offset) for r in spark.sql("select * from replayed").collect())
    finally:
        spark.stop()
    start = {p: 1 if p == 0 else min(3, high) for p, high in highs.items()}
    assert got == sorted((p, o) for p, high in highs.items() for o in range(start[p], high))
