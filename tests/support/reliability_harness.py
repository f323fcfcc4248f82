"""What every reliability scenario needs: produce, run the job the supervisor's way, observe.

The job is always started through :mod:`trendstream.orchestration.local_job` (the code path
of the ``stream_supervisor`` DAG): ``spark-submit spark_jobs/stream_job.py`` detached, with a
PID file and a log under the run's state dir. Observations go to the real services: Milvus
(row count vs distinct ids), the dead-letter topic, the consumer group's committed offsets,
the analytics Parquet output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psutil

from trendstream.core.schema import Tweet, parse_event
from trendstream.core.settings import Settings
from trendstream.kafka.admin import committed_offsets, ensure_topics, topic_offsets
from trendstream.kafka.dead_letter import parse_dead_letter
from trendstream.kafka.producer import IdempotentProducer
from trendstream.kafka.reader import read_all
from trendstream.orchestration import local_job
from trendstream.stream.analytics import load_latest
from trendstream.stream.heartbeat import Heartbeat
from trendstream.vectorstore.store import TweetStore

LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def wait_for(what: str, predicate: Callable[[], object], timeout_s: float, interval_s: float = 1.0):
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(interval_s)


# --- producing -------------------------------------------------------------------------------


def tweet_id(line: bytes) -> str:
    return json.loads(line)["data"]["id"]


def produce(
    settings: Settings,
    records: Iterable[tuple[bytes | None, str | None]],
    topic: str | None = None,
    **producer_overrides,
) -> int:
    """``(value, key)`` pairs straight to a topic (bypassing ingest); returns how many."""
    ensure_topics(settings)
    sent = 0
    with IdempotentProducer(settings, **producer_overrides) as producer:
        for value, key in records:
            producer.produce(topic or settings.kafka.tweets_topic, value, key)
            sent += 1
    return sent


def produce_tweets(settings: Settings, lines: Sequence[bytes]) -> set[str]:
    produce(settings, ((line, tweet_id(line)) for line in lines))
    return {tweet_id(line) for line in lines}


# --- observing ----------------------------------------------------------------------------------


def milvus_rows(settings: Settings) -> tuple[int, list[str]]:
    """``(count(*), every id from a full scan)``: a duplicate shows as count > distinct ids."""
    with TweetStore.connect(settings) as store:
        if not store.exists():
            return 0, []
        ids = [row["id"] for page in store.iter_query("created_at >= 0", ["id"]) for row in page]
        return store.count(), ids


def dead_letters(settings: Settings) -> list[dict]:
    return [
        parse_dead_letter(m.value()) for m in read_all(settings, settings.kafka.dead_letter_topic)
    ]


def committed_total(settings: Settings) -> int:
    got = committed_offsets(settings, settings.kafka.consumer_group, settings.kafka.tweets_topic)
    return sum(offset or 0 for offset in got.values())


def caught_up_rows(settings: Settings, pid: int, timeout_s: float = 120) -> tuple[int, list[str]]:
    """Once the running job (``pid``, which must still be the job) has committed the tweets
    topic's end: Milvus's row count and ids, as :func:`milvus_rows`."""
    wait_for(
        "the job's group to catch up",
        lambda: (
            committed_total(settings)
            == sum(
                high for _, high in topic_offsets(settings, settings.kafka.tweets_topic).values()
            )
        ),
        timeout_s,
        1,
    )
    rows = milvus_rows(settings)
    running = local_job.running_job(settings)[0]
    assert running == pid, "the job died with the broker:\n" + job_log(settings)
    return rows


def heartbeat(settings: Settings) -> dict:
    """The job's last heartbeat as its JSON fields ({} before the first)."""
    beat = Heartbeat.read(settings.paths.heartbeat_file)
    return beat.to_dict() if beat else {}


def job_log(settings: Settings, chars: int = 6000) -> str:
    path = local_job.job_spec(settings).log_file
    return path.read_text(errors="replace")[-chars:] if path.is_file() else "(no job log)"


# Spark gives a Python worker a fixed window to connect back; on a loaded machine it can miss
# it and the job restarts that query (its designed recovery). Not caused by the data.
WORKER_START_FAILURE = "Python worker failed to connect back"


def query_failures(settings: Settings) -> list[str]:
    """The reason of every query failure the job logged ("query X failed (REASON); ...")."""
    pattern = re.compile(r"query (\w+) failed \((.*)\); restarting")
    return [f"{m.group(1)}: {m.group(2)}" for m in pattern.finditer(job_log(settings, chars=10**7))]


def input_caused_failures(settings: Settings) -> list[str]:
    return [f for f in query_failures(settings) if WORKER_START_FAILURE not in f]


def expected_hashtag_windows(lines: Iterable[bytes], window_s: int) -> Counter:
    """Posts per (window start, hashtag), counted straight from the generated records."""
    expected: Counter = Counter()
    for line in lines:
        tweet = parse_event(line)
        assert isinstance(tweet, Tweet)
        start = int(tweet.created_at.timestamp()) // window_s * window_s
        expected.update((datetime.fromtimestamp(start, UTC), tag) for tag in tweet.hashtags)
    return expected


def streamed_hashtag_windows(settings: Settings) -> Counter:
    """The job's current count per (window start, hashtag) from its Parquet output."""
    frame = load_latest(settings, "hashtags")
    if frame.empty:
        return Counter()
    return Counter(
        {
            (start.to_pydatetime(), tag): int(n)
            for start, tag, n in zip(
                frame.window_start, frame.hashtag, frame["count"], strict=False
            )
        }
    )


# --- running the job as the supervisor does -------------------------------------------------------


def job_processes(settings: Settings) -> list[psutil.Process]:
    """The live job's process tree (JVM, Python driver, PySpark workers)."""
    pid, _ = local_job.running_job(settings)
    if pid is None:
        return []
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def listening_sockets(procs: Iterable[psutil.Process]) -> list[tuple[str, int, str, int]]:
    """``(process name, pid, ip, port)`` of every TCP socket these processes listen on."""
    wanted = {p.pid: p for p in procs}
    out = []
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.pid in wanted:
            try:
                name = " ".join(wanted[conn.pid].cmdline()[:3])[-80:]
            except psutil.Error:
                name = "?"
            out.append((name, conn.pid, conn.laddr.ip, conn.laddr.port))
    return out


# --- memory sampling ------------------------------------------------------------------------------


def rss_mb(procs: list[psutil.Process]) -> float:
    """The processes' resident memory together, in MB (0 when none is alive)."""
    rss = 0
    for proc in procs:
        try:
            rss += proc.memory_info().rss
        except psutil.Error:
            continue
    return rss / 2**20


def live_heap_mb(procs: list[psutil.Process]) -> float:
    """A JVM's live heap in MB: ``jcmd GC.class_histogram`` runs a full GC first, so its total
    is what the program still holds. A JVM's RSS follows its heap size, which grows toward
    ``-Xmx`` whether or not anything leaks; the live heap is what a leak raises."""
    total = 0.0
    for proc in procs:
        out = subprocess.run(
            ["jcmd", str(proc.pid), "GC.class_histogram"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout
        found = re.search(r"^Total\s+\d+\s+(\d+)\s*$", out, re.MULTILINE)
        total += int(found.group(1)) / 2**20 if found else 0.0
    return total


@dataclass
class MemorySampler:
    """Samples the memory of named process groups once per ``interval_s`` in a thread.

    ``groups`` maps a role ("job-jvm", "broker", ...) to a function returning its processes
    now (looked up every sample, so restarted or newly forked workers are followed);
    ``measure`` turns them into MB (their RSS unless told otherwise).
    """

    groups: dict[str, Callable[[], list[psutil.Process]]]
    interval_s: float = 1.0
    measure: Callable[[list[psutil.Process]], float] = rss_mb
    samples: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.wait(self.interval_s):
            now = time.monotonic() - start
            for role, find in self.groups.items():
                mb = self.measure(find())
                if mb:
                    self.samples.setdefault(role, []).append((now, mb))

    def summary(self) -> dict[str, dict[str, float]]:
        """Per role: peak MB, last MB, and the least-squares slope (MB/min) of the last half."""
        out = {}
        for role, points in self.samples.items():
            half = points[len(points) // 2 :]
            out[role] = {
                "samples": len(points),
                "peak_mb": round(max(mb for _, mb in points), 1),
                "last_mb": round(points[-1][1], 1),
                "late_slope_mb_per_min": round(slope(half) * 60, 2),
            }
        return out


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of ``(t, y)`` points (0 for fewer than 3)."""
    if len(points) < 3:
        return 0.0
    n = len(points)
    mt = sum(t for t, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    return sum((t - mt) * (y - my) for t, y in points) / var if var else 0.0


def pid_of(pid: int | None) -> Callable[[], list[psutil.Process]]:
    def find() -> list[psutil.Process]:
        try:
            return [psutil.Process(pid)] if pid else []
        except psutil.Error:
            return []

    return find


def soaking() -> bool:
    """Long runs: ``pytest --soak`` (sets this variable) or ``TRENDSTREAM_SOAK=1``."""
    return os.environ.get("TRENDSTREAM_SOAK") == "1"


def soak_scale(default: int, soak: int) -> int:
    return soak if soaking() else default
