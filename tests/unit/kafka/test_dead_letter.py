"""The dead-letter envelope: readable, lossless for small inputs, bounded for huge ones."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from trendstream.core.schema import DeadLetterReason
from trendstream.kafka.dead_letter import MAX_RAW_BYTES, dead_letter_record, parse_dead_letter

WHEN = datetime(2025, 6, 1, 12, tzinfo=UTC)


def record(raw, **kwargs):
    args = {
        "reason": DeadLetterReason.INVALID_JSON,
        "detail": "boom",
        "source": "archive",
        "position": "f.jsonl:3",
        "stage": "ingest",
        "received_at": WHEN,
    }
    args.update(kwargs)
    return dead_letter_record(raw, **args)


def test_text_input_is_kept_as_text_with_headers() -> None:
    key, value, headers = record(b'{"broken": ')
    envelope = parse_dead_letter(value)
    assert key == b"archive:f.jsonl:3"
    assert envelope["reason"] == "invalid_json" and envelope["stage"] == "ingest"
    assert envelope["raw"] == '{"broken": ' and envelope["raw_encoding"] == "utf-8"
    assert envelope["received_at"] == "2025-06-01T12:00:00.000Z"
    assert dict(headers) == {
        "reason": b"invalid_json",
        "source": b"archive",
        "position": b"f.jsonl:3",
        "stage": b"ingest",
    }


def test_binary_and_lone_surrogates_round_trip_as_base64() -> None:
    for raw, original in (
        (b"\xff\x00\xfe", b"\xff\x00\xfe"),
        ("bad \ud800", "bad \ud800".encode("utf-8", "surrogatepass")),
    ):
        envelope = parse_dead_letter(record(raw, reason=DeadLetterReason.INVALID_UTF8)[1])
        assert envelope["raw_encoding"] == "base64"
        assert envelope["raw_bytes"] == original


def test_dict_input_is_serialised_and_pure() -> None:
    first = record({"id": 1, "text": "é"}, stage="stream")
    assert first == record({"id": 1, "text": "é"}, stage="stream")
    assert orjson.loads(parse_dead_letter(first[1])["raw"]) == {"id": 1, "text": "é"}


def test_huge_input_is_cut_but_sized() -> None:
    raw = ("é" * (MAX_RAW_BYTES)).encode()  # 2 bytes per char: the cut lands mid-character
    value = record(raw, reason=DeadLetterReason.OVERSIZED_RECORD)[1]
    envelope = parse_dead_letter(value)
    assert envelope["raw_truncated"] is True and envelope["raw_size"] == len(raw)
    assert envelope["raw_encoding"] == "utf-8"
    assert len(value) < MAX_RAW_BYTES + 2048
