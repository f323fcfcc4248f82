"""The process supervisor, on plain ``sleep``/``python`` processes (no services needed)."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from trendstream.core.paths import Paths
from trendstream.platform import process
from trendstream.platform.process import PlatformError, ProcessSpec


def _spec(tmp_path: Path, argv: list[str], healthy: bool = True, **kwargs) -> ProcessSpec:
    return ProcessSpec(
        name="svc",
        argv=argv,
        endpoint="n/a",
        health=lambda: healthy,
        paths=Paths(tmp_path),
        start_timeout_s=3.0,
        **kwargs,
    )


def _alive(pid: int) -> bool:
    return process.pid_alive(pid)


def test_start_is_idempotent_and_stop_kills(tmp_path: Path) -> None:
    spec = _spec(tmp_path, ["sleep", "60"])
    first = process.start(spec)
    assert first.running and first.healthy and first.pid
    again = process.start(spec)
    assert again.pid == first.pid
    assert process.stop(spec) is True
    assert not _alive(first.pid)
    assert not spec.pid_file.exists()
    assert process.stop(spec) is False


def test_dead_process_is_reported_as_stale_and_restartable(tmp_path: Path) -> None:
    spec = _spec(tmp_path, ["sleep", "60"])
    pid = process.start(spec).pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    st = process.status(spec)
    assert (st.running, st.healthy, st.stale_pid) == (False, False, pid)
    assert "dead" in st.detail and str(pid) in st.detail
    restarted = process.start(spec)
    assert restarted.running and restarted.pid != pid
    process.stop(spec)


def test_a_recycled_pid_is_not_taken_for_the_service(tmp_path: Path) -> None:
    spec = _spec(tmp_path, ["sleep", "60"])
    spec.pid_file.parent.mkdir(parents=True)
    # Our own PID is alive, but its start time differs from the one recorded.
    spec.pid_file.write_text(f'{{"pid": {os.getpid()}, "start_ticks": 1}}')
    st = process.status(spec)
    assert not st.running and st.stale_pid == os.getpid()


def test_sigterm_ignoring_process_is_killed(tmp_path: Path) -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    log_file = tmp_path / "logs" / "svc.log"
    spec = _spec(tmp_path, [sys.executable, "-c", code])
    # Healthy once the handler is installed: the line "ready" follows (the header names the argv).
    spec = dataclasses.replace(spec, health=lambda: "ready" in log_file.read_text().splitlines())
    pid = process.start(spec).pid
    started = time.monotonic()
    assert process.stop(spec, timeout_s=1.0)
    assert not _alive(pid)
    assert 1.0 <= time.monotonic() - started < 5


def test_process_that_exits_at_start_fails_with_its_log(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path,
        [sys.executable, "-c", "print('boom: bad config'); raise SystemExit(3)"],
        healthy=False,
    )
    with pytest.raises(PlatformError, match="boom: bad config"):
        process.start(spec)


def test_unhealthy_process_times_out(tmp_path: Path) -> None:
    spec = _spec(tmp_path, ["sleep", "60"], healthy=False)
    with pytest.raises(PlatformError, match="not healthy after"):
        process.start(spec)
    process.stop(spec)


def test_port_taken_by_another_program_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        spec = _spec(tmp_path, ["sleep", "60"], port=port)
        with pytest.raises(PlatformError, match=f"port {port} .* already in use"):
            process.start(spec)
    assert not spec.pid_file.exists()


def test_read_appended_follows_files_like_tail_f(tmp_path: Path) -> None:
    one, two = tmp_path / "broker.log", tmp_path / "milvus.log"
    one.write_text("old\n")
    offsets = {one: one.stat().st_size, two: 0}  # `two` does not exist yet
    assert process.read_appended(offsets) == []
    with one.open("a") as f:
        f.write("new 1\nnew 2\n")
    two.write_text("started\n")
    assert process.read_appended(offsets) == [
        "[broker] new 1",
        "[broker] new 2",
        "[milvus] started",
    ]
    assert process.read_appended(offsets) == []
    one.write_text("rotated\n")  # replaced by a shorter file: read from its start
    assert process.read_appended(offsets) == ["[broker] rotated"]
    assert process.read_appended({two: 0}) == ["started"]  # one file: no prefix
