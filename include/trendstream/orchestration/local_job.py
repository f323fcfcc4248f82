"""The stream job as one detached local process: launch, adopt, stop — never two copies.

Detached, so the job outlives the Airflow task that starts it; a file lock serialises launches.
Design: docs/orchestration.md#local-job
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import psutil

from trendstream.core.paths import repo_root
from trendstream.core.settings import Settings
from trendstream.platform import process
from trendstream.platform.environment import find_program, settings_env
from trendstream.platform.process import ProcessSpec
from trendstream.platform.spark_cluster import executor_conf
from trendstream.stream.heartbeat import Heartbeat

log = logging.getLogger(__name__)

JOB_NAME = "stream-job"
JOB_SCRIPT = Path("spark_jobs") / "stream_job.py"


def job_argv(settings: Settings, args: Sequence[str] = ()) -> list[str]:
    """``spark-submit --master <stream.master> --jars <Kafka connector>
    spark_jobs/stream_job.py ARGS`` with this interpreter for the Python side (under Airflow
    ``stream.master`` comes from the ``spark_default`` connection)."""
    from trendstream.stream.job import spark_jars

    return [
        find_program("spark-submit"),
        "--master",
        settings.stream.master,
        "--name",
        "trendstream-stream",
        "--jars",
        ",".join(str(j) for j in spark_jars(settings)),
        *cluster_args(settings),
        *(
            ["--driver-java-options", settings.stream.java_options]
            if settings.stream.java_options
            else []
        ),
        "--conf",
        f"spark.pyspark.python={sys.executable}",
        "--conf",
        f"spark.pyspark.driver.python={sys.executable}",
        str(repo_root() / JOB_SCRIPT),
        *args,
    ]


def cluster_args(settings: Settings) -> list[str]:
    """For the platform's own Spark cluster, one executor per worker, sized to fit it. The
    package reaches executors from the driver (``stream.job.spark_session``), not through
    ``--py-files``: that would put the zip first on the driver's own path too."""
    argv = []
    for key, value in executor_conf(settings, settings.stream.master).items():
        argv += ["--conf", f"{key}={value}"]
    return argv


def job_spec(
    settings: Settings, args: Sequence[str] = (), env: dict[str, str] | None = None
) -> ProcessSpec:
    """The job as a supervised process: its PID file and log where ``settings.paths`` says."""
    heartbeat_file = settings.paths.heartbeat_file
    return ProcessSpec(
        name=JOB_NAME,
        argv=job_argv(settings, args),
        endpoint=str(heartbeat_file),
        health=lambda: Heartbeat.read(heartbeat_file) is not None,
        paths=settings.paths,
        env={**settings_env(settings), "PYSPARK_PYTHON": sys.executable, **(env or {})},
        cwd=repo_root(),
    )


@contextlib.contextmanager
def supervisor_lock(settings: Settings) -> Iterator[None]:
    """Exclusive across processes: only one supervisor decides and acts at a time."""
    lock = settings.paths.lock_file(JOB_NAME)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def running_job(settings: Settings) -> tuple[int | None, float | None]:
    """``(pid, age_s)`` of our live job (identity checked), or ``(None, None)``."""
    spec = job_spec(settings)
    pid, _stale = process.running_pid(spec)
    if pid is None:
        return None, None
    with contextlib.suppress(psutil.Error):
        return pid, max(0.0, time.time() - psutil.Process(pid).create_time())
    return None, None


def launch_local_job(
    settings: Settings, args: Sequence[str] = (), env: dict[str, str] | None = None
) -> int:
    """Start ``spark-submit`` detached (its log is ``spec.log_file``); adopt one already running."""
    spec = job_spec(settings, args, env)
    pid, stale = process.running_pid(spec)
    if pid is not None:
        log.info("stream job already running (pid %s): adopting it", pid)
        return pid
    if stale is not None:
        kill_orphans(stale)
    status = process.start(spec, wait=False)
    assert status.pid is not None
    log.info("stream job launched (pid %s), log %s", status.pid, spec.log_file)
    return status.pid


def stop_local_job(settings: Settings, timeout_s: float = 30.0) -> bool:
    """Stop the job (SIGTERM, then SIGKILL) and what it left behind; True if one was running."""
    spec = job_spec(settings)
    pid, stale = process.running_pid(spec)
    stopped = process.stop(spec, timeout_s=timeout_s)
    if pid or stale:
        kill_orphans(pid or stale)
    return stopped


def kill_orphans(leader_pid: int) -> int:
    """Kill what is left of a job's session (the Python driver and PySpark workers of a killed JVM).

    The job was started as a session leader, so everything it spawned shares its session id,
    even PySpark daemons that moved to their own process group. Only such processes that are
    also recognisably ours (job script or PySpark) are touched, so a recycled session id never
    takes an unrelated process down.
    """
    killed = 0
    for proc in psutil.process_iter(["pid", "cmdline"]):
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if proc.pid == os.getpid() or os.getsid(proc.pid) != leader_pid:
                continue
            command = " ".join(proc.info["cmdline"] or [])
            if JOB_SCRIPT.name not in command and "pyspark" not in command:
                continue
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
    if killed:
        log.warning("killed %d leftover process(es) of stream job %s", killed, leader_pid)
    return killed
