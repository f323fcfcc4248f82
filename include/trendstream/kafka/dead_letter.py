"""The dead-letter record: one format for every stage that refuses input.

Readable by a human, replayable by a tool, small enough for one Kafka message.
Design: docs/kafka.md#dead-letter-records
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from trendstream.core.schema import DeadLetterReason, format_time

MAX_RAW_BYTES = 256 * 1024
Stage = Literal["ingest", "stream"]


def _raw_bytes(raw: bytes | str | dict[str, Any] | Any) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, bytearray | memoryview):
        return bytes(raw)
    if isinstance(raw, str):
        return raw.encode("utf-8", errors="surrogatepass")
    try:
        return orjson.dumps(raw)
    except TypeError:
        return repr(raw).encode("utf-8", errors="backslashreplace")


def dead_letter_record(
    raw: bytes | str | dict[str, Any],
    *,
    reason: DeadLetterReason | str,
    detail: str,
    source: str,
    position: str,
    stage: Stage,
    received_at: datetime | None = None,
) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """``(key, value, headers)`` of the dead-letter record for one refused input.

    Pure: same inputs (with ``received_at`` given) give the same bytes. The key is the
    source position, so records from one place land together and replays are traceable.
    """
    reason_value = reason.value if isinstance(reason, DeadLetterReason) else str(reason)
    data = _raw_bytes(raw)
    kept = data[:MAX_RAW_BYTES]
    try:
        text, encoding = kept.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        # A cut in the middle of a character is not a reason to fall back to base64.
        if len(kept) < len(data) and exc.start >= len(kept) - 3:
            try:
                text, encoding = kept[: exc.start].decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                text, encoding = base64.b64encode(kept).decode("ascii"), "base64"
        else:
            text, encoding = base64.b64encode(kept).decode("ascii"), "base64"
    when = format_time(received_at or datetime.now(UTC))
    envelope = {
        "reason": reason_value,
        "detail": detail[:1000],
        "source": source,
        "position": position,
        "stage": stage,
        "received_at": when,
        "raw": text,
        "raw_encoding": encoding,
        "raw_size": len(data),
        "raw_truncated": len(kept) < len(data),
    }
    headers = [
        ("reason", reason_value.encode()),
        ("source", source.encode("utf-8", errors="replace")),
        ("position", position.encode("utf-8", errors="replace")),
        ("stage", stage.encode()),
    ]
    key = f"{source}:{position}".encode("utf-8", errors="replace")
    return key, orjson.dumps(envelope), headers


def parse_dead_letter(value: bytes | str) -> dict[str, Any]:
    """The envelope as a dict, plus ``raw_bytes``: the original input bytes (as kept)."""
    envelope = orjson.loads(value)
    if not isinstance(envelope, dict) or "reason" not in envelope or "raw" not in envelope:
        raise ValueError("not a trendstream dead-letter record")
    raw = envelope["raw"]
    if envelope.get("raw_encoding") == "base64":
        envelope["raw_bytes"] = base64.b64decode(raw)
    else:
        envelope["raw_bytes"] = raw.encode("utf-8")
    return envelope
