"""The stream job submitted as the supervisor launches it, but waited for; and its batch
figures read back from its log (the sink logs one line per embed batch)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from trendstream.core.settings import Settings
from trendstream.orchestration import local_job

BATCH_LINE = re.compile(r"embed batch (\d+): (\d+) records.* in ([\d.]+)s")


def run_job_to_completion(settings: Settings, *args: str, timeout_s: float = 600) -> int:
    """``spark-submit spark_jobs/stream_job.py --available-now ARGS`` in the supervisor's process
    spec (argv, env, cwd, log file ``job_log_file``) but waited for, so the exit status is known."""
    spec = local_job.job_spec(settings, ["--available-now", *args])
    spec.log_file.parent.mkdir(parents=True, exist_ok=True)
    with spec.log_file.open("ab") as log:
        proc = subprocess.Popen(
            spec.argv,
            env=spec.env,
            cwd=spec.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            return proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            local_job.kill_orphans(proc.pid)
            proc.kill()
            raise


def job_log_file(settings: Settings) -> Path:
    """Where the job's spark-submit output goes (appended run after run)."""
    return local_job.job_spec(settings).log_file


def embed_batches(log_text: str) -> list[tuple[int, int, float]]:
    """``(batch id, records, seconds)`` of every embed batch the job logged."""
    return [(int(b), int(n), float(s)) for b, n, s in BATCH_LINE.findall(log_text)]


def embed_rate(batches: list[tuple[int, int, float]]) -> float | None:
    """Records per second of the sink over ``batches`` (read → upsert), None when empty."""
    seconds = sum(s for _, _, s in batches)
    return sum(n for _, n, _ in batches) / seconds if seconds else None
