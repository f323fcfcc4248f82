"""Scenario 6: ``trendstream ingest --file`` killed with SIGKILL mid-file, then run again.

The file (~50k generated posts) also holds bad lines and, at its end, copies of posts
from its start. Each trial starts the real command as a child process (in-process and
parallel validation by turns) and kills its whole process group at a random point while it
writes; a last run completes the file. Read back with ``read_committed``: every post id exactly once on the tweets topic, every bad line and
every late copy exactly once on the dead-letter topic (the copies as ``duplicate``: the
resumed run remembers what the killed ones committed), and nothing of an aborted
transaction, although a ``read_uncommitted`` reader shows the aborted records are in the log.
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
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaException, TopicPartition

from reliability_harness import soak_scale, tweet_id, wait_for
from trendstream.core.settings import Settings
from trendstream.kafka.admin import client_config, ensure_topics
from trendstream.kafka.dead_letter import parse_dead_letter
from trendstream.kafka.reader import read_all
from trendstream.platform.environment import settings_env
from trendstream.sources.generator import GeneratorConfig, generate_stream

pytestmark = pytest.mark.integration

TRIALS = soak_scale(3, 10)
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


def _log_end(settings: Settings, topic: str) -> int:
    """Records written to ``topic`` so far, committed or not (the sum of log-end offsets);
    0 while a partition of the new topic has no leader yet."""
    consumer = Consumer(client_config(settings, **{"group.id": "kill-watch"}))
    try:
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1]
                   for p in range(settings.kafka.partitions))
    except KafkaException:
        return 0
    finally:
        consumer.close()


def _ingest(settings: Settings, path: Path, log: Path, workers: int) -> subprocess.Popen:
    """The real command in its own process group; the summary JSON on stdout is piped."""
    with log.open("ab") as err:
        return subprocess.Popen([*INGEST, "--file", str(path), "--json", "--workers",
                                 str(workers), "--transaction-records", "4000"],
                                env=settings_env(settings), stdout=subprocess.PIPE, stderr=err,
                                start_new_session=True)


def _kill_mid_file(settings: Settings, path: Path, log: Path, workers: int,
                   at_least: int) -> int:
    """Start an ingest, SIGKILL its process group (validation workers included) once the
    log end passes ``at_least``; returns the log end at the kill."""
    proc = _ingest(settings, path, log, workers)
    try:
        return wait_for(f"the ingest to write past {at_least} records",
                        lambda: (end := _log_end(settings, settings.kafka.tweets_topic))
                        >= at_least and end, 120, 0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, "the ingest ended before it could be killed"


def test_killed_ingest_resumes_with_each_post_exactly_once(settings: Settings, tmp_path: Path,
                                                          counts) -> None:
    path = tmp_path / "posts.jsonl"
    ids, bad, late = _write_file(path)
    log = tmp_path / "ingest.log"
    ensure_topics(settings)
    rng = random.Random(int(os.environ.get("TRENDSTREAM_KILL_SEED", time.time_ns())))
    kills = []
    for trial in range(TRIALS):
        # Each kill lands a random stretch beyond the last one, so every trial is mid-file.
        step = len(ids) // (TRIALS + 1)
        kills.append(_kill_mid_file(settings, path, log, 1 + trial % 2,
                                    (kills[-1] if kills else 0) + rng.randint(step // 4, step)))
    final = _ingest(settings, path, log, workers=2)
    out, _ = final.communicate(timeout=300)
    assert final.returncode == 0, log.read_text()[-3000:]
    summary = json.loads(out)

    tweets = read_all(settings, settings.kafka.tweets_topic)
    keys = Counter(m.key().decode() for m in tweets)
    in_log = len(read_all(settings, settings.kafka.tweets_topic, read_committed=False))
    dead = [parse_dead_letter(m.value()) for m in read_all(settings,
                                                           settings.kafka.dead_letter_topic)]
    dead_at = Counter(d["position"] for d in dead)
    counts(produced=len(ids), committed=len(tweets), in_log=in_log, aborted=in_log - len(tweets),
           in_dlq=len(dead), lost=len(ids - set(keys)),
           duplicated=sum(n - 1 for n in keys.values()), kills_at_log_end=kills,
           resumed=summary["resumed"], final_run_accepted=summary["accepted"])
    assert set(keys) == ids and max(keys.values()) == 1, "each post id exactly once"
    assert in_log > len(tweets), "no kill landed in an open transaction: the test proved nothing"
    assert set(dead_at) == bad | late and max(dead_at.values()) == 1
    assert {d["reason"] for d in dead if d["position"] in late} == {"duplicate"}
    assert 0 < summary["resumed"] < len(ids) + len(bad)
