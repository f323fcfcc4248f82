"""Kafka as a Spark Structured Streaming source, written with PySpark's Python Data Source API.

No Kafka connector jar can be fetched here, so this source speaks Kafka through
confluent-kafka from Python and mirrors the native ``kafka`` source: the same option
names (``kafka.bootstrap.servers``, ``subscribe``, ``startingOffsets``,
``maxOffsetsPerTrigger``, ``failOnDataLoss``) and the same output columns. Offsets are
per-partition dicts ``{"<topic>": {"<partition>": next_offset}}``; each micro-batch is
one input partition per Kafka partition range ``[start, end)``, read with assign+seek
(no group membership) and handed to Spark as Arrow record batches, which is what makes
the Python reader fast enough. After a batch is committed, its end offsets are committed
to the consumer group (``kafka.group.id``) so standard tooling shows the lag.

The broker's list-offsets "latest" answer is not trustworthy (Tansu answers 1), so the
high watermark is read from a fetch response instead (see :func:`fetch_watermarks`).
Spark hands options to the reader with lower-cased keys; they are looked up that way.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

from pyspark.sql.datasource import DataSource, DataSourceStreamReader, InputPartition
from pyspark.sql.streaming.datasource import (
    ReadAllAvailable,
    ReadLimit,
    ReadMaxRows,
    SupportsTriggerAvailableNow,
)

log = logging.getLogger(__name__)

FORMAT_NAME = "trendstream-kafka"
SCHEMA = (
    "key binary, value binary, topic string, partition int, offset long, timestamp timestamp"
)
ARROW_BATCH_ROWS = 8192
CONSUME_CHUNK = 2000
READ_IDLE_TIMEOUT_S = 30.0
WATERMARK_TIMEOUT_S = 10.0
EARLIEST, LATEST = -2, -1  # the native source's JSON conventions for startingOffsets

Offsets = dict[str, dict[str, int]]


class DataLossError(RuntimeError):
    """Offsets the query expects are gone (deleted by retention or the topic was recreated)."""


class KafkaRange(InputPartition):
    """One Kafka partition's offset range ``[start, end)`` for one micro-batch."""

    def __init__(self, topic: str, partition: int, start: int, end: int) -> None:
        self.topic, self.partition, self.start, self.end = topic, partition, start, end

    def __repr__(self) -> str:
        return f"{self.topic}[{self.partition}]@[{self.start},{self.end})"


# --- plain confluent-kafka helpers ----------------------------------------------------------


def client_config(options: dict[str, str]) -> dict[str, Any]:
    """librdkafka settings from ``kafka.*`` options (keys may arrive lower-cased)."""
    return {k[len("kafka."):]: v for k, v in options.items() if k.startswith("kafka.")}


def _meta_consumer(config: dict[str, Any], group: str | None = None):
    from confluent_kafka import Consumer

    settings = {
        "group.id": group or f"trendstream-meta-{uuid.uuid4().hex[:8]}",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        # An empty partition answers with EOF at once instead of after three idle rounds.
        "enable.partition.eof": True,
        "fetch.wait.max.ms": 10,
        # Tiny fetches: we only want the watermarks each fetch response carries.
        "max.partition.fetch.bytes": 1,
        "fetch.max.bytes": 1024,
        "message.max.bytes": 1000,
        "receive.message.max.bytes": 1 << 20,
        **{k: v for k, v in config.items() if k not in ("group.id",)},
    }
    return Consumer(settings)


def fetch_watermarks(consumer, topics: list[str]) -> dict[str, dict[str, tuple[int, int]]]:
    """``{topic: {partition: (low, high)}}``, the high one read from a fetch response.

    Partitions come from the full topic list: asking the broker about one named topic
    would auto-create it. A topic that does not exist yet has no partitions."""
    from confluent_kafka import TopicPartition

    from trendstream.kafka.admin import high_watermarks

    out: dict[str, dict[str, tuple[int, int]]] = {t: {} for t in topics}
    existing = consumer.list_topics(timeout=WATERMARK_TIMEOUT_S).topics
    for topic in topics:
        meta = existing.get(topic)
        if meta is None or meta.error or not meta.partitions:
            continue
        highs = high_watermarks(consumer, topic, sorted(meta.partitions), timeout=WATERMARK_TIMEOUT_S)
        for part, high in highs.items():
            low, _ = consumer.get_watermark_offsets(TopicPartition(topic, part), cached=True)
            out[topic][str(part)] = (max(low, 0), high)
    return out


def commit_group_offsets(config: dict[str, Any], group: str, offsets: Offsets, consumer=None) -> None:
    """Record processed offsets for ``group`` without joining it (visible to lag tooling);
    through ``consumer`` (whose ``group.id`` must be ``group``) when the caller holds one."""
    from confluent_kafka import TopicPartition

    tps = [TopicPartition(t, int(p), int(o)) for t, ps in offsets.items() for p, o in ps.items()]
    if not tps:
        return
    own = consumer is None
    consumer = _meta_consumer(config, group=group) if own else consumer
    try:
        consumer.commit(offsets=tps, asynchronous=False)
    finally:
        if own:
            consumer.close()


def cap_offsets(start: Offsets, latest: Offsets, max_rows: int) -> Offsets:
    """End offsets admitting at most ``max_rows`` messages, shared in proportion to backlog.

    Like the native source's ``maxOffsetsPerTrigger``: a partition with more waiting
    messages gets a larger share, and every partition with a backlog progresses.
    """
    backlog = {
        (t, p): max(latest[t][p] - start.get(t, {}).get(p, 0), 0)
        for t in latest
        for p in latest[t]
    }
    total = sum(backlog.values())
    end = {t: dict(ps) for t, ps in latest.items()}
    if total <= max_rows:
        return end
    # Proportional shares, at least one message for every partition with a backlog...
    share = {tp: min(waiting, max(waiting * max_rows // total, 1)) if waiting else 0
             for tp, waiting in backlog.items()}
    biggest = max(share, key=share.get)
    share[biggest] -= max(sum(share.values()) - max_rows, 0)
    # ...then the rounding remainder to the partitions with most left waiting.
    spare = max_rows - sum(share.values())
    for tp in sorted(backlog, key=lambda tp: backlog[tp] - share[tp], reverse=True):
        if spare <= 0:
            break
        if backlog[tp] > share[tp]:
            share[tp] += 1
            spare -= 1
    for (t, p), admitted in share.items():
        if backlog[(t, p)]:  # the others stay at ``latest`` (which may be behind ``start``)
            end[t][p] = start.get(t, {}).get(p, 0) + admitted
    return end


# --- options ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceOptions:
    config: dict[str, Any]
    topics: list[str]
    starting_offsets: str
    max_offsets_per_trigger: int | None
    fail_on_data_loss: bool
    group: str | None

    @classmethod
    def parse(cls, options: dict[str, str]) -> SourceOptions:
        opts = {k.lower(): v for k, v in options.items()}
        if "kafka.bootstrap.servers" not in opts:
            raise ValueError("option 'kafka.bootstrap.servers' is required")
        topics = [t.strip() for t in opts.get("subscribe", "").split(",") if t.strip()]
        if not topics:
            raise ValueError("option 'subscribe' must name at least one topic")
        config = client_config(opts)
        group = config.pop("group.id", None)
        limit = opts.get("maxoffsetspertrigger")
        return cls(
            config=config,
            topics=topics,
            starting_offsets=opts.get("startingoffsets", "latest").strip(),
            max_offsets_per_trigger=int(limit) if limit else None,
            fail_on_data_loss=opts.get("failondataloss", "true").lower() != "false",
            group=group,
        )


# --- the data source ----------------------------------------------------------------------


class KafkaDataSource(DataSource):
    """``spark.readStream.format("trendstream-kafka")``: see the module docstring."""

    @classmethod
    def name(cls) -> str:
        return FORMAT_NAME

    def schema(self) -> str:
        return SCHEMA

    def streamReader(self, schema) -> KafkaStreamReader:
        return KafkaStreamReader(SourceOptions.parse(dict(self.options)))


class KafkaStreamReader(DataSourceStreamReader, SupportsTriggerAvailableNow):
    """Plans offset ranges on the driver's Python planner; ``read`` runs on executors."""

    def __init__(self, options: SourceOptions) -> None:
        self.options = options
        self._target: Offsets | None = None  # set for Trigger.AvailableNow
        self._latest: Offsets | None = None  # the last high watermarks fetched
        # Opened on first use in the driver's planner process (executors build their own
        # reader and only call ``read``), reused for every trigger, closed by ``stop``.
        self._meta = None
        self._committer = None

    # planning ------------------------------------------------------------------------------
    def _watermarks(self) -> dict[str, dict[str, tuple[int, int]]]:
        if self._meta is None:
            self._meta = _meta_consumer(self.options.config)
        return fetch_watermarks(self._meta, self.options.topics)

    def _highs(self) -> Offsets:
        self._latest = {t: {p: hl[1] for p, hl in ps.items()} for t, ps in self._watermarks().items()}
        return self._latest

    def initialOffset(self) -> dict:
        marks = self._watermarks()
        spec = self.options.starting_offsets
        if spec == "earliest":
            return {t: {p: hl[0] for p, hl in ps.items()} for t, ps in marks.items()}
        if spec == "latest":
            return {t: {p: hl[1] for p, hl in ps.items()} for t, ps in marks.items()}
        try:
            wanted = json.loads(spec)
        except json.JSONDecodeError:
            raise ValueError(f"startingOffsets must be earliest, latest or JSON, got {spec!r}") from None
        out: Offsets = {}
        for topic, parts in marks.items():
            given = wanted.get(topic, {})
            out[topic] = {}
            for part, (low, high) in parts.items():
                value = int(given.get(part, EARLIEST))
                out[topic][part] = low if value == EARLIEST else high if value == LATEST else value
        return out

    def getDefaultReadLimit(self) -> ReadLimit:
        limit = self.options.max_offsets_per_trigger
        return ReadMaxRows(limit) if limit else ReadAllAvailable()

    def prepareForTriggerAvailableNow(self) -> None:
        self._target = self._highs()
        log.info("available-now target offsets %s", self._target)

    def latestOffset(self, start: dict, limit: ReadLimit) -> dict:
        latest = self._target if self._target is not None else self._highs()
        latest = self._check_loss(start, latest)
        if isinstance(limit, ReadMaxRows):
            latest = cap_offsets(start, latest, limit.max_rows)
        return latest

    def reportLatestOffset(self) -> dict | None:
        """The watermarks ``latestOffset`` fetched for this trigger (no second fetch)."""
        return self._latest if self._latest is not None else self._highs()

    def _check_loss(self, start: Offsets, latest: Offsets) -> Offsets:
        """Offsets gone backwards are data loss, as in the native source (``failOnDataLoss``).

        A high watermark below the processed offset means the topic was recreated or the
        broker lost its data (a memory-mode restart): fail, or say so and carry on from the
        new end. A partition gone from the broker is reported and dropped, so when it comes
        back (a recreated topic) it is read from its start, not from the old offset, which
        would silently skip every record written to it since.
        """
        out: Offsets = {}
        for topic in {*latest, *start}:
            parts, done = latest.get(topic, {}), start.get(topic, {})
            out[topic] = dict(parts)  # partitions added since the query started: read from 0
            for part, begun in done.items():
                high = parts.get(part)
                if high is None:
                    self._data_loss(f"{topic}[{part}] is gone from the broker (processed up to "
                                    f"{begun})", "if it comes back it is read from its start")
                elif high < begun:
                    self._data_loss(f"{topic}[{part}] high watermark {high} < processed {begun}: "
                                    "the topic was recreated or lost its data", f"continuing from {high}")
        return out

    def _data_loss(self, message: str, then: str) -> None:
        if self.options.fail_on_data_loss:
            raise DataLossError(message + f" (with failOnDataLoss=false: {then})")
        log.warning("data loss: %s; %s", message, then)

    def partitions(self, start: dict, end: dict) -> list[KafkaRange]:
        ranges = []
        for topic, parts in end.items():
            for part, stop in parts.items():
                begin = start.get(topic, {}).get(part, 0)
                if stop > begin:
                    ranges.append(KafkaRange(topic, int(part), int(begin), int(stop)))
        return ranges

    def commit(self, end: dict) -> None:
        if self.options.group:
            if self._committer is None:
                self._committer = _meta_consumer(self.options.config, group=self.options.group)
            commit_group_offsets(self.options.config, self.options.group, end, self._committer)

    def stop(self) -> None:
        for consumer in (self._meta, self._committer):
            if consumer is not None:
                consumer.close()
        self._meta = self._committer = None

    # reading (executor side) ----------------------------------------------------------------
    def read(self, partition: KafkaRange) -> Iterator[Any]:
        return read_range(self.options, partition)


def read_range(options: SourceOptions, part: KafkaRange) -> Iterator[Any]:
    """Messages ``[start, end)`` of one partition as Arrow record batches."""
    import pyarrow as pa
    from confluent_kafka import Consumer, KafkaError, TopicPartition

    schema = pa.schema([
        ("key", pa.binary()), ("value", pa.binary()), ("topic", pa.string()),
        ("partition", pa.int32()), ("offset", pa.int64()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
    ])
    consumer = Consumer({
        "group.id": f"trendstream-reader-{uuid.uuid4().hex[:8]}",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "error",
        "fetch.wait.max.ms": 50,
        "queued.min.messages": 20000,
        **options.config,
    })
    keys: list[bytes | None] = []
    values: list[bytes | None] = []
    offsets: list[int] = []
    stamps: list[int] = []

    def flush() -> pa.RecordBatch:
        n = len(offsets)
        batch = pa.RecordBatch.from_arrays([
            pa.array(keys, pa.binary()), pa.array(values, pa.binary()),
            pa.array([part.topic] * n, pa.string()), pa.array([part.partition] * n, pa.int32()),
            pa.array(offsets, pa.int64()), pa.array(stamps, pa.timestamp("us", tz="UTC")),
        ], schema=schema)
        keys.clear(), values.clear(), offsets.clear(), stamps.clear()
        return batch

    try:
        consumer.assign([TopicPartition(part.topic, part.partition, part.start)])
        position, idle_since, first = part.start, time.monotonic(), True
        while position < part.end:
            # consume(n) waits for n messages or the timeout: never ask for more than the
            # range still holds, or every range's last chunk waits out the full timeout.
            messages = consumer.consume(min(CONSUME_CHUNK, part.end - position), 0.5)
            if not messages and time.monotonic() - idle_since > READ_IDLE_TIMEOUT_S:
                raise TimeoutError(f"{part}: stuck at offset {position}")
            for msg in messages:
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        if msg.offset() >= position and msg.offset() < part.end:
                            _gap(options, part, position, msg.offset(), at_end=True)
                            position = part.end
                        continue
                    if err.code() == KafkaError._AUTO_OFFSET_RESET:
                        _gap(options, part, position, None, at_end=False)
                        position = part.end
                        break
                    raise RuntimeError(f"kafka error reading {part}: {err}")
                off = msg.offset()
                if off >= part.end:
                    position = part.end
                    break
                if first and off > part.start:
                    _gap(options, part, part.start, off, at_end=False)
                first = False
                keys.append(msg.key())
                values.append(msg.value())
                offsets.append(off)
                stamps.append(msg.timestamp()[1] * 1000)
                position = off + 1
                if len(offsets) >= ARROW_BATCH_ROWS:
                    yield flush()
            if messages:
                idle_since = time.monotonic()
        if offsets:
            yield flush()
    finally:
        consumer.close()


def _gap(options: SourceOptions, part: KafkaRange, expected: int, found: int | None, *, at_end: bool) -> None:
    """Offsets missing from a planned range: compaction/transaction markers at the tail are
    normal; missing offsets at the start mean retention deleted data we still needed."""
    if at_end:
        log.info("%s: no records in [%s, %s) (compacted or control records)", part, expected, part.end)
        return
    message = f"{part}: offsets from {expected} are gone (first available {found})"
    if options.fail_on_data_loss:
        raise DataLossError(message + " (set failOnDataLoss=false to skip)")
    log.warning("data loss: %s; skipping", message)


# --- DataFrame factory ---------------------------------------------------------------------


def source_options(settings, topics: list[str], *, group: str | None,
                   max_offsets_per_trigger: int | None = None,
                   starting_offsets: str | None = None) -> dict[str, str]:
    """Reader options for our topics, the same keys for both the native and our format."""
    stream = settings.stream
    options = {
        "kafka.bootstrap.servers": settings.kafka.bootstrap_servers,
        "subscribe": ",".join(topics),
        "startingOffsets": starting_offsets or stream.starting_offsets,
        "failOnDataLoss": str(stream.fail_on_data_loss).lower(),
        "maxOffsetsPerTrigger": str(max_offsets_per_trigger or stream.max_offsets_per_trigger),
    }
    for key, value in settings.kafka.client_config.items():
        options[f"kafka.{key}"] = str(value)
    if group:
        options["kafka.group.id"] = group
    return options


def register(spark) -> None:
    """Make ``format("trendstream-kafka")`` available in this session (idempotent)."""
    spark.dataSource.register(KafkaDataSource)


def read_stream(spark, settings, topics: list[str] | None = None, *, group: str | None = None,
                max_offsets_per_trigger: int | None = None, starting_offsets: str | None = None):
    """A streaming DataFrame of Kafka records (columns as the native source's)."""
    topics = topics or [settings.kafka.tweets_topic]
    fmt = settings.stream.kafka_format
    if fmt == FORMAT_NAME:
        register(spark)
    elif fmt != "kafka":
        raise ValueError(f"stream.kafka_format must be 'kafka' or '{FORMAT_NAME}', got {fmt!r}")
    options = source_options(settings, topics, group=group,
                             max_offsets_per_trigger=max_offsets_per_trigger,
                             starting_offsets=starting_offsets)
    reader = spark.readStream.format(fmt)
    for key, value in options.items():
        reader = reader.option(key, value)
    return reader.load()
