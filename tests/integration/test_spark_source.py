"""The Kafka Python data source inside a real local Spark, against the real broker."""

from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka import Producer

from trendstream.core.settings import Settings
from trendstream.kafka.admin import client_config, committed_offsets, ensure_topics, topic_offsets
from trendstream.kafka.spark_source import FORMAT_NAME, read_stream, register
from trendstream.stream.job import spark_session

pytestmark = pytest.mark.integration
PARTITIONS = 4


@pytest.fixture(scope="module")
def spark(platform: Settings):
    session = spark_session(platform, app_name="test-spark-source")
    register(session)
    yield session
    session.stop()


def fill(settings: Settings, per_partition: int) -> dict[int, int]:
    """``per_partition`` records into every partition of the tweets topic; returns the highs."""
    ensure_topics(settings)
    producer = Producer(client_config(settings, **{"linger.ms": 5}))
    for i in range(per_partition * PARTITIONS):
        producer.produce(settings.kafka.tweets_topic, value=f"v{i}".encode(), key=str(i).encode(),
                         partition=i % PARTITIONS)
    assert producer.flush(30) == 0
    return {p: high for p, (_, high) in topic_offsets(settings, settings.kafka.tweets_topic).items()}


def run_available_now(spark, settings: Settings, tmp_path, **options) -> tuple[list, list]:
    """Run an available-now query into a memory table; return (rows, batch input counts)."""
    table = f"t_{uuid.uuid4().hex[:8]}"
    reader = spark.readStream.format(FORMAT_NAME).option(
        "kafka.bootstrap.servers", settings.kafka.bootstrap_servers).option(
        "subscribe", settings.kafka.tweets_topic)
    for key, value in options.items():
        reader = reader.option(key, value)
    query = (reader.load().writeStream.format("memory").queryName(table)
             .option("checkpointLocation", str(tmp_path / table)).trigger(availableNow=True).start())
    assert query.awaitTermination(300), "available-now query did not stop by itself"
    if not spark.catalog.tableExists(table):  # no batch ran: nothing to read
        return [], []
    rows = spark.sql(f"select partition, offset, value, topic, timestamp from {table}").collect()
    return rows, [p["numInputRows"] for p in query.recentProgress]


def test_reads_every_offset_once_within_the_trigger_limit_and_commits(spark, settings, tmp_path):
    highs = fill(settings, 25)
    group = f"g-{uuid.uuid4().hex[:6]}"
    rows, batches = run_available_now(spark, settings, tmp_path, startingOffsets="earliest",
                                      maxOffsetsPerTrigger="30", **{"kafka.group.id": group})
    seen = sorted((r.partition, r.offset) for r in rows)
    assert seen == sorted((p, o) for p in highs for o in range(highs[p]))
    assert all(r.topic == settings.kafka.tweets_topic and r.timestamp is not None for r in rows)
    assert max(batches) <= 30 and sum(batches) == 100 and len([b for b in batches if b]) >= 4
    # Spark commits a batch's offsets when it plans the next one: all but the last are visible.
    committed = committed_offsets(settings, group, settings.kafka.tweets_topic)
    assert all(committed[p] is not None and 0 < committed[p] <= highs[p] for p in highs)
    assert sum(committed.values()) >= 100 - 30


def test_starting_offsets_latest_and_per_partition_json(spark, settings, tmp_path):
    highs = fill(settings, 5)
    latest_rows, _ = run_available_now(spark, settings, tmp_path, startingOffsets="latest")
    assert latest_rows == []
    spec = json.dumps({settings.kafka.tweets_topic: {"0": 3, "1": -2, "2": -1}})  # 3: earliest
    rows, _ = run_available_now(spark, settings, tmp_path, startingOffsets=spec)
    got = sorted((r.partition, r.offset) for r in rows)
    expected = [(0, o) for o in range(3, highs[0])] + [(1, o) for o in range(highs[1])] + [
        (3, o) for o in range(highs[3])]
    assert got == sorted(expected)


def test_offsets_beyond_the_high_watermark_fail_or_are_skipped(spark, settings, tmp_path):
    fill(settings, 2)
    spec = json.dumps({settings.kafka.tweets_topic: {str(p): 50 for p in range(PARTITIONS)}})
    with pytest.raises(Exception, match="high watermark"):
        run_available_now(spark, settings, tmp_path, startingOffsets=spec, failOnDataLoss="true")
    rows, _ = run_available_now(spark, settings, tmp_path, startingOffsets=spec, failOnDataLoss="false")
    assert rows == []


def test_read_stream_uses_settings_and_our_format(spark, settings, tmp_path):
    fill(settings, 3)
    df = read_stream(spark, settings, group=settings.kafka.consumer_group)
    assert df.isStreaming
    assert df.columns == ["key", "value", "topic", "partition", "offset", "timestamp"]
    with pytest.raises(ValueError, match="kafka_format"):
        read_stream(spark, settings.model_copy(update={"stream": settings.stream.model_copy(
            update={"kafka_format": "nope"})}))
