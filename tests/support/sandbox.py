"""Private platforms: settings for a throw-away set of services in their own dir, on free ports.

Tests, benchmarks and reliability runs use these so they never touch the user's platform
(or each other's) and never depend on fixed ports.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from trendstream.core.settings import Settings
from trendstream.platform.broker import bootstrap_servers
from trendstream.platform.process import free_port, free_ports

# Test jobs are short (an --available-now run, a few batches): C1-only JIT takes ~10 s off each
# job start. Benchmarks keep the JVM's default JIT, as deployed.
QUICK_JIT = "-XX:TieredStopAtLevel=1"


def derive_settings(base: Settings, **overrides: Any) -> Settings:
    """``base`` with nested overrides merged (``kafka={"tweets_topic": "x"}``), validated again."""
    data = base.model_dump()
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return Settings(**data)


def sandbox_settings(
    state_dir: Path,
    base: Settings | None = None,
    milvus_server: Literal["lite", "standalone"] = "lite",
    broker_nodes: int = 1,
    java_options: str = "",
) -> Settings:
    """Settings for a private platform under ``state_dir`` with every service on a free port
    (``milvus_server`` picks the local Milvus kind; ``broker_nodes`` > 1 makes the broker a
    local Kafka cluster, 320 MB heap a node; ``java_options``: the stream job's JVM flags)."""
    *broker_ports, milvus_port = free_ports(broker_nodes + 1)
    heap = {} if broker_nodes == 1 else {"heap_mb": 320}
    return derive_settings(
        base or Settings(),
        state_dir=state_dir,
        kafka={"bootstrap_servers": bootstrap_servers(broker_ports)},
        broker={"enabled": True, "port": broker_ports[0], "nodes": broker_nodes, **heap},
        milvus={
            "uri": f"http://127.0.0.1:{milvus_port}",
            "port": milvus_port,
            "embedded": milvus_server,
            "token": "",
        },
        airflow={"host": "127.0.0.1", "port": free_port()},
        stream={"java_options": java_options},
    )


ISOLATED_KAFKA_NAMES = (
    "tweets_topic",
    "engagements_topic",
    "hashtag_counts_topic",
    "engagement_rates_topic",
    "user_scores_topic",
    "consumer_group",
)


def isolated_settings(base: Settings, state_dir: Path, **overrides: Any) -> Settings:
    """``base``'s services with its own topics, group, collection and state dir, so tests that
    share one broker and Milvus never see each other's data (``overrides`` as in derive_settings).
    """
    uid = uuid.uuid4().hex[:10]
    kafka = {name: f"{getattr(base.kafka, name)}-{uid}" for name in ISOLATED_KAFKA_NAMES}
    kafka["dead_letter_topic"] = f"{kafka['tweets_topic']}.dlq"  # the default's naming
    milvus = {"collection": f"{base.milvus.collection}_{uid}"}
    return derive_settings(
        base,
        state_dir=state_dir,
        kafka={**kafka, **overrides.pop("kafka", {})},
        milvus={**milvus, **overrides.pop("milvus", {})},
        **overrides,
    )


@contextmanager
def private_broker(work_dir: Path, nodes: int = 1) -> Iterator[str]:
    """A throwaway broker (``nodes`` > 1: a local Kafka cluster) on free ports in ``work_dir``
    (benchmarks); yields its bootstrap."""
    from trendstream.platform import services

    settings = sandbox_settings(work_dir / "platform", broker_nodes=nodes)
    services.up(settings, services=("broker",))
    try:
        yield settings.kafka.bootstrap_servers
    finally:
        services.down(settings, services=("broker",))
