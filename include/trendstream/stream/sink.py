"""The embedding sink: one micro-batch of Kafka records → dead letters + Milvus upserts.

Upserts by tweet id make a replayed batch harmless; the model runs on the driver (on the
executors on a cluster), and each chunk's upsert overlaps the next chunk's encoding.
Design: docs/stream.md#sink
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trendstream.core.faults import NO_FAULTS, FaultHook
from trendstream.stream.executor_encode import (
    encode_on_executors,
    encodes_on_executors,
    executor_chunk_size,
)
from trendstream.stream.overlap import BackgroundWriter
from trendstream.stream.transforms import (
    DeadRow,
    Position,
    dedupe_latest,
    encoder_texts,
    length_chunks,
    parse_tweets,
)

if TYPE_CHECKING:
    import numpy as np

    from trendstream.core.schema import Tweet
    from trendstream.vectorstore.store import TweetStore

log = logging.getLogger(__name__)

STAGES = ("read", "parse", "dead_letter", "clean", "encode", "upsert")
# What the Python side reads of a Kafka record: the payload and its position.
COLUMNS = ("value", "topic", "partition", "offset")


@dataclass
class BatchReport:
    """What one batch did; the job turns it into the heartbeat."""

    batch_id: int
    input_rows: int = 0
    tweets: int = 0
    dead_letters: int = 0
    upserted: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    end_offsets: dict[str, dict[str, int]] = field(default_factory=dict)
    # Upsert time spent on the writer's thread, overlapped with encoding (seconds["upsert"]
    # is only the wait for the last chunk).
    upsert_busy_s: float = 0.0

    @property
    def duration_s(self) -> float:
        return sum(self.seconds.values())

    @property
    def encode_rows_per_s(self) -> float | None:
        return self.tweets / self.seconds["encode"] if self.seconds["encode"] else None


class _Clock:
    def __init__(self, report: BatchReport) -> None:
        self.report, self.last = report, time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.report.seconds[stage] += now - self.last
        self.last = now


class EmbedSink:
    """Callable ``foreachBatch`` sink; keeps its Milvus client and the last batch report.
    ``faults`` is told after each batch's upsert (crash tests only)."""

    def __init__(self, settings: Any, faults: FaultHook = NO_FAULTS) -> None:
        self.settings = settings
        self._faults = faults
        self._store: TweetStore | None = None
        self.last: BatchReport | None = None
        self.on_batch = None  # set by the job: called with each BatchReport
        self.on_executors = encodes_on_executors(settings.stream.master)

    def load_model_in_background(self) -> None:
        """Load the encoder while Spark starts: it then lives as long as the job process, and
        the first batch does not wait for it. A failure here is left for that batch to raise.
        On a cluster the executors load it instead."""
        from trendstream.encode.model import get_encoder

        if self.on_executors:
            return

        def load() -> None:
            try:
                get_encoder(self.settings.model)
            except Exception as exc:
                log.warning("could not preload the model (the first batch will retry): %s", exc)

        threading.Thread(target=load, name="model-load", daemon=True).start()

    def _milvus(self) -> TweetStore:
        from trendstream.vectorstore.store import TweetStore

        if self._store is None:
            store = TweetStore.connect(self.settings)
            store.ensure_collection()
            self._store = store
        return self._store

    def __call__(self, batch_df, batch_id: int) -> None:
        report = BatchReport(batch_id)
        clock = _Clock(report)
        # Projected in the JVM: keys, timestamps and headers never cross into Python.
        table = batch_df.select(*COLUMNS).toArrow()
        clock.lap("read")
        report.input_rows = table.num_rows
        if table.num_rows:
            self._process(table, report, clock, batch_df.sparkSession)
        self.last = report
        log.info(
            "embed batch %d: %d records, %d tweets upserted, %d dead letters in %.2fs (%s)",
            batch_id,
            report.input_rows,
            report.upserted,
            report.dead_letters,
            report.duration_s,
            ", ".join(f"{k} {v:.2f}s" for k, v in report.seconds.items()),
        )
        if self.on_batch is not None:
            self.on_batch(report)

    def _process(self, table, report: BatchReport, clock: _Clock, spark) -> None:
        settings = self.settings
        topics, parts, offsets = (
            table.column(n).to_pylist() for n in ("topic", "partition", "offset")
        )
        positions = [Position(t, p, o) for t, p, o in zip(topics, parts, offsets, strict=False)]
        for pos in positions:
            ends = report.end_offsets.setdefault(pos.topic, {})
            ends[str(pos.partition)] = max(ends.get(str(pos.partition), 0), pos.offset + 1)
        parsed = parse_tweets(
            table.column("value").to_pylist(),
            positions,
            settings.limits,
        )
        clock.lap("parse")
        if parsed.dead:
            self._dead_letter(parsed.dead)
            report.dead_letters = len(parsed.dead)
        clock.lap("dead_letter")
        tweets = [tweet for tweet, _ in dedupe_latest(parsed.tweets)]
        texts = encoder_texts(tweets)
        report.tweets = len(tweets)
        clock.lap("clean")
        if not tweets:
            return
        self._milvus()  # connect before the first chunk, not on the writer's thread
        # Chunk N becomes rows and is upserted on the writer's thread while chunk N+1
        # encodes (torch releases the GIL); the block ends when every upsert is done, so
        # Spark still commits only what Milvus holds.
        with BackgroundWriter(self._upsert, name="milvus-upsert") as writer:
            for chunk, chunk_texts, vectors in self._encoded(spark, texts):
                writer.submit(([tweets[i] for i in chunk], chunk_texts, vectors))
            clock.lap("encode")
        clock.lap("upsert")  # what the overlap could not hide: the last chunk's upsert
        report.upserted = writer.written
        report.upsert_busy_s = writer.busy_s
        self._faults.after_batch(report.batch_id)

    def _encoded(self, spark, texts: list[str]):
        """``(indices, texts, vectors)`` per chunk: encoded here one chunk at a time (so the
        writer upserts chunk N while N+1 encodes), or on the executors all chunks at once."""
        from trendstream.encode.model import encode_texts

        size = self.settings.stream.encode_chunk
        if not self.on_executors:
            for chunk in length_chunks(texts, size):
                chunk_texts = [texts[i] for i in chunk]
                yield chunk, chunk_texts, encode_texts(chunk_texts, self.settings.model)
            return
        slots = spark.sparkContext.defaultParallelism
        chunks = length_chunks(texts, executor_chunk_size(len(texts), size, slots))
        chunk_texts = [[texts[i] for i in chunk] for chunk in chunks]
        vectors = encode_on_executors(spark, chunk_texts, self.settings.model)
        yield from zip(chunks, chunk_texts, vectors, strict=True)

    def _upsert(self, chunk: tuple[list[Tweet], list[str], np.ndarray]) -> int:
        from trendstream.vectorstore.rows import rows_from_tweets

        tweets, texts, vectors = chunk
        dicts = [{**t.to_dict(), "clean_text": text} for t, text in zip(tweets, texts, strict=True)]
        return self._milvus().upsert(rows_from_tweets(dicts, vectors))

    def _dead_letter(self, dead: list[DeadRow]) -> None:
        from trendstream.kafka.dead_letter import dead_letter_record
        from trendstream.kafka.producer import IdempotentProducer

        topic = self.settings.kafka.dead_letter_topic
        with IdempotentProducer(self.settings) as producer:
            for row in dead:
                key, value, headers = dead_letter_record(
                    row.raw,
                    reason=row.reason,
                    detail=row.detail,
                    source=row.position.topic,
                    position=str(row.position),
                    stage="stream",
                )
                producer.produce(topic, value, key, headers=headers)
        log.warning("dead-lettered %d records to %s", len(dead), topic)
