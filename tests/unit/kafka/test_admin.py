"""What the topic admin decides without a broker: replication and the words of its errors."""

from __future__ import annotations

from pathlib import Path

from confluent_kafka import KafkaError

from tests.support.sandbox import derive_settings, sandbox_settings
from trendstream.kafka.admin import (
    broker_hint,
    describe_error,
    min_insync_replicas,
    topic_replication,
    topic_specs,
)


def test_the_hint_names_the_brokers_a_replicated_write_needs(tmp_path: Path) -> None:
    single = sandbox_settings(tmp_path / "one")
    assert broker_hint(single) == f"is the Kafka broker at {single.kafka.bootstrap_servers} up?"
    cluster = sandbox_settings(tmp_path / "three", broker_nodes=3)
    hint = broker_hint(cluster)
    assert hint.startswith(
        f"are at least 2 of the 3 Kafka brokers at {cluster.kafka.bootstrap_servers} up?"
    )
    assert "2 replicas in sync" in hint and "trendstream platform status" in hint
    external = derive_settings(single, broker={"enabled": False}, kafka={"replication_factor": 3})
    assert "at least 2 of the 3" in broker_hint(external)


def test_errors_of_missing_brokers_are_said_plainly() -> None:
    timed_out = KafkaError(KafkaError._TIMED_OUT, "Timed out waiting for operation, retry call")
    assert describe_error(timed_out) == "no answer in time (_TIMED_OUT)"
    assert describe_error(KafkaError(KafkaError.NOT_ENOUGH_REPLICAS)) == (
        "fewer replicas in sync than min.insync.replicas (NOT_ENOUGH_REPLICAS)"
    )
    other = KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED, "not allowed")
    assert describe_error(other) == "not allowed (TOPIC_AUTHORIZATION_FAILED)"


def test_topics_replicate_on_a_cluster_and_stay_single_on_one_node(tmp_path: Path) -> None:
    local = sandbox_settings(tmp_path / "state")
    assert [min_insync_replicas(r) for r in (1, 2, 3, 5)] == [1, 1, 2, 4]
    assert topic_replication(local) == 1
    assert {s.config["min.insync.replicas"] for s in topic_specs(local)} == {"1"}
    cluster = derive_settings(local, broker={"nodes": 3})
    assert topic_replication(cluster) == 3
    assert {s.config["min.insync.replicas"] for s in topic_specs(cluster)} == {"2"}
    assert topic_replication(derive_settings(local, broker={"nodes": 5})) == 3
    external = derive_settings(
        local, broker={"enabled": False, "nodes": 3}, kafka={"replication_factor": 2}
    )
    assert topic_replication(external) == 2  # someone else's cluster: the setting decides
