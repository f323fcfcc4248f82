"""Scenario 9 (issue 18): a 3-node KRaft Kafka cluster (RF 3, min ISR 2) loses brokers.

One cluster (``broker.nodes = 3``, started by the platform code) serves the whole module;
Milvus is the session platform's. Each test kills with SIGKILL:

* the broker leading most of the tweets partitions while ``trendstream ingest`` (the real
  CLI, transactional) runs: leadership moves, the ingest finishes, every post is in the
  topic exactly once (``read_committed``); failover = kill → the next committed transaction;
* the same leader while the stream job (local mode) reads and writes: every post reaches
  Milvus exactly once and the job's group keeps committing;
* two of the three brokers: the ingest fails with a one-line error that says what is wrong,
  and everything it committed before is in the topic once the brokers are back.

Kafka's own ``kafka-topics --describe`` (its class from ``<jvm_lib>/kafka``) checks leaders
and ISR from outside our code.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import KafkaException

from tests.support.faults import importable_env
from tests.support.reliability_harness import (
    caught_up_rows,
    committed_total,
    milvus_rows,
    produce_tweets,
    tweet_id,
    wait_for,
)
from tests.support.sandbox import (
    QUICK_JIT,
    derive_settings,
    isolated_settings,
    sandbox_settings,
)
from trendstream.core.settings import Settings
from trendstream.kafka.admin import (
    KafkaUnavailableError,
    admin_client,
    ensure_topics,
    topic_offsets,
)
from trendstream.kafka.reader import read_all
from trendstream.orchestration import local_job
from trendstream.platform import services
from trendstream.platform.broker import java_executable, kafka_classpath, log4j_config
from trendstream.platform.environment import settings_env
from trendstream.platform.process import port_in_use
from trendstream.sources.generator import GeneratorConfig, generate_stream

pytestmark = pytest.mark.integration

INGEST = [str(Path(sys.executable).parent / "trendstream"), "ingest"]
TOPIC_COMMAND = "org.apache.kafka.tools.TopicCommand"
STREAM = {
    "analytics": False,
    "trigger_seconds": 1.0,
    "max_offsets_per_trigger": 50,
    "restart_backoff_max_s": 4.0,
}


@pytest.fixture(scope="module")
def cluster(platform: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Three broker nodes on loopback (the session platform's Milvus); stopped at the end."""
    own = sandbox_settings(
        tmp_path_factory.mktemp("cluster"), broker_nodes=3, java_options=QUICK_JIT
    )
    own = derive_settings(own, milvus=platform.milvus.model_dump())
    try:
        services.up(own, ["broker"])
        yield own
    finally:
        services.down(own, ["broker"])


@pytest.fixture
def data(cluster: Settings, tmp_path: Path) -> Iterator[Settings]:
    """The cluster with this test's own topics, collection and state dir, its topics created
    and fully in sync; every node runs again after the test."""
    own = isolated_settings(cluster, tmp_path / "state")
    own.state_dir.mkdir(parents=True)
    ensure_topics(own)
    wait_in_sync(own)
    yield own
    services.up(cluster, ["broker"])


def partitions(settings: Settings) -> dict[int, tuple[int, list[int]]]:
    """Tweets partition → (leader node, in-sync replicas), from the cluster's metadata."""
    topic = settings.kafka.tweets_topic
    meta = admin_client(settings).list_topics(topic, timeout=10).topics[topic]
    return {p.id: (p.leader, sorted(p.isrs)) for p in meta.partitions.values()}


def wait_in_sync(settings: Settings, nodes: int = 3) -> None:
    wait_for(
        f"every tweets partition led and with {nodes} in-sync replicas",
        lambda: all(
            leader > 0 and len(isr) == nodes for leader, isr in partitions(settings).values()
        ),
        60,
        0.2,
    )


def describe_topic(settings: Settings) -> dict[int, tuple[int, list[int]]]:
    """The same as :func:`partitions`, as Kafka's own ``kafka-topics --describe`` prints it."""
    done = subprocess.run(
        [
            java_executable(settings),
            "-Xmx128m",
            f"-Dlog4j2.configurationFile={log4j_config()}",
            "-cp",
            kafka_classpath(settings),
            TOPIC_COMMAND,
            "--bootstrap-server",
            settings.kafka.bootstrap_servers,
            "--describe",
            "--topic",
            settings.kafka.tweets_topic,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = re.findall(
        r"Partition: (\d+)\s+Leader: (-?\d+)\s+Replicas: [\d,]+\s+Isr: ([\d,]+)", done.stdout
    )
    return {int(p): (int(leader), sorted(map(int, isr.split(",")))) for p, leader, isr in rows}


def busiest_leader(settings: Settings) -> int:
    """The node leading the most tweets partitions."""
    leaders = Counter(leader for leader, _ in partitions(settings).values())
    return leaders.most_common(1)[0][0]


def kill_node(cluster: Settings, node_id: int) -> float:
    """SIGKILL one node's JVM and wait until its port is closed; the time of the kill."""
    spec = next(
        s for s in services.service_specs(cluster, "broker") if s.name == f"broker-{node_id}"
    )
    (status,) = [s for s in services.status(cluster, ["broker"]) if s.name == spec.name]
    killed_at = time.monotonic()
    os.kill(status.pid, signal.SIGKILL)
    wait_for(f"{spec.name}'s port to close", lambda: not port_in_use(spec.port), 30, 0.05)
    return killed_at


def posts(seed: int, count: int) -> list[bytes]:
    lines = generate_stream(GeneratorConfig(seed=seed, minutes=count / 60 / 20, rate=20)).tweets
    return lines[:count]


def start_ingest(settings: Settings, path: Path, log: Path, *extra: str) -> subprocess.Popen:
    """The real ``trendstream ingest`` (in-process validation), settings through its env."""
    with log.open("ab") as err:
        return subprocess.Popen(
            [*INGEST, "--file", str(path), "--json", "--workers", "1", *extra],
            env=importable_env(settings_env(settings)),
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            start_new_session=True,
        )


def committed_end(settings: Settings) -> int:
    """The tweets topic's committed end: the sum of its last stable offsets (0 while a
    partition has no leader). A fresh Admin lookup each time: it follows a moved leader."""
    try:
        highs = [
            high
            for _, high in topic_offsets(settings, settings.kafka.tweets_topic, timeout=2).values()
        ]
    except (KafkaException, KafkaUnavailableError):
        return 0
    return sum(highs) if min(highs) >= 0 else 0


def exactly_once(settings: Settings, ids: set[str]) -> dict[str, int]:
    keys = Counter(m.key().decode() for m in read_all(settings, settings.kafka.tweets_topic))
    return {
        "in_topic": sum(keys.values()),
        "lost": len(ids - set(keys)),
        "duplicated": sum(n - 1 for n in keys.values()),
        "unexpected": len(set(keys) - ids),
    }


def test_ingest_rides_out_a_killed_leader(
    cluster: Settings, data: Settings, tmp_path: Path, counts
) -> None:
    lines = posts(seed=81, count=24_000)
    ids = {tweet_id(line) for line in lines}
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert describe_topic(data) == partitions(data)
    victim = busiest_leader(data)
    log = tmp_path / "ingest.log"
    started = time.monotonic()
    proc = start_ingest(data, path, log, "--rate", "2000", "--transaction-records", "1000")
    try:
        wait_for("a few committed transactions", lambda: committed_end(data) >= 3000, 60, 0.05)
        end_at_kill = committed_end(data)
        killed_at = kill_node(cluster, victim)
        wait_for("a commit after the kill", lambda: committed_end(data) > end_at_kill, 60, 0.05)
        failover_s = time.monotonic() - killed_at
        after = describe_topic(data)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    ingest_s = time.monotonic() - started
    assert proc.returncode == 0, log.read_text()[-3000:]
    services.up(cluster, ["broker"])
    wait_in_sync(data)
    figures = exactly_once(data, ids)
    counts(
        produced=len(ids),
        **figures,
        killed_node=victim,
        failover_s=round(failover_s, 2),
        ingest_msgs_per_s=round(len(ids) / ingest_s),
        leaders_after_kill=sorted({leader for leader, _ in after.values()}),
    )
    assert all(leader != victim and victim not in isr for leader, isr in after.values()), after
    assert all(len(isr) == 2 for _, isr in after.values()), after
    assert figures["lost"] == figures["duplicated"] == figures["unexpected"] == 0


def test_stream_job_rides_out_a_killed_leader(cluster: Settings, data: Settings, counts) -> None:
    job = derive_settings(data, stream=STREAM)
    lines = posts(seed=82, count=600)
    first, second = lines[:300], lines[300:]
    victim = busiest_leader(job)
    try:
        pid = local_job.launch_local_job(job)
        produced = produce_tweets(job, first)
        wait_for(
            "the first half in Milvus", lambda: len(set(milvus_rows(job)[1])) >= len(first), 300, 1
        )
        committed_before = committed_total(job)
        offsets_before = topic_offsets(job, job.kafka.tweets_topic)
        kill_node(cluster, victim)
        # Written while the node is down: the other two hold every partition (min ISR 2).
        produced |= produce_tweets(job, second)
        wait_for(
            "the second half in Milvus",
            lambda: len(set(milvus_rows(job)[1])) >= len(produced),
            300,
            1,
        )
        committed_while_down = committed_total(job)
        services.up(cluster, ["broker"])
        wait_in_sync(job)
        ends = topic_offsets(job, job.kafka.tweets_topic)
        total, ids = caught_up_rows(job, pid)
    finally:
        local_job.stop_local_job(job)
    lost = produced - set(ids)
    counts(
        produced=len(produced),
        in_milvus=total,
        lost=len(lost),
        duplicated=total - len(set(ids)),
        killed_node=victim,
        committed_before=committed_before,
        committed_while_down=committed_while_down,
    )
    assert all(ends[p][1] >= high for p, (_, high) in offsets_before.items())
    assert committed_while_down > committed_before, "consumer progress stopped with the node"
    assert not lost and total == len(set(ids)) == len(produced)


def test_two_brokers_down_fail_ingest_loudly_and_lose_nothing(
    cluster: Settings, data: Settings, tmp_path: Path, counts
) -> None:
    quick = derive_settings(
        data, kafka={"client_config": {"message.timeout.ms": "8000", "request.timeout.ms": "4000"}}
    )
    lines = posts(seed=83, count=6000)
    accepted, refused = lines[:3000], lines[3000:]
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_bytes(b"\n".join(accepted) + b"\n")
    second.write_bytes(b"\n".join(refused) + b"\n")
    log = tmp_path / "ingest.log"
    proc = start_ingest(quick, first, log)
    proc.communicate(timeout=120)
    assert proc.returncode == 0, log.read_text()[-3000:]
    accepted_ids = {tweet_id(line) for line in accepted}

    for node in (2, 3):
        kill_node(cluster, node)
    started = time.monotonic()
    proc = start_ingest(quick, second, log)
    out, _ = proc.communicate(timeout=180)
    failed_after_s = time.monotonic() - started
    error = log.read_text().strip().splitlines()[-1]
    services.up(cluster, ["broker"])
    wait_in_sync(data)
    figures = exactly_once(data, accepted_ids)  # "unexpected": records of the refused file
    counts(
        accepted_before=len(accepted_ids),
        failed_after_s=round(failed_after_s, 1),
        error=error,
        **figures,
    )
    assert proc.returncode == 1 and "Traceback" not in log.read_text(), log.read_text()[-3000:]
    assert error.startswith("Error: ") and "at least 2 of the 3 Kafka brokers" in error, error
    assert figures["lost"] == 0, "records acknowledged before the outage went missing"
    assert figures["duplicated"] == 0
