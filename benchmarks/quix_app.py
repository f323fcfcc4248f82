"""The Quix Streams side of the stream-analytics benchmark: 5-s hashtag windows.

Runs in its own virtualenv (``benchmarks/.venv-quix``: quixstreams pins an older
confluent-kafka than ours), started by ``bench_analytics.py``. It is the app a Quix
user would write for our windows: parse each post, one record per hashtag, re-key by
hashtag (``group_by``, a repartition topic), a tumbling event-time window with a grace
period for out-of-order posts, ``count().current()`` (an update per record, like Spark's
update mode), results produced to an output topic. Posts are parsed and validated with
``trendstream.core.schema.parse_event`` (the rules the Spark path applies in the JVM), so
every engine must agree on every count.

It stops once ``--expect`` hashtag records have been windowed or dropped as late (or
after ``--timeout`` s) and writes, as JSON: timings and, per ``(window_start_ms,
hashtag)``, the final count and the wall time of its last update.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--output-topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument(
        "--expect", type=int, required=True, help="hashtag records to window, then stop"
    )
    parser.add_argument("--window-ms", type=int, default=5000)
    parser.add_argument("--grace-ms", type=int, default=10000)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--ready-file", type=Path, help="touched when the first post arrives")
    args = parser.parse_args()

    from quixstreams import Application

    from trendstream.core.schema import InvalidRecord, Tweet, parse_event

    app = Application(
        broker_address=args.bootstrap,
        consumer_group=args.group,
        auto_offset_reset="earliest",
        state_dir=args.state_dir,
        loglevel="WARNING",
    )
    source = app.topic(args.topic, value_deserializer="bytes", key_deserializer="bytes")
    output = app.topic(args.output_topic, value_serializer="json", key_serializer="json")

    windows: dict[tuple[int, str], tuple[int, float]] = {}
    seen = {
        "records": 0,
        "late": 0,
        "first_at": None,
        "done_at": None,
        "cpu_first": None,
        "cpu_done": None,
    }

    def finish_when_all_seen() -> None:
        if seen["records"] + seen["late"] >= args.expect and seen["done_at"] is None:
            seen["done_at"] = time.time()
            seen["cpu_done"] = time.process_time()
            app.stop()

    def late(*_args, **_kwargs) -> bool:
        seen["late"] += 1  # dropped: older than its window's end + grace
        finish_when_all_seen()
        return False  # do not log each one

    def explode(raw: bytes) -> list[list]:
        if seen["first_at"] is None:
            seen["first_at"] = time.time()
            seen["cpu_first"] = (
                time.process_time()
            )  # all threads of this process (librdkafka's too)
            if args.ready_file:
                args.ready_file.touch()
        try:
            event = parse_event(raw)
        except InvalidRecord:
            return []  # skipped, as every engine skips invalid posts
        if not isinstance(event, Tweet):
            return []
        ms = (event.created_at - EPOCH) // timedelta(milliseconds=1)
        return [[tag, ms] for tag in event.hashtags]

    def record(value: dict, key, _timestamp, _headers) -> None:
        windows[(value["start"], key)] = (value["value"], time.time())
        seen["records"] += 1
        finish_when_all_seen()

    sdf = app.dataframe(source)
    sdf = sdf.apply(explode, expand=True)
    sdf = sdf.set_timestamp(lambda value, _key, _ts, _headers: value[1])
    sdf = sdf.group_by(lambda value: value[0], name="hashtag")
    sdf = (
        sdf.tumbling_window(args.window_ms, grace_ms=args.grace_ms, on_late=late).count().current()
    )
    sdf = sdf.update(record, metadata=True)
    sdf.to_topic(output)

    timer = threading.Timer(args.timeout, app.stop)
    timer.daemon = True
    timer.start()
    started = time.time()
    app.run()
    timer.cancel()
    args.out.write_text(
        json.dumps(
            {
                "started_at": started,
                "first_message_at": seen["first_at"],
                "done_at": seen["done_at"],
                "records": seen["records"],
                "late_dropped": seen["late"],
                "processing_cpu_s": (seen["cpu_done"] - seen["cpu_first"])
                if seen["cpu_done"]
                else None,
                "expected": args.expect,
                "windows": [
                    [start, tag, count, at] for (start, tag), (count, at) in windows.items()
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
