"""Milvus: one Milvus Lite server process locally, or any Milvus URI by configuration."""

from __future__ import annotations

from urllib.parse import urlparse

from trendstream.core.settings import Settings
from trendstream.platform.environment import find_program
from trendstream.platform.process import ProcessSpec, port_in_use

NAME = "milvus"
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def milvus_is_embedded(settings: Settings) -> bool:
    """Start our own server only for ``embedded == "lite"`` and a loopback URI."""
    host = urlparse(settings.milvus.uri).hostname or ""
    return settings.milvus.embedded == "lite" and host in _LOCAL_HOSTS


def milvus_port(settings: Settings) -> int:
    """The port the local server binds: the URI's (so clients and server always agree)."""
    return urlparse(settings.milvus.uri).port or settings.milvus.port


def milvus_healthy(settings: Settings, timeout_s: float = 5.0) -> bool:
    """True when a client can list collections at the configured URI."""
    parsed = urlparse(settings.milvus.uri)
    if parsed.hostname in _LOCAL_HOSTS and parsed.port and not port_in_use(parsed.port):
        return False  # fail fast: the client would otherwise wait its whole timeout
    from pymilvus import MilvusClient

    try:
        client = MilvusClient(
            uri=settings.milvus.uri,
            token=settings.milvus.token,
            db_name=settings.milvus.db_name,
            timeout=timeout_s,
        )
    except Exception:  # noqa: BLE001 - any failure to connect means "not healthy"
        return False
    try:
        client.list_collections(timeout=timeout_s)
    except Exception:  # noqa: BLE001 - e.g. UNAVAILABLE "too many pings" while busy
        return False
    finally:
        client.close()
    return True


def milvus_spec(settings: Settings) -> ProcessSpec:
    port = milvus_port(settings)
    return ProcessSpec(
        name=NAME,
        argv=[
            find_program("milvus-lite"),
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(settings.state_dir / "milvus"),
        ],
        endpoint=settings.milvus.uri,
        health=lambda: milvus_healthy(settings),
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        port=port,
        start_timeout_s=60.0,
    )
