"""The streaming job end to end: real broker, Spark local mode, Milvus Lite, the real model.

One crashed-then-restarted `--available-now` run over a generated stream (with bad records
mixed in) is shared by the tests that read its results; the outage test runs its own job
with the analytics queries off, to keep the suite's JVM starts few.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.support.faults import CrashAfterBatch, fault_settings, importable_env
from tests.support.sandbox import derive_settings
from tests.support.stream_data import (
    engagement_seconds,
    expected_engagement_seconds,
    expected_hashtag_windows,
    hashtag_windows,
    produce,
    tweet_ids,
)
from trendstream.core.schema import parse_event
from trendstream.core.settings import Settings
from trendstream.kafka.admin import (
    client_config,
    committed_offsets,
    consumer_lag,
    topic_offsets,
)
from trendstream.kafka.dead_letter import parse_dead_letter
from trendstream.platform import process
from trendstream.platform.milvus import milvus_spec
from trendstream.platform.process import free_port
from trendstream.sources.generator import GeneratedStream, GeneratorConfig, generate_stream
from trendstream.stream.analytics import load_latest
from trendstream.stream.heartbeat import Heartbeat
from trendstream.stream.job import query_group
from trendstream.stream.scores import ACTION_WEIGHTS
from trendstream.vectorstore.collection import VECTOR_FIELD
from trendstream.vectorstore.store import TweetStore

# Generous: a 2-core box shared with other work can take minutes per job run.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]

REPO = Path(__file__).resolve().parents[2]
JOB_TIMEOUT_S = 800
BAD_RECORDS = [
    (b"{not json", "invalid_json"),
    (
        b'{"data": {"id": "77", "text": "   ", "author_id": "5", '
        b'"created_at": "2025-06-01T12:00:01Z"}}',
        "empty_text",
    ),
    (
        b'{"data": {"id": "x1", "text": "hi", "author_id": "5", '
        b'"created_at": "2025-06-01T12:00:01Z"}}',
        "bad_id",
    ),
    (b"\xff\xfe\xfa", "invalid_utf8"),
]
# Refused on the engagements topic: judged and dead-lettered in the JVM (stream/parse.py).
BAD_ENGAGEMENTS = [
    (
        b'{"kind": "engagement", "id": "9", "type": "like", "user_id": "5", "tweet_id": "7"}',
        "missing_field",
    ),
    (
        b'{"kind": "engagement", "id": "9", "type": "zap", "user_id": "5", "tweet_id": "7", '
        b'"created_at": "2025-06-01T12:00:01Z"}',
        "bad_value",
    ),
    (b"[1, 2]", "not_an_object"),
]


def isolated(
    platform: Settings, state_dir: Path, *, milvus: dict | None = None, **overrides
) -> Settings:
    """The shared platform with this run's own topics, group, collection and state dir."""
    uid = uuid.uuid4().hex[:10]
    k = platform.kafka
    return derive_settings(
        platform,
        state_dir=state_dir,
        kafka={
            "tweets_topic": f"tweets-{uid}",
            "engagements_topic": f"engagements-{uid}",
            "dead_letter_topic": f"tweets-{uid}.dlq",
            "hashtag_counts_topic": f"hashtags-{uid}",
            "engagement_rates_topic": f"engagement-{uid}",
            "user_scores_topic": f"users-{uid}",
            "consumer_group": f"{k.consumer_group}-{uid}",
        },
        milvus={"collection": f"tweets_{uid}", **(milvus or {})},
        **overrides,
    )


def run_job(
    settings: Settings,
    *args: str,
    entry: str = "cli",
    wait: bool = True,
):
    """The job as Airflow/users run it: the CLI or the spark_jobs entry point, in a subprocess."""
    argv = (
        [str(Path(sys.executable).parent / "trendstream"), "stream", "run"]
        if entry == "cli"
        else [sys.executable, str(REPO / "spark_jobs" / "stream_job.py")]
    )
    full_env = importable_env({**os.environ, **settings.env()})
    log_file = settings.paths.log_file(f"job-{time.monotonic_ns()}")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log = log_file.open("wb")
    proc = subprocess.Popen(
        [*argv, *args], env=full_env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
    )
    if wait:
        proc.wait(timeout=JOB_TIMEOUT_S)
    return proc


def milvus_ids(settings: Settings, ids: list[str]) -> list[dict]:
    with TweetStore.connect(settings) as store:
        return store.get_by_ids(ids, output_fields=["id", VECTOR_FIELD])


def milvus_count(settings: Settings) -> int:
    with TweetStore.connect(settings) as store:
        return store.count()


def job_log(settings: Settings) -> str:
    return "\n".join(
        p.read_text(errors="replace")[-4000:] for p in settings.paths.log_dir.glob("job-*.log")
    )


# --- the shared run -------------------------------------------------------------------------


@dataclass
class StreamRun:
    settings: Settings
    generated: GeneratedStream
    per_batch: int
    written_before_restart: int


@pytest.fixture(scope="module")
def stream_run(platform: Settings, tmp_path_factory: pytest.TempPathFactory) -> StreamRun:
    """Generated tweets + engagements + bad records; the job runs in micro-batches, is
    killed right after batch 1's Milvus write (before Spark records it as done), and is
    restarted from its checkpoint. Every test below reads the outcome of that one run.
    The generous watermark keeps the multi-batch window counts exact (no late drops)."""
    settings = isolated(
        platform, tmp_path_factory.mktemp("stream-run"), stream={"watermark_seconds": 3600}
    )
    generated = generate_stream(
        GeneratorConfig(minutes=1.0, rate=2.5, users=150, trends=2, decoys=1)
    )
    produce(
        settings,
        generated.tweets,
        generated.engagements,
        [raw for raw, _ in BAD_RECORDS],
        [raw for raw, _ in BAD_ENGAGEMENTS],
    )
    per_batch = str(len(generated.tweets) // 3 + 1)
    crashed = run_job(
        fault_settings(settings, CrashAfterBatch, batch=1),
        "--available-now",
        "--max-offsets-per-trigger",
        per_batch,
        entry="spark_jobs",
    )
    assert crashed.returncode != 0, job_log(settings)
    crash_log = max(settings.paths.log_dir.glob("job-*.log")).read_text(errors="replace")
    assert "fault injection: dying after the upsert of batch 1" in crash_log, job_log(settings)
    written = milvus_count(settings)
    proc = run_job(settings, "--available-now", "--max-offsets-per-trigger", per_batch)
    assert proc.returncode == 0, job_log(settings)
    return StreamRun(settings, generated, int(per_batch), written)


def test_every_tweet_lands_once_with_a_vector_of_the_configured_dimension(stream_run):
    settings, generated = stream_run.settings, stream_run.generated
    ids = tweet_ids(generated.tweets)
    assert milvus_count(settings) == len(set(ids))
    rows = milvus_ids(settings, ids)
    assert sorted(r["id"] for r in rows) == sorted(set(ids))
    vectors = np.asarray([r[VECTOR_FIELD] for r in rows], dtype=np.float32)
    assert vectors.shape == (len(ids), settings.model.dimension)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_a_planted_trend_post_finds_its_paraphrase_family(stream_run):
    settings, generated = stream_run.settings, stream_run.generated
    trend = max(generated.ground_truth["trends"], key=lambda t: t["size"])
    family = set(trend["member_tweet_ids"])
    probe = milvus_ids(settings, [trend["member_tweet_ids"][0]])[0]
    k = 5
    with TweetStore.connect(settings) as store:
        hits = store.search([probe[VECTOR_FIELD]], k + 1)[0]
    neighbours = [h["id"] for h in hits if h["id"] != probe["id"]][:k]
    assert sum(n in family for n in neighbours) >= k - 1, (trend["description"], neighbours)


def test_bad_records_go_to_the_dead_letter_topic_with_reasons(stream_run):
    from confluent_kafka import Consumer, TopicPartition

    settings = stream_run.settings
    topic = settings.kafka.dead_letter_topic
    ends = topic_offsets(settings, topic)
    consumer = Consumer(
        client_config(settings, **{"group.id": "dlq-check", "enable.auto.commit": False})
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in ends])
    envelopes, deadline = [], time.monotonic() + 30
    while len(envelopes) < sum(high for _, high in ends.values()) and time.monotonic() < deadline:
        envelopes += [
            parse_dead_letter(m.value()) for m in consumer.consume(100, 1.0) if not m.error()
        ]
    consumer.close()
    # The engagements' dead letters come through Spark's at-least-once Kafka sink: a batch
    # replayed after the crash may repeat one (same position), never lose one.
    by_position = {e["position"]: e for e in envelopes}
    got = sorted((e["raw_bytes"], e["reason"]) for e in by_position.values())
    assert got == sorted(BAD_RECORDS + BAD_ENGAGEMENTS)
    assert all(e["stage"] == "stream" for e in envelopes)
    topics = Counter(e["position"].rsplit(":", 2)[0] for e in by_position.values())
    assert topics == {
        settings.kafka.tweets_topic: len(BAD_RECORDS),
        settings.kafka.engagements_topic: len(BAD_ENGAGEMENTS),
    }


def test_hashtag_windows_match_counts_from_the_generated_data(stream_run):
    settings, generated = stream_run.settings, stream_run.generated
    expected = expected_hashtag_windows(generated.tweets, settings.stream.window_seconds)
    assert expected and hashtag_windows(settings) == expected


def test_engagement_rates_match_counts_from_the_generated_data(stream_run):
    settings, generated = stream_run.settings, stream_run.generated
    expected = expected_engagement_seconds(generated.engagements)
    assert expected and engagement_seconds(settings) == expected


def test_user_scores_follow_the_documented_decay_formula(stream_run):
    settings, generated = stream_run.settings, stream_run.generated
    actions: dict[str, list[tuple[float, str]]] = {}
    for line in generated.tweets:
        tweet = parse_event(line)
        actions.setdefault(tweet.author_id, []).append((tweet.created_at.timestamp(), "post"))
    for line in generated.engagements:
        event = parse_event(line)
        actions.setdefault(event.user_id, []).append((event.created_at.timestamp(), event.type))
    half_life = settings.stream.user_score_half_life_s
    frame = load_latest(settings, "users").set_index("user_id")
    assert sorted(frame.index) == sorted(actions)
    for user, acts in actions.items():
        latest = max(t for t, _ in acts)
        expected = sum(ACTION_WEIGHTS[a] * 2 ** (-(latest - t) / half_life) for t, a in acts)
        row = frame.loc[user]
        assert row.actions == len(acts)
        assert row.score == pytest.approx(expected, rel=1e-6)
        assert row.last_action_at.timestamp() == pytest.approx(latest, abs=1e-3)


def test_heartbeat_and_group_offsets_show_the_caught_up_job(stream_run):
    settings = stream_run.settings
    beat = Heartbeat.read(settings.paths.heartbeat_file)
    assert beat is not None and beat.status == "stopped" and beat.lag == 0
    assert beat.batch_id >= 2 and 0 < beat.input_rows <= stream_run.per_batch
    assert set(beat.stage_seconds) >= {"read", "parse", "clean", "encode", "upsert"}
    highs = {
        p: high for p, (_, high) in topic_offsets(settings, settings.kafka.tweets_topic).items()
    }
    assert (
        committed_offsets(settings, settings.kafka.consumer_group, settings.kafka.tweets_topic)
        == highs
    )
    # Every query published its end offsets to its own group: Kafka tooling sees lag 0 for each.
    tweets, engagements = settings.kafka.tweets_topic, settings.kafka.engagements_topic
    reads = {
        "embed": [tweets],
        "hashtags": [tweets],
        "engagement": [engagements],
        "users": [tweets, engagements],
        "dead_letters": [engagements],
    }
    lags = {
        (name, topic): sum(
            p.lag for p in consumer_lag(settings, query_group(settings, name), topic)
        )
        for name, topics in reads.items()
        for topic in topics
    }
    assert set(lags.values()) == {0}, lags


def test_crash_between_milvus_write_and_commit_replays_without_duplicates(stream_run):
    """Batch 1 reached Milvus but not Spark's commit log; the restart replayed it by upsert."""
    settings = stream_run.settings
    ids = set(tweet_ids(stream_run.generated.tweets))
    assert stream_run.per_batch < stream_run.written_before_restart < len(ids)
    assert milvus_count(settings) == len(ids)


def test_milvus_outage_is_retried_and_nothing_is_lost(platform, tmp_path):
    """A private Milvus server (the shared one must stay up) is down when the job starts."""
    port = free_port()
    settings = isolated(
        platform,
        tmp_path,
        stream={"analytics": False, "restart_backoff_max_s": 2.0},
        milvus={
            "uri": f"http://127.0.0.1:{port}",
            "port": port,
            "retry_timeout_s": 3.0,
            "rpc_timeout_s": 5.0,
        },
    )
    lines = generate_stream(
        GeneratorConfig(minutes=0.25, rate=2.0, users=30, trends=2, decoys=0)
    ).tweets
    produce(settings, lines)
    spec = milvus_spec(settings)
    proc = run_job(settings, "--available-now", wait=False)
    try:
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while proc.poll() is None and time.monotonic() < deadline:
            beat = Heartbeat.read(settings.paths.heartbeat_file)
            if beat and beat.restarts.get("embed", 0) >= 1:
                break
            time.sleep(1)
        assert proc.poll() is None, job_log(settings)  # still retrying, not crashed
        process.start(spec)
        assert proc.wait(timeout=JOB_TIMEOUT_S) == 0, job_log(settings)
        assert milvus_count(settings) == len(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
        process.stop(spec)
