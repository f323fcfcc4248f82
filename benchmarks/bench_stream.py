"""Stream-embed: tweets/s through Kafka → Spark → embeddings → Milvus vs the model alone.

In one process, alternating per round on the same generated tweets:

* **model-only**: :func:`trendstream.encode.model.encode_texts` on the cleaned texts the
  sink would encode (model already loaded) — the physical limit of the write path;
* **end-to-end**: the job's own ``embed`` query (:func:`trendstream.stream.job.query_starters`
  with :class:`~trendstream.stream.sink.EmbedSink`) from a fresh checkpoint with
  ``availableNow``: tweets / query wall time (Spark session already warm), plus the
  per-stage split (read, parse, dead_letter, clean, encode, upsert) summed over batches,
  so the limiting stage is visible (``upsert`` is the wait the overlap did not hide;
  ``upsert_busy`` the upsert work done on the writer's thread meanwhile);
* **analytics**: the hashtag-window and engagement-rate queries (no embeddings) over the
  same topics: input events / query wall time.

Uses the platform named by the ``TRENDSTREAM_*`` environment (the benchmark runner starts
a private one). Writes ``benchmarks/results/stream.json`` and prints the figures.

    .venv/bin/python benchmarks/bench_stream.py [--tweets 2000] [--rounds 2] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from pathlib import Path

from tests.support.sandbox import derive_settings
from trendstream.core.schema import parse_event
from trendstream.core.settings import get_settings

RESULTS = Path(__file__).resolve().parent / "results" / "stream.json"
GOAL_RATIO = 0.9
GOAL = "≥ 0.9× the model-only rate"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=2000, help="about this many tweets")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--batch", type=int, default=None, help="maxOffsetsPerTrigger (default: the job's)"
    )
    parser.add_argument("--quick", action="store_true", help="500 tweets, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.tweets, args.rounds = 500, 1

    from trendstream.encode.model import encode_texts
    from trendstream.kafka.admin import ensure_topics
    from trendstream.kafka.producer import IdempotentProducer
    from trendstream.sources.generator import GeneratorConfig, generate_stream
    from trendstream.stream.job import query_starters, spark_session
    from trendstream.stream.sink import EmbedSink
    from trendstream.stream.transforms import encoder_texts

    uid = uuid.uuid4().hex[:8]
    base = get_settings()
    settings = derive_settings(
        base,
        kafka={
            "tweets_topic": f"bench-tweets-{uid}",
            "engagements_topic": f"bench-eng-{uid}",
            "dead_letter_topic": f"bench-tweets-{uid}.dlq",
            "hashtag_counts_topic": f"bench-hashtags-{uid}",
            "engagement_rates_topic": f"bench-engagement-{uid}",
            "user_scores_topic": f"bench-users-{uid}",
            "consumer_group": f"bench-{uid}",
        },
        milvus={"collection": f"bench_{uid}"},
    )
    minutes = 1.0
    rate = args.tweets / 60.0 / 1.1  # trends and decoys add ~10 % on top of the base rate
    generated = generate_stream(GeneratorConfig(minutes=minutes, rate=rate, users=2000))
    ensure_topics(settings)
    with IdempotentProducer(settings) as producer:
        for line in generated.tweets:
            producer.produce(settings.kafka.tweets_topic, line, json.loads(line)["data"]["id"])
        for line in generated.engagements:
            producer.produce(
                settings.kafka.engagements_topic, line, json.loads(line)["tweet_id"] or None
            )
    texts = encoder_texts([parse_event(line) for line in generated.tweets])
    n = len(texts)
    print(f"{n} tweets, {len(generated.engagements)} engagements produced", flush=True)

    from benchmarks.bench_analytics import CpuSplit

    milvus = milvus_server(settings.milvus.uri)
    # Load once and encode every text once, untimed: neither path pays for loading or for
    # torch's first pass over each batch shape (which made round 0's model-only look slow).
    encode_texts(texts, settings.model)
    spark = spark_session(settings, app_name="bench-stream")
    model_rates, e2e_rates, stage_totals, analytics_rates = [], [], [], []
    batch_counts: list[list[int]] = []
    model_cpu, e2e_cpu = [], []  # CPU seconds per round: where the cores went
    for round_no in range(args.rounds):
        started, cpu_started = time.perf_counter(), time.process_time()
        encode_texts(texts, settings.model)
        model_rates.append(n / (time.perf_counter() - started))
        model_cpu.append(round(time.process_time() - cpu_started, 2))

        run = derive_settings(settings, stream={"checkpoint_name": f"bench-{uid}-{round_no}"})
        sink, reports = EmbedSink(run), []
        sink.on_batch = reports.append
        starters = query_starters(
            spark, run, sink, available_now=True, max_offsets_per_trigger=args.batch, analytics=True
        )
        milvus_started = cpu_of(milvus)
        with CpuSplit(settings.kafka.bootstrap_servers) as cpu:
            started = time.perf_counter()
            query = starters["embed"]()
            query.awaitTermination()
            e2e_rates.append(n / (time.perf_counter() - started))
        e2e_cpu.append(
            {**cpu.seconds(), "Milvus server": round(cpu_of(milvus) - milvus_started, 2)}
        )
        stages: dict[str, float] = {}
        for report in reports:
            for stage, secs in {**report.seconds, "upsert_busy": report.upsert_busy_s}.items():
                stages[stage] = stages.get(stage, 0.0) + secs
        stage_totals.append({k: round(v, 3) for k, v in stages.items()})
        batch_counts.append([r.input_rows for r in reports])

        started = time.perf_counter()
        queries = [starters[name]() for name in ("hashtags", "engagement")]
        for q in queries:
            q.awaitTermination()
        events = sum(p["numInputRows"] for q in queries for p in q.recentProgress)
        analytics_rates.append(events / (time.perf_counter() - started))
        print(
            f"round {round_no}: model-only {model_rates[-1]:.1f}/s, "
            f"end-to-end {e2e_rates[-1]:.1f}/s "
            f"({e2e_rates[-1] / model_rates[-1]:.2f}x) in {len(reports)} batches, "
            f"stages {stage_totals[-1]}, CPU s model-only {model_cpu[-1]} "
            f"end-to-end {e2e_cpu[-1]}, "
            f"analytics {analytics_rates[-1]:.0f} events/s",
            flush=True,
        )
    spark.stop()

    model, e2e = statistics.median(model_rates), statistics.median(e2e_rates)
    analytics = statistics.median(analytics_rates)
    result = {
        "tweets": n,
        "engagements": len(generated.engagements),
        "batch": args.batch or settings.stream.max_offsets_per_trigger,
        "batches": [len(s) for s in batch_counts],
        "model_only_per_s": model_rates,
        "end_to_end_per_s": e2e_rates,
        "ratio": e2e / model,
        "stage_seconds": stage_totals,
        "model_only_cpu_s": model_cpu,
        "end_to_end_cpu_s": e2e_cpu,
        "analytics_events_per_s": analytics_rates,
        "figures": [
            {
                "metric": "end-to-end tweets/s (Kafka → Spark → embed → Milvus)",
                "value": e2e,
                "unit": "tweets/s",
                "baseline": "model-only encode, same texts, same run",
                "baseline_value": model,
                "goal": GOAL,
                "met": e2e / model >= GOAL_RATIO,
                "rounds": e2e_rates,
            },
            {
                "metric": "end-to-end tweets per CPU-second, all processes (load-independent)",
                "value": statistics.median(n / sum(c.values()) for c in e2e_cpu),
                "unit": "tweets/cpu-s",
                "baseline": "model-only encode, same texts, same run",
                "baseline_value": statistics.median(n / c for c in model_cpu),
                "rounds": [n / sum(c.values()) for c in e2e_cpu],
            },
            {
                "metric": "analytics events/s (hashtag windows + engagement rates, our reader)",
                "value": analytics,
                "unit": "events/s",
                "rounds": analytics_rates,
            },
        ],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(
        f"end-to-end {e2e:.1f} tweets/s vs model-only {model:.1f}/s: {e2e / model:.2f}x; "
        f"analytics {analytics:.0f} events/s -> {RESULTS}"
    )


def milvus_server(uri: str):
    """The Milvus server process listening on ``uri``'s port (None when not on this host)."""
    import psutil

    port = int(uri.rstrip("/").rsplit(":", 1)[-1])
    pids = [
        c.pid
        for c in psutil.net_connections("tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port and c.pid
    ]
    return psutil.Process(pids[0]) if pids else None


def cpu_of(proc) -> float:
    """User + system CPU seconds of ``proc`` and its children so far (0 without one)."""
    if proc is None:
        return 0.0
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        times = p.cpu_times()
        total += times.user + times.system
    return total


if __name__ == "__main__":
    main()
