"""Recent data as pandas frames for the suites, each with a batch reference for quarantine.

Derived columns (``age_s``, ``norm``, ``dimension``, ``created_year``) keep the checks numeric.
Design: docs/quality.md#frames
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from trendstream.core.settings import Settings
from trendstream.stream.analytics_store import AnalyticsStore

BatchRef = dict[str, Any]


def _naive_utc(series: pd.Series) -> pd.Series:
    values = pd.to_datetime(series, utc=True)
    return values.dt.tz_convert(None)


def analytics_frame(
    settings: Settings, now: datetime, batches: int = 20
) -> tuple[pd.DataFrame, BatchRef]:
    """The newest ``batches`` hashtag-window batches the stream wrote (Parquet)."""
    store = AnalyticsStore.of(settings)
    newest = store.batches("hashtags")[-batches:]
    frame = (
        store.read(newest)
        if newest
        else pd.DataFrame(columns=["window_start", "window_end", "hashtag", "count"])
    )
    return with_analytics_derived(frame, now), {
        "kind": "analytics",
        "files": [str(b.path) for b in newest],
        "runs": sorted({b.run for b in newest}),
        "batch_ids": sorted({b.batch_id for b in newest}),
    }


def with_analytics_derived(frame: pd.DataFrame, now: datetime) -> pd.DataFrame:
    frame = frame.copy()
    for column in ("window_start", "window_end"):
        if column in frame:
            frame[column] = _naive_utc(frame[column])
    if "window_end" in frame:
        reference = pd.Timestamp(now).tz_convert("UTC").tz_localize(None)
        frame["age_s"] = (reference - frame["window_end"]).dt.total_seconds()
    return frame


def vectors_frame(
    settings: Settings, now: datetime, sample: int = 2000
) -> tuple[pd.DataFrame, BatchRef]:
    """The newest ``sample`` rows of the Milvus collection, vectors included."""
    from trendstream.vectorstore.collection import VECTOR_FIELD
    from trendstream.vectorstore.store import TweetStore

    ms = settings.milvus
    with TweetStore.connect(settings) as store:
        rows = store.query("created_at >= 0", ["id", "created_at", VECTOR_FIELD], limit=sample)
    frame = with_vector_derived(pd.DataFrame(rows, columns=["id", "created_at", VECTOR_FIELD]), now)
    ids = frame["id"].astype(str).tolist()
    return frame.drop(columns=[VECTOR_FIELD]), {
        "kind": "vectors",
        "collection": ms.collection,
        "rows": len(frame),
        "sample_ids": ids[:50],
        "created_at_range": [int(frame["created_at"].min()), int(frame["created_at"].max())]
        if ids
        else None,
    }


def with_vector_derived(
    frame: pd.DataFrame, now: datetime, vector_column: str = "embedding"
) -> pd.DataFrame:
    frame = frame.copy()
    vectors = [np.asarray(v, dtype=np.float64) for v in frame[vector_column]]
    frame["dimension"] = [v.shape[0] for v in vectors]
    frame["norm"] = [float(np.linalg.norm(v)) for v in vectors]
    created = pd.to_datetime(frame["created_at"], unit="ms", utc=True)
    frame["age_s"] = (pd.Timestamp(now).tz_convert("UTC") - created).dt.total_seconds()
    frame["created_year"] = created.dt.year
    return frame


def stream_frame(settings: Settings) -> tuple[pd.DataFrame, BatchRef]:
    """Dead-letter rate (dead letters per tweet in retention) and the consumer lag, one row.
    Counted from offsets, which also count one commit marker per partition and ingest
    transaction: at most partitions / transaction records (4 / 20k) added to the rate."""
    from trendstream.kafka.admin import consumer_lag, topic_offsets

    k = settings.kafka

    def retained(topic: str) -> int:
        return sum(high - low for low, high in topic_offsets(settings, topic).values())

    tweets, dead = retained(k.tweets_topic), retained(k.dead_letter_topic)
    lag = sum(p.lag for p in consumer_lag(settings, k.consumer_group, k.tweets_topic))
    figures = {
        "tweets": tweets,
        "dead_letters": dead,
        "dead_letter_rate": dead / max(tweets, 1),
        "consumer_lag": lag,
    }
    return pd.DataFrame([figures]), {"kind": "stream", **figures}
