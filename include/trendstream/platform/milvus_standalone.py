"""The full Milvus 2.3 standalone server of the ``milvus`` wheel, as one plain server process.

Every internal port is picked free at start, so several instances coexist on one machine.
Design: docs/platform.md#milvus-standalone
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

LOOPBACK = "127.0.0.1"
# Short enough for a quick restart after a crash, long enough for keep-alives on a busy box.
SESSION_TTL_S = 10
# Its graceful stop can hang retrying coordinators that already stopped; the data is safe
# in the WAL either way, so let it force-quit early (the supervisor SIGKILLs after 15 s).
GRACEFUL_STOP_S = 1
LOG_LEVEL = "warn"
# Components whose advertised address would otherwise be "the first unicast address".
_COMPONENTS = (
    "rootCoord",
    "proxy",
    "queryCoord",
    "queryNode",
    "indexNode",
    "dataCoord",
    "dataNode",
)


def binary_version() -> str:
    """The Milvus version the installed wheel ships (raises a clear error when it is missing)."""
    try:
        import milvus
    except ImportError as exc:
        raise RuntimeError(
            "embedded Milvus standalone needs the `milvus` wheel: pip install milvus==2.3.5"
        ) from exc
    return str(milvus.__version__)


def cache_dir() -> Path:
    """Where the unpacked binary lives, shared by every data dir (it is ~250 MB)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "trendstream" / f"milvus-{binary_version()}"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def unpack_binary() -> Path:
    """The ``bin`` dir with ``milvus`` and its libraries; unpacks them once (checksummed)."""
    import milvus

    root = cache_dir()
    with _locked(root / "unpack.lock"):
        milvus._initialize_data_files(str(root))  # skips files whose .lzma checksum matches
    return root / "bin"


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free ports (all bound at once, so the kernel cannot repeat one)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def write_config(data_dir: Path, proxy_port: int) -> dict[str, str]:
    """Write ``configs/milvus.yaml`` and the embedded etcd's config under ``data_dir``;
    return the environment the binary needs."""
    from milvus import MilvusServerConfig

    config = MilvusServerConfig(data_dir=str(data_dir))
    config.resolve_storage()  # data, WAL, etcd and log paths under data_dir
    # Log to stdout only (the supervisor's log file), warnings and up: at "info" an idle
    # server writes ~5 MB an hour, twice (stdout and its own files).
    config.set("system_log_path", "")
    config.set("log.level", LOG_LEVEL)
    internal = [
        key for key in config.configurable_items if key.endswith("_port") and key != "proxy_port"
    ]
    *ports, etcd_peer, metrics = _free_ports(len(internal) + 2)
    # Set directly, not via the wheel's resolve(): its bind check (no SO_REUSEADDR) fails on
    # our own proxy port for a minute after a restart; the supervisor checks that port itself.
    for key, port in {"proxy_port": proxy_port, **dict(zip(internal, ports, strict=False))}.items():
        config.set(key, port)
    for component in _COMPONENTS:
        config.set(f"{component}.ip", LOOPBACK)
    # After a crash the coordinators wait for their old etcd session to expire (default 30 s).
    config.set("common.session.ttl", SESSION_TTL_S)
    config.set("common.gracefulStopTimeout", GRACEFUL_STOP_S)
    unresolved = [key for key, (_type, value) in config.configurable_items.items() if value is None]
    if unresolved:
        raise RuntimeError(f"milvus config template has unresolved items: {unresolved}")
    config.write_config()
    etcd_client = config.get("etcd_port")
    etcd_config = data_dir / "configs" / "embedEtcd.yaml"
    etcd_config.write_text(
        f"listen-client-urls: http://{LOOPBACK}:{etcd_client}\n"
        f"advertise-client-urls: http://{LOOPBACK}:{etcd_client}\n"
        f"listen-peer-urls: http://{LOOPBACK}:{etcd_peer}\n"
        f"initial-advertise-peer-urls: http://{LOOPBACK}:{etcd_peer}\n"
        f"initial-cluster: default=http://{LOOPBACK}:{etcd_peer}\n"
    )
    return {
        "DEPLOY_MODE": "STANDALONE",
        "METRICS_PORT": str(metrics),
        "MILVUS_RUN_DIR": str(data_dir / "run"),
        "ETCD_CONFIG_PATH": str(etcd_config),
    }


def prepare(data_dir: Path, proxy_port: int) -> tuple[list[str], dict[str, str]]:
    """``(argv, env)`` for ``milvus run standalone`` serving ``proxy_port`` from ``data_dir``."""
    bin_dir = unpack_binary()
    env = write_config(data_dir.resolve(), proxy_port)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        p for p in (str(bin_dir), os.environ.get("LD_LIBRARY_PATH", "")) if p
    )
    return [str(bin_dir / "milvus"), "run", "standalone"], env


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the embedded Milvus standalone server.")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True, help="proxy (client) port")
    args = parser.parse_args(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    command, env = prepare(args.data_dir, args.port)
    print(f"milvus standalone: exec {' '.join(command)} in {args.data_dir}", flush=True)
    os.chdir(args.data_dir.resolve())  # the binary reads ./configs/milvus.yaml
    os.execve(command[0], command, {**os.environ, **env})


if __name__ == "__main__":
    main()
