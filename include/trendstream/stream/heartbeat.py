"""The stream job's heartbeat: one JSON file, written by the job, read by everyone else.

Its keys are a contract across processes, so this module is their only writer and reader.
Design: docs/stream.md#heartbeat
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Heartbeat:
    """What the job reported last; ``None`` marks a figure not known yet (no batch so far)."""

    timestamp: datetime
    pid: int | None = None
    status: str = "starting"  # starting | running | retrying | stopped
    batch_id: int | None = None  # of the last embed batch
    input_rows: int | None = None
    rows_per_second: float | None = None
    batch_duration_s: float | None = None
    stage_seconds: dict[str, float] | None = None  # read / parse / … / upsert of the last batch
    encode_rows_per_second: float | None = None
    tweets_upserted: int | None = None
    dead_letters: int | None = None
    last_offsets: dict[str, dict[str, int]] | None = None
    lag: int | None = None  # the embed group's lag on the tweets topic
    batches_total: int = 0
    rows_total: int = 0
    queries: dict[str, Any] = field(default_factory=dict)  # per query: its last progress
    restarts: dict[str, int] = field(default_factory=dict)  # per query: restarts so far

    def age_s(self, now: datetime) -> float:
        return max(0.0, (now - self.timestamp).total_seconds())

    def to_dict(self) -> dict[str, Any]:
        """The JSON fields, in the order the file has always had (pid first)."""
        data = asdict(self)
        data.pop("timestamp")
        return {"pid": data.pop("pid"), "timestamp": self.timestamp.isoformat(), **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Heartbeat:
        """Unknown keys are ignored, so a newer writer never breaks an older reader."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["timestamp"] = _parse_time(data["timestamp"])
        for name, kind in _NUMBERS.items():
            if values.get(name) is not None:
                values[name] = kind(values[name])
        return cls(**values)

    def write(self, path: Path) -> None:
        """Atomically (a reader never sees half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1))
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> Heartbeat | None:
        """The last heartbeat, or None when there is none yet (or it is garbled)."""
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable heartbeat %s: %s", path, exc)
            return None


_NUMBERS: dict[str, type] = {
    "pid": int,
    "batch_id": int,
    "input_rows": int,
    "rows_per_second": float,
    "batch_duration_s": float,
    "encode_rows_per_second": float,
    "tweets_upserted": int,
    "dead_letters": int,
    "lag": int,
    "batches_total": int,
    "rows_total": int,
}


def _parse_time(value: Any) -> datetime:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), tz=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
