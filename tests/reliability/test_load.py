"""Scenario 5: ingest and stream a large generated stream, sampling every process's memory.

Default run: ~50k events (engagement-heavy, ~3k tweets to embed, so it fits the time
budget); ``--soak``: 1.01M events (988k engagements, 21k tweets — engagement-heavy like
the default run, because embedding is CPU-bound at ~100-180 tweets/s on 2 cores, and the
generator's natural mix would put ~550k tweets through the model: hours of CPU). The ingest CLI
and then the stream job (all four queries, ``--available-now``, small micro-batches so there
are many) run as subprocesses while a sampler records the RSS of: the ingest process (and its
validation workers), the job's JVM, its Python driver, its PySpark workers, the broker
and the Milvus server.

"No unbounded growth" for our processes: in the second half of each run the memory may rise
above the first half's peak by at most ``max(GROWTH_FLOOR_MB, GROWTH_SHARE × peak)``. For
Python processes that is their RSS; for the job's JVM it is its live heap after a full GC
(every ``HEAP_INTERVAL_S``), because its RSS follows a heap that grows toward
``spark.driver.memory`` whether or not anything leaks (it rose 128 MB in one run and 257 MB
in the next, with the same live set), so the JVM's RSS is reported, not asserted.
The broker is reported, not asserted: Kafka's JVM grows its heap up to ``broker.heap_mb``
and keeps the log in files, so its RSS says little about our code (its growth per 10k
events is printed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.support.cli import ingest_args
from tests.support.reliability_harness import (
    MemorySampler,
    heartbeat,
    input_caused_failures,
    job_log,
    job_processes,
    live_heap_mb,
    milvus_rows,
    pid_of,
    query_failures,
    soak_scale,
    soaking,
    wait_for,
)
from tests.support.sandbox import derive_settings
from trendstream.kafka.reader import read_all
from trendstream.orchestration import local_job
from trendstream.platform import process
from trendstream.platform.broker import broker_spec
from trendstream.platform.milvus import milvus_spec
from trendstream.sources.generator import GeneratorConfig, write_stream

pytestmark = pytest.mark.integration

GROWTH_FLOOR_MB = 150.0  # JVM heap and allocator slack on a short run
GROWTH_SHARE = 0.15
OURS = ("ingest", "job-jvm live heap", "job-driver", "job-workers")
HEAP_INTERVAL_S = 5.0  # each sample is a full GC of the job's JVM


def _job_role(role: str, settings):
    def find() -> list[psutil.Process]:
        procs = job_processes(settings)
        if role == "job-jvm":
            return procs[:1]
        drivers = [p for p in procs[1:] if local_job.JOB_SCRIPT.name in _cmd(p)]
        return drivers if role == "job-driver" else [p for p in procs[1:] if p not in drivers]

    return find


def _cmd(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def _growth(points: list[tuple[float, float]]) -> float:
    """How far (MB) the level a process ends at (the median of the run's last quarter) rose
    above the first half's peak: a leak keeps raising that level, while one large batch late
    in the run (a model encode, an Arrow table in the driver) is only a spike. The first
    quarter (JVM start, model load, first batch) is warm-up, not growth."""
    points = points[len(points) // 4 :]
    half = len(points) // 2
    if half < 2:
        return 0.0
    tail = sorted(mb for _, mb in points[-max(2, len(points) // 4) :])
    return max(0.0, tail[len(tail) // 2] - max(mb for _, mb in points[:half]))


@pytest.mark.timeout(soak_scale(2400, 12 * 3600))
def test_ingest_and_stream_with_flat_memory(platform, settings, tmp_path, counts):
    config = (
        GeneratorConfig(seed=41, minutes=35, rate=8, users=20000, engagements_per_post=38)
        if soaking()
        else GeneratorConfig(seed=41, minutes=4, rate=10, users=2000, engagements_per_post=11)
    )
    paths = write_stream(tmp_path / "stream", config)
    events = sum(1 for _ in paths.tweets.open("rb")) + sum(1 for _ in paths.engagements.open("rb"))
    tweets = sum(1 for _ in paths.tweets.open("rb"))
    job = derive_settings(settings, stream={"max_offsets_per_trigger": soak_scale(5000, 20000)})
    broker_pid, _ = process.running_pid(broker_spec(platform))
    milvus_pid, _ = process.running_pid(milvus_spec(platform))
    broker_before = psutil.Process(broker_pid).memory_info().rss / 2**20

    ingest = subprocess.Popen(
        [str(Path(sys.executable).parent / "trendstream"), *ingest_args(paths)],
        env={**os.environ, **job.env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )

    def ingest_tree() -> list[psutil.Process]:
        try:
            root = psutil.Process(ingest.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    started = time.monotonic()
    with MemorySampler(
        {"ingest": ingest_tree, "broker": pid_of(broker_pid)}, interval_s=0.1
    ) as ing:
        output, _ = ingest.communicate(timeout=soak_scale(600, 7200))
    ingest_s = time.monotonic() - started
    assert ingest.returncode == 0, output.decode(errors="replace")[-3000:]
    broker_after_ingest = psutil.Process(broker_pid).memory_info().rss / 2**20

    roles = {role: _job_role(role, job) for role in ("job-jvm", "job-driver", "job-workers")}
    started = time.monotonic()
    try:
        local_job.launch_local_job(job, ["--available-now"])
        with (
            MemorySampler(
                {**roles, "broker": pid_of(broker_pid), "milvus": pid_of(milvus_pid)},
                interval_s=1.0,
            ) as run,
            MemorySampler(
                {"job-jvm live heap": roles["job-jvm"]},
                interval_s=HEAP_INTERVAL_S,
                measure=live_heap_mb,
            ) as heap,
        ):
            wait_for(
                "the available-now run to finish",
                lambda: local_job.running_job(job) == (None, None),
                soak_scale(900, 6 * 3600),
                2,
            )
    finally:
        local_job.stop_local_job(job)
    stream_s = time.monotonic() - started
    beat = heartbeat(job)
    total, ids = milvus_rows(job)
    produced = len(read_all(job, job.kafka.tweets_topic))  # ingest's commit markers take offsets
    memory = {
        **ing.summary(),
        **{f"{k} (stream)" if k == "broker" else k: v for k, v in run.summary().items()},
        **heap.summary(),
    }
    sampled = {**ing.samples, **run.samples, **heap.samples}
    growth = {role: round(_growth(samples), 1) for role, samples in sampled.items() if role in OURS}
    counts(
        events=events,
        produced=produced,
        tweets_generated=tweets,
        in_milvus=total,
        in_dlq=0,
        lost=tweets - len(set(ids)),
        duplicated=total - len(set(ids)),
        ingest_s=round(ingest_s, 1),
        stream_s=round(stream_s, 1),
        memory=memory,
        late_growth_mb=growth,
        broker_mb_per_10k_events=round((broker_after_ingest - broker_before) / events * 1e4, 1),
    )
    assert beat.get("status") == "stopped", job_log(job)
    assert not input_caused_failures(job), query_failures(job)
    assert produced == tweets and total == len(set(ids)) == tweets
    for role in OURS:
        samples = sampled.get(role)
        assert samples, f"no memory samples for {role}"
        peak = max(mb for _, mb in samples)
        limit = max(GROWTH_FLOOR_MB, GROWTH_SHARE * peak)
        assert _growth(samples) <= limit, (role, growth[role], limit, memory[role])
