"""Spark entry point of the streaming job (what Airflow's SparkSubmitOperator runs).

    spark-submit spark_jobs/stream_job.py [--available-now] [--max-offsets-per-trigger N] [--reset]

Only parses arguments; everything else is :func:`trendstream.stream.job.run_stream`,
configured by the ``TRENDSTREAM_*`` environment / settings file.
"""

from __future__ import annotations

import argparse
import logging

from trendstream.core.settings import get_settings
from trendstream.stream.job import run_stream


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--available-now", action="store_true", help="process what is in Kafka now, then exit"
    )
    parser.add_argument(
        "--max-offsets-per-trigger",
        type=int,
        default=None,
        help="records per micro-batch (default: settings.stream)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="drop the checkpoints and analytics output first"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run_stream(
        get_settings(),
        available_now=args.available_now,
        max_offsets_per_trigger=args.max_offsets_per_trigger,
        reset=args.reset,
    )


if __name__ == "__main__":
    main()
