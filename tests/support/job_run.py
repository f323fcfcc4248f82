"""The stream job submitted as the supervisor launches it, but waited for; and its batch
figures read back from its log (the sink logs one line per embed batch)."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from trendstream.core.settings import Settings
from trendstream.orchestration.local_job import job_spec

BATCH_LINE = re.compile(r"embed batch (\d+): (\d+) records.* in ([\d.]+)s")


def submit_job(
    settings: Settings, log_file: Path, *args: str, timeout_s: float = 600
) -> tuple[int, float]:
    """``spark-submit`` with ``job_spec``'s argv and env: ``(exit code, wall seconds)``."""
    spec = job_spec(settings, args)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log_file.open("wb") as log:
        done = subprocess.run(
            spec.argv,
            env=spec.env,
            cwd=spec.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=timeout_s,
        )
    return done.returncode, time.monotonic() - started


def embed_batches(log_text: str) -> list[tuple[int, int, float]]:
    """``(batch id, records, seconds)`` of every embed batch the job logged."""
    return [(int(b), int(n), float(s)) for b, n, s in BATCH_LINE.findall(log_text)]


def embed_rate(batches: list[tuple[int, int, float]]) -> float | None:
    """Records per second of the sink over ``batches`` (read → upsert), None when empty."""
    seconds = sum(s for _, _, s in batches)
    return sum(n for _, n, _ in batches) / seconds if seconds else None
