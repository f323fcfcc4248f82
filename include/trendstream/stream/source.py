"""Kafka into Spark through Spark's own connector, and each query's progress back to Kafka.

Spark commits nothing to Kafka, so published end offsets are what makes the job's lag visible.
Design: docs/stream.md#source
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from pyspark.sql.streaming import StreamingQueryListener

log = logging.getLogger(__name__)

Offsets = dict[str, dict[str, int]]
COMMIT_TIMEOUT_S = 5.0


def kafka_options(
    settings: Any,
    topics: list[str],
    *,
    max_offsets_per_trigger: int | None = None,
    starting_offsets: str | None = None,
) -> dict[str, str]:
    """Spark Kafka source options for ``topics`` (``kafka.*`` ones go to the Kafka client)."""
    stream = settings.stream
    return {
        **client_options(settings),
        "subscribe": ",".join(topics),
        "startingOffsets": _for_topics(starting_offsets or stream.starting_offsets, topics),
        "maxOffsetsPerTrigger": str(max_offsets_per_trigger or stream.max_offsets_per_trigger),
        "failOnDataLoss": str(stream.fail_on_data_loss).lower(),
        # Records of aborted or still-open transactions (a crashed file ingest) never reach us.
        "kafka.isolation.level": "read_committed",
    }


def client_options(settings: Any) -> dict[str, str]:
    """The ``kafka.*`` options of Spark's Kafka source and sink: bootstrap servers plus
    ``settings.kafka.client_config``."""
    return {
        "kafka.bootstrap.servers": settings.kafka.bootstrap_servers,
        **{f"kafka.{key}": str(value) for key, value in settings.kafka.client_config.items()},
    }


def _for_topics(starting_offsets: str, topics: list[str]) -> str:
    """A JSON ``startingOffsets`` cut down to the subscribed topics (a replay plans offsets for
    every topic the job reads; Spark refuses offsets for topics a query does not subscribe)."""
    if not starting_offsets.lstrip().startswith("{"):
        return starting_offsets  # "earliest" / "latest"
    offsets = json.loads(starting_offsets)
    return json.dumps({t: offsets[t] for t in topics if t in offsets}, sort_keys=True)


def read_kafka(
    spark: Any,
    settings: Any,
    topics: list[str],
    *,
    max_offsets_per_trigger: int | None = None,
    starting_offsets: str | None = None,
):
    """A streaming DataFrame of ``topics`` (Spark's columns: key, value, topic, partition,
    offset, timestamp, timestampType)."""
    options = kafka_options(
        settings,
        topics,
        max_offsets_per_trigger=max_offsets_per_trigger,
        starting_offsets=starting_offsets,
    )
    return spark.readStream.format("kafka").options(**options).load()


def end_offsets(progress: Any) -> Offsets:
    """The processed end offsets of every source in a query progress (dict or Spark object)."""
    out: Offsets = {}
    for source in (progress or {}).get("sources") or []:
        end = source.get("endOffset")  # a JSON string ("null" before any offset)
        end = (json.loads(end) if isinstance(end, str) else end) or {}
        for topic, parts in end.items():
            out.setdefault(topic, {}).update({str(p): int(o) for p, o in parts.items()})
    return out


class OffsetPublisher(StreamingQueryListener):
    """Publishes each query's end offsets to its group after every micro-batch.

    Spark reports a batch's progress only after writing it to the checkpoint's commit log,
    so the group never runs ahead of what the sink holds. Offsets only move forward per
    group (a late progress event cannot undo a newer commit), an unchanged position is not
    re-sent, and a failed commit (broker down) is logged and retried with the next batch.
    """

    def __init__(self, settings: Any, groups: dict[str, str]) -> None:
        self.settings = settings
        self.groups = groups  # query name -> consumer group
        self._published: dict[str, Offsets] = {}
        self._lock = threading.Lock()

    def onQueryStarted(self, event: Any) -> None:
        """Nothing to publish before a batch has run."""

    def onQueryProgress(self, event: Any) -> None:
        self.publish(event.progress.name, end_offsets(event.progress))

    def onQueryIdle(self, event: Any) -> None:
        """An idle trigger processed nothing new."""

    def onQueryTerminated(self, event: Any) -> None:
        """The last progress event already carried the final offsets."""

    def publish_last(self, query: Any) -> None:
        """Publish a stopped query's last progress (the process may exit before its listener
        event is delivered, e.g. at the end of an available-now run)."""
        self.publish(query.name, end_offsets(query.lastProgress))

    def publish(self, name: str | None, offsets: Offsets) -> None:
        from trendstream.kafka.admin import commit_group_offsets

        group = self.groups.get(name or "")
        if group is None or not offsets:
            return
        with self._lock:
            done = self._published.setdefault(group, {})
            ahead = {
                t: {p: o for p, o in parts.items() if o > done.get(t, {}).get(p, -1)}
                for t, parts in offsets.items()
            }
            ahead = {t: parts for t, parts in ahead.items() if parts}
            if not ahead:
                return
            try:
                commit_group_offsets(self.settings, group, ahead, timeout=COMMIT_TIMEOUT_S)
            except Exception as exc:  # the query must outlive a broker outage
                log.warning(
                    "could not publish offsets of query %s to group %s: %s", name, group, exc
                )
                return
            for topic, parts in ahead.items():
                done.setdefault(topic, {}).update(parts)
        log.debug("query %s: group %s at %s", name, group, ahead)


def register_publisher(spark: Any, settings: Any, groups: dict[str, str]) -> OffsetPublisher:
    """One publisher per session for the named queries."""
    publisher = OffsetPublisher(settings, groups)
    spark.streams.addListener(publisher)
    return publisher
