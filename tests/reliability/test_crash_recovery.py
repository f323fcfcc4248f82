"""Scenario 1: ``kill -9`` of the Spark driver at random points mid-batch, brought back by the
supervisor's own code path (``supervise_once``, what the ``stream_supervisor`` DAG runs each
minute) — then Milvus holds exactly the produced ids and no analytics window is counted twice.

One job, restarted by the supervisor after each kill: each trial produces a fresh chunk of
tweets, waits for the running job to finish a micro-batch of it, sleeps a random fraction of
a batch and kills the driver JVM. Small ``maxOffsetsPerTrigger`` keeps several batches (and
so several kill points) per chunk.
"""

from __future__ import annotations

import os
import random
import signal
import time

import pytest

from tests.support.reliability_harness import (
    expected_hashtag_windows,
    heartbeat,
    job_log,
    milvus_rows,
    produce_tweets,
    soak_scale,
    streamed_hashtag_windows,
    wait_for,
)
from tests.support.sandbox import derive_settings
from trendstream.orchestration import local_job
from trendstream.orchestration.supervisor import (
    Action,
    RestartPolicy,
    stop_supervised_job,
    supervise_once,
)
from trendstream.sources.generator import GeneratorConfig, generate_stream

pytestmark = pytest.mark.integration

START_TIMEOUT_S = 600  # Spark + model start (and retried Python workers) on a loaded 2-core machine
CATCH_UP_TIMEOUT_S = 300


@pytest.mark.timeout(soak_scale(3600, 6 * 3600))  # a restart is minutes on a loaded 2-core box
def test_kill_9_of_the_driver_mid_batch_loses_and_duplicates_nothing(settings, counts):
    trials = soak_scale(3, 25)  # three kill points by default; the soak runs 25
    job = derive_settings(
        settings, stream={"max_offsets_per_trigger": 12, "trigger_seconds": 1.0, "analytics": True}
    )
    # ~40 tweets per trial, two planted hashtag trends
    generated = generate_stream(
        GeneratorConfig(seed=11, minutes=trials * 0.4, rate=1.5, users=60, trends=2, decoys=0)
    )
    lines = generated.tweets
    chunks = [
        lines[i * len(lines) // trials : (i + 1) * len(lines) // trials] for i in range(trials)
    ]
    policy = RestartPolicy(max_restarts=trials + 2, window_s=3600, backoff_base_s=0.0)
    rng = random.Random(int(os.environ.get("TRENDSTREAM_RELIABILITY_SEED", "0")) or None)
    produced: set[str] = set()
    kills: list[dict] = []
    try:
        assert supervise_once(job, policy=policy).decision.action is Action.LAUNCH
        for trial, chunk in enumerate(chunks):
            produced |= produce_tweets(job, chunk)
            pid, _ = local_job.running_job(job)
            assert pid is not None, job_log(job)
            before = heartbeat(job)  # the killed run's last one, if any

            def batch_done(before=before):
                beat = heartbeat(job)
                if beat.get("pid") != before.get("pid"):  # the new run's driver
                    return beat.get("batches_total", 0) >= 1
                return beat.get("batches_total", 0) > before.get("batches_total", 0)

            wait_for(f"trial {trial}: a micro-batch of the new chunk", batch_done, START_TIMEOUT_S)
            delay = rng.uniform(0.0, 2.0)
            time.sleep(delay)
            beat = heartbeat(job)
            os.kill(pid, signal.SIGKILL)
            kills.append(
                {"trial": trial, "delay_s": round(delay, 2), "after_batch": beat.get("batch_id")}
            )

            def restarted():
                report = supervise_once(job, policy=policy)
                return report if report.decision.action is Action.RESTART else None

            report = wait_for(f"trial {trial}: the supervisor's restart", restarted, 60)
            assert report.health.state.value == "dead" and report.pid != pid

        def caught_up():
            total, ids = milvus_rows(job)
            return len(set(ids)) >= len(produced) and streamed_hashtag_windows(job) == expected

        expected = expected_hashtag_windows(lines, job.stream.window_seconds)
        try:
            wait_for("the last restarted job to catch up", caught_up, CATCH_UP_TIMEOUT_S, 2)
        except AssertionError:
            pass  # the assertions below say what is missing
        total, ids = milvus_rows(job)
        windows = streamed_hashtag_windows(job)
    finally:
        stop_supervised_job(job)
    lost = produced - set(ids)
    counted_twice = {
        key: (n, expected.get(key, 0)) for key, n in windows.items() if n > expected.get(key, 0)
    }
    missing_windows = {key: n for key, n in expected.items() if windows.get(key, 0) < n}
    counts(
        trials=trials,
        kills=kills,
        produced=len(produced),
        in_milvus=total,
        distinct_ids=len(set(ids)),
        in_dlq=0,
        lost=len(lost),
        duplicated=total - len(set(ids)),
        hashtag_windows=len(expected),
        windows_double_counted=len(counted_twice),
        windows_short=len(missing_windows),
    )
    assert not lost, (sorted(lost)[:10], job_log(job))
    assert total == len(set(ids)) == len(produced) and set(ids) == produced
    assert not counted_twice, counted_twice
    assert not missing_windows, missing_windows
    assert local_job.running_job(job) == (None, None)
