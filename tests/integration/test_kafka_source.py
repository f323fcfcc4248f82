"""Spark's own Kafka source with the options the job relies on, against the real broker:
read_committed, maxOffsetsPerTrigger, and lag published to the query's consumer group."""

from __future__ import annotations

import logging
import time
import uuid

import pytest
from confluent_kafka import Producer

from tests.support.sandbox import derive_settings
from trendstream.core.settings import Settings
from trendstream.kafka.admin import client_config, committed_offsets, consumer_lag, ensure_topics
from trendstream.platform.process import free_port
from trendstream.stream.job import spark_session
from trendstream.stream.source import OffsetPublisher, read_kafka, register_publisher

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]
PARTITIONS = 4


@pytest.fixture(scope="module")
def spark(platform: Settings):
    session = spark_session(platform, app_name="test-kafka-source")
    yield session
    session.stop()


def produce(settings: Settings, values: list[str], partition: int | None = None, **config) -> None:
    producer = Producer(client_config(settings, **{"linger.ms": 5, **config}))
    for i, value in enumerate(values):
        producer.produce(
            settings.kafka.tweets_topic,
            value=value.encode(),
            key=str(i).encode(),
            partition=i % PARTITIONS if partition is None else partition,
        )
    assert producer.flush(30) == 0


def run_available_now(
    spark, settings: Settings, tmp_path, name: str, **read
) -> tuple[list, list[int]]:
    """An available-now query of the tweets topic into a memory table: (rows, rows per batch)."""
    df = read_kafka(spark, settings, [settings.kafka.tweets_topic], **read)
    query = (
        df.writeStream.format("memory")
        .queryName(name)
        .option("checkpointLocation", str(tmp_path / name))
        .trigger(availableNow=True)
        .start()
    )
    assert query.awaitTermination(300), "the available-now query did not stop by itself"
    assert query.exception() is None, query.exception()
    rows = spark.sql(f"select partition, offset, value from {name}").collect()
    return rows, [p["numInputRows"] for p in query.recentProgress]


def test_read_committed_skips_an_aborted_transaction(spark, settings, tmp_path):
    """failOnDataLoss stays on: the offsets an aborted transaction leaves out are no loss."""
    ensure_topics(settings)
    produce(settings, [f"before-{i}" for i in range(5)], partition=0)
    txn = Producer(client_config(settings, **{"transactional.id": f"t-{uuid.uuid4().hex[:8]}"}))
    txn.init_transactions(30)
    txn.begin_transaction()
    for i in range(5):
        txn.produce(settings.kafka.tweets_topic, value=f"aborted-{i}".encode(), partition=0)
    assert txn.flush(30) == 0
    txn.abort_transaction(30)
    produce(settings, [f"after-{i}" for i in range(5)], partition=0)

    strict = derive_settings(settings, stream={"fail_on_data_loss": True})
    rows, _ = run_available_now(spark, strict, tmp_path, "read_committed")
    values = sorted(r.value.decode() for r in rows)
    assert values == sorted([f"before-{i}" for i in range(5)] + [f"after-{i}" for i in range(5)])
    assert max(r.offset for r in rows) > 10  # the aborted records and the marker took offsets


def test_max_offsets_per_trigger_bounds_batches_and_the_group_catches_up(spark, settings, tmp_path):
    ensure_topics(settings)
    produce(settings, [f"v{i}" for i in range(100)])
    name = f"bounded_{uuid.uuid4().hex[:6]}"
    group = f"g-{uuid.uuid4().hex[:6]}"
    register_publisher(spark, settings, {name: group})
    rows, batches = run_available_now(spark, settings, tmp_path, name, max_offsets_per_trigger=30)
    assert len(rows) == 100 and len({(r.partition, r.offset) for r in rows}) == 100
    assert max(batches) <= 30 and sum(batches) == 100 and len([b for b in batches if b]) >= 4

    # The listener alone (no final commit by the caller) brings the group's lag to 0.
    deadline = time.monotonic() + 60
    while sum(p.lag for p in consumer_lag(settings, group, settings.kafka.tweets_topic)) > 0:
        assert time.monotonic() < deadline, consumer_lag(
            settings, group, settings.kafka.tweets_topic
        )
        time.sleep(0.5)


def test_the_publisher_never_moves_a_group_back_and_outlives_the_broker(settings, caplog):
    ensure_topics(settings)
    produce(settings, [f"v{i}" for i in range(8)])
    topic, group = settings.kafka.tweets_topic, f"g-{uuid.uuid4().hex[:6]}"
    publisher = OffsetPublisher(settings, {"q": group})
    publisher.publish("q", {topic: {"0": 2, "1": 2}})
    publisher.publish("q", {topic: {"0": 1, "1": 2, "2": 2}})  # a late, older progress event
    assert committed_offsets(settings, group, topic) == {0: 2, 1: 2, 2: 2, 3: None}

    gone = derive_settings(settings, kafka={"bootstrap_servers": f"127.0.0.1:{free_port()}"})
    with caplog.at_level(logging.WARNING, logger="trendstream.stream.source"):
        OffsetPublisher(gone, {"q": group}).publish("q", {topic: {"0": 3}})
    assert f"could not publish offsets of query q to group {group}" in caplog.text
