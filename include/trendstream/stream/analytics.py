"""Windowed analytics over the tweet and engagement streams (Spark plans + their sinks).

Three streaming aggregates, all on **event time** (a post's ``created_at``, not when it
reached Kafka, so a replayed archive gives the same answers):

* ``hashtags``: posts per hashtag in tumbling ``settings.stream.window_seconds`` windows;
* ``engagement``: likes/retweets/replies/quotes per second per tweet, and overall (the
  row with ``tweet_id = "*"``);
* ``users``: each user's activity score (formula in :mod:`trendstream.analytics.scores`).

The window aggregates run in *update* mode with a ``watermark_seconds`` watermark: each
micro-batch emits the windows it changed (so an aggregate is visible within one trigger,
not after the watermark passes), and state older than the watermark is dropped. Every
emitted row goes to the analytics Kafka topic (keyed, so a compacted topic keeps the
latest count) and to Parquet under ``settings.analytics_dir/<name>/batch=<id>/``; a
replayed batch overwrites its own directory, so the Parquet copy is exactly-once.
Readers take the row of the highest batch per key (:func:`load_latest`).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

from trendstream.analytics.scores import fold_actions
from trendstream.stream.transforms import action_rows, engagement_rows, hashtag_rows

log = logging.getLogger(__name__)

HASHTAG_EVENTS = "tweet_id string, created_at timestamp, hashtag string"
ENGAGEMENT_EVENTS = "tweet_id string, type string, created_at timestamp"
ACTION_EVENTS = "user_id string, action string, created_at timestamp"
USER_SCORES = "user_id string, score double, last_action_at timestamp, actions long"
USER_STATE = "score double, latest_s double, actions long"
ENGAGEMENT_COLUMNS = {"like": "likes", "retweet": "retweets", "reply": "replies", "quote": "quotes"}

# name -> columns identifying one aggregate (the Kafka key and the "latest" grouping)
KEYS: dict[str, list[str]] = {
    "hashtags": ["window_start", "hashtag"],
    "engagement": ["window_start", "tweet_id"],
    "users": ["user_id"],
}


def _arrow_mapper(rows_of: Callable[[list], list[tuple]], names: list[str]):
    """mapInArrow function: Kafka ``value`` batches → flat event rows via ``rows_of``."""

    def mapper(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        for batch in batches:
            rows = rows_of(batch.column(0).to_pylist())
            columns = list(zip(*rows)) if rows else [[] for _ in names]
            arrays = [
                pa.array(col, pa.timestamp("us", tz="UTC")) if name == "created_at"
                else pa.array(col, pa.string())
                for name, col in zip(names, columns)
            ]
            yield pa.RecordBatch.from_arrays(arrays, names=names)

    return mapper


def hashtag_counts(tweets, settings):
    """Posts per hashtag per tumbling window (update mode)."""
    from pyspark.sql import functions as F

    stream = settings.stream
    events = tweets.select("value").mapInArrow(
        _arrow_mapper(hashtag_rows, ["tweet_id", "created_at", "hashtag"]), HASHTAG_EVENTS)
    return (
        events.withWatermark("created_at", f"{stream.watermark_seconds} seconds")
        .groupBy(F.window("created_at", f"{stream.window_seconds} seconds"), "hashtag")
        .agg(F.count(F.lit(1)).alias("count"))
        .select(F.col("window.start").alias("window_start"), F.col("window.end").alias("window_end"),
                "hashtag", "count")
    )


def engagement_rates(engagements, settings):
    """Engagements per 1-second window per tweet and overall (``tweet_id = "*"``)."""
    from pyspark.sql import functions as F

    events = engagements.select("value").mapInArrow(
        _arrow_mapper(engagement_rows, ["tweet_id", "type", "created_at"]), ENGAGEMENT_EVENTS)
    both = events.withColumn("tweet_id", F.explode(F.array("tweet_id", F.lit("*"))))
    counts = [F.sum(F.when(F.col("type") == kind, 1).otherwise(0)).alias(column)
              for kind, column in ENGAGEMENT_COLUMNS.items()]
    return (
        both.withWatermark("created_at", f"{settings.stream.watermark_seconds} seconds")
        .groupBy(F.window("created_at", "1 second"), "tweet_id")
        .agg(*counts)
        .select(F.col("window.start").alias("window_start"), "tweet_id", *ENGAGEMENT_COLUMNS.values())
    )


def user_scores(records, settings):
    """Each user's decayed activity score, updated for users who acted in the batch.
    ``records`` reads both the tweets and the engagements topic (one source)."""
    actions = records.select("value").mapInArrow(
        _arrow_mapper(action_rows, ["user_id", "action", "created_at"]), ACTION_EVENTS)
    half_life = settings.stream.user_score_half_life_s

    def update(key, frames, state):
        import pandas as pd

        score, latest, count = state.get if state.exists else (0.0, None, 0)
        for frame in frames:
            # pandas UDFs see tz-naive timestamps in the session time zone (UTC, see job).
            times = (frame["created_at"].astype("int64") / 1e9).tolist()
            score, latest = fold_actions(score, latest, times, frame["action"].tolist(), half_life)
            count += len(frame)
        state.update((score, latest, count))
        yield pd.DataFrame({
            "user_id": [key[0]], "score": [score],
            "last_action_at": [pd.Timestamp(round(latest * 1e6), unit="us")], "actions": [count],
        })

    return actions.groupBy("user_id").applyInPandasWithState(
        update, USER_SCORES, USER_STATE, "update", "NoTimeout")


# --- sinks -------------------------------------------------------------------------------------


def batch_writer(name: str, topic: str, settings) -> Callable[[Any, int], None]:
    """foreachBatch function: the batch's rows → Parquet (idempotent per batch) and Kafka."""
    from trendstream.kafka.producer import IdempotentProducer

    root = settings.analytics_dir / name
    keys = KEYS[name]

    def write(batch_df, batch_id: int) -> None:
        table = batch_df.toArrow()
        if table.num_rows == 0:
            return
        write_parquet(root, batch_id, table)
        with IdempotentProducer(settings) as producer:
            for row in table.to_pylist():
                key = "|".join(str(row[k]) for k in keys)
                producer.produce(topic, json.dumps({**row, "batch_id": batch_id},
                                                   default=_json_default).encode(), key)
        log.info("%s batch %d: %d rows", name, batch_id, table.num_rows)

    return write


def write_parquet(root: Path, batch_id: int, table) -> None:
    """Write one batch's rows atomically (a replayed batch replaces its directory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    final = root / f"batch={batch_id}"
    staging = root / f".batch={batch_id}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    pq.write_table(table.append_column("batch_id", pa.array([batch_id] * table.num_rows, pa.int64())),
                   staging / "part-0.parquet")
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)


def load_latest(settings, name: str):
    """The current value of every aggregate of ``name`` (pandas), from the Parquet output."""
    import pandas as pd
    import pyarrow.parquet as pq

    root = settings.analytics_dir / name
    files = sorted(root.glob("batch=*/*.parquet"))
    if not files:
        return pd.DataFrame()
    frame = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
    keys = KEYS[name]
    frame = frame.sort_values("batch_id").drop_duplicates(keys, keep="last")
    return frame.sort_values(keys).reset_index(drop=True)


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
