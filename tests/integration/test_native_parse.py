"""The JVM parse (``trendstream.stream.parse``) against ``parse_event``, record by record.

Local Spark on batch DataFrames built from the bytes (no broker): the bad-record corpus
plus mutations of valid generator records must get the same reason code (or, when valid,
the same id, author, microsecond ``created_at`` and hashtags); the generated stream
itself must need no Python fallback; the dead-letter rows must read back as the
envelope ``dead_letter_record`` writes.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from trendstream.core.schema import Engagement, InvalidRecord, Tweet, parse_event
from trendstream.core.settings import Limits, Settings
from trendstream.kafka.dead_letter import parse_dead_letter
from trendstream.sources.generator import GeneratorConfig, generate_stream
from trendstream.stream.job import spark_session
from trendstream.stream.parse import DOUBT, dead_letter_rows, parse_records, resolve_doubtful

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

DATA = Path(__file__).parents[1] / "data"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LIMITS = Settings().limits


def micros(when: datetime) -> int:
    return (when - EPOCH) // timedelta(microseconds=1)


@pytest.fixture(scope="module")
def spark():
    session = spark_session(Settings(), "native-parse")  # the job's factory: jars, workers' paths
    yield session
    session.stop()


def frame(spark, values: list[bytes | None]):
    rows = [(v, "tweets", 0, i) for i, v in enumerate(values)]
    return spark.createDataFrame(rows, "value binary, topic string, partition int, offset long")


def python_view(raw: bytes | None, limits: Limits = LIMITS) -> tuple:
    """What parse_event says: (reason, ) or (None, kind, fields…)."""
    if raw is None:
        return ("missing_field",)
    try:
        event = parse_event(raw, limits=limits)
    except InvalidRecord as exc:
        return (exc.reason.value,)
    if isinstance(event, Tweet):
        return (
            None,
            "tweet",
            event.id,
            event.author_id,
            micros(event.created_at),
            list(event.hashtags),
        )
    assert isinstance(event, Engagement)
    return (
        None,
        "engagement",
        event.id,
        event.user_id,
        micros(event.created_at),
        event.type,
        event.tweet_id if event.type != "follow" else "",
    )


def spark_view(row) -> tuple:
    if row.reason is not None:
        return (row.reason,)
    if row.kind == "tweet":
        return (None, "tweet", row.id, row.author_id, row.micros, list(row.hashtags))
    return (
        None,
        "engagement",
        row.id,
        row.user_id,
        row.micros,
        row.type,
        row.tweet_id if row.type != "follow" else "",
    )


def mutations(lines: list[bytes], rng: random.Random) -> list[bytes]:
    """Valid generator records broken one way each: fields dropped, nulled or retyped, bad
    ids, empty/oversized text, bad timestamps, invalid UTF-8, non-objects, truncation."""
    out: list[bytes] = []
    for line in lines:
        obj = json.loads(line)
        body = obj["data"] if "data" in obj else obj
        key = rng.choice(sorted(k for k in body if k != "kind"))
        for change in (
            lambda b, key=key: b.pop(key),
            lambda b, key=key: b.__setitem__(key, None),
            lambda b, key=key: b.__setitem__(
                key, rng.choice([True, 1.5, 10.0, [1], {"a": 1}, "", "x", -3, 0])
            ),
            lambda b: b.__setitem__(
                "id", rng.choice(["", "0", "00", "12a", "1" * 20, " 12", "١٢"])
            ),
            lambda b: b.__setitem__(
                "created_at",
                rng.choice(
                    [
                        "2025-06-01",
                        "2025-13-01T00:00:00Z",
                        "2025-06-01T12:00:00.1234Z",
                        "2099-01-01T00:00:00.000Z",
                        "Sun Jun 01 12:00:00 +0000 2025",
                        "sun jun 01 12:00:00 +0000 2025",
                        "2025-06-01T12:00:00+05:30",
                        "2025-06-01T12:00:00.000-23:00",
                        1748779200000,
                        1748779200000.5,
                        "1748779200000",
                        "now",
                        True,
                    ]
                ),
            ),
            lambda b: b.__setitem__(
                "text",
                rng.choice(
                    [
                        "  ",
                        "x" * 4001,
                        "caf\u0065\u0301 #Caf\u0065\u0301",
                        "#Ünïcödé and #ascii",
                        "a\u0000b",
                        "[1]",
                        "12",
                    ]
                ),
            ),
        ):
            mutated = json.loads(line)
            change(mutated["data"] if "data" in mutated else mutated)
            out.append(orjson.dumps(mutated))
        out.append(line[: rng.randrange(1, len(line))])  # truncated
        out.append(line[:-1] + b"\xff}")  # invalid UTF-8
        out.append(b"[" + line + b"]")  # not an object
        out.append(line + b" x")  # trailing data
    return out


@pytest.fixture(scope="module")
def generated():
    return generate_stream(GeneratorConfig(minutes=1.0, rate=10.0, users=300, trends=2, decoys=1))


def compare(spark, values: list[bytes | None]) -> tuple[list, int]:
    """(mismatches, rows the native rules left to the fallback)."""
    from pyspark.sql import functions as F

    parsed = parse_records(frame(spark, values), LIMITS).cache()
    doubtful = parsed.where(parsed.reason == DOUBT).count()
    judged = resolve_doubtful(parsed, LIMITS)
    rows = judged.withColumn("micros", F.unix_micros("created_at")).orderBy("offset").collect()
    mismatches = [
        (values[r.offset], python_view(values[r.offset]), spark_view(r))
        for r in rows
        if python_view(values[r.offset]) != spark_view(r)
    ]
    return mismatches, doubtful


def test_the_bad_record_corpus_gets_the_validators_reasons(spark):
    lines = (DATA / "bad_records.jsonl").read_bytes().split(b"\n")[:-1]
    expected = json.loads((DATA / "bad_records.expected.json").read_text())
    assert len(lines) == len(expected)
    edges = [
        None,
        b"",
        b"   ",
        b"x" * (64 * 1024 + 1),
        b"\xef\xbb\xbf" + lines[0],
        b"\x00{\x00}",
        b'{"a": ' + b"[" * 600 + b"]" * 600 + b"}",
        b'{"id": ' + b"7" * 5000 + b"}",
        b'{"text": "a\\ud800b", "author_id": "1"}',
        b'{"kind": "tweet"} {"kind": "tweet"}',
    ]
    mismatches, doubtful = compare(spark, lines + edges)
    assert mismatches == []
    assert doubtful <= 3  # the corpus' deep nesting, the 600-deep one and the 5,000-digit number


def test_generated_records_parse_natively_with_the_same_fields(spark, generated):
    values = generated.tweets + generated.engagements
    mismatches, doubtful = compare(spark, values)
    assert mismatches == [] and doubtful == 0


def test_mutated_records_get_the_validators_reasons(spark, generated):
    rng = random.Random(13)
    values = mutations(
        rng.sample(generated.tweets, 40) + rng.sample(generated.engagements, 20), rng
    )
    mismatches, doubtful = compare(spark, values)
    assert mismatches == [], mismatches[:5]
    assert doubtful < len(values) / 10  # measured 39 of 600: loose timestamps, float epochs, NFC


def post(text: str, created_at: str = "2025-06-01T12:00:00Z") -> bytes:
    return orjson.dumps(
        {"kind": "tweet", "id": "1", "author_id": "2", "created_at": created_at, "text": text}
    )


@pytest.mark.parametrize(
    ("record", "limits", "raised"),
    [
        (post("a" * 5000), {"max_text_chars": 4000}, {"max_text_chars": 6000}),
        (post("ok", "2010-01-01T00:00:00Z"), {"earliest_time": "2012-01-01T00:00:00Z"}, {}),
        (post("ok", "2099-01-01T00:00:00Z"), {}, {"future_slack_s": 100 * 365 * 86_400}),
    ],
    ids=["text", "earliest", "future"],
)
def test_a_limit_in_settings_moves_the_python_and_the_java_verdict(spark, record, limits, raised):
    """Both validators take the one ``settings.limits``: a record one refuses under a limit,
    both accept once the settings move the limit past it (and the Java parser judges it
    natively, not through the Python fallback)."""
    verdicts = []
    for conf in (limits, raised):
        given = Settings(limits=conf).limits
        native = parse_records(frame(spark, [record]), given).collect()[0]
        assert native.reason != DOUBT
        verdicts.append((python_view(record, given)[0], native.reason))
    refused, accepted = verdicts
    assert refused[0] == refused[1] and refused[0] in ("oversized_text", "bad_timestamp")
    assert accepted == (None, None)


def test_dead_letter_rows_read_back_as_the_envelope(spark):
    values = [
        b"{not json",
        b'{"data": {"id": "x1", "text": "hi", "author_id": "5", '
        b'"created_at": "2025-06-01T12:00:01Z"}}',
        b"\xff\xfe",
        None,
        b'{"kind": "engagement", "id": "5", "type": "like", "user_id": "7", "tweet_id": "9", '
        b'"created_at": "2025-06-01T12:00:01Z"}',
        b'{"text": "' + "é".encode() * 200_000 + b'"}',
    ]
    parsed = resolve_doubtful(parse_records(frame(spark, values), LIMITS), LIMITS)
    rows = dead_letter_rows(parsed).collect()
    got = {}
    for row in rows:
        envelope = parse_dead_letter(bytes(row.value))
        headers = {h.key: bytes(h.value).decode() for h in row.headers}
        assert headers == {
            "reason": envelope["reason"],
            "source": "tweets",
            "position": envelope["position"],
            "stage": "stream",
        }
        assert bytes(row.key).decode() == f"tweets:{envelope['position']}"
        got[int(envelope["position"].rsplit(":", 1)[1])] = envelope
    assert {i: e["reason"] for i, e in got.items()} == {
        0: "invalid_json",
        1: "bad_id",
        2: "invalid_utf8",
        3: "missing_field",
        4: "unknown_format",
        5: "oversized_record",
    }
    assert got[2]["raw_encoding"] == "base64" and got[2]["raw_bytes"] == b"\xff\xfe"
    assert got[0]["raw_bytes"] == b"{not json" and got[0]["raw_size"] == 9
    big = got[5]
    assert big["raw_truncated"] and big["raw_encoding"] == "utf-8"
    assert (
        values[5].startswith(big["raw_bytes"])
        and len(values[5]) - len(big["raw_bytes"]) <= 256 * 1024
    )
