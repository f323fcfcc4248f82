"""Topic administration: explicit creation, offsets, committed positions and lag.

Two broker facts shape this module. First, the broker auto-creates any topic a client
merely asks about (and Tansu cannot switch that off), so every name is validated and
looked up in the full topic list *before* any per-topic call. Second, Tansu 0.6 answers
list-offsets "latest" with stale values; the high watermark carried by a fetch response
is right, so :func:`high_watermarks` reads it from a real fetch.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_INVALID, Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from trendstream.core.settings import Settings

log = logging.getLogger(__name__)

MAX_TOPIC_NAME = 249
_TOPIC_NAME_RE = re.compile(r"^[a-zA-Z0-9._-]+$")


class TopicNameError(ValueError):
    """A topic name Kafka would refuse (or that would collide with internal names)."""


class UnknownTopicError(LookupError):
    """The topic does not exist; raised instead of letting the broker auto-create it."""


class KafkaUnavailableError(RuntimeError):
    """The broker did not answer in time; the message says which address was tried."""


def validate_topic_name(name: Any) -> str:
    """Return ``name`` if Kafka accepts it as a topic name, else raise :class:`TopicNameError`."""
    if not isinstance(name, str) or not name:
        raise TopicNameError(f"topic name must be a non-empty string, got {name!r}")
    if name in (".", ".."):
        raise TopicNameError(f"topic name {name!r} is reserved")
    if len(name) > MAX_TOPIC_NAME:
        raise TopicNameError(f"topic name is {len(name)} chars, the limit is {MAX_TOPIC_NAME}")
    if not _TOPIC_NAME_RE.match(name):
        bad = sorted({c for c in name if not re.match(r"[a-zA-Z0-9._-]", c)})
        raise TopicNameError(
            f"topic name {name!r} has characters Kafka refuses: {''.join(bad)!r} "
            "(allowed: letters, digits, '.', '_', '-')"
        )
    return name


class _LibrdkafkaLog:
    """Routes librdkafka's own log lines to DEBUG: its connection-refused retries would
    otherwise flood stderr, and the failure reaches the caller as a clear exception anyway."""

    _log = logging.getLogger("trendstream.kafka.librdkafka")

    def log(self, level: int, msg: str, *args: Any, **kwargs: Any) -> None:
        self._log.debug(msg, *args)


def client_config(settings: Settings, **extra: Any) -> dict[str, Any]:
    """confluent-kafka config for these settings: bootstrap servers + ``kafka.client_config``
    + ``extra``, with librdkafka's log routed to Python logging."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka.bootstrap_servers,
        "logger": _LibrdkafkaLog(),
    }
    config.update(settings.kafka.client_config)
    config.update(extra)
    return config


def admin_client(settings: Settings) -> AdminClient:
    return AdminClient(client_config(settings))


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic the platform uses, with explicit partitions and retention."""
    k = settings.kafka

    def spec(name: str, retention_ms: int) -> TopicSpec:
        config = {
            "cleanup.policy": "delete",
            "retention.ms": str(retention_ms),
            "retention.bytes": str(k.retention_bytes),
        }
        return TopicSpec(validate_topic_name(name), k.partitions, config)

    names = [
        k.tweets_topic,
        k.engagements_topic,
        k.hashtag_counts_topic,
        k.engagement_rates_topic,
        k.user_scores_topic,
    ]
    specs = [spec(name, k.retention_ms) for name in names]
    specs.append(spec(k.dead_letter_topic, k.dead_letter_retention_ms))
    return specs


def list_topics(settings: Settings, *, timeout: float = 10.0) -> dict[str, int]:
    """Existing topics → partition count, from full metadata (which never auto-creates)."""
    try:
        metadata = admin_client(settings).list_topics(timeout=timeout)
    except KafkaException as exc:
        raise _unavailable(settings, exc) from None
    return {name: len(meta.partitions) for name, meta in metadata.topics.items() if not meta.error}


def require_topic(settings: Settings, topic: str, *, timeout: float = 10.0) -> int:
    """Partition count of an existing topic; never triggers auto-creation."""
    validate_topic_name(topic)
    topics = list_topics(settings, timeout=timeout)
    if topic not in topics:
        raise UnknownTopicError(
            f"topic {topic!r} does not exist on {settings.kafka.bootstrap_servers} "
            "(create it with `trendstream topics create`)"
        )
    return topics[topic]


def ensure_topics(
    settings: Settings, specs: list[TopicSpec] | None = None, *, timeout: float = 15.0
) -> dict[str, str]:
    """Create the missing topics; return name → "created" | "exists". Safe to repeat."""
    specs = topic_specs(settings) if specs is None else specs
    existing = list_topics(settings, timeout=timeout)
    wanted = [s for s in specs if s.name not in existing]
    outcome = {s.name: "exists" for s in specs if s.name in existing}
    if wanted:
        admin = admin_client(settings)  # must outlive the futures, or they fail with _DESTROY
        futures = admin.create_topics(
            [
                NewTopic(s.name, s.partitions, settings.kafka.replication_factor, config=s.config)
                for s in wanted
            ],
            operation_timeout=timeout,
            request_timeout=timeout,
        )
        for name, future in futures.items():
            try:
                future.result()
                outcome[name] = "created"
                log.info("created topic %s", name)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise _unavailable(settings, exc) from None
                outcome[name] = "exists"
    for spec in specs:
        have = existing.get(spec.name)
        if have is not None and have != spec.partitions:
            log.warning("topic %s has %d partitions, settings say %d", spec.name, have,
                        spec.partitions)
    return outcome


def offset_consumer(settings: Settings, group: str = "trendstream-offsets") -> Consumer:
    """A consumer for reading positions only: never commits, small fetches, sees EOF."""
    return Consumer(
        client_config(
            settings,
            **{
                "group.id": group,
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                "auto.offset.reset": "earliest",
                "max.partition.fetch.bytes": 64 * 1024,
                "fetch.wait.max.ms": 10,
                "socket.timeout.ms": 10000,
            },
        )
    )


def high_watermarks(
    consumer_or_settings: Consumer | Settings,
    topic: str,
    partitions: list[int] | None = None,
    *,
    timeout: float = 10.0,
) -> dict[int, int]:
    """The true high watermark of each partition, read from a fetch response.

    Tansu 0.6 answers list-offsets "latest" with stale values, so the answer comes from
    the high watermark a fetch response carries: the consumer is assigned to each
    partition at its reported "latest" (a lower bound), consumes one fetch, and reads
    ``get_watermark_offsets(cached=True)``. A :class:`Settings` gets a short-lived
    consumer; a passed consumer keeps its assignment afterwards restored to what it was
    (used by the Spark source, which already holds one). ``partitions`` defaults to all.
    """
    validate_topic_name(topic)
    own = isinstance(consumer_or_settings, Settings)
    if own:
        count = require_topic(consumer_or_settings, topic, timeout=timeout)
        consumer = offset_consumer(consumer_or_settings)
    else:
        consumer = consumer_or_settings
        count = None
    try:
        if partitions is None:
            if count is None:
                meta = consumer.list_topics(timeout=timeout)  # all topics: no auto-create
                if topic not in meta.topics:
                    raise UnknownTopicError(f"topic {topic!r} does not exist")
                count = len(meta.topics[topic].partitions)
            partitions = list(range(count))
        previous = [] if own else consumer.assignment()
        try:
            return _fetch_watermarks(consumer, topic, partitions, timeout)
        finally:
            if not own:
                consumer.assign(previous)
    finally:
        if own:
            consumer.close()


def _fetch_watermarks(
    consumer: Consumer, topic: str, partitions: list[int], timeout: float
) -> dict[int, int]:
    """Assign each partition one record before its reported end and read the fetch's
    high watermark. A partition counts as fresh once it delivered a record (or EOF): the
    cached watermark of a reused consumer may be left over from an older fetch."""
    start = {}
    for p in partitions:
        low, reported_high = consumer.get_watermark_offsets(TopicPartition(topic, p),
                                                            timeout=timeout)
        start[p] = max(low, reported_high - 1, 0)
    consumer.assign([TopicPartition(topic, p, offset) for p, offset in start.items()])
    # Partitions reported empty may deliver nothing (no EOF events on a caller's consumer).
    reported_empty = {p for p in partitions if start[p] == 0}
    deadline = time.monotonic() + timeout
    fresh: set[int] = set()
    result: dict[int, int] = {}
    rounds = 0
    while len(result) < len(partitions):
        if time.monotonic() > deadline:
            missing = sorted(set(partitions) - set(result))
            raise KafkaUnavailableError(f"no fetch response for {topic} partitions {missing} "
                                        f"in {timeout}s")
        for msg in consumer.consume(num_messages=1000, timeout=0.1):
            err = msg.error()
            if err is None or err.code() == KafkaError._PARTITION_EOF:
                fresh.add(msg.partition())
            else:
                log.debug("fetch %s[%s]: %s", topic, msg.partition(), err)
        rounds += 1
        for p in partitions:
            if p in result or not (p in fresh or (p in reported_empty and rounds >= 3)):
                continue
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), cached=True)
            if high >= 0 and high != OFFSET_INVALID:
                result[p] = high
    return result


def topic_offsets(
    settings: Settings, topic: str, *, timeout: float = 10.0
) -> dict[int, tuple[int, int]]:
    """partition → (low, high) watermarks, the high one read from a fetch response."""
    count = require_topic(settings, topic, timeout=timeout)
    consumer = offset_consumer(settings)
    try:
        highs = _fetch_watermarks(consumer, topic, list(range(count)), timeout)
        out = {}
        for p, high in highs.items():
            low, _ = consumer.get_watermark_offsets(TopicPartition(topic, p), cached=True)
            out[p] = (max(low, 0), high)
        return out
    finally:
        consumer.close()


def committed_offsets(
    settings: Settings, group: str, topic: str, *, timeout: float = 10.0
) -> dict[int, int | None]:
    """partition → the group's committed offset (``None`` where nothing is committed)."""
    count = require_topic(settings, topic, timeout=timeout)
    consumer = offset_consumer(settings, group=group)
    try:
        committed = consumer.committed(
            [TopicPartition(topic, p) for p in range(count)], timeout=timeout
        )
    except KafkaException as exc:
        raise _unavailable(settings, exc) from None
    finally:
        consumer.close()
    return {tp.partition: (tp.offset if tp.offset >= 0 else None) for tp in committed}


@dataclass(frozen=True)
class PartitionLag:
    partition: int
    low: int
    high: int
    committed: int | None

    @property
    def lag(self) -> int:
        """Records not yet consumed by the group (all retained ones if nothing committed)."""
        return self.high - (self.committed if self.committed is not None else self.low)


def consumer_lag(
    settings: Settings, group: str, topic: str, *, timeout: float = 10.0
) -> list[PartitionLag]:
    """Per-partition offsets and lag of ``group`` on ``topic``."""
    offsets = topic_offsets(settings, topic, timeout=timeout)
    committed = committed_offsets(settings, group, topic, timeout=timeout)
    return [
        PartitionLag(p, low, high, committed.get(p)) for p, (low, high) in sorted(offsets.items())
    ]


def _unavailable(settings: Settings, exc: KafkaException) -> Exception:
    error = exc.args[0] if exc.args else None
    code = error.code() if isinstance(error, KafkaError) else None
    if code in (KafkaError._TRANSPORT, KafkaError._TIMED_OUT, KafkaError._ALL_BROKERS_DOWN,
                KafkaError._RESOLVE, KafkaError._MSG_TIMED_OUT):
        return KafkaUnavailableError(
            f"Kafka broker at {settings.kafka.bootstrap_servers} is not reachable ({error}); "
            "is the platform up? (`trendstream platform status`)"
        )
    return exc
