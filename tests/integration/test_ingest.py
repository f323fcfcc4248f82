"""Ingest against the real broker: exactly-once arrival, the bad-input corpus, clear errors."""

from __future__ import annotations

import json
import os
import random
import socket
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from confluent_kafka.admin import ConfigResource, ResourceType

from tests.support.sandbox import derive_settings
from trendstream.cli import main
from trendstream.core.settings import Settings
from trendstream.kafka.admin import (
    KafkaUnavailableError,
    TopicNameError,
    UnknownTopicError,
    admin_client,
    consumer_lag,
    high_watermarks,
    ingest_progress_topic,
    list_topics,
    topic_offsets,
    validate_topic_name,
)
from trendstream.kafka.dead_letter import parse_dead_letter
from trendstream.kafka.producer import IdempotentProducer
from trendstream.kafka.progress import FileProgress
from trendstream.kafka.reader import read_all
from trendstream.sources.generator import GeneratorConfig, write_stream
from trendstream.sources.ingest import Ingestor, ingest_files

pytestmark = pytest.mark.integration
DATA = Path(__file__).parents[1] / "data"


def test_generated_stream_arrives_exactly_once_keyed_by_id(settings: Settings, tmp_path) -> None:
    paths = write_stream(tmp_path, GeneratorConfig(seed=5, minutes=3, rate=8))
    truth = orjson.loads(paths.ground_truth.read_bytes())
    summary = ingest_files(settings, [paths.tweets, paths.engagements], source="generated")
    assert summary.rejected == {}
    assert summary.tweets == truth["stream"]["tweets"]
    assert summary.engagements == truth["stream"]["engagements"]
    assert summary.delivered == summary.accepted

    messages = read_all(settings, settings.kafka.tweets_topic)
    ids = Counter(m.key().decode() for m in messages)
    expected = {orjson.loads(line)["data"]["id"] for line in paths.tweets.open("rb")}
    assert set(ids) == expected and max(ids.values()) == 1, "each id exactly once"
    assert all(orjson.loads(m.value())["id"] == m.key().decode() for m in messages)
    partitions = Counter(m.partition() for m in messages)
    assert len(partitions) == settings.kafka.partitions, "keys spread over all partitions"
    assert min(partitions.values()) > 0.1 * len(messages)
    for trend in truth["trends"]:
        assert set(trend["member_tweet_ids"]) <= set(ids)

    engagements = read_all(settings, settings.kafka.engagements_topic)
    assert len(engagements) == summary.engagements
    for message in engagements[:200]:
        event = orjson.loads(message.value())
        assert message.key().decode() == (event["tweet_id"] or event["target_user_id"])

    # Offsets count records plus one commit marker per transaction and partition written.
    offsets = topic_offsets(settings, settings.kafka.tweets_topic)
    span = sum(high - low for low, high in offsets.values())
    assert len(expected) < span <= len(expected) + summary.transactions * len(offsets)
    assert high_watermarks(settings, settings.kafka.tweets_topic) == {
        p: high for p, (_, high) in offsets.items()
    }
    lag = consumer_lag(settings, "nobody-consumed", settings.kafka.tweets_topic)
    assert sum(row.lag for row in lag) == span
    assert all(row.committed is None for row in lag)


def _oversized_and_binary_files(tmp_path: Path) -> tuple[Path, Path]:
    big = tmp_path / "big.jsonl"
    one_mb = {
        "id": "1900000000000000001",
        "author_id": "42",
        "text": "m" * (1 << 20),
        "created_at": "2025-06-01T12:00:00Z",
    }
    medium = {**one_mb, "id": "1900000000000000002", "text": "z" * 70_000}
    good = {**one_mb, "id": "1900000000000000003", "text": "fine between giants"}
    big.write_bytes(b"\n".join(orjson.dumps(r) for r in (one_mb, good, medium)) + b"\n")
    binary = tmp_path / "binary.bin"
    rng = random.Random(3)
    binary.write_bytes(
        bytes(rng.randrange(256) for _ in range(4000)).replace(b"\n", b"\x00")
        + b"\n"
        + os.urandom(0)
        + b"\x80\x81{\xfe\n"
    )
    return big, binary


@pytest.mark.parametrize("workers", [1, 2], ids=["sequential", "parallel-validation"])
def test_bad_corpus_goes_to_dead_letters_with_reason_and_position(
    settings: Settings, tmp_path, workers: int
) -> None:
    expected = json.loads((DATA / "bad_records.expected.json").read_text())
    big, binary = _oversized_and_binary_files(tmp_path)
    summary = ingest_files(
        settings, [DATA / "bad_records.jsonl", big, binary], source="corpus", workers=workers
    )

    dead = [
        parse_dead_letter(m.value()) for m in read_all(settings, settings.kafka.dead_letter_topic)
    ]
    by_position = {d["position"]: d for d in dead}
    assert len(by_position) == len(dead), "one dead letter per bad record"
    for line, case in expected.items():
        position = f"bad_records.jsonl:{line}"
        if case["expect"] == "accepted":
            assert position not in by_position, case
        else:
            assert by_position[position]["reason"] == case["expect"], (case, by_position[position])
            assert by_position[position]["source"] == "corpus"
            assert by_position[position]["stage"] == "ingest"
    assert by_position["big.jsonl:1"]["reason"] == "oversized_record"
    assert by_position["big.jsonl:1"]["raw_size"] > 1 << 20
    assert by_position["big.jsonl:1"]["raw_truncated"] is True
    assert by_position["big.jsonl:3"]["reason"] == "oversized_record"
    assert {by_position["binary.bin:1"]["reason"], by_position["binary.bin:2"]["reason"]} <= {
        "invalid_utf8",
        "invalid_json",
    }
    assert by_position["binary.bin:2"]["raw_encoding"] == "base64"
    assert by_position["binary.bin:2"]["raw_bytes"] == b"\x80\x81{\xfe"
    invalid_utf8 = [d for d in dead if d["reason"] == "invalid_utf8"]
    assert invalid_utf8 and all(d["raw_encoding"] == "base64" for d in invalid_utf8)
    bad_json = by_position["bad_records.jsonl:2"]
    assert bad_json["raw_bytes"] == (DATA / "bad_records.jsonl").read_bytes().split(b"\n")[1]

    accepted = [n for n, case in expected.items() if case["expect"] == "accepted"]
    tweets = read_all(settings, settings.kafka.tweets_topic)
    engagements = read_all(settings, settings.kafka.engagements_topic)
    assert len(tweets) + len(engagements) == len(accepted) + 1  # + the good line in big.jsonl
    texts = {orjson.loads(m.value())["text"] for m in tweets}
    assert "family 👨‍👩‍👧‍👦 flags 🏳️‍🌈 🇯🇵" in texts  # odd but valid unicode, byte-exact
    assert "zero\u200bwidth\u200djoin\ufeffbom" in texts
    assert "مرحبا بالعالم שלום עולם" in texts
    assert summary.rejected_total == len(dead)
    assert summary.accepted == len(tweets) + len(engagements)


def test_invalid_or_unknown_topic_names_fail_before_any_broker_call(settings: Settings) -> None:
    for bad in ("", ".", "..", "has space", "slash/name", "x" * 250, "ümlaut"):
        with pytest.raises(TopicNameError):
            validate_topic_name(bad)
    broken = derive_settings(settings, kafka={"tweets_topic": "tweets with spaces"})
    with pytest.raises(TopicNameError, match="characters Kafka refuses"):
        Ingestor(broken, "test")
    missing = f"never-created-{os.getpid()}-{time.monotonic_ns()}"
    with pytest.raises(UnknownTopicError, match="does not exist"):
        topic_offsets(settings, missing)
    with pytest.raises(UnknownTopicError):
        high_watermarks(settings, missing)
    assert missing not in list_topics(settings), "asking must not auto-create the topic"
    assert "tweets with spaces" not in list_topics(settings)


def _dead_broker(settings: Settings) -> Settings:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return derive_settings(settings, kafka={"bootstrap_servers": f"127.0.0.1:{port}"})


def test_dead_broker_gives_a_clear_error(settings: Settings) -> None:
    dead = _dead_broker(settings)
    started = time.monotonic()
    with pytest.raises(KafkaUnavailableError, match="not reachable"):
        Ingestor(dead, "test", timeout=3)
    with pytest.raises(KafkaUnavailableError, match="is the Kafka broker at .* up"):
        producer = IdempotentProducer(dead, **{"message.timeout.ms": 1500})
        producer.produce("anything", b"x", b"k")
        producer.flush(timeout=3)
    assert time.monotonic() - started < 30
    result = CliRunner().invoke(
        main,
        ["topics", "show", "--timeout", "2"],
        env={"TRENDSTREAM_KAFKA__BOOTSTRAP_SERVERS": dead.kafka.bootstrap_servers},
    )
    assert result.exit_code == 1 and "not reachable" in result.output


def test_cli_generate_ingest_topics(settings: Settings, tmp_path) -> None:
    runner = CliRunner()
    out = tmp_path / "gen"
    result = runner.invoke(
        main, ["generate", "--out", str(out), "--minutes", "2", "--rate", "3", "--seed", "9"]
    )
    assert result.exit_code == 0, result.output
    truth = orjson.loads((out / "ground_truth.json").read_bytes())
    result = runner.invoke(
        main, ["ingest", "--file", str(out / "tweets.jsonl"), "--rate", "5000", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert summary["tweets"] == truth["stream"]["tweets"]
    result = runner.invoke(main, ["topics", "show", "--topic", settings.kafka.tweets_topic])
    assert result.exit_code == 0, result.output
    assert settings.kafka.tweets_topic in result.output
    result = runner.invoke(main, ["topics", "show", "--topic", "bad name"])
    assert result.exit_code == 1 and "characters Kafka refuses" in result.output


def test_rate_limit_is_respected(settings: Settings) -> None:
    line = {"id": "1", "author_id": "2", "text": "paced", "created_at": "2025-06-01T00:00:00Z"}
    with Ingestor(settings, "paced", rate=200) as ingestor:
        started = time.monotonic()
        for i in range(100):
            ingestor.submit({**line, "id": str(i + 1)}, f"mem:{i}")
        elapsed = time.monotonic() - started
    assert elapsed >= 0.45, elapsed  # 100 records at 200/s ≈ 0.5 s
    assert ingestor.summary().accepted == 100


def test_a_rerun_of_a_finished_file_adds_nothing(settings: Settings, tmp_path) -> None:
    paths = write_stream(tmp_path, GeneratorConfig(seed=8, minutes=1, rate=5))
    first = ingest_files(settings, [paths.tweets], source="rerun", transaction_records=100)
    assert first.transactions >= first.accepted // 100 and first.resumed == 0
    again = ingest_files(settings, [paths.tweets], source="rerun")
    assert (again.accepted, again.rejected_total, again.transactions) == (0, 0, 0)
    assert len(read_all(settings, settings.kafka.tweets_topic)) == first.tweets
    progress = [
        orjson.loads(m.value()) for m in read_all(settings, ingest_progress_topic(settings))
    ]
    assert progress[-1]["complete"] is True and progress[-1]["records"] == first.records
    admin = admin_client(settings)  # must outlive its futures
    (described,) = admin.describe_configs(
        [ConfigResource(ResourceType.TOPIC, ingest_progress_topic(settings))]
    ).values()
    assert described.result()["cleanup.policy"].value == "compact"


def test_a_second_ingest_with_the_same_id_fences_the_first(settings: Settings) -> None:
    """What makes a re-run safe while a stuck predecessor still lives: the newer producer
    aborts the older one's open transaction, and the older one can no longer commit."""
    line = {"id": "1", "author_id": "2", "text": "fenced", "created_at": "2025-06-01T00:00:00Z"}
    progress = FileProgress("k", "mem", 1, False)
    with pytest.raises(RuntimeError, match="took over"):
        with Ingestor(settings, "fenced", transactional_id="fence-test") as older:
            older.submit({**line, "id": "101"}, "mem:1")
            older.flush()
            with Ingestor(settings, "fenced", transactional_id="fence-test") as newer:
                newer.submit({**line, "id": "202"}, "mem:1")
                newer.commit(progress)
            older.commit(progress)
    assert [m.key() for m in read_all(settings, settings.kafka.tweets_topic)] == [b"202"]
    in_log = read_all(settings, settings.kafka.tweets_topic, read_committed=False)
    assert sorted(m.key() for m in in_log) == [b"101", b"202"]
