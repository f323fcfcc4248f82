"""Scenario 3: the broker restarts under a running stream job.

* **Durable** (``broker.storage = "s3"``, Tansu on the local s3rver): topics, records and the
  group's committed offsets survive; the job rides out the outage and nothing is lost.
* **Memory**: a restart empties the broker, so the offsets in the job's checkpoint are now
  ahead of the (recreated, empty) topic. The Spark source must say so in the job log ("data
  loss", topic, partition, both offsets — ``failOnDataLoss`` semantics; with the default
  ``false`` it then carries on from the topic's new end) instead of silently forgetting
  the checkpoint's offsets or silently skipping everything produced after the reset.
"""

from __future__ import annotations

import logging
import time

import pytest

from reliability_harness import (
    committed_total,
    job_log,
    milvus_rows,
    produce_tweets,
    tweet_id,
    wait_for,
)
from trendstream.kafka.admin import ensure_topics, topic_offsets
from trendstream.kafka.spark_source import DataLossError, KafkaStreamReader, SourceOptions, cap_offsets
from trendstream.orchestration import local_job
from trendstream.platform import services
from trendstream.platform.sandbox import derive_settings
from trendstream.sources.generator import GeneratorConfig, generate_stream

STREAM = {"analytics": False, "trigger_seconds": 1.0, "max_offsets_per_trigger": 25,
          "restart_backoff_max_s": 4.0}


def _restart_broker(settings) -> float:
    """Stop and start the broker service (with its S3 store in durable mode); seconds down."""
    down_at = time.monotonic()
    services.down(settings, services=("broker",))
    services.up(settings, services=("broker",))
    return time.monotonic() - down_at


@pytest.mark.integration
def test_durable_broker_restart_loses_nothing(private_platform, counts):
    own = private_platform(storage="s3")
    services.up(own, services=("broker", "milvus"))
    job = derive_settings(own, stream=STREAM)
    lines = generate_stream(GeneratorConfig(seed=31, minutes=1.0, rate=1.5, users=50, trends=2,
                                            decoys=0)).tweets
    first, second = lines[: len(lines) // 2], lines[len(lines) // 2:]
    try:
        pid = local_job.launch_local_job(job)
        produced = produce_tweets(job, first)
        wait_for("the first half in Milvus", lambda: len(set(milvus_rows(job)[1])) >= len(first), 300, 2)
        offsets_before = topic_offsets(job, job.kafka.tweets_topic)
        committed_before = committed_total(job)
        down_s = _restart_broker(job)
        offsets_after = topic_offsets(job, job.kafka.tweets_topic)
        committed_after_restart = committed_total(job)
        produced |= produce_tweets(job, second)
        wait_for("the second half in Milvus", lambda: len(set(milvus_rows(job)[1])) >= len(produced), 300, 2)
        total, ids = milvus_rows(job)
        assert local_job.running_job(job)[0] == pid, "the job died with the broker:\n" + job_log(job)
    finally:
        local_job.stop_local_job(job)
    lost = produced - set(ids)
    counts(mode="s3", produced=len(produced), in_milvus=total, in_dlq=0, lost=len(lost),
           duplicated=total - len(set(ids)), broker_down_s=round(down_s, 1),
           records_before=sum(h for _, h in offsets_before.values()),
           records_after=sum(h for _, h in offsets_after.values()),
           committed_before=committed_before, committed_after_restart=committed_after_restart)
    assert offsets_after == offsets_before
    assert "< processed" not in job_log(job, chars=10**7)  # durable: no offset ever went back
    assert committed_after_restart >= committed_before
    assert not lost and total == len(set(ids)) == len(produced)


@pytest.mark.integration
def test_memory_broker_reset_is_reported_as_data_loss(private_platform, counts):
    own = private_platform(storage="memory")
    services.up(own, services=("broker", "milvus"))
    job = derive_settings(own, stream=STREAM)
    assert job.stream.fail_on_data_loss is False  # the default: report, then carry on
    lines = generate_stream(GeneratorConfig(seed=32, minutes=1.0, rate=1.5, users=50, trends=2,
                                            decoys=0)).tweets
    first, after_reset = lines[: len(lines) // 2], lines[len(lines) // 2:]
    topic = job.kafka.tweets_topic

    def reported() -> list[str]:
        return [line for line in job_log(job, chars=400_000).splitlines()
                if "data loss" in line.lower() and topic in line]

    try:
        pid = local_job.launch_local_job(job)
        produced = produce_tweets(job, first)
        wait_for("the first half in Milvus", lambda: len(set(milvus_rows(job)[1])) >= len(first), 300, 2)
        committed_before = committed_total(job)
        _restart_broker(job)
        ensure_topics(job)  # an empty topic again: every partition's offset went back to 0
        report = wait_for("the job to report the reset", reported, 120, 2)
        produced |= produce_tweets(job, after_reset)
        wait_for("the records produced after the reset in Milvus",
                 lambda: len(set(milvus_rows(job)[1])) >= len(produced), 300, 2)
        total, ids = milvus_rows(job)
        alive = local_job.running_job(job)[0] == pid
    finally:
        local_job.stop_local_job(job)
    lost_after_reset = _ids(after_reset) - set(ids)
    counts(mode="memory", produced=len(produced), in_milvus=total, in_dlq=0,
           lost=len(produced - set(ids)), duplicated=total - len(set(ids)),
           committed_before_reset=committed_before, produced_after_reset=len(after_reset),
           lost_after_reset=len(lost_after_reset), report=report[0][-300:])
    assert alive, job_log(job)
    assert any("processed" in line for line in report), report
    assert not lost_after_reset, "records produced after the reset were skipped"
    assert total == len(set(ids)) == len(produced)


def _ids(lines) -> set[str]:
    return {tweet_id(line) for line in lines}


def _reader(fail_on_data_loss: bool) -> KafkaStreamReader:
    return KafkaStreamReader(SourceOptions.parse({
        "kafka.bootstrap.servers": "127.0.0.1:9", "subscribe": "t",
        "failOnDataLoss": str(fail_on_data_loss).lower()}))


def test_source_plans_past_a_reset_only_after_saying_so(caplog):
    """What the memory-mode scenario relies on, planner-level: a partition whose end went
    below the checkpoint is reported and continued from its new end (never left behind the
    checkpoint, which would skip every record produced after the reset); a partition the
    broker no longer lists is reported and dropped, so a recreated one is read from 0."""
    start = {"t": {"0": 10, "1": 7, "2": 4}}
    with caplog.at_level(logging.WARNING, logger="trendstream.kafka.spark_source"):
        planned = _reader(False)._check_loss(start, {"t": {"0": 3, "2": 9}})
    assert planned == {"t": {"0": 3, "2": 9}}
    assert "t[0] high watermark 3 < processed 10" in caplog.text
    assert "t[1] is gone from the broker" in caplog.text
    with pytest.raises(DataLossError, match="high watermark 3 < processed 10"):
        _reader(True)._check_loss(start, {"t": {"0": 3, "1": 7, "2": 9}})
    # under maxOffsetsPerTrigger, the moved-back partition still ends at its new end
    assert cap_offsets(start, {"t": {"0": 3, "1": 7, "2": 104}}, 50) == {"t": {"0": 3, "1": 7, "2": 54}}
