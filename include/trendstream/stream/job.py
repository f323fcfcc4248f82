"""The streaming job: builds the queries from settings, keeps them running, reports progress.

A failed query restarts from its checkpoint with backoff instead of taking the job down.
Design: docs/stream.md#job
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trendstream.core.faults import load_hook
from trendstream.core.paths import package_parent
from trendstream.core.settings import Deployment
from trendstream.platform.spark_cluster import executor_conf
from trendstream.stream.heartbeat import Heartbeat
from trendstream.stream.job_package import package_zip
from trendstream.stream.quiet_driver import start_quiet_gateway
from trendstream.stream.sink import STAGES, BatchReport, EmbedSink
from trendstream.stream.source import client_options, read_kafka, register_publisher

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
IDLE_HEARTBEAT_S = 5.0
POLL_S = 0.5
STARTUP_WAIT_S = 120.0


class StreamQueryFailed(RuntimeError):
    """A query kept failing past ``settings.stream.max_restarts`` restarts: the job ends."""


def spark_jars(settings) -> list[Path]:
    """The jars under ``<jvm_lib>/spark``: Spark's Kafka connector with what pyspark lacks,
    and our record parser (:mod:`trendstream.stream.parse`)."""
    jars = sorted((settings.jvm_lib / "spark").glob("*.jar"))
    for prefix, what in (
        ("spark-sql-kafka-0-10_", "Spark's Kafka connector"),
        ("trendstream-spark-parse", "the record parser"),
    ):
        if not any(j.name.startswith(prefix) for j in jars):
            raise FileNotFoundError(
                f"{what} is missing in {settings.jvm_lib}/spark; run scripts/setup.sh "
                "(mvn -f jvm/pom.xml package dependency:copy-dependencies)"
            )
    return jars


def spark_session(settings, app_name: str = "trendstream-stream"):
    """The one SparkSession factory: local master unless spark-submit chose one, UI off,
    UTC session time, and PYTHONPATH/PYSPARK_PYTHON set before the JVM starts so the
    Python planner and workers import this package."""
    from pyspark.sql import SparkSession

    include = str(package_parent())
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if include not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([include, *paths])
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # progress lives in the heartbeat
        .config("spark.sql.shuffle.partitions", str(settings.stream.shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        # Streaming plans cannot use adaptive execution; Spark would warn for every query.
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # A loaded machine can take longer than the 15 s default to start a Python worker.
        .config("spark.python.authenticate.socketTimeout", "120s")
        .config(
            "spark.sql.streaming.stateStore.providerClass",
            "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider",
        )
        # Spark's own Kafka source/sink, resolved by Maven (spark-submit passes --jars too).
        .config("spark.jars", ",".join(str(j) for j in spark_jars(settings)))
    )
    if settings.stream.master.startswith("local"):
        # Executors in this process tree import the package from the checkout; a cluster's
        # get it from the zip the driver ships (below), not from the driver's disk.
        builder = builder.config("spark.executorEnv.PYTHONPATH", os.environ["PYTHONPATH"])
    if settings.deployment is Deployment.LOCAL:
        # On one machine nothing else talks to the driver: its RPC and block manager
        # ports must not listen on the host's network address.
        os.environ.setdefault("SPARK_LOCAL_IP", LOOPBACK)
        builder = builder.config("spark.driver.bindAddress", LOOPBACK).config(
            "spark.driver.host", LOOPBACK
        )
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started our JVM
    if not submitted:  # we pick the master
        builder = builder.master(settings.stream.master).config(
            "spark.driver.memory", settings.stream.driver_memory
        )
        if settings.stream.java_options:  # start_quiet_gateway adds our log4j2 flags to them
            builder = builder.config("spark.driver.extraJavaOptions", settings.stream.java_options)
        for key, value in executor_conf(settings, settings.stream.master).items():
            builder = builder.config(key, value)
        # Our JVM, its output in the log file (the builder has no public getter for options).
        start_quiet_gateway(settings, {k: str(v) for k, v in builder._options.items()})
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    if not spark.sparkContext.master.startswith("local"):
        # Executors elsewhere import the package from this zip; the driver keeps importing
        # the checkout (spark-submit's --py-files would put the zip first on its path).
        spark.sparkContext.addPyFile(str(package_zip(settings.paths.job_package_dir)))
    return spark


# --- queries ------------------------------------------------------------------------------


def query_group(settings, name: str) -> str:
    """The consumer group a query commits to: the configured one for ``embed`` (what the
    supervisor watches), ``<group>.<query>`` for the analytics queries."""
    group = settings.kafka.consumer_group
    return group if name == "embed" else f"{group}.{name}"


def query_starters(
    spark,
    settings,
    sink: EmbedSink,
    *,
    available_now: bool,
    max_offsets_per_trigger: int | None,
    analytics: bool,
) -> dict[str, Callable[[], Any]]:
    """name → a function (re)starting that query from its checkpoint."""
    from trendstream.stream import analytics as an
    from trendstream.stream.analytics_store import AnalyticsStore
    from trendstream.stream.parse import dead_letter_rows, parse_stream

    k = settings.kafka

    def read(topics: list[str]):
        return read_kafka(spark, settings, topics, max_offsets_per_trigger=max_offsets_per_trigger)

    def start(name: str, df, sink_fn, mode: str) -> Callable[[], Any]:
        return _starter(
            settings,
            name,
            df,
            lambda w: w.outputMode(mode).foreachBatch(sink_fn),
            available_now=available_now,
        )

    tweets, engagements = [k.tweets_topic], [k.engagements_topic]
    starters = {}
    if analytics:  # started first: quick to initialise, while embed loads the model
        run = AnalyticsStore.run_for(settings.paths.stream_checkpoints)
        starters["hashtags"] = start(
            "hashtags",
            lambda: an.hashtag_counts(read(tweets), settings),
            an.batch_writer("hashtags", k.hashtag_counts_topic, settings, run),
            "update",
        )
        starters["engagement"] = start(
            "engagement",
            lambda: an.engagement_rates(read(engagements), settings),
            an.batch_writer("engagement", k.engagement_rates_topic, settings, run),
            "update",
        )
        starters["users"] = start(
            "users",
            lambda: an.user_scores(read(tweets + engagements), settings),
            an.batch_writer("users", k.user_scores_topic, settings, run),
            "update",
        )
        starters["dead_letters"] = _starter(
            settings,
            "dead_letters",
            lambda: dead_letter_rows(parse_stream(read(engagements), settings), "engagement"),
            lambda w: kafka_sink(w, settings, k.dead_letter_topic),
            available_now=available_now,
        )
    starters["embed"] = start("embed", lambda: read(tweets), sink, "append")
    return starters


def _starter(
    settings, name: str, df: Callable[[], Any], sink: Callable[[Any], Any], *, available_now: bool
) -> Callable[[], Any]:
    """A function (re)starting query ``name`` from its checkpoint: ``df()`` into ``sink``."""

    def starter():
        writer = sink(
            df()
            .writeStream.queryName(name)
            .option("checkpointLocation", str(settings.paths.query_checkpoint(name)))
        )
        writer = (
            writer.trigger(availableNow=True)
            if available_now
            else writer.trigger(processingTime=f"{settings.stream.trigger_seconds} seconds")
        )
        return writer.start()

    return starter


def kafka_sink(writer, settings, topic: str):
    """Spark's Kafka sink (at-least-once: a replayed batch can repeat a record, never lose one);
    used for the engagements' dead letters, judged in the JVM by
    :func:`~trendstream.stream.parse.dead_letter_rows`. Refused tweets are dead-lettered by
    the embed query, which validates them anyway."""
    return writer.format("kafka").options(**client_options(settings)).option("topic", topic)


# --- heartbeat ------------------------------------------------------------------------------


@dataclass
class Progress:
    """The job's running figures; each :meth:`write` publishes them as a :class:`Heartbeat`
    (and to the optional Prometheus gauges)."""

    settings: Any
    status: str = "starting"
    last: BatchReport | None = None
    batches: int = 0
    rows: int = 0
    queries: dict[str, Any] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    written_at: float = 0.0
    _gauges: dict[str, Any] | None = None

    def serve_metrics(self, port: int) -> None:
        from prometheus_client import Gauge, start_http_server

        # Loopback on one machine; a cluster's Prometheus scrapes the pod's address.
        local = self.settings.deployment is Deployment.LOCAL
        start_http_server(port, addr=LOOPBACK if local else "0.0.0.0")
        self._gauges = {
            "batch_id": Gauge("trendstream_stream_batch_id", "Last embed batch id"),
            "rows_per_second": Gauge("trendstream_stream_rows_per_second", "Embed batch rows/s"),
            "batch_duration_s": Gauge(
                "trendstream_stream_batch_duration_seconds", "Embed batch duration"
            ),
            "lag": Gauge("trendstream_stream_consumer_lag", "Tweets not yet embedded"),
            "stage": Gauge(
                "trendstream_stream_stage_seconds", "Last batch time per stage", ["stage"]
            ),
        }
        log.info("serving Prometheus metrics on :%d", port)

    def batch(self, report: BatchReport) -> None:
        self.last, self.status = report, "running"
        self.batches += 1
        self.rows += report.input_rows
        self.write()

    def write(self) -> Heartbeat:
        beat = self.heartbeat()
        beat.write(self.settings.paths.heartbeat_file)
        self.written_at = time.monotonic()
        if self._gauges:
            for name in ("batch_id", "rows_per_second", "batch_duration_s", "lag"):
                if getattr(beat, name) is not None:
                    self._gauges[name].set(getattr(beat, name))
            for stage, secs in (beat.stage_seconds or {}).items():
                self._gauges["stage"].labels(stage).set(secs)
        return beat

    def heartbeat(self) -> Heartbeat:
        last = self.last
        duration = last.duration_s if last else None
        return Heartbeat(
            pid=os.getpid(),
            timestamp=datetime.now(UTC),
            status=self.status,
            batch_id=last.batch_id if last else None,
            input_rows=last.input_rows if last else None,
            rows_per_second=round(last.input_rows / duration, 1) if last and duration else None,
            batch_duration_s=round(duration, 3) if duration is not None else None,
            stage_seconds={s: round(last.seconds[s], 4) for s in STAGES} if last else None,
            encode_rows_per_second=(
                round(last.encode_rows_per_s, 1) if last and last.encode_rows_per_s else None
            ),
            tweets_upserted=last.upserted if last else None,
            dead_letters=last.dead_letters if last else None,
            last_offsets=last.end_offsets if last else None,
            lag=self._lag(),
            batches_total=self.batches,
            rows_total=self.rows,
            queries=dict(self.queries),
            restarts=dict(self.restarts),
        )

    def _lag(self) -> int | None:
        """The embed group's lag from its committed offsets (what Kafka tooling shows)."""
        from trendstream.kafka.admin import consumer_lag

        k = self.settings.kafka
        try:
            return sum(
                p.lag
                for p in consumer_lag(self.settings, k.consumer_group, k.tweets_topic, timeout=5.0)
            )
        except Exception as exc:  # the heartbeat must not die with the broker
            log.warning("could not read consumer lag: %s", exc)
            return None


def _query_summary(query) -> dict[str, Any]:
    progress = query.lastProgress or {}
    return {
        "active": query.isActive,
        "batch_id": progress.get("batchId"),
        "input_rows": progress.get("numInputRows"),
        "rows_per_second": progress.get("processedRowsPerSecond"),
        "duration_ms": (progress.get("durationMs") or {}).get("triggerExecution"),
    }


# --- the run loop ---------------------------------------------------------------------------


def _stop_signal() -> threading.Event:
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():

        def handler(signum, _frame):
            log.warning("received %s: stopping the stream queries", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, handler)
    return stop


def _started(start: Callable[[], Any], stop: threading.Event):
    """Start a query and wait until its Kafka source is initialised, so the queries' starts
    do not all compete for a small machine's cores (and broker round trips) at once."""
    query = start()
    deadline = time.monotonic() + STARTUP_WAIT_S
    while (
        query.isActive
        and query.status.get("message") == "Initializing sources"
        and time.monotonic() < deadline
        and not stop.is_set()
    ):
        time.sleep(0.2)
    return query


def run_stream(
    settings,
    available_now: bool = False,
    max_offsets_per_trigger: int | None = None,
    *,
    analytics: bool | None = None,
    reset: bool = False,
    stop: threading.Event | None = None,
) -> Heartbeat:
    """Run the job until stopped (SIGTERM / ``stop``) or, with ``available_now``, until every
    query has processed what was in Kafka at start. Returns the last heartbeat."""
    from trendstream.kafka.admin import ensure_topics

    analytics = settings.stream.analytics if analytics is None else analytics
    if reset:  # starting over: the analytics copy goes with the checkpoints it came from
        paths = settings.paths
        for path in (paths.stream_checkpoints, paths.analytics_dir):
            shutil.rmtree(path, ignore_errors=True)
        log.warning("removed %s and %s", paths.stream_checkpoints, paths.analytics_dir)
    ensure_topics(settings)
    stop = stop or _stop_signal()
    progress = Progress(settings)
    if settings.stream.metrics_port:
        progress.serve_metrics(settings.stream.metrics_port)
    sink = EmbedSink(settings, faults=load_hook(settings.faults))
    sink.on_batch = progress.batch
    sink.load_model_in_background()
    spark = spark_session(settings)
    starters = query_starters(
        spark,
        settings,
        sink,
        available_now=available_now,
        max_offsets_per_trigger=max_offsets_per_trigger,
        analytics=analytics,
    )
    publisher = register_publisher(spark, settings, {n: query_group(settings, n) for n in starters})
    running: dict[str, Any] = {}
    failures = dict.fromkeys(starters, 0)
    retry_at: dict[str, float] = {}
    try:
        for name, start in starters.items():
            running[name] = _started(start, stop)
        progress.status = "running"
        progress.write()
        while (running or retry_at) and not stop.is_set():
            time.sleep(POLL_S)
            now = time.monotonic()
            for name, query in list(running.items()):
                progress.queries[name] = _query_summary(query)
                if query.isActive:
                    if query.lastProgress is not None and (
                        query.lastProgress.get("numInputRows") or 0
                    ):
                        failures[name] = 0
                    continue
                del running[name]
                error = query.exception()
                if error is None:
                    log.info("query %s finished", name)
                    publisher.publish_last(query)
                    continue
                failures[name] += 1
                progress.restarts[name] = progress.restarts.get(name, 0) + 1
                if failures[name] > settings.stream.max_restarts:
                    raise StreamQueryFailed(
                        f"query {name} failed {failures[name]} times in a row; "
                        f"last error: {_short(error)}"
                    )
                delay = min(2.0 ** (failures[name] - 1), settings.stream.restart_backoff_max_s)
                log.error(
                    "query %s failed (%s); restarting from its checkpoint in %.0fs",
                    name,
                    _short(error),
                    delay,
                )
                progress.status = "retrying"
                retry_at[name] = now + delay
            for name, when in list(retry_at.items()):
                if now >= when:
                    del retry_at[name]
                    running[name] = _started(starters[name], stop)
                    log.info("restarted query %s", name)
            if not retry_at and running:
                progress.status = "running"
            if now - progress.written_at >= IDLE_HEARTBEAT_S:
                progress.write()
    finally:
        for query in running.values():
            query.stop()
            publisher.publish_last(query)
        progress.status = "stopped"
        final = progress.write()
    return final


def _short(error: Any) -> str:
    text = str(getattr(error, "desc", None) or error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    causes = [
        line for line in lines if "Error" in line or "Exception" in line or "Unavailable" in line
    ]
    return (causes[-1] if causes else lines[0] if lines else repr(error))[:500]
