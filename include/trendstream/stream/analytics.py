"""Windowed analytics over the tweet and engagement streams (Spark plans + their sinks).

Hashtags, engagement and user activity on event time, so a replayed archive gives the same answers.
Design: docs/stream.md#analytics
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from trendstream.stream.analytics_store import KEYS, AnalyticsStore
from trendstream.stream.parse import parse_stream
from trendstream.stream.scores import ACTION_WEIGHTS, window_score

log = logging.getLogger(__name__)

ENGAGEMENT_COLUMNS = {"like": "likes", "retweet": "retweets", "reply": "replies", "quote": "quotes"}


def _events(raw_df, settings, kind: str):
    """The valid events of ``kind`` in a Kafka frame, parsed in the JVM (:mod:`.parse`)."""
    from pyspark.sql import functions as F

    parsed = parse_stream(raw_df, settings)
    return parsed.where(F.col("reason").isNull() & (F.col("kind") == kind))


def _windowed(events, settings, length: str):
    """``events`` with the watermark on ``created_at`` and a ``window`` column of ``length``."""
    from pyspark.sql import functions as F

    return events.withWatermark(
        "created_at", f"{settings.stream.watermark_seconds} seconds"
    ).withColumn("window", F.window("created_at", length))


def hashtag_counts(raw_df, settings):
    """Posts per hashtag per tumbling window (update mode)."""
    from pyspark.sql import functions as F

    tags = _events(raw_df, settings, "tweet").select(
        "created_at", F.explode("hashtags").alias("hashtag")
    )
    return (
        _windowed(tags, settings, f"{settings.stream.window_seconds} seconds")
        .groupBy("window", "hashtag")
        .agg(F.count(F.lit(1)).alias("count"))
        .select(
            F.col("window.start").alias("window_start"),
            F.col("window.end").alias("window_end"),
            "hashtag",
            "count",
        )
    )


def engagement_rates(raw_df, settings):
    """Engagements per 1-second window per tweet and overall (``tweet_id = "*"``)."""
    from pyspark.sql import functions as F

    events = _events(raw_df, settings, "engagement").where(
        F.col("type").isin(*ENGAGEMENT_COLUMNS) & (F.col("tweet_id") != "")
    )
    both = events.select(
        "created_at", "type", F.explode(F.array("tweet_id", F.lit("*"))).alias("tweet_id")
    )
    counts = [
        F.count(F.when(F.col("type") == kind, 1)).alias(column)
        for kind, column in ENGAGEMENT_COLUMNS.items()
    ]
    return (
        _windowed(both, settings, "1 second")
        .groupBy("window", "tweet_id")
        .agg(*counts)
        .select(
            F.col("window.start").alias("window_start"), "tweet_id", *ENGAGEMENT_COLUMNS.values()
        )
    )


def user_scores(raw_df, settings):
    """Each user's activity per half-life window: ``score`` is the window's decayed sum
    rebased to its start (see :mod:`trendstream.stream.scores`), plus the window's
    latest action and action count. Reads tweets and engagements (one source);
    :func:`load_latest` combines a user's windows into the score."""
    from pyspark.sql import functions as F

    half_life = settings.stream.user_score_half_life_s
    parsed = parse_stream(raw_df, settings).where(F.col("reason").isNull())
    post = F.col("kind") == "tweet"
    actions = parsed.select(
        F.when(post, F.col("author_id")).otherwise(F.col("user_id")).alias("user_id"),
        F.when(post, F.lit("post")).otherwise(F.col("type")).alias("action"),
        "created_at",
    )
    weight = F.lit(0.0)
    for action, w in ACTION_WEIGHTS.items():
        weight = F.when(F.col("action") == action, F.lit(w)).otherwise(weight)
    age_s = (F.unix_micros("created_at") - F.unix_micros(F.col("window.start"))) / 1e6
    return (
        _windowed(actions, settings, f"{int(half_life)} seconds")
        .groupBy("user_id", "window")
        .agg(
            F.sum(weight * F.pow(F.lit(2.0), age_s / half_life)).alias("score"),
            F.max("created_at").alias("last_action_at"),
            F.count(F.lit(1)).alias("actions"),
        )
        .select(
            "user_id",
            F.col("window.start").alias("window_start"),
            "score",
            "last_action_at",
            "actions",
        )
    )


# --- sinks -------------------------------------------------------------------------------------


def batch_writer(name: str, topic: str, settings, run: str) -> Callable[[Any, int], None]:
    """foreachBatch function: the batch's rows → Parquet (idempotent per batch, in ``run``:
    see :meth:`AnalyticsStore.run_for`) and Kafka."""
    from trendstream.kafka.producer import IdempotentProducer

    store = AnalyticsStore.of(settings)
    keys = KEYS[name]

    def write(batch_df, batch_id: int) -> None:
        table = batch_df.toArrow()
        if table.num_rows == 0:
            return
        store.write_batch(name, run, batch_id, table)
        with IdempotentProducer(settings) as producer:
            for row in table.to_pylist():
                key = "|".join(str(row[k]) for k in keys)
                producer.produce(
                    topic,
                    json.dumps({**row, "batch_id": batch_id}, default=_json_default).encode(),
                    key,
                )
        log.info("%s run %s batch %d: %d rows", name, run, batch_id, table.num_rows)

    return write


def load_latest(settings, name: str):
    """The current value of every aggregate of ``name`` (pandas), from the Parquet copy."""
    import pandas as pd

    frame = AnalyticsStore.of(settings).latest(name)
    if frame is None:
        return pd.DataFrame()
    if name == "users":
        frame = user_totals(frame, settings.stream.user_score_half_life_s)
        frame = frame.sort_values("user_id").reset_index(drop=True)
    return frame


def user_totals(windows, half_life_s: float):
    """One row per user (``user_id, score, last_action_at, actions``) from the latest row of
    each of their windows: the score at their latest action (:func:`window_score`)."""
    latest = windows.groupby("user_id")["last_action_at"].transform("max")
    seconds = (windows["window_start"] - latest).dt.total_seconds()
    terms = windows.assign(score=window_score(windows["score"], seconds, 0.0, half_life_s))
    return terms.groupby("user_id", as_index=False).agg(
        score=("score", "sum"), last_action_at=("last_action_at", "max"), actions=("actions", "sum")
    )


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
