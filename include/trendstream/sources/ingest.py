"""Validate raw records and route them to Kafka: the one ingest path for every source.

File ingest runs in Kafka transactions, so a re-run resumes after the last committed record.
Design: docs/sources.md#ingest
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trendstream.core.faults import NO_FAULTS, FaultHook, load_hook
from trendstream.core.recent_ids import RecentIds
from trendstream.core.schema import DeadLetterReason, InvalidRecord, Tweet, parse_event
from trendstream.core.settings import Limits, Settings
from trendstream.kafka.admin import ensure_topics, ingest_progress_topic
from trendstream.kafka.dead_letter import dead_letter_record
from trendstream.kafka.producer import IdempotentProducer
from trendstream.kafka.progress import FileProgress, file_key, read_progress, transactional_id
from trendstream.sources.archive import is_jsonl, iter_lines, iter_records, jsonl_blocks

log = logging.getLogger(__name__)

Raw = bytes | str | dict[str, Any]
_TWEET, _ENGAGEMENT, _DEAD = 0, 1, 2
# (_TWEET | _ENGAGEMENT, id, key, canonical JSON) or (_DEAD, reason value, detail, raw).
# Plain tuples: they cross process boundaries when validation runs in parallel.
Validated = tuple[int, str, str, Any]
# Records handed to the Kafka client per call in file ingest (produce_batch): the per-call
# cost is spread thin from a few hundred on; the commit pushes whatever is left.
FILE_BATCH_RECORDS = 1000


def validate(raw: Raw, limits: Limits) -> Validated:
    """Parse one record into the form :meth:`Ingestor.route` takes; never raises."""
    try:
        event = parse_event(raw, limits=limits)
    except InvalidRecord as exc:
        return (_DEAD, exc.reason.value, exc.detail, raw)
    except Exception as exc:  # a validator bug must not stop the stream; keep the record
        log.exception("validator failed")
        return (_DEAD, DeadLetterReason.BAD_VALUE.value, f"validator error: {exc!r}", raw)
    if type(event) is Tweet:
        return (_TWEET, event.id, event.id, event.to_json())
    return (_ENGAGEMENT, event.id, event.key, event.to_json())


def _validate_block(
    name: str, first_line: int, block: bytes, limits: Limits
) -> list[tuple[Validated, str]]:
    """Validate a block of JSONL lines (runs in a worker process)."""
    lines = block.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return [
        (validate(raw, limits), position)
        for raw, position in iter_lines(lines, name, limits.max_record_bytes, first_line)
    ]


@dataclass
class IngestSummary:
    source: str
    accepted: int = 0
    tweets: int = 0
    engagements: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    bytes_out: int = 0
    seconds: float = 0.0
    delivered: int = 0
    resumed: int = 0  # records an earlier, interrupted run had already committed
    transactions: int = 0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def records(self) -> int:
        return self.accepted + self.rejected_total

    @property
    def msgs_per_s(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "records": self.records,
            "accepted": self.accepted,
            "tweets": self.tweets,
            "engagements": self.engagements,
            "rejected": dict(sorted(self.rejected.items())),
            "rejected_total": self.rejected_total,
            "delivered": self.delivered,
            "resumed": self.resumed,
            "transactions": self.transactions,
            "bytes_out": self.bytes_out,
            "seconds": round(self.seconds, 3),
            "msgs_per_s": round(self.msgs_per_s, 1),
        }


class Ingestor:
    """Validates and produces records; use as a context manager so the end is flushed.

    Creating the topics on start doubles as the early check that the broker is reachable.
    Design: docs/sources.md#ingest
    """

    def __init__(
        self,
        settings: Settings,
        source: str,
        *,
        rate: float | None = None,
        dedupe_window: int = 1_000_000,
        create_topics: bool = True,
        timeout: float = 15.0,
        transactional_id: str | None = None,
        faults: FaultHook = NO_FAULTS,
        batch_records: int = 1,
    ) -> None:
        """``batch_records`` > 1 hands accepted records to the client that many at a time
        (files: the commit pushes the rest; a live source keeps 1, so none waits here)."""
        self.settings = settings
        self.source = source
        self.rate = rate if rate and rate > 0 else None
        k = settings.kafka
        self._tweets_topic = k.tweets_topic
        self._engagements_topic = k.engagements_topic
        self._dlq_topic = k.dead_letter_topic
        self._limits = settings.limits
        if create_topics:
            ensure_topics(settings, timeout=timeout)
        self._producer = IdempotentProducer(
            settings, transactional_id=transactional_id, init_timeout=timeout
        )
        self._seen_tweets = RecentIds(dedupe_window)
        self._seen_engagements = RecentIds(dedupe_window)
        self._rejected: Counter[str] = Counter()
        self._accepted = self._tweets = self._engagements = self._bytes = 0
        self.pending_records = self.pending_bytes = 0  # in the open transaction
        self.resumed = 0
        self._progress_records = 0  # one per commit
        self._faults = faults
        self._batch_records = batch_records
        self._batches: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        self._started = time.monotonic()
        self._finished: float | None = None

    # --- the hot path ----------------------------------------------------------------

    def submit(self, raw: Raw, position: str) -> bool:
        """Validate one record and queue it to its topic; False if it was dead-lettered."""
        return self.route(validate(raw, self._limits), position)

    def route(self, item: Validated, position: str) -> bool:
        """Queue an already validated record (see :func:`validate`): dedupe, then produce."""
        if self.rate is not None:
            self._pace()
        kind = item[0]
        if kind == _DEAD:
            self._dead_letter(item[3], DeadLetterReason(item[1]), item[2], position)
            return False
        if kind == _TWEET:
            if not self._seen_tweets.add(item[1]):
                self._dead_letter(
                    item[3], DeadLetterReason.DUPLICATE, f"tweet id {item[1]}", position
                )
                return False
            topic = self._tweets_topic
            self._tweets += 1
        else:
            if not self._seen_engagements.add(item[1]):
                self._dead_letter(
                    item[3], DeadLetterReason.DUPLICATE, f"engagement id {item[1]}", position
                )
                return False
            topic = self._engagements_topic
            self._engagements += 1
        value = item[3]
        self._bytes += len(value)
        self._send(topic, value, item[2])
        self._accepted += 1
        return True

    def remember(self, item: Validated) -> None:
        """Note the id of a record an earlier run already ingested, without producing it,
        so a resumed run refuses later duplicates of it as the first run would have."""
        if item[0] == _TWEET:
            self._seen_tweets.add(item[1])
        elif item[0] == _ENGAGEMENT:
            self._seen_engagements.add(item[1])
        self.resumed += 1

    def _send(
        self,
        topic: str,
        value: bytes,
        key: bytes | str | None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> None:
        if headers is None and self._batch_records > 1:
            batch = self._batches[topic]
            batch.append({"value": value, "key": key})
            if len(batch) >= self._batch_records:
                self._producer.produce_batch(topic, batch)
                self._batches[topic] = []
        else:
            self._producer.produce(topic, value, key, headers)
        self.pending_records += 1
        self.pending_bytes += len(value)

    def _push(self) -> None:
        """Hand every batched record to the client (before a commit, flush or close)."""
        for topic, batch in self._batches.items():
            if batch:
                self._producer.produce_batch(topic, batch)
        self._batches.clear()

    def commit(self, progress: FileProgress) -> None:
        """Commit the open transaction together with ``progress``, then begin the next."""
        self._push()
        key, value = progress.record()
        self._producer.produce(ingest_progress_topic(self.settings), value, key)
        self._progress_records += 1
        # The commit waits for the acks itself (and reports a fenced producer as such); a
        # fault hook that wants the transaction wholly in the log first flushes it.
        self._faults.before_commit(self._progress_records, lambda: self._producer.flush(60.0))
        self._producer.commit()
        log.debug(
            "committed %d records (%d bytes); %s at record %d",
            self.pending_records,
            self.pending_bytes,
            progress.name,
            progress.records,
        )
        self.pending_records = self.pending_bytes = 0

    def submit_many(self, records: Iterable[tuple[Raw, str]]) -> int:
        """Submit ``(raw, position)`` pairs; returns how many were accepted."""
        submit = self.submit
        return sum(1 for raw, position in records if submit(raw, position))

    def _pace(self) -> None:
        due = self._started + (self._accepted + sum(self._rejected.values())) / self.rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def _dead_letter(self, raw: Raw, reason: DeadLetterReason, detail: str, position: str) -> None:
        key, value, headers = dead_letter_record(
            raw,
            reason=reason,
            detail=detail,
            source=self.source,
            position=position,
            stage="ingest",
        )
        self._rejected[reason.value] += 1
        self._send(self._dlq_topic, value, key, headers)
        log.debug("dead-lettered %s from %s: %s", reason.value, position, detail)

    # --- the end -----------------------------------------------------------------------

    def flush(self, timeout: float = 60.0) -> None:
        """Wait until everything submitted so far is acknowledged (raises if it cannot be)."""
        self._push()
        self._producer.flush(timeout)

    def close(self, timeout: float = 60.0) -> IngestSummary:
        if self._finished is None:
            try:
                self._push()
                self._producer.close(timeout)
            finally:
                self._finished = time.monotonic()
        return self.summary()

    def summary(self) -> IngestSummary:
        end = self._finished if self._finished is not None else time.monotonic()
        return IngestSummary(
            source=self.source,
            accepted=self._accepted,
            tweets=self._tweets,
            engagements=self._engagements,
            rejected=dict(self._rejected),
            bytes_out=self._bytes,
            seconds=end - self._started,
            delivered=self._producer.stats.delivered - self._progress_records,
            resumed=self.resumed,
            transactions=self._producer.transactions,
        )

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self._producer.discard()


def count_lines(path: Path | str) -> int | None:
    """Line count of a plain file (a fast progress total); ``None`` for gzip files."""
    with Path(path).open("rb") as stream:
        if stream.read(2) == b"\x1f\x8b":
            return None
        stream.seek(0)
        total = 0
        while chunk := stream.read(1 << 22):
            total += chunk.count(b"\n")
        return total


def default_workers() -> int:
    """Validation processes for JSONL files: one core stays for producing and the broker."""
    return max(1, min(8, (os.cpu_count() or 1) - 1))


def ingest_files(
    settings: Settings,
    files: Iterable[Path | str],
    *,
    source: str = "archive",
    rate: float | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    transaction_records: int | None = None,
    transaction_bytes: int | None = None,
    faults: FaultHook | None = None,
) -> IngestSummary:
    """Ingest archive files in order, in transactions; a re-run resumes after what an
    interrupted run committed. Workers are spawned: callers need a ``__main__`` guard.

    Design: docs/sources.md#ingest
    """
    workers = default_workers() if workers is None else workers
    transaction_records = transaction_records or settings.kafka.transaction_records
    transaction_bytes = transaction_bytes or int(settings.kafka.transaction_mb * 2**20)
    paths = [Path(f) for f in files]
    keys = [file_key(settings, path) for path in paths]
    with ExitStack() as stack:
        ingestor = stack.enter_context(
            Ingestor(
                settings,
                source,
                rate=rate,
                transactional_id=transactional_id(keys),
                faults=load_hook(settings.faults) if faults is None else faults,
                batch_records=FILE_BATCH_RECORDS,
            )
        )
        done = read_progress(settings, keys)  # after fencing: the predecessor's txn is over
        if all(key in done and done[key].complete for key in keys):
            log.info(
                "all %d files were already ingested into %s; nothing to do",
                len(keys),
                settings.kafka.tweets_topic,
            )
            paths = []  # not even re-read for dedupe: nothing after them is left to check
        pool = None
        if workers > 1 and paths:
            pool = stack.enter_context(
                ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            )
        for path, key in zip(paths, keys, strict=False):
            earlier = done.get(key)
            run = _FileRun(
                ingestor,
                FileProgress(key, path.name, 0, False),
                earlier.records if earlier else 0,
                transaction_records,
                transaction_bytes,
            )
            if pool is not None and is_jsonl(path):
                _ingest_parallel(run, pool, workers, path, progress)
            else:
                _ingest_sequential(run, path, progress)
            run.finish()
    summary = ingestor.summary()
    log.info(
        "ingested %d records from %s: %d accepted, %d rejected, %d resumed past, "
        "%d transactions in %.1fs",
        summary.records,
        source,
        summary.accepted,
        summary.rejected_total,
        summary.resumed,
        summary.transactions,
        summary.seconds,
    )
    return summary


class _FileRun:
    """One file's pass through a transactional ingest: records an earlier run committed
    (the first ``skip``) are only remembered for dedupe; a transaction with the file's
    progress is committed whenever the batch reaches the record or byte limit."""

    def __init__(
        self,
        ingestor: Ingestor,
        progress: FileProgress,
        skip: int,
        max_records: int,
        max_bytes: int,
    ) -> None:
        self.ingestor = ingestor
        self.progress = progress
        self.skip = skip
        self.index = 0
        self.max_records = max_records
        self.max_bytes = max_bytes
        if skip:
            log.info(
                "resuming %s after record %d (committed by an earlier run)", progress.name, skip
            )

    def take(self, item: Validated, position: str) -> None:
        ingestor = self.ingestor
        if self.index < self.skip:
            ingestor.remember(item)
        else:
            ingestor.route(item, position)
        self.index += 1
        if ingestor.pending_records >= self.max_records or ingestor.pending_bytes >= self.max_bytes:
            ingestor.commit(replace(self.progress, records=self.index))

    def finish(self) -> None:
        """Commit the file's last batch and mark it complete."""
        self.ingestor.commit(replace(self.progress, records=self.index, complete=True))


def _ingest_sequential(run: _FileRun, path: Path, progress: Callable[[int], None] | None) -> None:
    settings = run.ingestor.settings
    limits = settings.limits
    take = run.take
    since = 0
    for raw, position in iter_records(path, max_record_bytes=limits.max_record_bytes):
        take(validate(raw, limits), position)
        since += 1
        if since == 10000 and progress is not None:
            progress(since)
            since = 0
    if progress is not None:
        progress(since)


def _ingest_parallel(
    run: _FileRun,
    pool: ProcessPoolExecutor,
    workers: int,
    path: Path,
    progress: Callable[[int], None] | None,
) -> None:
    """Blocks go to the pool with a bounded window (memory stays flat on huge files);
    results are taken in file order."""
    settings = run.ingestor.settings
    limits = settings.limits
    window: deque[Future[list[tuple[Validated, str]]]] = deque()
    take = run.take

    def drain_one() -> None:
        results = window.popleft().result()
        for item, position in results:
            take(item, position)
        if progress is not None:
            progress(len(results))

    for first_line, block in jsonl_blocks(path, block_bytes=1 << 20):
        window.append(pool.submit(_validate_block, path.name, first_line, block, limits))
        if len(window) >= 2 * workers:
            drain_one()
    while window:
        drain_one()
