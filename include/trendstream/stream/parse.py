"""Kafka ``value`` bytes → typed events inside the JVM: :func:`parse_event`'s verdicts from
a Java UDF, so the analytics queries never move a record into Python.

Design: docs/stream.md#parse
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from trendstream.core.schema import DeadLetterReason as R
from trendstream.core.schema import Engagement, InvalidRecord, Tweet, parse_event
from trendstream.core.settings import Limits
from trendstream.kafka.dead_letter import MAX_RAW_BYTES

DOUBT = "?"  # reason of a row the native rules cannot judge exactly (see module docstring)
PARSER_CLASS = "io.trendstream.spark.RecordParser"
PARSER_UDF = "trendstream_parse_record"
PARSED = (
    "reason string, detail string, kind string, id string, author_id string, "
    "created_at timestamp, text string, hashtags array<string>, user_id string, "
    "tweet_id string, type string"
)
PARSED_TYPES = dict(field.split(" ", 1) for field in PARSED.split(", "))


def _ranges(pred) -> str:
    """``"a-b,c,…"`` (hex code points) of every code point where ``pred`` holds."""
    ranges, start, prev = [], None, None
    for cp in (c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and pred(chr(c))):
        if start is None:
            start = prev = cp
        elif cp == prev + 1:
            prev = cp
        else:
            ranges.append((start, prev))
            start = prev = cp
    if start is not None:
        ranges.append((start, prev))
    return ",".join(f"{a:X}" if a == b else f"{a:X}-{b:X}" for a, b in ranges)


@functools.cache
def _classes() -> tuple[str, str, str]:
    """Python's ``\\w`` and ``str.isspace``, and the characters NFC may change: those that
    change alone, combining marks (reordered), the second halves of canonical pairs (which
    compose with the character before) and Hangul vowels/finals. From this interpreter's
    tables, once per process."""
    word = re.compile(r"\w")
    seconds = set()
    for cp in range(0x110000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    return (
        _ranges(lambda c: word.match(c) is not None),
        _ranges(str.isspace),
        _ranges(
            lambda c: (
                unicodedata.combining(c) != 0
                or c in seconds
                or unicodedata.normalize("NFC", c) != c
                or "\u1161" <= c <= "\u1175"
                or "\u11a8" <= c <= "\u11c2"
            )
        ),
    )


def _F():
    from pyspark.sql import functions as F

    return F


def register_parser(spark, limits: Limits) -> str:
    """The Java parser with these limits as a session function (registered once per session
    and limits; every query of the job shares it); returns its name. The jar comes through
    ``spark.jars`` (see ``stream.job.spark_jars``)."""
    from pyspark.sql.types import _parse_datatype_string

    earliest = int(limits.earliest_time.timestamp())
    bounds = (limits.max_record_bytes, limits.max_text_chars, earliest, limits.future_slack_s)
    name = "_".join(map(str, (PARSER_UDF, *bounds))).replace("-", "m")
    if spark.catalog.functionExists(name):
        return name
    try:
        parser = spark.sparkContext._jvm.io.trendstream.spark.RecordParser(*bounds, *_classes())
    except TypeError:  # py4j: a package, not a class
        raise RuntimeError(
            f"{PARSER_CLASS} is not on Spark's classpath; run scripts/setup.sh "
            "(mvn -f jvm/pom.xml package) and give Spark the jars of jvm/lib/spark"
        ) from None
    return_type = spark._jsparkSession.parseDataType(_parse_datatype_string(PARSED).json())
    spark._jsparkSession.udf().register(name, parser, return_type)
    return name


def parse_records(raw_df, limits: Limits):
    """``raw_df`` (a Kafka frame with ``value``) plus the :data:`PARSED` columns: ``reason``
    (NULL when valid, ``"?"`` when doubtful), ``detail``, ``kind`` (tweet / engagement) and
    the event's fields. Pure JVM; see :func:`resolve_doubtful` for the doubtful rows."""
    F = _F()
    name = register_parser(raw_df.sparkSession, limits)
    # One call per row: the struct is a column of its own, then split (a projection that
    # read the call once per field would run it eleven times).
    with_struct = raw_df.select(
        *raw_df.columns, F.call_function(name, F.col("value")).alias("_parsed")
    )
    return with_struct.select(
        *raw_df.columns, *[F.col(f"_parsed.{c}").alias(c) for c in PARSED_TYPES]
    )


def _python_verdicts(limits: Limits):
    """pandas UDF body: :func:`parse_event` on the non-NULL values (the doubtful rows)."""

    def judge(values):
        import pandas as pd

        rows = [_python_row(v, limits) if v is not None else {} for v in values]
        frame = pd.DataFrame(
            {c: pd.Series([row.get(c) for row in rows], dtype=object) for c in PARSED_TYPES}
        )
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
        return frame

    return judge


def _python_row(raw: bytes, limits: Limits) -> dict[str, Any]:
    """One record's :data:`PARSED` fields as :func:`parse_event` gives them."""
    try:
        event = parse_event(bytes(raw), limits=limits)
    except InvalidRecord as exc:
        return {"reason": exc.reason.value, "detail": _utf8(exc.detail)}
    if isinstance(event, Tweet):
        return {
            "kind": "tweet",
            "id": event.id,
            "author_id": event.author_id,
            "created_at": event.created_at,
            "text": _utf8(event.text),
            "hashtags": [_utf8(t) for t in event.hashtags],
        }
    assert isinstance(event, Engagement)
    return {
        "kind": "engagement",
        "id": event.id,
        "created_at": event.created_at,
        "user_id": event.user_id,
        "tweet_id": _utf8(event.tweet_id),
        "type": event.type,
    }


def _utf8(text: str) -> str:
    """Strings Arrow can carry (a lone surrogate from the input becomes U+FFFD)."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


def resolve_doubtful(parsed, limits: Limits):
    """``parsed`` with the doubtful rows' verdicts and fields from :func:`parse_event`. The
    UDF receives the bytes of doubtful rows only (NULL for the rest)."""
    from pyspark.sql.functions import pandas_udf

    F = _F()
    judge = pandas_udf(_python_verdicts(limits), PARSED)
    doubtful = F.col("reason") == DOUBT
    names = list(PARSED_TYPES)
    judged = parsed.withColumn("_python", judge(F.when(doubtful, F.col("value"))))
    return judged.select(
        *[
            F.when(doubtful, F.col(f"_python.{c}")).otherwise(F.col(c)).alias(c)
            if c in names
            else F.col(c)
            for c in parsed.columns
        ]
    )


def parse_stream(raw_df, settings):
    """Every record of ``raw_df`` judged (native rules, :func:`parse_event` for doubtful rows),
    both sides with ``settings.limits``."""
    return resolve_doubtful(parse_records(raw_df, settings.limits), settings.limits)


# --- dead letters ---------------------------------------------------------------------------------


def dead_letter_rows(parsed, expected_kind: str | None = "tweet"):
    """The refused records of ``parsed`` (:func:`parse_stream` output with ``topic``,
    ``partition`` and ``offset``) as Kafka rows ``key, value, headers`` in the format of
    :func:`trendstream.kafka.dead_letter.dead_letter_record` (stage ``stream``). A valid
    record of another kind than ``expected_kind`` is refused as ``unknown_format``, as the
    embed query does with an engagement on the tweets topic."""
    F = _F()
    reason, detail = F.col("reason"), F.col("detail")
    if expected_kind is not None:
        wrong = reason.isNull() & (F.col("kind") != expected_kind)
        detail = F.when(
            wrong, F.concat(F.col("kind"), F.lit(f" record on the {expected_kind}s topic"))
        ).otherwise(detail)
        reason = F.when(wrong, F.lit(R.UNKNOWN_FORMAT.value)).otherwise(reason)
    data = F.coalesce(F.col("value"), F.lit(b""))
    size = F.octet_length(data)
    kept = F.substring(data, 1, MAX_RAW_BYTES)
    # A cut through a character at the end is trimmed, as dead_letter_record does.
    text = F.when(size <= MAX_RAW_BYTES, F.call_function("try_validate_utf8", data)).otherwise(
        F.coalesce(
            *[
                F.call_function("try_validate_utf8", F.substring(data, 1, MAX_RAW_BYTES - k))
                for k in range(4)
            ]
        )
    )
    source = F.col("topic")
    position = F.concat_ws(
        ":", source, F.col("partition").cast("string"), F.col("offset").cast("string")
    )
    received = F.date_format(
        F.to_utc_timestamp(F.current_timestamp(), F.current_timezone()),
        "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
    )
    envelope = F.struct(
        reason.alias("reason"),
        F.substring(detail, 1, 1000).alias("detail"),
        source.alias("source"),
        position.alias("position"),
        F.lit("stream").alias("stage"),
        received.alias("received_at"),
        F.coalesce(text, F.regexp_replace(F.base64(kept), "[\r\n]", "")).alias("raw"),
        F.when(text.isNotNull(), F.lit("utf-8")).otherwise(F.lit("base64")).alias("raw_encoding"),
        size.alias("raw_size"),
        (size > MAX_RAW_BYTES).alias("raw_truncated"),
    )
    headers = F.array(
        *[
            F.struct(F.lit(k).alias("key"), v.cast("binary").alias("value"))
            for k, v in (
                ("reason", reason),
                ("source", source),
                ("position", position),
                ("stage", F.lit("stream")),
            )
        ]
    )
    return parsed.where(reason.isNotNull()).select(
        F.concat_ws(":", source, position).cast("binary").alias("key"),
        F.to_json(envelope).cast("binary").alias("value"),
        headers.alias("headers"),
    )
