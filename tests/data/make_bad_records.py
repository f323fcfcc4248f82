"""Writes bad_records.jsonl and bad_records.expected.json (the bad-input corpus).

Each corpus line is one record; the expected file maps its 1-based line number to what
ingest must do with it: ``"accepted"`` or the dead-letter reason. Kinds that would bloat
the repository (1 MB text, binary files) are built at test time instead. Re-run this
script after editing the cases: ``.venv/bin/python tests/data/make_bad_records.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent


def tweet(**changes: object) -> dict:
    base = {
        "id": "1800000000000000001",
        "text": "a perfectly normal post",
        "author_id": "42",
        "created_at": "2025-06-01T12:00:00.000Z",
        "lang": "en",
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not ...}


def line(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8", errors="surrogatepass")


def ident(n: int) -> str:
    return str(1800000000000000100 + n)


# (description, raw line, expected outcome)
CASES: list[tuple[str, bytes, str]] = [
    (
        "valid v2 tweet",
        line(
            {"data": tweet(id=ident(1)), "includes": {"users": [{"id": "42", "username": "alice"}]}}
        ),
        "accepted",
    ),
    ("bad JSON", b'{"id": "1800000000000000002", "text": oops}', "invalid_json"),
    ("truncated record", line({"data": tweet(id=ident(3))})[:40], "invalid_json"),
    ("NaN literal", b'{"data": {"id": "1", "text": "x", "like": NaN}}', "invalid_json"),
    ("deeply nested", b"[" * 5000 + b"]" * 5000, "invalid_json"),
    ("JSON array, not object", b"[1, 2, 3]", "not_an_object"),
    ("JSON string", b'"just a string"', "not_an_object"),
    ("unknown shape", line({"foo": 1, "bar": [2]}), "unknown_format"),
    ("missing id", line(tweet(id=...)), "missing_field"),
    ("missing created_at", line(tweet(id=ident(10), created_at=...)), "missing_field"),
    ("missing author", line(tweet(id=ident(11), author_id=...)), "missing_field"),
    ("id is a list", line(tweet(id=[1])), "wrong_type"),
    ("id is a bool", line(tweet(id=True)), "wrong_type"),
    ("id not numeric", line(tweet(id="abc123")), "bad_id"),
    ("negative id", line(tweet(id=-5)), "bad_id"),
    ("text is a number", line(tweet(id=ident(16), text=12345)), "wrong_type"),
    ("blank text", line(tweet(id=ident(17), text="   \n\t ")), "empty_text"),
    ("oversized text", line(tweet(id=ident(18), text="x" * 5000)), "oversized_text"),
    ("NUL byte in text", line(tweet(id=ident(19), text="nul \u0000 inside")), "control_characters"),
    (
        "lone surrogate escape",
        b'{"id": "' + ident(20).encode() + b'", "text": "bad \\ud800 x",'
        b' "author_id": "42", "created_at": "2025-06-01T12:00:00Z"}',
        "control_characters",
    ),
    (
        "invalid UTF-8 bytes",
        b'{"id": "' + ident(21).encode() + b'", "text": "caf\xe9 \xff",'
        b' "author_id": "42", "created_at": "2025-06-01T12:00:00Z"}',
        "invalid_utf8",
    ),
    (
        "future timestamp",
        line(tweet(id=ident(22), created_at="2099-01-01T00:00:00Z")),
        "bad_timestamp",
    ),
    (
        "ancient timestamp",
        line(tweet(id=ident(23), created_at="1999-12-31T23:59:59Z")),
        "bad_timestamp",
    ),
    ("garbage timestamp", line(tweet(id=ident(24), created_at="yesterday-ish")), "bad_timestamp"),
    ("negative metrics", line(tweet(id=ident(25), public_metrics={"like_count": -3})), "bad_value"),
    (
        "metrics as string",
        line(tweet(id=ident(26), public_metrics={"like_count": "5"})),
        "wrong_type",
    ),
    ("metrics not an object", line(tweet(id=ident(27), public_metrics=[1, 2])), "wrong_type"),
    ("lang is a number", line(tweet(id=ident(28), lang=7)), "wrong_type"),
    (
        "referenced_tweets not a list",
        line(tweet(id=ident(29), referenced_tweets="x")),
        "wrong_type",
    ),
    (
        "unknown reference type",
        line(tweet(id=ident(30), referenced_tweets=[{"type": "mystery", "id": "5"}])),
        "bad_value",
    ),
    ("duplicate of line 1", line({"data": tweet(id=ident(1), text="same id again")}), "duplicate"),
    (
        "engagement of unknown type",
        line(
            {
                "kind": "engagement",
                "id": ident(32),
                "type": "poke",
                "user_id": "7",
                "tweet_id": ident(1),
                "created_at": "2025-06-01T12:00:01Z",
            }
        ),
        "bad_value",
    ),
    (
        "engagement without tweet",
        line(
            {
                "kind": "engagement",
                "id": ident(33),
                "type": "like",
                "user_id": "7",
                "created_at": "2025-06-01T12:00:01Z",
            }
        ),
        "missing_field",
    ),
    (
        "v1.1 status without user",
        line(
            {"id_str": ident(34), "text": "hello", "created_at": "Sun Jun 01 12:00:00 +0000 2025"}
        ),
        "missing_field",
    ),
    # Valid oddities: these must be accepted untouched.
    (
        "RTL Arabic and Hebrew",
        line(tweet(id=ident(35), text="مرحبا بالعالم שלום עולם")),
        "accepted",
    ),
    (
        "emoji with ZWJ sequences",
        line(tweet(id=ident(36), text="family 👨‍👩‍👧‍👦 flags 🏳️‍🌈 🇯🇵")),
        "accepted",
    ),
    (
        "zero-width characters",
        line(tweet(id=ident(37), text="zero\u200bwidth\u200djoin\ufeffbom")),
        "accepted",
    ),
    (
        "unknown extra fields",
        line(tweet(id=ident(38), future_field={"nested": [1, 2]}, another=None)),
        "accepted",
    ),
    ("decomposed accents", line(tweet(id=ident(39), text="cafe\u0301 na\u0308ive")), "accepted"),
    (
        "v1.1 status",
        line(
            {
                "id_str": ident(40),
                "text": "classic #tweet",
                "created_at": "Sun Jun 01 12:00:00 +0000 2025",
                "user": {"id_str": "43", "screen_name": "bob"},
                "entities": {"hashtags": [{"text": "tweet"}]},
            }
        ),
        "accepted",
    ),
    (
        "canonical record",
        line(
            {
                "kind": "tweet",
                "id": ident(41),
                "text": "canonical #form",
                "created_at": "2025-06-01T12:00:00.000Z",
                "author_id": "44",
                "hashtags": ["form"],
            }
        ),
        "accepted",
    ),
    (
        "engagement like",
        line(
            {
                "kind": "engagement",
                "id": ident(42),
                "type": "like",
                "user_id": "7",
                "tweet_id": ident(1),
                "created_at": "2025-06-01T12:00:01Z",
            }
        ),
        "accepted",
    ),
    (
        "engagement follow",
        line(
            {
                "kind": "engagement",
                "id": ident(43),
                "type": "follow",
                "user_id": "7",
                "target_user_id": "42",
                "created_at": "2025-06-01T12:00:01Z",
            }
        ),
        "accepted",
    ),
    (
        "integer ids and epoch-ms time",
        line(tweet(id=int(ident(44)), author_id=42, created_at=1748779200000)),
        "accepted",
    ),
]


def main() -> None:
    (HERE / "bad_records.jsonl").write_bytes(b"\n".join(raw for _, raw, _ in CASES) + b"\n")
    expected = {
        str(n): {"kind": kind, "expect": outcome}
        for n, (kind, _, outcome) in enumerate(CASES, start=1)
    }
    (HERE / "bad_records.expected.json").write_text(
        json.dumps(expected, indent=1, ensure_ascii=False) + "\n"
    )


if __name__ == "__main__":
    main()
