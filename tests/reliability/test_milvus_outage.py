"""Scenario 2: Milvus down for 30–60 s in the middle of a running stream.

The job runs against a private Milvus Lite server (the shared one must stay up for other
tests). Once the first chunk of tweets is in Milvus the server is stopped, a second chunk is
produced, and for the whole outage the test watches that the job stays up (its query may
restart, a bounded number of times) and that the consumer group never commits past what
Milvus holds. Then the server comes back on the same port and data dir, and the job must
catch up completely. While the job runs, every socket it listens on must be loopback-only.
"""

from __future__ import annotations

import time

import pytest

from tests.support.reliability_harness import (
    LOOPBACK,
    committed_total,
    heartbeat,
    job_log,
    job_processes,
    listening_sockets,
    milvus_rows,
    produce_tweets,
    soak_scale,
    wait_for,
)
from tests.support.sandbox import derive_settings
from trendstream.orchestration import local_job
from trendstream.platform import process
from trendstream.platform.milvus import milvus_spec
from trendstream.platform.process import free_port
from trendstream.sources.generator import GeneratorConfig, generate_stream

pytestmark = pytest.mark.integration

RETRY_BUDGET_S = 5.0


def test_milvus_outage_mid_stream_neither_crash_loops_nor_loses_data(settings, counts):
    outage_s = soak_scale(35, 60)
    port = free_port()
    job = derive_settings(
        settings,
        milvus={
            "uri": f"http://127.0.0.1:{port}",
            "port": port,
            "retry_timeout_s": RETRY_BUDGET_S,
            "rpc_timeout_s": 5.0,
        },
        stream={
            "analytics": False,
            "trigger_seconds": 1.0,
            "max_offsets_per_trigger": 25,
            "restart_backoff_max_s": 4.0,
            "metrics_port": free_port(),
        },
    )
    lines = generate_stream(
        GeneratorConfig(seed=21, minutes=1.0, rate=1.5, users=50, trends=2, decoys=0)
    ).tweets
    before, during = lines[: len(lines) // 2], lines[len(lines) // 2 :]
    spec = milvus_spec(job)
    process.start(spec)
    samples: list[tuple[int, int]] = []  # (committed, in Milvus when the outage began)
    try:
        pid = local_job.launch_local_job(job)
        produced = produce_tweets(job, before)
        wait_for(
            "the first chunk in Milvus",
            lambda: len(set(milvus_rows(job)[1])) >= len(before),
            300,
            2,
        )
        sockets = listening_sockets(job_processes(job) + _pids(spec))
        _, ids = milvus_rows(job)
        in_milvus_at_stop = len(set(ids))
        process.stop(spec)
        down_at = time.monotonic()
        produced |= produce_tweets(job, during)
        while time.monotonic() - down_at < outage_s:
            samples.append((committed_total(job), in_milvus_at_stop))
            assert local_job.running_job(job)[0] == pid, (
                "the job died during the outage:\n" + job_log(job)
            )
            time.sleep(2)
        restarts_during_outage = heartbeat(job).get("restarts", {}).get("embed", 0)
        process.start(spec)
        up_at = time.monotonic()
        wait_for(
            "the job to catch up after Milvus came back",
            lambda: len(set(milvus_rows(job)[1])) >= len(produced),
            300,
            2,
        )
        caught_up_s = time.monotonic() - up_at
        total, ids = milvus_rows(job)
        committed_after = committed_total(job)
        assert local_job.running_job(job)[0] == pid, job_log(job)
    finally:
        local_job.stop_local_job(job)
        process.stop(spec)
    lost = produced - set(ids)
    max_restarts = int(outage_s / RETRY_BUDGET_S) + 2
    counts(
        produced=len(produced),
        in_milvus=total,
        in_dlq=0,
        lost=len(lost),
        duplicated=total - len(set(ids)),
        outage_s=outage_s,
        query_restarts_during_outage=restarts_during_outage,
        max_committed_during_outage=max(c for c, _ in samples),
        in_milvus_at_outage=in_milvus_at_stop,
        committed_after=committed_after,
        caught_up_s=round(caught_up_s, 1),
        listening=sorted({(ip, port) for _, _, ip, port in sockets}),
    )
    assert all(committed <= held for committed, held in samples), samples
    assert restarts_during_outage <= max_restarts, "crash loop: " + job_log(job)
    assert not lost and total == len(set(ids)) == len(produced)
    assert committed_after <= total
    outside = [s for s in sockets if s[2] not in LOOPBACK]
    assert not outside, f"listening beyond 127.0.0.1: {outside}"


def _pids(spec) -> list:
    import psutil

    pid, _ = process.running_pid(spec)
    return [psutil.Process(pid)] if pid else []
