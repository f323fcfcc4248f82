"""The heartbeat file: the JSON the stream job writes and the supervisor and CLI read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trendstream.stream.heartbeat import Heartbeat

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

# The keys on disk, in order: a contract with whatever else reads the state volume.
FORMAT = [
    "pid",
    "timestamp",
    "status",
    "batch_id",
    "input_rows",
    "rows_per_second",
    "batch_duration_s",
    "stage_seconds",
    "encode_rows_per_second",
    "tweets_upserted",
    "dead_letters",
    "last_offsets",
    "lag",
    "batches_total",
    "rows_total",
    "queries",
    "restarts",
]


def test_write_then_read_round_trips_in_the_file_format(tmp_path: Path) -> None:
    beat = Heartbeat(
        timestamp=NOW,
        pid=7,
        status="running",
        batch_id=3,
        input_rows=21,
        rows_per_second=10.5,
        batch_duration_s=2.0,
        stage_seconds={"read": 0.1, "encode": 1.9},
        last_offsets={"tweets": {"0": 21}},
        lag=4,
        batches_total=4,
        rows_total=80,
        queries={"embed": {"active": True, "batch_id": 3}},
        restarts={"embed": 1},
    )
    path = tmp_path / "run" / "stream-heartbeat.json"
    beat.write(path)
    on_disk = json.loads(path.read_text())
    assert list(on_disk) == FORMAT
    assert on_disk["timestamp"] == "2026-11-21T12:00:00+00:00"
    assert Heartbeat.read(path) == beat
    assert not list(path.parent.glob("*.tmp"))  # the atomic write left no staging file


def test_read_tolerates_what_other_writers_may_leave(tmp_path: Path) -> None:
    path = tmp_path / "hb.json"
    assert Heartbeat.read(path) is None  # not written yet
    path.write_text("{not json")
    assert Heartbeat.read(path) is None
    path.write_text(json.dumps({"pid": 7}))  # no timestamp
    assert Heartbeat.read(path) is None
    path.write_text(
        json.dumps(
            {
                "pid": "7",
                "timestamp": "2026-11-21T11:59:30Z",
                "status": "running",
                "batch_id": 3,
                "rows_per_second": 10,
                "batch_duration_s": 1.2,
                "lag": 4,
                "added_by_a_newer_writer": True,
            }
        )
    )
    beat = Heartbeat.read(path)
    assert beat == Heartbeat(
        timestamp=NOW - timedelta(seconds=30),
        pid=7,
        status="running",
        batch_id=3,
        rows_per_second=10.0,
        batch_duration_s=1.2,
        lag=4,
    )
    assert beat.age_s(NOW) == 30.0
    assert beat.age_s(NOW - timedelta(minutes=1)) == 0.0  # a clock behind the writer's
