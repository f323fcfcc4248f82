"""Replay planning against the real broker: a time maps to the first offsets at or after it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from trendstream.core.settings import Settings
from trendstream.kafka.admin import ensure_topics
from trendstream.kafka.producer import IdempotentProducer
from trendstream.orchestration.replay import kafka_offsets_at, replay_plan_for

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
    before = lookup(settings.kafka.tweets_topic, int((middle - timedelta(hours=1)).timestamp() * 1000))
    after = lookup(settings.kafka.tweets_topic, int((middle + timedelta(hours=1)).timestamp() * 1000))
    assert sum(before.values()) == 0
    assert sum(at_middle.values()) == 60  # the 40 later records are what a replay re-reads
    assert sum(after.values()) == 100  # nothing after: start at the end

    plan = replay_plan_for(settings, {"from_time": middle.isoformat()})
    offsets = json.loads(plan.env["TRENDSTREAM_STREAM__STARTING_OFFSETS"])
    assert {int(p): o for p, o in offsets[settings.kafka.tweets_topic].items()} == at_middle
    assert set(offsets) == {settings.kafka.tweets_topic, settings.kafka.engagements_topic}
