"""Pipeline mode: the semantic engine exactly as a deployment runs it, through the CLI.

Per seed, on a private platform (broker + Milvus on free ports in a temp dir):
``trendstream ingest --file …`` → ``trendstream stream run --available-now`` (Kafka → Spark
→ embeddings → Milvus, analytics included) → one ``trendstream trends --at … --json`` per
snapshot, in time order, so tracking state carries over between snapshots as it does under
the ``trend_snapshot`` DAG. The snapshot's ``tweet_ids`` are scored against the same ground
truth as the in-process detectors; its wall time is the whole CLI call (process start,
Milvus reads, clustering, report writing), split per snapshot into ``cli_s`` / ``load_s``
(Milvus + Parquet reads) / ``engine_s`` (clustering, scoring, tracking, labelling).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.quality.detectors import Detected, Detector, Snapshot
from tests.support.cli import ingest_args
from trendstream.core.settings import Settings
from trendstream.sources.generator import GeneratorConfig, write_stream
from trendstream.trends.report import iso

CLI = str(Path(sys.executable).parent / "trendstream")


@contextmanager
def private_platform(work_dir: Path) -> Iterator[Settings]:
    """Broker + Milvus for one seed, torn down afterwards whatever happens."""
    from tests.support.sandbox import sandbox_settings
    from trendstream.platform import services

    settings = sandbox_settings(work_dir / "platform")
    names = ("broker", "milvus")
    try:
        services.up(settings, services=names)
        yield settings
    finally:
        services.down(settings, services=names)


def cli(settings: Settings, *args: str, timeout_s: float = 3600) -> str:
    """Run ``trendstream ARGS`` against ``settings``; its stdout, or a RuntimeError with its log."""
    done = subprocess.run(
        [CLI, *args],
        env={**os.environ, **settings.env()},
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"trendstream {' '.join(args)} exited {done.returncode}:\n"
            f"{(done.stdout + done.stderr)[-4000:]}"
        )
    return done.stdout


def cli_json(settings: Settings, *args: str, timeout_s: float = 3600) -> dict[str, Any]:
    """A ``--json`` command's document (our commands print only it on stdout)."""
    out = cli(settings, *args, timeout_s=timeout_s)
    try:
        return json.loads(out)
    except json.JSONDecodeError:
        raise RuntimeError(
            f"trendstream {' '.join(args)} printed no JSON document:\n{out[-2000:]}"
        ) from None


def load_through_platform(
    settings: Settings, work_dir: Path, config: GeneratorConfig
) -> dict[str, Any]:
    """Write the seed's stream to files, ingest them and run the job until caught up."""
    paths = write_stream(work_dir / "stream", config)
    started = time.perf_counter()
    summary = cli_json(settings, *ingest_args(paths))
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    cli(settings, "stream", "run", "--available-now")
    stream_s = time.perf_counter() - started
    print(f"  pipeline: ingest {ingest_s:.1f}s, stream {stream_s:.1f}s", flush=True)
    return {
        "ingest": summary,
        "ingest_seconds": round(ingest_s, 1),
        "stream_seconds": round(stream_s, 1),
    }


def pipeline_detector(settings: Settings, window_minutes: float) -> Detector:
    """``trendstream trends --at <snapshot> --window <w>m --json`` as a detector."""

    splits: list[dict[str, float]] = []
    viral: set[str] = set()

    def run(snapshot: Snapshot) -> list[Detected]:
        started = time.perf_counter()
        payload = cli_json(
            settings,
            "trends",
            "--at",
            iso(snapshot.at),
            "--window",
            f"{window_minutes:g}m",
            "--json",
            timeout_s=600,
        )
        stats = payload.get("stats", {})
        engine_s = sum(v for k, v in stats.items() if k.endswith("_s") and k != "load_s")
        splits.append(
            {
                "cli_s": round(time.perf_counter() - started, 3),
                "load_s": stats.get("load_s", 0.0),
                "engine_s": round(engine_s, 3),
            }
        )
        viral.update(v["tweet_id"] for v in payload.get("viral", ()))
        return [
            Detected(", ".join(t["keywords"][:3]), t["tweet_ids"], t["trend_id"])
            for t in payload["trends"]
        ]

    return Detector("pipeline", run, {"splits": splits, "viral": viral})
