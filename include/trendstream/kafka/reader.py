"""Read a whole topic as it stands: for ingest's progress records, checks and tests.

Ends at the broker's end-of-partition signal, since offsets miscount transactional topics.
Design: docs/kafka.md#reading-a-whole-topic
"""

from __future__ import annotations

import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition

from trendstream.core.settings import Settings
from trendstream.kafka.admin import client_config, require_topic, topic_offsets


def read_all(
    settings: Settings, topic: str, *, read_committed: bool = True, timeout: float = 60.0
) -> list[Message]:
    """Every record of ``topic`` from the start of each partition to its current end;
    ``read_committed=False`` also returns records of aborted and open transactions."""
    if read_committed and all(
        low == end for low, end in topic_offsets(settings, topic, timeout=timeout).values()
    ):
        return []  # nothing readable: skip the consumer's start-up and end-of-partition wait
    partitions = require_topic(settings, topic, timeout=timeout)
    consumer = Consumer(
        client_config(
            settings,
            **{
                "group.id": f"trendstream-reader-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "isolation.level": "read_committed" if read_committed else "read_uncommitted",
                "enable.partition.eof": True,
                "fetch.wait.max.ms": 50,
                "receive.message.max.bytes": 64 << 20,
            },
        )
    )
    out: list[Message] = []
    at_end: set[int] = set()
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        deadline = time.monotonic() + timeout
        while len(at_end) < partitions:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"reading {topic}: partitions {sorted(at_end)} of "
                    f"{partitions} reached their end in {timeout:.0f}s"
                )
            for message in consumer.consume(1000, 0.2):
                error = message.error()
                if error is None:
                    out.append(message)
                elif error.code() == KafkaError._PARTITION_EOF:
                    at_end.add(message.partition())
                else:
                    raise RuntimeError(f"reading {topic}: {error}")
        return out
    finally:
        consumer.close()
