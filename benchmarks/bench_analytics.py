"""Stream analytics (no embeddings): our Spark queries vs Quix Streams vs Kafka Streams,
same topic, same broker, one run.

Two phases on one broker (``--bootstrap``, or a fresh private Apache Kafka one):

* **throughput**: a generated backlog (tweets + engagements, through ``trendstream
  ingest``'s own :class:`~trendstream.sources.ingest.Ingestor`) is processed from the earliest
  offset, ``--rounds`` times, alternating engines:

  - Spark: the library's query builders
    (:func:`trendstream.stream.analytics.hashtag_counts` / ``engagement_rates`` /
    ``user_scores`` over :func:`trendstream.stream.source.read_kafka`, Spark's own Kafka
    source) with the job's own sink (:func:`~trendstream.stream.analytics.batch_writer`:
    Parquet + Kafka), ``availableNow`` trigger; events/s = input records / query wall time
    (session already warm: query start and planning included);
  - Quix Streams 3.28 (``benchmarks/quix_app.py`` in ``benchmarks/.venv-quix``, created
    on first use) and Kafka Streams 4.4 (``benchmarks/kafka-streams``, built with Maven on
    first use): the same 5-s hashtag windows; events/s = tweets / (done - first record),
    i.e. *without* their consumer-group start-up, which is reported apart.

  Every engine's final counts are checked against counts computed from the generated
  data before its rate is reported. The users query also scores a batch of
  ``--users`` likes, each from a different user (its batch time is the figure).

* **latency**: the generator's stream replayed live (``created_at`` = the wall clock at
  which it is produced) at ``--live-rate`` tweets/s; per aggregate key, latency = wall
  time the aggregate was last updated (visible in Kafka/Parquet for Spark, emitted for
  Quix) - ``created_at`` of the key's last event, over keys whose final value is right.

Writes ``benchmarks/results/analytics.json`` and prints the figures and the ratios.

    .venv/bin/python benchmarks/bench_analytics.py [--tweets 100000] [--rounds 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from tests.support.sandbox import derive_settings, private_broker
from trendstream.core.schema import Engagement
from trendstream.core.settings import Settings
from trendstream.sources.generator import GeneratorConfig, write_stream

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results" / "analytics.json"
QUIX_VENV = BENCH_DIR / ".venv-quix"
QUIX_VERSION = "3.28.1"
KSTREAMS_DIR = BENCH_DIR / "kafka-streams"
KSTREAMS_JAR = KSTREAMS_DIR / "target" / "trendstream-kstreams-bench.jar"
ENGINES = ("spark", "quix", "kstreams")
HASHTAG_WINDOW_MS = 5000
ENGAGEMENT_WINDOW_MS = 1000  # engagement_rates' window
ENGAGEMENT_TYPES = ("like", "retweet", "reply", "quote")  # the counted ones (follows are not)
POSTS_PER_RATE = (
    1.22  # generated posts per unit of GeneratorConfig.rate (chatter + decoys + trends)
)


# --- ground truth from the generated data --------------------------------------------------------

Key = tuple[int, str]


@dataclass
class Truth:
    """What every engine must output: final value per aggregate key, and when its last event
    happened."""

    values: dict[Key, Any] = field(default_factory=dict)
    last_event_ms: dict[Key, int] = field(default_factory=dict)
    events: int = 0  # input records
    inputs: int = 0  # records entering the aggregation (hashtag occurrences / counted engagements)


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def hashtag_truth(lines: list[bytes]) -> Truth:
    """Posts per (5-s window, lower-cased hashtag), from the X v2 lines' hashtag entities."""
    truth = Truth(events=len(lines))
    counts: dict[Key, int] = defaultdict(int)
    for line in lines:
        data = orjson.loads(line)["data"]
        ms = _ms(data["created_at"])
        tags = dict.fromkeys(h["tag"].lower() for h in data.get("entities", {}).get("hashtags", []))
        for tag in tags:
            key = (ms - ms % HASHTAG_WINDOW_MS, tag)
            counts[key] += 1
            truth.last_event_ms[key] = max(truth.last_event_ms.get(key, 0), ms)
            truth.inputs += 1
    truth.values = dict(counts)
    return truth


def engagement_truth(lines: list[bytes]) -> Truth:
    """(likes, retweets, replies, quotes) per (1-s window, tweet id) and per (1-s window, "*")."""
    truth = Truth(events=len(lines))
    counts: dict[Key, list[int]] = defaultdict(lambda: [0] * len(ENGAGEMENT_TYPES))
    for line in lines:
        event = orjson.loads(line)
        if event["type"] not in ENGAGEMENT_TYPES or not event["tweet_id"]:
            continue
        ms = _ms(event["created_at"])
        window = ms - ms % ENGAGEMENT_WINDOW_MS
        truth.inputs += 1
        for key in ((window, event["tweet_id"]), (window, "*")):
            counts[key][ENGAGEMENT_TYPES.index(event["type"])] += 1
            truth.last_event_ms[key] = max(truth.last_event_ms.get(key, 0), ms)
    truth.values = {k: tuple(v) for k, v in counts.items()}
    return truth


def users_truth(lines: list[bytes], half_life_s: float) -> Truth:
    """(actions, rebased decayed sum) per (half-life window, user), the users query's rows
    (``S_w = Σ w(a)·2^((t − s_w)/H)``, :mod:`trendstream.stream.scores`), for
    engagements each from a different user."""
    from trendstream.stream.scores import ACTION_WEIGHTS

    truth = Truth(events=len(lines), inputs=len(lines))
    window_ms = int(half_life_s * 1000)
    for line in lines:
        event = orjson.loads(line)
        ms = _ms(event["created_at"])
        start = ms - ms % window_ms
        score = ACTION_WEIGHTS[event["type"]] * 2.0 ** ((ms - start) / 1000 / half_life_s)
        truth.values[(start, event["user_id"])] = (1, round(score, 6))
    return truth


@dataclass
class Check:
    keys: int
    matching: int
    missing: int
    extra: int
    wrong: int

    @property
    def ok(self) -> bool:
        return self.matching == self.keys and not self.extra

    def as_dict(self) -> dict[str, Any]:
        return {
            "keys": self.keys,
            "matching": self.matching,
            "missing": self.missing,
            "extra": self.extra,
            "wrong": self.wrong,
            "ok": self.ok,
        }


def compare(truth: Truth, got: dict[Key, Any]) -> Check:
    matching = sum(1 for k, v in truth.values.items() if got.get(k) == v)
    missing = sum(1 for k in truth.values if k not in got)
    return Check(
        len(truth.values),
        matching,
        missing,
        sum(1 for k in got if k not in truth.values),
        len(truth.values) - matching - missing,
    )


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def latencies(truth: Truth, got: dict[Key, tuple[Any, float]]) -> list[float]:
    """Per correct key: last-update wall time - its last event's time, in seconds."""
    return [
        at - truth.last_event_ms[k] / 1000
        for k, (value, at) in got.items()
        if truth.values.get(k) == value
    ]


def latency_summary(values: list[float], events_per_s: float, check: Check) -> dict[str, Any]:
    return {
        "p50_s": _round(percentile(values, 50)),
        "p99_s": _round(percentile(values, 99)),
        "max_s": _round(max(values) if values else None),
        "keys": len(values),
        "events_per_s": round(events_per_s, 1),
        "counts": check.as_dict(),
    }


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


# --- Spark ------------------------------------------------------------------------------------


class Recorder:
    """Latest value of every aggregate key and the wall time it last changed."""

    def __init__(self) -> None:
        self.rows: dict[Key, tuple[Any, float]] = {}
        self.lock = threading.Lock()

    def update(self, key: Key, value: Any, at: float) -> None:
        with self.lock:
            if key not in self.rows or self.rows[key][0] != value:
                self.rows[key] = (value, at)

    def values(self) -> dict[Key, Any]:
        with self.lock:
            return {k: v for k, (v, _) in self.rows.items()}


def _window_ms(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def hashtag_key(row: dict[str, Any]) -> tuple[Key, Any]:
    return (_window_ms(row["window_start"]), row["hashtag"]), row["count"]


def engagement_key(row: dict[str, Any]) -> tuple[Key, Any]:
    return (
        (_window_ms(row["window_start"]), row["tweet_id"]),
        (row["likes"], row["retweets"], row["replies"], row["quotes"]),
    )


def users_key(row: dict[str, Any]) -> tuple[Key, Any]:
    return (_window_ms(row["window_start"]), row["user_id"]), (
        row["actions"],
        round(row["score"], 6),
    )


def recording_sink(
    name: str,
    topic: str,
    settings: Settings,
    recorder: Recorder,
    key_of: Callable[[dict[str, Any]], tuple[Key, Any]],
) -> Callable[[Any, int], None]:
    """The job's own foreachBatch writer, then note when each row became visible."""
    from trendstream.stream.analytics import batch_writer
    from trendstream.stream.analytics_store import AnalyticsStore

    store = AnalyticsStore.of(settings)
    run = store.run_for(
        settings.paths.checkpoint_dir
    )  # beside the queries' checkpoints, as the job
    write = batch_writer(name, topic, settings, run)

    def sink(batch_df, batch_id: int) -> None:
        write(batch_df, batch_id)
        at = time.time()
        written = store.read_batch(name, run, batch_id)
        if written is not None:
            for row in written.to_pylist():
                key, value = key_of(row)
                recorder.update(key, value, at)

    return sink


QUERIES = {  # name -> (input topic attributes, builder name, output topic attribute, key function)
    "hashtags": (("tweets_topic",), "hashtag_counts", "hashtag_counts_topic", hashtag_key),
    "engagement": (
        ("engagements_topic",),
        "engagement_rates",
        "engagement_rates_topic",
        engagement_key,
    ),
    "users": (("tweets_topic", "engagements_topic"), "user_scores", "user_scores_topic", users_key),
}


LIVE_QUERIES = ("hashtags", "engagement")  # the windowed aggregates whose latency is measured


def start_query(
    spark,
    settings: Settings,
    name: str,
    recorder: Recorder,
    *,
    available_now: bool,
    trigger_seconds: float,
    max_offsets: int,
):
    from trendstream.stream import analytics
    from trendstream.stream.source import read_kafka

    topic_attrs, builder, out_attr, key_of = QUERIES[name]
    k = settings.kafka
    df = getattr(analytics, builder)(
        read_kafka(
            spark,
            settings,
            [getattr(k, a) for a in topic_attrs],
            max_offsets_per_trigger=max_offsets,
            starting_offsets="earliest",
        ),
        settings,
    )
    writer = (
        df.writeStream.queryName(f"bench_{name}_{uuid.uuid4().hex[:6]}")
        .outputMode("update")
        .option("checkpointLocation", str(settings.paths.checkpoint_dir / name))
        .foreachBatch(recording_sink(name, getattr(k, out_attr), settings, recorder, key_of))
    )
    writer = (
        writer.trigger(availableNow=True)
        if available_now
        else writer.trigger(processingTime=f"{trigger_seconds} seconds")
    )
    return writer.start()


def spark_backlog(
    spark, settings: Settings, name: str, truth: Truth, max_offsets: int
) -> dict[str, Any]:
    from trendstream.kafka.admin import ensure_topics

    ensure_topics(settings)  # this run's output topics (the broker creates none by itself)
    recorder = Recorder()
    with CpuSplit(settings.kafka.bootstrap_servers) as cpu:
        started = time.perf_counter()
        query = start_query(
            spark,
            settings,
            name,
            recorder,
            available_now=True,
            trigger_seconds=0,
            max_offsets=max_offsets,
        )
        query.awaitTermination()
        wall = time.perf_counter() - started
    if query.exception() is not None:
        raise RuntimeError(f"spark {name} query failed: {query.exception()}")
    progress = [p for p in query.recentProgress if p.get("numInputRows")]
    check = compare(truth, recorder.values())
    return {
        "events_per_s": truth.events / wall,
        "wall_s": wall,
        "batches": len(progress),
        "batch_ms": [p["durationMs"].get("triggerExecution") for p in progress],
        "batches_s": sum(p["durationMs"].get("triggerExecution", 0) for p in progress) / 1000,
        "batch_split_ms": [
            {k: v for k, v in p["durationMs"].items() if k != "triggerExecution"} for p in progress
        ],
        "cpu_s": cpu.seconds(),
        "events_per_cpu_s": truth.events / sum(cpu.seconds().values()),
        "counts": check.as_dict(),
    }


class CpuSplit:
    """CPU seconds spent per component while a run lasts, from polling every process
    (processes that end mid-run keep their last reading): where the cores went. The
    poller's own CPU is taken off the driver's."""

    DRIVER = "driver (planning, foreachBatch sink)"

    def __init__(self, bootstrap: str) -> None:
        import psutil

        self.psutil = psutil
        port = int(bootstrap.rsplit(":", 1)[-1])
        self.brokers = [
            psutil.Process(c.pid)
            for c in psutil.net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr.port == port and c.pid
        ]
        self.first: dict[int, tuple[str, float]] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.poller_cpu = 0.0
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def component(self, proc) -> str | None:
        if proc in self.brokers:
            return "broker"
        if proc.pid == os.getpid():
            return self.DRIVER
        cmd = " ".join(proc.cmdline())
        if KSTREAMS_JAR.name in cmd:
            return "Kafka Streams app"
        if "java" in proc.name():
            return "JVM (Spark engine, state store)"
        if "pyspark" in cmd:
            return "Python workers / helpers"
        if "quix_app.py" in cmd:
            return "Quix app"
        return None

    def _sample(self) -> dict[int, tuple[str, float]]:
        me = self.psutil.Process()
        out = {}
        for proc in [me, *me.children(recursive=True), *self.brokers]:
            try:
                name = self.component(proc)
                if name:
                    times = proc.cpu_times()
                    out[proc.pid] = (name, times.user + times.system)
            except (self.psutil.NoSuchProcess, self.psutil.AccessDenied, self.psutil.ZombieProcess):
                continue
        return out

    def _poll(self) -> None:
        while not self.stop_event.wait(0.5):
            for pid, reading in self._sample().items():
                self.first.setdefault(pid, (reading[0], 0.0))  # born during the run
                self.last[pid] = reading
        self.poller_cpu = time.thread_time()

    def __enter__(self) -> CpuSplit:
        self.first = self._sample()
        self.last = dict(self.first)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join()
        for pid, reading in self._sample().items():
            self.last[pid] = reading

    def seconds(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for pid, (name, cpu) in self.last.items():
            out[name] += cpu - self.first.get(pid, (name, 0.0))[1]
        out[self.DRIVER] = max(out[self.DRIVER] - self.poller_cpu, 0.0)
        return {k: round(v, 2) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


# --- Quix Streams ------------------------------------------------------------------------------


def quix_python() -> Path:
    """The benchmark's own Quix Streams virtualenv, created with pip on first use."""
    python = QUIX_VENV / "bin" / "python"
    if (
        python.exists()
        and subprocess.run(
            [
                str(python),
                "-c",
                f"import quixstreams, sys; sys.exit(quixstreams.__version__ != '{QUIX_VERSION}')",
            ],
            capture_output=True,
        ).returncode
        == 0
    ):
        return python
    creator = shutil.which("python3.11") or sys.executable
    print(f"creating {QUIX_VENV} with quixstreams=={QUIX_VERSION} (first use)", flush=True)
    subprocess.run([creator, "-m", "venv", str(QUIX_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"quixstreams=={QUIX_VERSION}"], check=True
    )
    return python


@contextmanager
def quix_app(
    settings: Settings, topic: str, expect: int, grace_ms: int, work: Path, timeout_s: float
) -> Iterator[tuple[subprocess.Popen, Path, Path]]:
    """The Quix app as a subprocess; yields (process, result path, ready-marker path)."""
    uid = uuid.uuid4().hex[:8]
    out, ready = work / f"quix-{uid}.json", work / f"quix-{uid}.ready"
    env = dict(os.environ)
    include = str(BENCH_DIR.parent / "include")
    env["PYTHONPATH"] = os.pathsep.join(
        [include, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    )
    argv = [
        str(quix_python()),
        str(BENCH_DIR / "quix_app.py"),
        "--bootstrap",
        settings.kafka.bootstrap_servers,
        "--topic",
        topic,
        "--output-topic",
        f"{topic}.quix-out-{uid}",
        "--group",
        f"quix-{uid}",
        "--state-dir",
        str(work / f"quix-state-{uid}"),
        "--expect",
        str(expect),
        "--grace-ms",
        str(grace_ms),
        "--timeout",
        str(timeout_s),
        "--out",
        str(out),
        "--ready-file",
        str(ready),
    ]
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        yield proc, out, ready
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _quix_result(proc: subprocess.Popen, out: Path, timeout_s: float) -> dict[str, Any]:
    output, _ = proc.communicate(timeout=timeout_s)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"quix app failed (exit {proc.returncode}):\n{output[-3000:]}")
    return json.loads(out.read_text())


def quix_windows(result: dict[str, Any]) -> dict[Key, tuple[int, float]]:
    return {(start, tag): (count, at) for start, tag, count, at in result["windows"]}


BACKLOG_GRACE_MS = 24 * 3600 * 1000
# A backlog is read partition chunk by partition chunk, so event time jumps between chunks:
# Quix and Kafka Streams get a grace as long as the stream, keeping every post (Spark's
# watermark only advances between batches; the live phase uses the job's lateness for all).


def quix_backlog(settings: Settings, truth: Truth, work: Path, timeout_s: float) -> dict[str, Any]:
    with (
        CpuSplit(settings.kafka.bootstrap_servers) as cpu,
        quix_app(
            settings, settings.kafka.tweets_topic, truth.inputs, BACKLOG_GRACE_MS, work, timeout_s
        ) as (proc, out, _),
    ):
        result = _quix_result(proc, out, timeout_s + 60)
    if result["done_at"] is None:
        raise RuntimeError(
            f"quix saw {result['records']}/{truth.inputs} hashtag records in {timeout_s}s"
        )
    return {
        **app_backlog_figures(result, truth, cpu.seconds()),
        "late_dropped": result["late_dropped"],
    }


def app_backlog_figures(
    result: dict[str, Any], truth: Truth, cpu_s: dict[str, float], runs: int = 1
) -> dict[str, Any]:
    """Rate, start-up, CPU and count check of a Quix or Kafka Streams app's result JSON
    (``started_at``, ``first_message_at``, ``done_at``, ``processing_cpu_s``, ``windows``)
    for its timed run, the last of ``runs`` (the broker's CPU is shared out evenly)."""
    windows = quix_windows(result)
    check = compare(truth, {k: v for k, (v, _) in windows.items()})
    processing = result["done_at"] - result["first_message_at"]
    return {
        "events_per_s": truth.events / processing,
        "wall_s": processing,
        "startup_s": result["first_message_at"] - result["started_at"],
        "cpu_s": cpu_s,  # start-up included
        # the app's own CPU while processing (start-up excluded) + the broker's for the whole run
        "events_per_cpu_s": truth.events
        / (result["processing_cpu_s"] + cpu_s.get("broker", 0.0) / runs),
        "counts": check.as_dict(),
    }


# --- Kafka Streams ------------------------------------------------------------------------------


def kstreams_jar() -> Path:
    """The Kafka Streams app, built with Maven on first use (and when its sources changed)."""
    sources = [KSTREAMS_DIR / "pom.xml", *KSTREAMS_DIR.glob("src/**/*.java")]
    if (
        KSTREAMS_JAR.exists()
        and max(f.stat().st_mtime for f in sources) <= KSTREAMS_JAR.stat().st_mtime
    ):
        return KSTREAMS_JAR
    print(f"building {KSTREAMS_JAR.relative_to(BENCH_DIR)} with Maven (first use)", flush=True)
    subprocess.run(
        ["mvn", "-q", "-B", "-Dstyle.color=never", "-f", str(KSTREAMS_DIR / "pom.xml"), "package"],
        check=True,
    )
    return KSTREAMS_JAR


def kstreams_backlog(
    settings: Settings, truth: Truth, work: Path, timeout_s: float, guarantee: str, warmups: int
) -> dict[str, Any]:
    """One timed run of the Kafka Streams app over the tweets backlog (2 stream threads, the
    Spark driver's heap) after ``warmups`` untimed ones in the same JVM (as Spark's session
    is warm); each ends once its committed offsets reach the backlog's end."""
    from trendstream.platform.broker import java_executable

    uid = uuid.uuid4().hex[:8]
    topic, out = settings.kafka.tweets_topic, work / f"kstreams-{uid}.json"
    argv = [
        java_executable(settings),
        f"-Xmx{settings.stream.driver_memory}",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-jar",
        str(kstreams_jar()),
        "--bootstrap",
        settings.kafka.bootstrap_servers,
        "--topic",
        topic,
        "--output-topic",
        f"{topic}.kstreams-out-{uid}",
        "--application-id",
        f"kstreams-{uid}",
        "--state-dir",
        str(work / f"kstreams-state-{uid}"),
        "--out",
        str(out),
        "--grace-ms",
        str(BACKLOG_GRACE_MS),
        "--guarantee",
        guarantee,
        "--threads",
        "2",
        "--timeout-s",
        str(timeout_s),
        "--warmups",
        str(warmups),
    ]
    with CpuSplit(settings.kafka.bootstrap_servers) as cpu:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout_s * (warmups + 1) + 120
        )
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"kafka streams app failed (exit {done.returncode}):\n"
            f"{(done.stdout + done.stderr)[-3000:]}"
        )
    result = json.loads(out.read_text())
    return {
        **app_backlog_figures(result, truth, cpu.seconds(), warmups + 1),
        "guarantee": guarantee,
        "version": result["kafka_streams_version"],
        "warmup_processing_s": result["warmup_processing_s"],
    }


# --- data ---------------------------------------------------------------------------------------


def generate(tweets: int, work: Path, *, seed: int = 42) -> tuple[list[bytes], list[bytes]]:
    """About ``tweets`` posts spread over 10 minutes of stream time."""
    minutes = 10.0
    config = GeneratorConfig(
        seed=seed, minutes=minutes, rate=tweets / (minutes * 60) / POSTS_PER_RATE
    )
    paths = write_stream(work / f"stream-{seed}-{tweets}", config)
    return _lines(paths.tweets), _lines(paths.engagements)


def live_stream(rate: float, seconds: float, work: Path) -> tuple[list[bytes], list[bytes]]:
    """``seconds`` of stream at ``rate`` posts/s (times shifted to "now" before replay).
    Engagements the generator capped to the stream's last millisecond (a pile-up no live
    stream has) are left out."""
    config = GeneratorConfig(seed=5, minutes=seconds / 60, rate=rate / POSTS_PER_RATE)
    paths = write_stream(work / f"live-{uuid.uuid4().hex[:6]}", config)
    last_ms = int(config.start.timestamp() * 1000) + config.seconds * 1000 - 1
    engagements = [
        line
        for line in _lines(paths.engagements)
        if _ms(orjson.loads(line)["created_at"]) < last_ms
    ]
    return _lines(paths.tweets), engagements


def _lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().split(b"\n") if line]


def load_backlog(settings: Settings, tweets: list[bytes], engagements: list[bytes]) -> None:
    from trendstream.sources.ingest import Ingestor

    with Ingestor(settings, source="bench-analytics") as ingestor:
        accepted = ingestor.submit_many((line, f"tweets:{i}") for i, line in enumerate(tweets))
        accepted += ingestor.submit_many(
            (line, f"engagements:{i}") for i, line in enumerate(engagements)
        )
    if accepted != len(tweets) + len(engagements):
        raise RuntimeError(
            f"ingest accepted {accepted} of {len(tweets) + len(engagements)} records"
        )


def replay_live(settings: Settings, lines: list[tuple[int, bytes]]) -> float:
    """Produce each (created_at ms, line) when the wall clock reaches it, through the
    ingest path; returns how late the producer was at p99 (s)."""
    from trendstream.sources.ingest import Ingestor

    lags = []
    with Ingestor(settings, source="bench-live", create_topics=False) as ingestor:
        for i, (ms, line) in enumerate(lines):
            delay = ms / 1000 - time.time()
            if delay > 0.001:
                time.sleep(delay)
            lags.append(max(-delay, 0.0))
            ingestor.submit(line, f"live:{i}")
    return percentile(lags, 99) or 0.0


def timed_lines(tweets: list[bytes], engagements: list[bytes]) -> list[tuple[int, bytes]]:
    stamped = [(_ms(orjson.loads(line)["data"]["created_at"]), line) for line in tweets]
    stamped += [(_ms(orjson.loads(line)["created_at"]), line) for line in engagements]
    return sorted(stamped, key=lambda item: item[0])


# --- settings per round -------------------------------------------------------------------------


RUN_ID = uuid.uuid4().hex[:6]  # topics of one invocation never mix with an earlier one's


def round_settings(base: Settings, work: Path, tag: str, topics_tag: str) -> Settings:
    """Fresh state dir, checkpoints and output topics per run; input topics per data set."""
    tag, topics_tag = f"{RUN_ID}.{tag}", f"{RUN_ID}.{topics_tag}"
    return derive_settings(
        base,
        state_dir=work / f"state-{tag}",
        kafka={
            "tweets_topic": f"bench.tweets.{topics_tag}",
            "engagements_topic": f"bench.engagements.{topics_tag}",
            "dead_letter_topic": f"bench.dlq.{topics_tag}",
            "hashtag_counts_topic": f"bench.out.hashtags.{tag}",
            "engagement_rates_topic": f"bench.out.engagement.{tag}",
            "user_scores_topic": f"bench.out.users.{tag}",
            "consumer_group": f"bench-{tag}",
        },
    )


# --- the phases -----------------------------------------------------------------------------------


def throughput(spark, base: Settings, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every engine over the same backlog, ``--rounds`` times alternating (Spark warmed up
    first); the Spark users query also over ``--users`` likes from distinct users."""
    from trendstream.kafka.admin import ensure_topics

    started = time.perf_counter()
    tweets, engagements = generate(args.tweets, work)
    print(
        f"generated {len(tweets):,} tweets + {len(engagements):,} engagements "
        f"in {time.perf_counter() - started:.1f}s",
        flush=True,
    )
    tags, rates = hashtag_truth(tweets), engagement_truth(engagements)
    data = round_settings(base, work, "load", "backlog")
    ensure_topics(data)
    started = time.perf_counter()
    load_backlog(data, tweets, engagements)
    print(
        f"loaded the backlog in {time.perf_counter() - started:.1f}s "
        f"({tags.inputs:,} hashtag records, {len(tags.values):,} hashtag windows)",
        flush=True,
    )
    spark_sets: dict[str, tuple[str, Truth]] = {}  # query -> (input topics tag, truth)
    if spark is not None:
        likes = distinct_user_likes(args.users)
        users = round_settings(base, work, "load-users", "users")
        ensure_topics(users)
        load_backlog(users, [], likes)
        spark_sets = {
            "hashtags": ("backlog", tags),
            "engagement": ("backlog", rates),
            "users": ("users", users_truth(likes, base.stream.user_score_half_life_s)),
        }
    runs: dict[str, list[dict[str, Any]]] = {
        **{f"spark_{name}": [] for name in spark_sets},
        "quix_hashtags": [],
        "kstreams_hashtags": [],
    }
    for w in range(
        args.warmup
    ):  # JIT, Python workers, state-store code paths: Spark gains over its first runs
        for name, (topics_tag, truth) in spark_sets.items():
            run = spark_backlog(
                spark,
                round_settings(base, work, f"warmup-{name}-{w}", topics_tag),
                name,
                truth,
                args.max_offsets,
            )
            _report(f"warm-up (not counted): spark {name}", run)
    for r in range(args.rounds):
        for name, (topics_tag, truth) in spark_sets.items():
            run = spark_backlog(
                spark,
                round_settings(base, work, f"spark-{name}-{r}", topics_tag),
                name,
                truth,
                args.max_offsets,
            )
            runs[f"spark_{name}"].append(run)
            _report(f"round {r + 1}: spark {name}", run)
        if "quix" in args.engines:
            run = quix_backlog(
                round_settings(base, work, f"quix-{r}", "backlog"), tags, work, args.app_timeout
            )
            runs["quix_hashtags"].append(run)
            _report(f"round {r + 1}: quix hashtags", run)
        if "kstreams" in args.engines:
            run = kstreams_backlog(
                round_settings(base, work, f"kstreams-{r}", "backlog"),
                tags,
                work,
                args.app_timeout,
                args.kstreams_guarantee,
                args.warmup,
            )
            runs["kstreams_hashtags"].append(run)
            _report(f"round {r + 1}: kafka streams hashtags", run)
    return {
        "tweets": len(tweets),
        "engagements": len(engagements),
        "hashtag_records": tags.inputs,
        "users_batch": args.users if spark_sets else None,
        "hashtag_windows": len(tags.values),
        "engagement_windows": len(rates.values),
        "runs": runs,
    }


def distinct_user_likes(users: int) -> list[bytes]:
    """``users`` likes of one post, each by a different user, a millisecond apart (a minute ago)."""
    start = datetime.now(UTC) - timedelta(minutes=1)
    return [
        Engagement(
            id=str(10**12 + i),
            type="like",
            user_id=str(10**12 + i),
            created_at=start + timedelta(milliseconds=i),
            tweet_id="1",
        ).to_json()
        for i in range(users)
    ]


def _report(label: str, run: dict[str, Any]) -> None:
    counts = run["counts"]
    rate = (
        f"{run['events_per_s']:>10,.0f} events/s"
        if counts["ok"]
        else f"{'(withheld)':>10s} events/s"
    )  # no rate for wrong answers
    extra = f", extra {counts['extra']:d}" if counts["extra"] else ""
    print(
        f"{label:32s} {rate}  {run['wall_s']:6.1f}s  "
        f"counts {'ok' if counts['ok'] else 'WRONG'} ({counts['matching']}/{counts['keys']}"
        f"{extra})"
        + (f"  startup {run['startup_s']:.1f}s" if "startup_s" in run else "")
        + (f"  batches {run['batches']} ({run['batches_s']:.2f}s)" if "batches" in run else "")
        + f"  {run['events_per_cpu_s']:,.0f} events/cpu-s"
        + f"\n{'':32s} cpu s: {run['cpu_s']}",
        flush=True,
    )


@dataclass
class LiveData:
    """One generated live stream, replayed to each engine with its times moved to "now"."""

    tweets: list[bytes]
    engagements: list[bytes]
    seconds: float

    def warm_up(self) -> list[tuple[int, bytes]]:
        """An hour-old post without hashtags and an hour-old follow: they start the engines'
        consumers and workers without touching any aggregate the latency is measured on."""
        tweet = next(t for t in self.tweets if b'"hashtags"' not in t)
        follow = next(e for e in self.engagements if b'"follow"' in e)
        return timed_lines(*_shift([tweet], [follow], -3600_000))

    def at(self, start: datetime) -> tuple[list[bytes], list[bytes]]:
        first = _ms(orjson.loads(self.tweets[0])["data"]["created_at"])
        return _shift(self.tweets, self.engagements, int(start.timestamp() * 1000) - first)


LEAD_S = 5.0  # from shifting the times to the first post: time to rewrite the lines


def live_spark(
    spark, base: Settings, work: Path, data: LiveData, args: argparse.Namespace
) -> dict[str, Any]:
    from trendstream.kafka.admin import ensure_topics

    s = round_settings(base, work, "live-spark", "live-spark")
    ensure_topics(s)
    recorders = {name: Recorder() for name in LIVE_QUERIES}
    queries = [
        start_query(
            spark,
            s,
            name,
            recorders[name],
            available_now=False,
            trigger_seconds=args.trigger_seconds,
            max_offsets=args.max_offsets,
        )
        for name in LIVE_QUERIES
    ]
    try:
        replay_live(s, data.warm_up())
        _wait(
            lambda: all(any(p.get("numInputRows") for p in q.recentProgress) for q in queries),
            180,
            "spark queries to process the warm-up records",
        )
        tweets, engagements = data.at(datetime.now(UTC) + timedelta(seconds=LEAD_S))
        truths = {"hashtags": hashtag_truth(tweets), "engagement": engagement_truth(engagements)}
        producer_lag = replay_live(s, timed_lines(tweets, engagements))
        _wait(
            lambda: all(compare(truths[n], recorders[n].values()).ok for n in LIVE_QUERIES),
            60,
            "spark aggregates to be complete",
            raise_=False,
        )
    finally:
        for q in queries:
            q.stop()
    out: dict[str, Any] = {}
    for name in LIVE_QUERIES:
        truth, rows = truths[name], recorders[name].rows
        out[name] = latency_summary(
            latencies(truth, rows),
            truth.events / data.seconds,
            compare(truth, {k: v for k, (v, _) in rows.items()}),
        )
    out["producer_lag_p99_s"] = round(producer_lag, 3)
    out["trigger_seconds"] = args.trigger_seconds
    return out


def live_quix(
    base: Settings, work: Path, data: LiveData, args: argparse.Namespace
) -> dict[str, Any]:
    from trendstream.kafka.admin import ensure_topics

    s = round_settings(base, work, "live-quix", "live-quix")
    ensure_topics(s)
    expect = hashtag_truth(data.tweets).inputs  # shifting times does not change it
    grace_ms = base.stream.watermark_seconds * 1000  # the same lateness Spark's watermark allows
    timeout = data.seconds + 180
    with quix_app(s, s.kafka.tweets_topic, expect, grace_ms, work, timeout) as (proc, out, ready):
        replay_live(s, data.warm_up())
        _wait(ready.exists, 180, "the quix app to consume the warm-up post")
        tweets, _ = data.at(datetime.now(UTC) + timedelta(seconds=LEAD_S))
        truth = hashtag_truth(tweets)
        producer_lag = replay_live(s, timed_lines(tweets, []))
        _wait(lambda: proc.poll() is not None, 60, "quix to finish", raise_=False)
        result = _quix_result(proc, out, 60) if proc.poll() is not None else None
    if result is None:
        raise RuntimeError("quix did not see every live hashtag record within 60 s of the end")
    rows = quix_windows(result)
    check = compare(truth, {k: v for k, (v, _) in rows.items()})
    return {
        "hashtags": latency_summary(latencies(truth, rows), truth.events / data.seconds, check),
        "startup_s": round(result["first_message_at"] - result["started_at"], 2),
        "late_dropped": result["late_dropped"],
        "producer_lag_p99_s": round(producer_lag, 3),
    }


def _shift(
    tweets: list[bytes], engagements: list[bytes], delta_ms: int
) -> tuple[list[bytes], list[bytes]]:
    """Records moved ``delta_ms`` in time (``created_at`` only; ids and text unchanged)."""

    def moved(line: bytes, inner: str | None) -> bytes:
        obj = orjson.loads(line)
        target = obj[inner] if inner else obj
        at = datetime.fromisoformat(target["created_at"]) + timedelta(milliseconds=delta_ms)
        target["created_at"] = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
        return orjson.dumps(obj)

    return [moved(t, "data") for t in tweets], [moved(e, None) for e in engagements]


def _wait(done: Callable[[], bool], timeout_s: float, what: str, *, raise_: bool = True) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.2)
    if raise_:
        raise TimeoutError(f"waited {timeout_s:.0f}s for {what}")
    return False


# --- main -----------------------------------------------------------------------------------------


GOAL = (
    "≥ 150k events/s availableNow on 2 cores, ≥ 1× Quix Streams, ≥ 0.5× Kafka Streams, "
    "live p99 event→aggregate ≤ 2 s, a 20k-event batch touching 20k users scored in ≤ 3 s"
)


def summarize(
    throughput_result: dict[str, Any], live: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    runs = throughput_result["runs"]

    def counts_ok(name: str) -> bool:
        return all(r["counts"]["ok"] for r in runs.get(name, []))

    def rounds(name: str, key: str = "events_per_s") -> list[float]:
        """Per-round figures; none at all when any round's counts were wrong."""
        return [round(r[key], 3) for r in runs.get(name, [])] if counts_ok(name) else []

    def median(values: list[float]) -> float | None:
        return round(statistics.median(values), 3) if values else None

    def ratio(ours: float | None, theirs: float | None) -> float | None:
        return round(ours / theirs, 3) if ours and theirs else None

    def app(name: str, version: str) -> dict[str, Any]:
        return {
            "version": version,
            "hashtags_events_per_s": rounds(f"{name}_hashtags"),
            "hashtags_median": median(rounds(f"{name}_hashtags")),
            "hashtags_events_per_cpu_s": rounds(f"{name}_hashtags", "events_per_cpu_s"),
            "startup_s": [round(r["startup_s"], 2) for r in runs[f"{name}_hashtags"]],
            "runs": runs[f"{name}_hashtags"],
            "counts_ok": counts_ok(f"{name}_hashtags"),
        }

    kstreams_runs = runs["kstreams_hashtags"]
    spark_rate = median(rounds("spark_hashtags"))
    quix = {
        **app("quix", QUIX_VERSION),
        "latency": (live.get("quix") or {}).get("hashtags"),
        "live": live.get("quix"),
    }
    kstreams = {
        **app("kstreams", kstreams_runs[0]["version"] if kstreams_runs else ""),
        "processing_guarantee": args.kstreams_guarantee,
    }
    return {
        "benchmark": "analytics",
        "goal": GOAL,
        "tweets": throughput_result["tweets"],
        "engagements": throughput_result["engagements"],
        "hashtag_records": throughput_result["hashtag_records"],
        "users_batch": throughput_result["users_batch"],
        "rounds": args.rounds,
        "warmup_rounds": args.warmup,
        "cores": len(os.sched_getaffinity(0)),
        "max_offsets_per_trigger": args.max_offsets,
        "spark": {
            "hashtags_events_per_s": rounds("spark_hashtags"),
            "hashtags_median": spark_rate,
            "engagement_events_per_s": rounds("spark_engagement"),
            "engagement_median": median(rounds("spark_engagement")),
            "hashtags_events_per_cpu_s": rounds("spark_hashtags", "events_per_cpu_s"),
            # the one batch of the users query over --users likes from distinct users
            "users_batch_s": rounds("spark_users", "batches_s"),
            "users_batch_median_s": median(rounds("spark_users", "batches_s")),
            "users_query_wall_s": rounds("spark_users", "wall_s"),
            "runs": {k: v for k, v in runs.items() if k.startswith("spark")},
            "counts_ok": all(counts_ok(k) for k in runs if k.startswith("spark")),
            "latency": (live.get("spark") or {}).get("hashtags"),
            "engagement_latency": (live.get("spark") or {}).get("engagement"),
            "live": live.get("spark"),
        },
        "quix": quix,
        "kstreams": kstreams,
        "ratio_spark_vs_quix": ratio(spark_rate, quix["hashtags_median"]),
        "ratio_spark_vs_kstreams": ratio(spark_rate, kstreams["hashtags_median"]),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", help="a running broker (default: a fresh private one)")
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help=f"comma-separated subset of {','.join(ENGINES)} (default all)",
    )
    parser.add_argument(
        "--tweets", type=int, default=100_000, help="backlog posts (default 100000)"
    )
    parser.add_argument(
        "--users",
        type=int,
        default=20_000,
        help="likes, each from a different user, scored by the users query in one batch",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="untimed runs first: Spark's, and Kafka Streams' in its JVM each round (Quix: none)",
    )
    parser.add_argument(
        "--max-offsets", type=int, default=500_000, help="Spark maxOffsetsPerTrigger"
    )
    parser.add_argument("--live-rate", type=float, default=300.0, help="live posts/s (default 300)")
    parser.add_argument("--live-seconds", type=float, default=60.0)
    parser.add_argument(
        "--trigger-seconds",
        type=float,
        default=0.0,
        help="Spark processing-time trigger in the live phase (0: back to back)",
    )
    parser.add_argument(
        "--app-timeout", type=float, default=600.0, help="per Quix / Kafka Streams run (s)"
    )
    parser.add_argument(
        "--kstreams-guarantee",
        choices=("exactly_once_v2", "at_least_once"),
        default="exactly_once_v2",
        help="Kafka Streams processing.guarantee (default exactly_once_v2, like our job)",
    )
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--quick", action="store_true", help="20k posts, 20 s live at 300/s")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if unknown := set(args.engines) - set(ENGINES):
        parser.error(
            f"unknown engine(s) {', '.join(sorted(unknown))}; choose from {', '.join(ENGINES)}"
        )
    if args.quick:
        args.tweets, args.live_seconds, args.live_rate = 20_000, 20.0, 300.0

    # No console progress bars in the benchmark's output (a static conf: set before the JVM starts).
    os.environ.setdefault(
        "PYSPARK_SUBMIT_ARGS", "--conf spark.ui.showConsoleProgress=false pyspark-shell"
    )
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-analytics-")))
        bootstrap = args.bootstrap or stack.enter_context(private_broker(work))
        base = derive_settings(
            Settings(), state_dir=work / "state", kafka={"bootstrap_servers": bootstrap}
        )
        if "quix" in args.engines:
            quix_python()
        if "kstreams" in args.engines:
            kstreams_jar()
        spark = stack.enter_context(spark_or_none(base, "spark" in args.engines))
        result = throughput(spark, base, work, args)
        live: dict[str, Any] = {}
        if not args.skip_live:
            data = LiveData(
                *live_stream(args.live_rate, args.live_seconds, work), args.live_seconds
            )
            if spark is not None:
                live["spark"] = live_spark(spark, base, work, data, args)
                print(f"live spark: {json.dumps(live['spark'])}", flush=True)
            if "quix" in args.engines:
                live["quix"] = live_quix(base, work, data, args)
                print(f"live quix: {json.dumps(live['quix'])}", flush=True)
    report = summarize(result, live, args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    _print_summary(report)
    print(f"wrote {args.output}")


@contextmanager
def spark_or_none(settings: Settings, wanted: bool) -> Iterator[Any]:
    """The benchmark's Spark session (stopped at the end), or None when Spark is not compared."""
    if not wanted:
        yield None
        return
    from trendstream.stream.job import spark_session

    started = time.perf_counter()
    spark = spark_session(settings, app_name="bench-analytics")
    print(f"spark session up in {time.perf_counter() - started:.1f}s", flush=True)
    try:
        yield spark
    finally:
        spark.stop()


def _print_summary(report: dict[str, Any]) -> None:
    spark, quix, kstreams = report["spark"], report["quix"], report["kstreams"]
    print(f"\ngoal: {report['goal']}")
    for label, entry, key in (
        ("spark hashtags", spark, "hashtags"),
        ("spark engagement", spark, "engagement"),
        ("quix hashtags", quix, "hashtags"),
        ("kafka streams hashtags", kstreams, "hashtags"),
    ):
        if entry[f"{key}_events_per_s"]:
            print(
                f"{label:23s} median {entry[f'{key}_median']:>10,.0f} events/s  "
                f"rounds {entry[f'{key}_events_per_s']}"
            )
        elif entry.get("runs"):
            print(f"{label:23s} counts WRONG in some round: no rate reported")
    for label, key in (
        ("spark/quix", "ratio_spark_vs_quix"),
        ("spark/kafka streams", "ratio_spark_vs_kstreams"),
    ):
        if report[key] is not None:
            print(f"ratio {label:20s} {report[key]:.2f}x")
    if spark["users_batch_median_s"] is not None:
        print(
            f"users: {report['users_batch']:,} likes from distinct users scored in one batch of "
            f"{spark['users_batch_median_s']:.2f}s (median; rounds {spark['users_batch_s']})"
        )
    for engine, lat in (
        ("spark", spark["latency"]),
        ("spark engagement", spark["engagement_latency"]),
        ("quix", quix["latency"]),
    ):
        if lat:
            print(
                f"latency {engine:17s} p50 {lat['p50_s']}s p99 {lat['p99_s']}s at "
                f"{lat['events_per_s']:,.0f} events/s "
                f"(counts {'ok' if lat['counts']['ok'] else 'WRONG'})"
            )


if __name__ == "__main__":
    main()
