"""Topic administration: explicit creation, offsets, committed positions and lag.

Reports what ``kafka-consumer-groups`` and ``kcat`` report, without auto-creating topics.
Design: docs/kafka.md#admin
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from confluent_kafka import Consumer, IsolationLevel, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

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


def ingest_progress_topic(settings: Settings) -> str:
    """Where file ingests record how far they got (beside the tweets topic they fill)."""
    return f"{settings.kafka.tweets_topic}.ingest-progress"


def min_insync_replicas(replicas: int) -> int:
    """One less than the replicas, at least 1: with acks=all a write needs every in-sync
    replica, so with 3 replicas one broker down never stops writes, two do (rather than
    acknowledging a record only one broker holds)."""
    return max(1, replicas - 1)


def topic_replication(settings: Settings) -> int:
    """Replicas of the topics we create: ``kafka.replication_factor``, and at least
    min(3, ``broker.nodes``) on a local cluster (so ``broker.nodes = 3`` alone replicates)."""
    replicas = settings.kafka.replication_factor
    if settings.broker.enabled:
        replicas = max(replicas, min(settings.broker.nodes, 3))
    return replicas


def broker_hint(settings: Settings) -> str:
    """What to check when Kafka takes no write: the broker, or, for replicated topics, that
    enough brokers are up to keep min.insync.replicas in sync."""
    bootstrap = settings.kafka.bootstrap_servers
    replicas = topic_replication(settings)
    if replicas == 1:
        return f"is the Kafka broker at {bootstrap} up?"
    needed = min_insync_replicas(replicas)
    return (
        f"are at least {needed} of the {replicas} Kafka brokers at {bootstrap} up? (a write "
        f"needs {needed} replicas in sync; `trendstream platform status` shows which are down)"
    )


# librdkafka's wording for the errors a user meets when brokers are down, said plainly.
_PLAIN_ERRORS = {
    KafkaError.NOT_ENOUGH_REPLICAS: "fewer replicas in sync than min.insync.replicas",
    KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND: "fewer replicas in sync than min.insync.replicas",
    KafkaError._TIMED_OUT: "no answer in time",
    KafkaError._MSG_TIMED_OUT: "not acknowledged in time",
}


def describe_error(error: KafkaError) -> str:
    """``error`` in a few plain words, with Kafka's name for it (to search the docs)."""
    return f"{_PLAIN_ERRORS.get(error.code(), error.str())} ({error.name()})"


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic the platform uses, with explicit partitions, retention and min ISR. The
    ingest progress topic is compacted (one live record per file) and has one partition, so
    a re-run reads it in order from one place."""
    k = settings.kafka
    min_isr = str(min_insync_replicas(topic_replication(settings)))

    def spec(name: str, retention_ms: int) -> TopicSpec:
        config = {
            "cleanup.policy": "delete",
            "retention.ms": str(retention_ms),
            "retention.bytes": str(k.retention_bytes),
            "min.insync.replicas": min_isr,
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
    progress = {
        "cleanup.policy": "compact",
        "retention.ms": "-1",
        "retention.bytes": "-1",
        "segment.ms": str(3600 * 1000),
        "min.cleanable.dirty.ratio": "0.1",
        "min.insync.replicas": min_isr,
    }
    specs.append(TopicSpec(validate_topic_name(ingest_progress_topic(settings)), 1, progress))
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
                NewTopic(s.name, s.partitions, topic_replication(settings), config=s.config)
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
            log.warning(
                "topic %s has %d partitions, settings say %d", spec.name, have, spec.partitions
            )
    return outcome


Offsets = dict[str, dict[str, int]]
"""``{"<topic>": {"<partition>": offset}}``: the JSON shape Spark's Kafka source uses."""

# What a broker answers for a moment after a topic is created or the broker (re)started.
_NOT_READY_YET = (
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_LEADER_EPOCH,
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
)
T = TypeVar("T")


def _when_ready(settings: Settings, call: Callable[[], T], timeout: float) -> T:
    """``call()``, retried while the broker says a leader or group coordinator is not ready
    yet; other errors (and "not ready" past ``timeout``) are raised as they are."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except KafkaException as exc:
            if exc.args[0].code() not in _NOT_READY_YET or time.monotonic() > deadline:
                raise _unavailable(settings, exc) from None
        time.sleep(0.05)


def _partitions(settings: Settings, topic: str, timeout: float) -> list[TopicPartition]:
    return [
        TopicPartition(topic, p) for p in range(require_topic(settings, topic, timeout=timeout))
    ]


def _offset_lister(
    settings: Settings, topic: str, *, timeout: float
) -> Callable[[Callable[[], OffsetSpec]], dict[int, int]]:
    """A function: spec → {partition: offset} through Admin ``list_offsets``, with the topic
    looked up and the client made once for all the specs a caller asks. "Latest" is the last
    stable offset (read_committed): what a transactional reader can see."""
    admin = admin_client(settings)
    partitions = _partitions(settings, topic, timeout)

    def lookup(spec: Callable[[], OffsetSpec]) -> dict[int, int]:
        def call() -> dict[int, int]:
            futures = admin.list_offsets(
                {tp: spec() for tp in partitions},
                isolation_level=IsolationLevel.READ_COMMITTED,
                request_timeout=timeout,
            )
            return {tp.partition: future.result().offset for tp, future in futures.items()}

        return _when_ready(settings, call, timeout)

    return lookup


def topic_offsets(
    settings: Settings, topic: str, *, timeout: float = 10.0
) -> dict[int, tuple[int, int]]:
    """partition → (earliest, latest) offsets of an existing topic."""
    lookup = _offset_lister(settings, topic, timeout=timeout)
    low, high = lookup(OffsetSpec.earliest), lookup(OffsetSpec.latest)
    return {p: (low[p], high[p]) for p in sorted(high)}


def high_watermarks(settings: Settings, topic: str, *, timeout: float = 10.0) -> dict[int, int]:
    """partition → the offset the next record will get (the end of what is readable)."""
    return _offset_lister(settings, topic, timeout=timeout)(OffsetSpec.latest)


def offsets_for_times(
    settings: Settings, topic: str, millis: int, *, timeout: float = 10.0
) -> dict[int, int]:
    """partition → the first offset whose record timestamp is ≥ ``millis`` (the broker's
    time index), or the partition's end when no record is that recent."""
    lookup = _offset_lister(settings, topic, timeout=timeout)
    found = lookup(lambda: OffsetSpec.for_timestamp(millis))
    missing = [p for p, offset in found.items() if offset < 0]
    if missing:
        ends = lookup(OffsetSpec.latest)
        found.update({p: ends[p] for p in missing})
    return found


def _group_consumer(settings: Settings, group: str, **extra: Any) -> Consumer:
    """A consumer of ``group`` that never joins it, to read and commit the group's offsets:
    librdkafka's Admin calls for that can crash the process (docs/kafka.md#admin)."""
    return Consumer(
        client_config(settings, **{"group.id": group, "enable.auto.commit": False}, **extra)
    )


def committed_offsets(
    settings: Settings, group: str, topic: str, *, timeout: float = 10.0
) -> dict[int, int | None]:
    """partition → the group's committed offset (``None`` where nothing is committed)."""
    partitions = _partitions(settings, topic, timeout)
    consumer = _group_consumer(settings, group)
    try:
        committed = _when_ready(
            settings, lambda: consumer.committed(partitions, timeout=timeout), timeout
        )
    finally:
        consumer.close()
    return {tp.partition: (tp.offset if tp.offset >= 0 else None) for tp in committed}


def commit_group_offsets(
    settings: Settings, group: str, offsets: Offsets, *, timeout: float = 10.0
) -> None:
    """Record processed ``offsets`` for ``group`` without joining it, so Kafka's
    consumer-groups tool, kcat and :func:`consumer_lag` show what a Spark query (which
    commits nothing itself) has done. The group must have no active members."""
    tps = [TopicPartition(t, int(p), int(o)) for t, ps in offsets.items() for p, o in ps.items()]
    if not tps:
        return
    outcome: list[KafkaError | None] = []
    consumer = _group_consumer(
        settings, group, on_commit=lambda err, _partitions: outcome.append(err)
    )
    try:
        consumer.commit(offsets=tps, asynchronous=True)
        deadline = time.monotonic() + timeout
        while not outcome and time.monotonic() < deadline:
            consumer.poll(0.1)
    finally:
        consumer.close()
    if not outcome:
        raise KafkaUnavailableError(
            f"committing offsets of group {group!r} got no answer in {timeout:.0f}s from "
            f"{settings.kafka.bootstrap_servers}; is the platform up?"
        )
    if outcome[0] is not None:
        raise _unavailable(settings, KafkaException(outcome[0]))


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
    if code in (
        KafkaError._TRANSPORT,
        KafkaError._TIMED_OUT,
        KafkaError._ALL_BROKERS_DOWN,
        KafkaError._RESOLVE,
        KafkaError._MSG_TIMED_OUT,
    ):
        return KafkaUnavailableError(
            f"Kafka broker at {settings.kafka.bootstrap_servers} is not reachable "
            f"({describe_error(error)}); is the platform up? (`trendstream platform status`)"
        )
    return exc
