"""Scenario 6: ``trendstream ingest --file`` killed with SIGKILL mid-file, then run again.

The file (~50k generated posts) also holds bad lines and, at its end, copies of posts
from its start. Each trial starts the real command as a child process (in-process and
parallel validation by turns). The first trial SIGKILLs the whole process group at a
random point (between transactions or inside one, whichever it hits); the others die
through a fault hook (:class:`tests.support.faults.CrashBeforeCommit`): SIGKILL right
before the n-th commit of the run, with that transaction's records already in the log, so
each provably leaves an open transaction behind. A last run completes the file.
Read back with ``read_committed``: every post id exactly once on the tweets topic, every
bad line and every late copy exactly once on the dead-letter topic (the copies as
``duplicate``: the resumed run remembers what the killed ones committed), and nothing of
an aborted transaction, although a ``read_uncommitted`` reader shows the aborted records
are in the log.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import suppress
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaException, TopicPartition

from tests.support.faults import CrashBeforeCommit, fault_settings, importable_env
from tests.support.reliability_harness import soak_scale, tweet_id, wait_for
from trendstream.core.settings import Settings
from trendstream.kafka.admin import client_config, ensure_topics
from trendstream.kafka.dead_letter import parse_dead_letter
from trendstream.kafka.reader import read_all
from trendstream.platform.environment import settings_env
from trendstream.sources.generator import GeneratorConfig, generate_stream

pytestmark = pytest.mark.integration

TRIALS = soak_scale(3, 10)  # all but the first through the fault injection
TRANSACTION_RECORDS = 4000
# Before which commit of its run each injected trial dies; with the workers alternating,
# every (commit, workers) pair comes up.
CRASH_BEFORE_COMMIT = (1, 2, 2, 1)
BAD_EVERY = 5000
LATE_COPIES = 20
INGEST = [str(Path(sys.executable).parent / "trendstream"), "ingest"]


def _write_file(path: Path) -> tuple[set[str], set[str], set[str]]:
    """The test file; returns (post ids, positions of bad lines, positions of late copies)."""
    posts = generate_stream(GeneratorConfig(seed=61, minutes=33, rate=20)).tweets
    lines: list[bytes] = []
    bad: set[str] = set()
    for i, post in enumerate(posts):
        if i and i % BAD_EVERY == 0:
            lines.append(b'{"id": "broken", "text": ')
            bad.add(f"{path.name}:{len(lines)}")
        lines.append(post)
    copies = posts[:LATE_COPIES]
    lines.extend(copies)
    late = {f"{path.name}:{n}" for n in range(len(lines) - LATE_COPIES + 1, len(lines) + 1)}
    path.write_bytes(b"\n".join(lines) + b"\n")
    return {tweet_id(p) for p in posts}, bad, late


def _ingest(
    settings: Settings, path: Path, log: Path, workers: int, crash_before_commit: int | None = None
) -> subprocess.Popen:
    """The real command in its own process group; the summary JSON on stdout is piped.
    Fault injection only where ``crash_before_commit`` asks for it: the child's settings
    name its hook (or none), whatever this process inherited."""
    if crash_before_commit is not None:
        settings = fault_settings(settings, CrashBeforeCommit, commit=crash_before_commit)
    env = importable_env(settings_env(settings))
    with log.open("ab") as err:
        return subprocess.Popen(
            [
                *INGEST,
                "--file",
                str(path),
                "--json",
                "--workers",
                str(workers),
                "--transaction-records",
                str(TRANSACTION_RECORDS),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            start_new_session=True,
        )


def _reap(proc: subprocess.Popen) -> int:
    """SIGKILL the ingest's process group (its validation workers outlive a killed ingest),
    then wait for the ingest; returns its exit status."""
    with suppress(ProcessLookupError):  # nothing of the group is left
        os.killpg(proc.pid, signal.SIGKILL)
    proc.stdout.close()
    return proc.wait()


def _crash_before_commit(
    settings: Settings, path: Path, log: Path, workers: int, commit: int
) -> None:
    """Run an ingest that kills itself before its ``commit``-th commit, with that
    transaction's records flushed to the log."""
    proc = _ingest(settings, path, log, workers, crash_before_commit=commit)
    try:
        proc.wait(timeout=300)
    finally:
        _reap(proc)
    assert proc.returncode == -signal.SIGKILL, (
        f"the ingest did not die before commit {commit}: {log.read_text()[-3000:]}"
    )


def _committed_end(watch: Consumer, partitions: list[TopicPartition]) -> int:
    """The sum of the partitions' last stable offsets (``watch`` reads ``read_committed``):
    it moves only when a transaction ends; 0 while a partition has no leader yet."""
    try:
        return sum(watch.get_watermark_offsets(tp, timeout=5)[1] for tp in partitions)
    except KafkaException:
        return 0


def _kill_mid_file(settings: Settings, path: Path, log: Path, workers: int, at_least: int) -> int:
    """Start an ingest, SIGKILL its process group (validation workers included) once the
    tweets topic's committed end passes ``at_least``; returns that end at the kill. One
    client watches throughout, so a poll costs a round trip, not a connection."""
    watch = Consumer(client_config(settings, **{"group.id": "kill-watch"}))
    partitions = [
        TopicPartition(settings.kafka.tweets_topic, p) for p in range(settings.kafka.partitions)
    ]
    proc = _ingest(settings, path, log, workers)
    try:
        return wait_for(
            f"the ingest to commit past offset {at_least}",
            lambda: (end := _committed_end(watch, partitions)) >= at_least and end,
            120,
            0.02,
        )
    finally:
        status = _reap(proc)
        watch.close()
        assert status == -signal.SIGKILL, "the ingest ended before it could be killed"


def test_killed_ingest_resumes_with_each_post_exactly_once(
    settings: Settings, tmp_path: Path, counts
) -> None:
    path = tmp_path / "posts.jsonl"
    ids, bad, late = _write_file(path)
    log = tmp_path / "ingest.log"
    ensure_topics(settings)
    rng = random.Random(int(os.environ.get("TRENDSTREAM_KILL_SEED", time.time_ns())))
    step = len(ids) // (TRIALS + 1)  # the first kill, well short of the file's end
    killed_at = _kill_mid_file(settings, path, log, 1, rng.randint(step // 4, step))
    injected = [
        (CRASH_BEFORE_COMMIT[trial % len(CRASH_BEFORE_COMMIT)], 2 - trial % 2)
        for trial in range(TRIALS - 1)
    ]
    for commit, workers in injected:
        _crash_before_commit(settings, path, log, workers, commit)
    assert log.read_text().count("fault injection: killing the ingest before commit") == len(
        injected
    )
    final = _ingest(settings, path, log, workers=2)
    out, _ = final.communicate(timeout=300)
    assert final.returncode == 0, log.read_text()[-3000:]
    summary = json.loads(out)

    tweets = read_all(settings, settings.kafka.tweets_topic)
    keys = Counter(m.key().decode() for m in tweets)
    in_log = len(read_all(settings, settings.kafka.tweets_topic, read_committed=False))
    dead = [
        parse_dead_letter(m.value()) for m in read_all(settings, settings.kafka.dead_letter_topic)
    ]
    dead_at = Counter(d["position"] for d in dead)
    aborted = in_log - len(tweets)
    counts(
        produced=len(ids),
        committed=len(tweets),
        in_log=in_log,
        aborted=aborted,
        in_dlq=len(dead),
        lost=len(ids - set(keys)),
        duplicated=sum(n - 1 for n in keys.values()),
        injected_kills_before_commit_with_workers=injected,
        random_kill_at_offset=killed_at,
        resumed=summary["resumed"],
        final_run_accepted=summary["accepted"],
    )
    assert set(keys) == ids and max(keys.values()) == 1, "each post id exactly once"
    # Each injected kill aborts one full transaction, at most one of whose records is a bad
    # line (BAD_EVERY > TRANSACTION_RECORDS): all the others are posts in the log.
    assert aborted >= len(injected) * (TRANSACTION_RECORDS - 1) > 0, (
        "aborted transactions' records are missing from the read_uncommitted log"
    )
    assert set(dead_at) == bad | late and max(dead_at.values()) == 1
    assert {d["reason"] for d in dead if d["position"] in late} == {"duplicate"}
    assert 0 < summary["resumed"] < len(ids) + len(bad)
