"""A small process supervisor: detached services with a PID file, a log file and a health check.

Runs from a plain virtualenv and in test temp dirs. Design: docs/platform.md#process-supervisor
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from trendstream.core.paths import Paths

log = logging.getLogger(__name__)

HealthCheck = Callable[[], bool]


class PlatformError(RuntimeError):
    """An expected failure of a platform service (port taken, died at start, unhealthy)."""


@dataclass(frozen=True)
class ProcessSpec:
    """How to run one service process and how to tell that it works."""

    name: str
    argv: list[str]
    endpoint: str
    health: HealthCheck
    paths: Paths  # where its PID file and log go
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    port: int | None = None
    start_timeout_s: float = 30.0
    # Runs just before the process is spawned (write config, format storage).
    prepare: Callable[[], None] | None = None

    @property
    def pid_file(self) -> Path:
        return self.paths.pid_file(self.name)

    @property
    def log_file(self) -> Path:
        return self.paths.log_file(self.name)


@dataclass(frozen=True)
class ProcessStatus:
    """What ``status`` reports for one service."""

    name: str
    endpoint: str
    log_file: Path
    pid: int | None = None
    running: bool = False
    healthy: bool = False
    uptime_s: float | None = None
    # A PID file whose process is gone (crashed or killed without ``stop``).
    stale_pid: int | None = None
    managed: bool = True
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "endpoint": self.endpoint,
            "log_file": str(self.log_file),
            "pid": self.pid,
            "running": self.running,
            "healthy": self.healthy,
            "uptime_s": None if self.uptime_s is None else round(self.uptime_s, 1),
            "stale_pid": self.stale_pid,
            "managed": self.managed,
            "detail": self.detail,
        }


def _proc_start_ticks(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (clock ticks since boot); None if gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        _reap(pid)
        return None
    return int(fields[19])


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    return _proc_start_ticks(pid) is not None


def _reap(pid: int) -> None:
    """Collect a dead child of this process so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _read_pid_file(path: Path) -> dict[str, object] | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError, OSError):
        return None


def running_pid(spec: ProcessSpec) -> tuple[int | None, int | None]:
    """``(pid, stale_pid)``: the live PID of the service, or the PID a stale file names."""
    record = _read_pid_file(spec.pid_file)
    if not record:
        return None, None
    pid = int(record["pid"])  # type: ignore[arg-type]
    ticks = _proc_start_ticks(pid)
    if ticks is not None and ticks == record.get("start_ticks"):
        return pid, None
    return None, pid


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something already listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port(host: str = "127.0.0.1") -> int:
    """A currently free TCP port (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_ports(count: int, taken: Iterable[int] = ()) -> list[int]:
    """``count`` distinct free ports, none of them in ``taken`` (the kernel may hand out a
    port twice once its socket is closed)."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports and port not in taken:
            ports.append(port)
    return ports


def _safe_health(spec: ProcessSpec) -> bool:
    try:
        return bool(spec.health())
    except Exception as exc:  # a health probe must never crash the supervisor
        log.debug("%s health probe failed: %s", spec.name, exc)
        return False


def log_tail(path: Path, lines: int = 20, end: int | None = None) -> str:
    """The last ``lines`` lines of a log file before byte ``end`` ('' when it does not exist)."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END) if end is None else end
            handle.seek(max(0, size - 64 * 1024))
            text = handle.read(size - handle.tell()).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def read_appended(offsets: dict[Path, int]) -> list[str]:
    """One pass of ``tail -F``: the lines appended to each file past its offset (which moves
    on; a truncated or replaced file is read from its start), each prefixed with the file's
    stem when there are several files."""
    lines: list[str] = []
    for path, offset in offsets.items():
        if not path.exists():
            continue
        size = path.stat().st_size
        if size < offset:
            offset = 0
        if size > offset:
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
            offset += len(chunk)
            prefix = f"[{path.stem}] " if len(offsets) > 1 else ""
            text = chunk.decode("utf-8", errors="replace")
            lines.extend(prefix + line for line in text.splitlines())
        offsets[path] = offset
    return lines


def status(spec: ProcessSpec, check_health: bool = True) -> ProcessStatus:
    """The service's PID, liveness, health and uptime, read from its PID file and /proc."""
    pid, stale = running_pid(spec)
    uptime = None
    if pid is not None:
        with contextlib.suppress(FileNotFoundError):
            uptime = time.time() - spec.pid_file.stat().st_mtime
    healthy = pid is not None and check_health and _safe_health(spec)
    detail = ""
    if stale is not None:
        detail = f"dead: PID file names {stale}, which is not running (see {spec.log_file})"
    elif pid is None:
        detail = "stopped"
    elif not healthy and check_health:
        detail = "running but not healthy"
    return ProcessStatus(
        name=spec.name,
        endpoint=spec.endpoint,
        log_file=spec.log_file,
        pid=pid,
        running=pid is not None,
        healthy=healthy,
        uptime_s=uptime,
        stale_pid=stale,
        detail=detail,
    )


def start(spec: ProcessSpec, wait: bool = True) -> ProcessStatus:
    """Start the service detached unless it already runs; wait until healthy when ``wait``.

    Idempotent: a running, healthy service is left alone. A stale PID file is cleared
    (and logged); a port held by some other program is an error, not a silent clash.
    """
    pid, stale = running_pid(spec)
    if pid is not None:
        if not wait or wait_healthy(spec, pid):
            log.info("%s already running (pid %s)", spec.name, pid)
            return status(spec, check_health=wait)
        raise PlatformError(
            f"{spec.name} is running (pid {pid}) but not healthy; "
            f"see {spec.log_file} or run `trendstream platform down` first"
        )
    if stale is not None:
        log.warning("%s: removing stale PID file (pid %s is gone)", spec.name, stale)
        spec.pid_file.unlink(missing_ok=True)
    if spec.port is not None and port_in_use(spec.port):
        raise PlatformError(
            f"cannot start {spec.name}: port {spec.port} on 127.0.0.1 is already in use by "
            "another program; stop it or choose another port in the settings"
        )
    spec.pid_file.parent.mkdir(parents=True, exist_ok=True)
    spec.log_file.parent.mkdir(parents=True, exist_ok=True)
    if spec.prepare is not None:
        spec.prepare()
    with spec.log_file.open("ab") as log_handle:
        log_handle.write(
            f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} start: {' '.join(spec.argv)}\n".encode()
        )
        log_handle.flush()
        proc = subprocess.Popen(
            spec.argv,
            stdin=subprocess.DEVNULL,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            cwd=spec.cwd,
            env={**os.environ, **spec.env},
            start_new_session=True,
        )
    record = {"pid": proc.pid, "start_ticks": _proc_start_ticks(proc.pid), "argv": spec.argv}
    spec.pid_file.write_text(json.dumps(record))
    log.info("%s started (pid %s), log %s", spec.name, proc.pid, spec.log_file)
    if wait:
        ensure_healthy(spec)
    return status(spec, check_health=wait)


def ensure_healthy(spec: ProcessSpec, timeout_s: float | None = None) -> None:
    """Wait for a started service to pass its health check; raise with its log tail if not."""
    pid, stale = running_pid(spec)
    if pid is None:
        raise PlatformError(
            f"{spec.name} is not running (pid {stale} exited; log {spec.log_file}):\n"
            f"{log_tail(spec.log_file)}"
        )
    if not wait_healthy(spec, pid, timeout_s):
        raise PlatformError(_failure_message(spec, pid))


def wait_healthy(spec: ProcessSpec, pid: int, timeout_s: float | None = None) -> bool:
    """Poll the health check until it passes, the process dies, or the timeout expires."""
    deadline = time.monotonic() + (spec.start_timeout_s if timeout_s is None else timeout_s)
    while time.monotonic() < deadline:
        if _proc_start_ticks(pid) is None:
            return False
        if _safe_health(spec):
            return True
        time.sleep(0.25)
    return False


def _failure_message(spec: ProcessSpec, pid: int) -> str:
    state = (
        "exited"
        if _proc_start_ticks(pid) is None
        else f"not healthy after {spec.start_timeout_s:.0f}s"
    )
    return f"{spec.name} {state} (log {spec.log_file}):\n{log_tail(spec.log_file)}"


def stop(spec: ProcessSpec, timeout_s: float = 15.0) -> bool:
    """SIGTERM the service's process group, wait, then SIGKILL. True if something was stopped."""
    return bool(stop_all([spec], timeout_s))


def stop_all(specs: list[ProcessSpec], timeout_s: float = 15.0) -> list[str]:
    """Stop several services at once (SIGTERM all, one shared grace period, then SIGKILL).

    Returns the names of the services that were running.
    """
    running: dict[str, tuple[ProcessSpec, int]] = {}
    for spec in specs:
        pid, stale = running_pid(spec)
        if pid is None:
            spec.pid_file.unlink(missing_ok=True)
            if stale is not None:
                log.warning("%s was not running (stale PID file for %s removed)", spec.name, stale)
            continue
        running[spec.name] = (spec, pid)
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(_proc_start_ticks(p) for _, p in running.values()):
        time.sleep(0.1)
    for name, (spec, pid) in running.items():
        if _proc_start_ticks(pid) is not None:
            log.warning("%s did not stop within %.0fs; sending SIGKILL", name, timeout_s)
        # Also reaches children that ignored SIGTERM or outlived their parent.
        _signal_group(pid, signal.SIGKILL)
        while _proc_start_ticks(pid) is not None:
            time.sleep(0.05)
        spec.pid_file.unlink(missing_ok=True)
        log.info("%s stopped (pid %s)", name, pid)
    return list(running)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the service's whole session (it is the group leader: started with setsid)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
