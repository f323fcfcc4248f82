"""The one way our code writes to Kafka: an idempotent, acks=all, batching producer.

Idempotence + acks=all means a retried send never duplicates and an acknowledged one
survives; delivery reports are counted so callers can prove "N produced, N delivered".
A dead broker surfaces as :class:`KafkaUnavailableError` from :meth:`flush`, not as a hang.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from trendstream.core.settings import Settings
from trendstream.kafka.admin import KafkaUnavailableError, client_config

log = logging.getLogger(__name__)

# Throughput tuning: big batches, a short linger, cheap compression. The broker shares
# the machine, so fewer, larger requests matter more than latency here.
PRODUCER_DEFAULTS: dict[str, Any] = {
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 20,
    "batch.num.messages": 10000,
    "batch.size": 1024 * 1024,
    "queue.buffering.max.messages": 500000,
    "queue.buffering.max.kbytes": 512 * 1024,
    "compression.type": "lz4",
    "partitioner": "murmur2_random",  # the Java client's partitioner: same key, same partition
    "message.timeout.ms": 60000,
}


@dataclass
class DeliveryStats:
    delivered: int = 0
    failed: int = 0
    last_error: str = ""


class IdempotentProducer:
    """confluent-kafka ``Producer`` with our defaults, delivery counting and a checked flush.

    ``overrides`` are librdkafka settings applied last (after ``settings.kafka.client_config``).
    """

    def __init__(self, settings: Settings, **overrides: Any) -> None:
        self.settings = settings
        self.stats = DeliveryStats()
        config = client_config(settings, **PRODUCER_DEFAULTS)
        config.update(settings.kafka.client_config)  # user settings beat our defaults
        config.update(overrides)
        config["on_delivery"] = self._on_delivery
        self._producer: Producer | None = Producer(config)
        self.produced = 0

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is None:
            self.stats.delivered += 1
        else:
            self.stats.failed += 1
            self.stats.last_error = f"{msg.topic()}: {err.str()}"
            log.error("delivery to %s failed: %s", msg.topic(), err.str())

    def produce(
        self,
        topic: str,
        value: bytes,
        key: bytes | str | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> None:
        """Queue one record; when the local queue is full, wait for deliveries and retry."""
        producer = self._open()
        while True:
            try:
                producer.produce(topic, value, key, headers=headers)
                break
            except BufferError:
                producer.poll(0.05)
        self.produced += 1
        if not self.produced & 0x3FF:  # serve delivery callbacks every 1024 records
            producer.poll(0)

    def poll(self, timeout: float = 0.0) -> int:
        return self._open().poll(timeout)

    def _open(self) -> Producer:
        if self._producer is None:
            raise RuntimeError("this producer is closed")
        return self._producer

    def flush(self, timeout: float = 30.0) -> DeliveryStats:
        """Wait for every queued record; raise if some stay undelivered or failed."""
        remaining = self._open().flush(timeout)
        if remaining:
            raise KafkaUnavailableError(
                f"{remaining} records still undelivered after {timeout:.0f}s; is the Kafka "
                f"broker at {self.settings.kafka.bootstrap_servers} up? "
                f"(last error: {self.stats.last_error or 'none reported'})"
            )
        if self.stats.failed:
            raise KafkaUnavailableError(
                f"{self.stats.failed} records failed delivery; is the Kafka broker at "
                f"{self.settings.kafka.bootstrap_servers} up? (last error: {self.stats.last_error})"
            )
        return self.stats

    def discard(self) -> None:
        """Drop everything still queued and release the client (after an error, or at close).
        Released explicitly because the delivery callback makes a reference cycle: a client
        left to the garbage collector — or kept by a traceback — would go on reconnecting to
        a dead broker and logging about it for the rest of the process."""
        if self._producer is None:
            return
        self._producer.purge()
        self._producer.poll(0)
        self._producer = None

    def close(self, timeout: float = 30.0) -> None:
        """Flush, then drop whatever could not be sent."""
        try:
            self.flush(timeout)
        finally:
            self.discard()

    def __enter__(self) -> IdempotentProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self.discard()
