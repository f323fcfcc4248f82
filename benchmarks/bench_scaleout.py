"""Scale-out: tweets/s of the stream job on a 2-worker Spark cluster vs ``local[2]``, same data.

The job runs as Airflow launches it (``spark-submit`` through ``orchestration.local_job``),
embedding only (no analytics queries), alternating per round between ``local[2]`` (model
on the driver) and the platform's Spark standalone cluster (two Workers, 1 core + 1 GiB
each; model on the executors), each from a fresh checkpoint into a fresh collection over
the same topics. The figure is the embed sink's rate (records / batch seconds, read →
upsert) over every batch but the first, which pays for the model load (on executors:
Python workers starting and loading it); the job's wall time is recorded too.

Uses the broker and Milvus named by the ``TRENDSTREAM_*`` environment (the runner starts a
private platform); starts its own Spark cluster on free ports. Writes
``benchmarks/results/scaleout.json``.

    .venv/bin/python benchmarks/bench_scaleout.py [--tweets 4000] [--batches 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from pathlib import Path

from tests.support.job_run import embed_batches, embed_rate, job_log_file, run_job_to_completion
from tests.support.sandbox import derive_settings, isolated_settings
from tests.support.stream_data import produce
from trendstream.core.settings import get_settings
from trendstream.platform import services
from trendstream.platform.process import free_port
from trendstream.platform.spark_cluster import master_url
from trendstream.sources.generator import GeneratorConfig, generate_stream
from trendstream.vectorstore.store import TweetStore

RESULTS = Path(__file__).resolve().parent / "results" / "scaleout.json"
GOAL = "report (issue 18: throughput local vs cluster on the same data)"
LOCAL = "local[2]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=4000, help="about this many tweets")
    parser.add_argument("--batches", type=int, default=8, help="micro-batches per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="400 tweets, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.tweets, args.rounds = 400, 1

    base = derive_settings(
        get_settings(),
        spark_cluster={
            "enabled": True,
            "master_port": free_port(),
            "master_webui_port": free_port(),
        },
        stream={"analytics": False},
    )
    data = isolated_settings(base, base.state_dir / "scaleout")
    rate = args.tweets / 60.0 / 1.1  # trends and decoys add ~10 % on top of the base rate
    tweets = generate_stream(GeneratorConfig(minutes=1.0, rate=rate, users=2000)).tweets
    produce(data, tweets)
    per_batch = len(tweets) // args.batches + 1
    print(f"{len(tweets)} tweets produced, {per_batch} per batch", flush=True)

    rates: dict[str, list[float]] = {"local": [], "cluster": []}
    walls: dict[str, list[float]] = {"local": [], "cluster": []}
    try:
        services.up(base, ("spark",))
        for round_no in range(args.rounds):
            for mode, master in (("local", LOCAL), ("cluster", master_url(base))):
                uid = uuid.uuid4().hex[:8]
                run = derive_settings(
                    data,
                    state_dir=base.state_dir / f"run-{mode}-{round_no}",
                    stream={"master": master, "checkpoint_name": f"bench-{uid}"},
                    milvus={"collection": f"scaleout_{uid}"},
                    kafka={"consumer_group": f"scaleout-{uid}"},
                )
                log_file = job_log_file(run)
                started = time.monotonic()
                code = run_job_to_completion(run, "--max-offsets-per-trigger", str(per_batch))
                wall = time.monotonic() - started
                if code != 0:
                    raise SystemExit(f"{mode} run failed (exit {code}); see {log_file}")
                with TweetStore.connect(run) as store:
                    assert store.count() == len(tweets), f"{mode}: Milvus count off"
                batches = embed_batches(log_file.read_text(errors="replace"))
                steady = embed_rate([b for b in batches if b[0] > 0])
                rates[mode].append(steady or 0.0)
                walls[mode].append(wall)
                print(
                    f"round {round_no} {mode}: {steady:.1f} tweets/s after batch 0 "
                    f"({len(batches)} batches; batch 0 {batches[0][2]:.1f}s), {wall:.0f}s wall",
                    flush=True,
                )
    finally:
        services.down(base, ("spark",))

    local, cluster = statistics.median(rates["local"]), statistics.median(rates["cluster"])
    result = {
        "tweets": len(tweets),
        "per_batch": per_batch,
        "steady_tweets_per_s": rates,
        "wall_s": walls,
        "figures": [
            {
                "metric": "embed tweets/s on a 2-worker Spark cluster (1 core each), batches 1+",
                "value": cluster,
                "unit": "tweets/s",
                "baseline": "local[2], same data, same run",
                "baseline_value": local,
                "goal": GOAL,
                "rounds": rates["cluster"],
            },
            {
                "metric": "job wall time on the cluster (spark-submit to exit)",
                "value": statistics.median(walls["cluster"]),
                "unit": "s",
                "baseline": "local[2]",
                "baseline_value": statistics.median(walls["local"]),
                "rounds": walls["cluster"],
            },
        ],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(f"cluster {cluster:.1f} vs local[2] {local:.1f} tweets/s: {cluster / local:.2f}x")


if __name__ == "__main__":
    main()
