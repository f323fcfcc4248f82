"""The one way our code writes to Kafka: an idempotent, acks=all, batching producer.

Retries never duplicate, acknowledged records survive, a dead broker is an error, not a hang.
Design: docs/kafka.md#producer
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from trendstream.core.settings import Settings
from trendstream.kafka.admin import (
    KafkaUnavailableError,
    broker_hint,
    client_config,
    describe_error,
)

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
    With ``transactional_id``, the producer fences earlier producers of that id and has a
    transaction open from construction on; :meth:`commit` ends it and opens the next.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transactional_id: str | None = None,
        init_timeout: float = 30.0,
        **overrides: Any,
    ) -> None:
        self.settings = settings
        self.stats = DeliveryStats()
        config = client_config(settings, **PRODUCER_DEFAULTS)
        config.update(settings.kafka.client_config)  # user settings beat our defaults
        config.update(overrides)
        # Reports for failures only: a Python callback per delivered record cost more than the
        # produce itself; success is known from a clean flush or commit (see _all_delivered).
        config["on_delivery"] = self._on_delivery
        config["delivery.report.only.error"] = True
        if transactional_id is not None:
            config["transactional.id"] = transactional_id
        self.transactional_id = transactional_id
        self._producer: Producer | None = Producer(config)
        self.produced = 0
        self.transactions = 0  # committed, with records in them
        self._in_transaction = False
        self._transaction_start = 0  # self.produced when the open transaction began
        if transactional_id is not None:
            self._start_transactions(init_timeout)

    def _start_transactions(self, timeout: float) -> None:
        """Fence any earlier producer of our id (aborting its open transaction), then begin."""
        producer = self._open()
        try:
            producer.init_transactions(timeout)
            producer.begin_transaction()
            self._in_transaction = True
        except KafkaException as exc:
            self.discard()
            raise self._transaction_error("starting transactions", exc) from None
        log.info(
            "transactional producer %s ready (earlier producers of this id fenced)",
            self.transactional_id,
        )

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self.stats.failed += 1
            self.stats.last_error = f"{msg.topic()}: {describe_error(err)}"
            log.error("delivery to %s failed: %s", msg.topic(), err.str())

    def _all_delivered(self) -> None:
        """After a flush or commit that left nothing queued: every record not reported
        failed was acknowledged."""
        self.stats.delivered = self.produced - self.stats.failed

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

    def produce_batch(self, topic: str, messages: list[dict[str, Any]]) -> None:
        """Queue many records of one topic in one call (``{"value": …, "key": …}`` each, no
        headers): a third cheaper a record than :meth:`produce`. Records the full local queue
        refused are retried in order once deliveries made room."""
        producer = self._open()
        while True:
            queued = producer.produce_batch(topic, messages)
            self.produced += queued
            if queued == len(messages):
                break
            refused = [m for m in messages if "_error" in m]
            for message in refused:
                error = message.pop("_error")
                if error.code() != KafkaError._QUEUE_FULL:
                    raise KafkaException(error)
            messages = refused
            producer.poll(0.05)
        producer.poll(0)

    def poll(self, timeout: float = 0.0) -> int:
        return self._open().poll(timeout)

    def _open(self) -> Producer:
        if self._producer is None:
            raise RuntimeError("this producer is closed")
        return self._producer

    def commit(self, timeout: float = 60.0, *, begin_next: bool = True) -> None:
        """Commit the open transaction (waiting for every record in it), then begin the next.
        A failed commit is aborted and raised: none of its records become visible."""
        producer = self._open()
        try:
            producer.commit_transaction(timeout)
        except KafkaException as exc:
            if exc.args[0].txn_requires_abort():
                self._abort(timeout)
            elif exc.args[0].fatal():
                self._in_transaction = False  # fenced: the newer producer aborted it
            raise self._transaction_error("committing a transaction", exc) from None
        self._in_transaction = False
        if self.produced > self._transaction_start:  # an empty one is no transaction
            self.transactions += 1
        self._all_delivered()
        if begin_next:
            producer.begin_transaction()
            self._in_transaction = True
            self._transaction_start = self.produced

    def _abort(self, timeout: float) -> None:
        """Abort the open transaction; a broker that cannot be told is left to fence it later."""
        if not self._in_transaction:
            return
        self._in_transaction = False
        try:
            self._open().abort_transaction(timeout)
        except KafkaException as exc:
            log.warning(
                "could not abort transaction of %s (%s); the next producer with this id aborts it",
                self.transactional_id,
                exc.args[0],
            )

    def _transaction_error(self, doing: str, exc: KafkaException) -> Exception:
        """A fatal error (we were fenced) as it is; anything else as an unreachable broker."""
        error = exc.args[0]
        what = f"{doing} as {self.transactional_id!r} failed: {describe_error(error)}"
        if error.fatal():
            return RuntimeError(f"{what} (a newer producer with this transactional id took over)")
        return KafkaUnavailableError(f"{what}; {broker_hint(self.settings)}")

    def flush(self, timeout: float = 30.0) -> DeliveryStats:
        """Wait for every queued record; raise if some stay undelivered or failed."""
        remaining = self._open().flush(timeout)
        if remaining:
            raise KafkaUnavailableError(
                f"{remaining} records still undelivered after {timeout:.0f}s "
                f"(last error: {self.stats.last_error or 'none reported'}); "
                f"{broker_hint(self.settings)}"
            )
        if self.stats.failed:
            raise KafkaUnavailableError(
                f"{self.stats.failed} records failed delivery (last error: "
                f"{self.stats.last_error}); {broker_hint(self.settings)}"
            )
        self._all_delivered()
        return self.stats

    def discard(self) -> None:
        """Drop everything still queued and release the client (after an error, or at close).
        Explicitly: the delivery callback's reference cycle would keep a lost client reconnecting
        to a dead broker for the rest of the process."""
        if self._producer is None:
            return
        self._producer.purge()
        self._producer.poll(0)
        self._abort(5.0)
        self._producer = None

    def close(self, timeout: float = 30.0) -> None:
        """Flush (commit, for a transactional producer), then drop whatever could not be sent."""
        try:
            if self._in_transaction:
                self.commit(timeout, begin_next=False)
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
