"""Milvus: one local server process (Milvus Lite or the full standalone), or any Milvus URI.

Each kind keeps its own data dir, so switching never opens one dir with two servers.
Design: docs/platform.md#milvus
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse

from trendstream.core.settings import Settings
from trendstream.platform.environment import find_program
from trendstream.platform.process import ProcessSpec, port_in_use

NAME = "milvus"
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def milvus_is_embedded(settings: Settings) -> bool:
    """Start our own server only for ``embedded`` "lite" or "standalone" and a loopback URI."""
    host = urlparse(settings.milvus.uri).hostname or ""
    return settings.milvus.embedded in ("lite", "standalone") and host in _LOCAL_HOSTS


def milvus_data_dir(settings: Settings) -> Path:
    """The local server's data dir: one per kind (their on-disk formats differ)."""
    return settings.paths.milvus_data_dir(settings.milvus.embedded)


def milvus_port(settings: Settings) -> int:
    """The port the local server binds: the URI's (so clients and server always agree)."""
    return urlparse(settings.milvus.uri).port or settings.milvus.port


def milvus_healthy(settings: Settings, timeout_s: float = 5.0) -> bool:
    """True when a client can list collections at the configured URI."""
    parsed = urlparse(settings.milvus.uri)
    if parsed.hostname in _LOCAL_HOSTS and parsed.port and not port_in_use(parsed.port):
        return False  # fail fast: the client would otherwise wait its whole timeout
    from pymilvus import MilvusClient

    from trendstream.vectorstore.store import client_kwargs

    try:
        client = MilvusClient(**{**client_kwargs(settings.milvus), "timeout": timeout_s})
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
    """The supervised local server process for ``settings.milvus.embedded``."""
    port = milvus_port(settings)
    data_dir = str(milvus_data_dir(settings))
    if settings.milvus.embedded == "standalone":
        # A launcher that prepares config and ports, then execs the server in its place.
        argv = [
            sys.executable,
            "-m",
            "trendstream.platform.milvus_standalone",
            "--data-dir",
            data_dir,
            "--port",
            str(port),
        ]
    else:
        argv = [
            find_program("milvus-lite"),
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            data_dir,
        ]
    return ProcessSpec(
        name=NAME,
        argv=argv,
        endpoint=settings.milvus.uri,
        health=lambda: milvus_healthy(settings),
        paths=settings.paths,
        port=port,
        # The first standalone start also unpacks the ~250 MB binary (once per machine).
        start_timeout_s=120.0 if settings.milvus.embedded == "standalone" else 60.0,
    )
