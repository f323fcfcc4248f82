"""Ingest throughput vs a raw confluent-kafka producer and Kafka's own producer benchmark,
on the same broker.

Generates a ~100k-post stream, then pushes it to Kafka three ways, alternating, several
rounds each, on a fresh local Apache Kafka 4.4 broker (KRaft, one node; or ``--bootstrap``
to use a running one):

* **raw**: a bare confluent-kafka ``Producer`` with the same delivery settings
  (idempotent, acks=all, same batching) sending each file line as is: no parsing, no
  validation, no keys: the ceiling for this client library, broker and machine;
* **producer-perf**: Kafka's own ``org.apache.kafka.tools.ProducerPerformance`` (the Java
  client, from ``<jvm_lib>/kafka``): the same number of records, payloads drawn from the
  same file's lines, acks=all, idempotent, the same linger, batch size and compression;
  its own records/s (JVM start-up excluded, as the tool measures);
* **ingest**: ``trendstream.sources.ingest.ingest_files``: read, validate, canonicalise, key by id.

Goal (issue 14): ingest ≥ 0.9× raw producer. Prints the figures and the ratios: to the raw
producer, the median over rounds of each round's ingest/raw (the two run back to back, so
a round's ratio sees one machine load), and the ratio of the medians; to ProducerPerformance,
the ratio of the medians. Writes ``benchmarks/results/ingest.json``
(``ingest-workersN.json`` with ``--workers N``).

    .venv/bin/python benchmarks/bench_ingest.py [--tweets 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

from confluent_kafka import Producer

from tests.support.sandbox import private_broker
from trendstream.core.settings import Settings
from trendstream.kafka.admin import client_config, ensure_topics, topic_offsets
from trendstream.kafka.producer import PRODUCER_DEFAULTS
from trendstream.platform.broker import java_executable, kafka_classpath, log4j_config
from trendstream.sources.generator import GeneratorConfig, write_stream
from trendstream.sources.ingest import default_workers, ingest_files

RESULTS_DIR = Path(__file__).parent / "results"
GOAL = "≥ 0.9× raw producer"
GOAL_RATIO = 0.9


def raw_push(settings: Settings, path: Path, topic: str) -> tuple[int, float]:
    delivered = 0

    def on_delivery(err: object, msg: object) -> None:
        nonlocal delivered
        if err is None:
            delivered += 1

    producer = Producer(client_config(settings, **PRODUCER_DEFAULTS, on_delivery=on_delivery))
    start = time.perf_counter()
    sent = 0
    with path.open("rb") as lines:
        for line in lines:
            while True:
                try:
                    producer.produce(topic, line.rstrip(b"\n"))
                    break
                except BufferError:
                    producer.poll(0.05)
            sent += 1
            if not sent & 0x3FF:
                producer.poll(0)
    if producer.flush(120):
        raise RuntimeError("raw producer could not deliver everything")
    elapsed = time.perf_counter() - start
    assert delivered == sent, (delivered, sent)
    return sent, elapsed


PERF_TOTAL = re.compile(r"(\d+) records sent, ([\d.]+) records/sec")


def producer_performance(settings: Settings, path: Path, topic: str, records: int) -> float:
    """Kafka's ProducerPerformance over ``records`` payloads drawn from ``path``'s lines,
    with our producer's delivery settings; the records/s it reports."""
    props = {
        "bootstrap.servers": settings.kafka.bootstrap_servers,
        "acks": "all",
        "enable.idempotence": "true",
        **{k: str(PRODUCER_DEFAULTS[k]) for k in ("linger.ms", "batch.size", "compression.type")},
    }
    argv = [
        java_executable(settings),
        "-Xmx512m",
        f"-Dlog4j2.configurationFile={log4j_config()}",
        "-cp",
        kafka_classpath(settings),
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        topic,
        "--num-records",
        str(records),
        "--throughput",
        "-1",
        "--payload-file",
        str(path),
        "--command-property",
        *[f"{k}={v}" for k, v in props.items()],
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    totals = PERF_TOTAL.findall(done.stdout)
    if done.returncode != 0 or not totals:
        raise RuntimeError(
            f"ProducerPerformance failed (exit {done.returncode}): "
            f"{(done.stdout + done.stderr)[-2000:]}"
        )
    sent, rate = totals[-1]
    if int(sent) != records:
        raise RuntimeError(f"ProducerPerformance sent {sent} of {records} records")
    return float(rate)


def stored_records(settings: Settings, topic: str) -> int:
    return sum(high - low for low, high in topic_offsets(settings, topic).values())


def settings_for(bootstrap: str, suffix: str) -> Settings:
    return Settings(
        kafka={
            "bootstrap_servers": bootstrap,  # topics per round: each run starts from empty
            "tweets_topic": f"bench.tweets.{suffix}",
            "engagements_topic": f"bench.engagements.{suffix}",
            "dead_letter_topic": f"bench.dlq.{suffix}",
            "hashtag_counts_topic": f"bench.hashtags.{suffix}",
            "engagement_rates_topic": f"bench.rates.{suffix}",
            "user_scores_topic": f"bench.users.{suffix}",
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bootstrap", help="use this running broker instead of a fresh one")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="validation processes (default: ingest's own default, cores - 1)",
    )
    args = parser.parse_args()

    workers = default_workers() if args.workers is None else args.workers
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        bootstrap = args.bootstrap or stack.enter_context(private_broker(tmp))
        # Background rate such that chatter + decoys + trends ≈ the wanted post count.
        minutes = 20.0
        config = GeneratorConfig(seed=42, minutes=minutes, rate=args.tweets / (minutes * 60) / 1.22)
        started = time.perf_counter()
        paths = write_stream(tmp / "stream", config)
        gen_seconds = time.perf_counter() - started
        posts = sum(1 for _ in paths.tweets.open("rb"))
        print(f"generated {posts} posts in {gen_seconds:.2f}s ({posts / gen_seconds:,.0f}/s)")

        raw_rates, perf_rates, ingest_rates, raw_cpu, ingest_cpu = [], [], [], [], []
        run = uuid.uuid4().hex[:8]  # fresh topics on a reused (--bootstrap) broker too
        for round_no in range(args.rounds):
            raw_settings = settings_for(bootstrap, f"{run}.raw{round_no}")
            ensure_topics(raw_settings)
            cpu = time.process_time()
            sent, elapsed = raw_push(raw_settings, paths.tweets, raw_settings.kafka.tweets_topic)
            raw_cpu.append((time.process_time() - cpu) / sent * 1e6)
            raw_rates.append(sent / elapsed)
            perf_settings = settings_for(bootstrap, f"{run}.perf{round_no}")
            ensure_topics(perf_settings)
            perf_rates.append(
                producer_performance(
                    perf_settings, paths.tweets, perf_settings.kafka.tweets_topic, posts
                )
            )
            assert stored_records(perf_settings, perf_settings.kafka.tweets_topic) == posts
            ingest_settings = settings_for(bootstrap, f"{run}.ingest{round_no}")
            cpu = time.process_time()  # this process only: worker processes are not counted
            summary = ingest_files(ingest_settings, [paths.tweets], source="bench", workers=workers)
            ingest_cpu.append((time.process_time() - cpu) / summary.records * 1e6)
            ingest_rates.append(summary.msgs_per_s)
            offsets = topic_offsets(ingest_settings, ingest_settings.kafka.tweets_topic)
            stored = sum(high - low for low, high in offsets.values())
            # Each committed transaction leaves one marker (an offset) per partition it wrote.
            markers = stored - posts
            assert summary.accepted == posts, (summary.accepted, posts)
            assert 0 <= markers <= summary.transactions * len(offsets), (stored, posts)
            print(
                f"round {round_no + 1}: raw {raw_rates[-1]:,.0f} msgs/s "
                f"({raw_cpu[-1]:.1f} µs CPU/msg), "
                f"ProducerPerformance {perf_rates[-1]:,.0f} msgs/s, "
                f"ingest {ingest_rates[-1]:,.0f} msgs/s "
                f"({ingest_cpu[-1]:.1f} µs CPU/msg in the main process)",
                flush=True,
            )

    raw, perf = statistics.median(raw_rates), statistics.median(perf_rates)
    ingest = statistics.median(ingest_rates)
    ratio = statistics.median(i / r for i, r in zip(ingest_rates, raw_rates, strict=True))
    result = {
        "goal": GOAL,
        "goal_met": ratio >= GOAL_RATIO,
        "posts": posts,
        "rounds": args.rounds,
        "raw_msgs_per_s": [round(r, 1) for r in raw_rates],
        "producer_perf_msgs_per_s": [round(r, 1) for r in perf_rates],
        "ingest_msgs_per_s": [round(r, 1) for r in ingest_rates],
        "raw_median": round(raw, 1),
        "producer_perf_median": round(perf, 1),
        "ingest_median": round(ingest, 1),
        "ratio": round(ratio, 3),  # median over rounds of ingest / raw
        "ratios_per_round": [round(i / r, 3) for i, r in zip(ingest_rates, raw_rates, strict=True)],
        "ratio_of_medians": round(ingest / raw, 3),
        "ratio_vs_producer_perf": round(ingest / perf, 3),
        # CPU seconds per message of the producing process (all its threads, librdkafka's
        # included): steadier than rates on a shared machine.
        "raw_cpu_us_per_msg": round(statistics.median(raw_cpu), 2),
        "ingest_cpu_us_per_msg": round(statistics.median(ingest_cpu), 2),
        "ingest_workers": workers,
        "cpu_cores": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "generator_posts_per_s": round(posts / gen_seconds, 1),
        "broker": "Apache Kafka 4.4 (KRaft, one node, same machine)"
        if not args.bootstrap
        else bootstrap,
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "producer": {k: v for k, v in PRODUCER_DEFAULTS.items()},
    }
    # The default run is ingest.json; explicit --workers runs are kept beside it.
    results = RESULTS_DIR / (
        "ingest.json" if args.workers is None else f"ingest-workers{args.workers}.json"
    )
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"raw {raw:,.0f} msgs/s  ProducerPerformance {perf:,.0f} msgs/s  "
        f"ingest {ingest:,.0f} msgs/s  "
        f"ratios {ratio:.2f} (vs raw, median over rounds; goal {GOAL}: "
        f"{'met' if ratio >= GOAL_RATIO else 'not met'}), "
        f"{ingest / perf:.2f} (vs ProducerPerformance) "
        f"({workers} validation process(es), {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f})"
    )
    print(f"wrote {results}")


if __name__ == "__main__":
    main()
