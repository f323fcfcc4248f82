"""Scenario 3: the broker goes away and comes back (Apache Kafka, one KRaft node).

* ``platform down``/``up``: topics, records and a group's committed offsets are all there.
* ``kill -9`` of the broker JVM while a producer sends with acks=all, then a restart: every
  record the broker acknowledged is readable afterwards, none twice (idempotence).
* The same kill under a running stream job: the job rides out the outage, and every post
  reaches Milvus exactly once.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter

import pytest
from confluent_kafka import KafkaError, Message, Producer

from tests.support.reliability_harness import (
    caught_up_rows,
    committed_total,
    milvus_rows,
    produce_tweets,
    wait_for,
)
from tests.support.sandbox import derive_settings
from trendstream.core.settings import Settings
from trendstream.kafka.admin import (
    client_config,
    commit_group_offsets,
    committed_offsets,
    ensure_topics,
    list_topics,
    topic_offsets,
    topic_specs,
)
from trendstream.kafka.producer import PRODUCER_DEFAULTS
from trendstream.kafka.reader import read_all
from trendstream.orchestration import local_job
from trendstream.platform import services
from trendstream.platform.process import port_in_use
from trendstream.sources.generator import GeneratorConfig, generate_stream

pytestmark = pytest.mark.integration

STREAM = {
    "analytics": False,
    "trigger_seconds": 1.0,
    "max_offsets_per_trigger": 25,
    "restart_backoff_max_s": 4.0,
}


def _kill_broker(settings: Settings) -> float:
    """SIGKILL the broker JVM, wait until its port is free, start it again; seconds down."""
    (broker,) = services.status(settings, ["broker"])
    down_at = time.monotonic()
    os.kill(broker.pid, signal.SIGKILL)
    wait_for(
        "the killed broker's port to close", lambda: not port_in_use(settings.broker.port), 30, 0.05
    )
    services.up(settings, ["broker"])
    return time.monotonic() - down_at


def test_platform_down_up_keeps_topics_records_and_group_offsets(private_platform) -> None:
    own = private_platform()
    services.up(own, ["broker"])
    ensure_topics(own)
    topic, group = own.kafka.tweets_topic, own.kafka.consumer_group
    lines = generate_stream(GeneratorConfig(seed=33, minutes=0.5, rate=5)).tweets
    produced = produce_tweets(own, lines)
    offsets = topic_offsets(own, topic)
    commit_group_offsets(own, group, {topic: {"0": offsets[0][1], "1": offsets[1][1] // 2}})
    committed = committed_offsets(own, group, topic)

    assert "broker" in services.down(own, ["broker"])
    assert not port_in_use(own.broker.port)
    services.up(own, ["broker"])

    assert set(list_topics(own)) >= {spec.name for spec in topic_specs(own)}
    assert topic_offsets(own, topic) == offsets
    assert committed_offsets(own, group, topic) == committed
    keys = Counter(m.key().decode() for m in read_all(own, topic))
    assert set(keys) == produced and max(keys.values()) == 1


def test_broker_kill9_loses_no_acknowledged_record(private_platform, counts) -> None:
    own = private_platform()
    services.up(own, ["broker"])
    ensure_topics(own)
    topic, total = own.kafka.tweets_topic, 30_000
    acked: list[str] = []
    failed: list[str] = []

    def delivered(err: KafkaError | None, msg: Message) -> None:
        (failed if err else acked).append(msg.key().decode())

    producer = Producer(
        client_config(
            own, **{**PRODUCER_DEFAULTS, "on_delivery": delivered, "message.timeout.ms": 120_000}
        )
    )

    def send() -> None:
        """~3000 records/s for ~10 s, so the kill lands while records are in flight."""
        for i in range(total):
            producer.produce(topic, f"value-{i}".encode(), f"k{i}")
            if i % 300 == 299:
                producer.poll(0.1)
        producer.flush(180)

    sender = threading.Thread(target=send)
    sender.start()
    wait_for("a third of the records acknowledged", lambda: len(acked) >= total // 3, 60, 0.01)
    acked_before_kill = len(acked)
    down_s = _kill_broker(own)
    sender.join(240)
    assert not sender.is_alive(), "the producer did not finish after the restart"

    keys = Counter(m.key().decode() for m in read_all(own, topic))
    lost = set(acked) - set(keys)
    counts(
        produced=total,
        acknowledged=len(acked),
        failed=len(failed),
        in_topic=sum(keys.values()),
        lost=len(lost),
        duplicated=sum(n - 1 for n in keys.values()),
        acked_before_kill=acked_before_kill,
        broker_down_s=round(down_s, 1),
    )
    assert acked_before_kill < total, "every record was acknowledged before the kill"
    assert not lost, f"{len(lost)} acknowledged records lost, e.g. {sorted(lost)[:5]}"
    assert max(keys.values()) == 1, "a retried send was written twice"
    assert len(acked) + len(failed) == total


def test_stream_job_survives_broker_kill9(private_platform, counts) -> None:
    own = private_platform()
    services.up(own, ["broker", "milvus"])
    job = derive_settings(own, stream=STREAM)
    lines = generate_stream(
        GeneratorConfig(seed=31, minutes=1.0, rate=1.5, users=50, trends=2, decoys=0)
    ).tweets
    first, second = lines[: len(lines) // 2], lines[len(lines) // 2 :]
    try:
        pid = local_job.launch_local_job(job)
        produced = produce_tweets(job, first)
        wait_for(
            "the first half in Milvus", lambda: len(set(milvus_rows(job)[1])) >= len(first), 300, 2
        )
        offsets_before = topic_offsets(job, job.kafka.tweets_topic)
        committed_before = committed_total(job)
        down_s = _kill_broker(job)
        offsets_after = topic_offsets(job, job.kafka.tweets_topic)
        committed_after_restart = committed_total(job)
        produced |= produce_tweets(job, second)
        wait_for(
            "the second half in Milvus",
            lambda: len(set(milvus_rows(job)[1])) >= len(produced),
            300,
            2,
        )
        total, ids = caught_up_rows(job, pid)
    finally:
        local_job.stop_local_job(job)
    lost = produced - set(ids)
    counts(
        produced=len(produced),
        in_milvus=total,
        in_dlq=0,
        lost=len(lost),
        duplicated=total - len(set(ids)),
        broker_down_s=round(down_s, 1),
        committed_before=committed_before,
        committed_after_restart=committed_after_restart,
    )
    assert offsets_after == offsets_before, "acknowledged records went missing in the kill"
    assert committed_after_restart >= committed_before
    assert not lost and total == len(set(ids)) == len(produced)
