"""The hashtag-count baseline detector: bursting tags reported, flat tags not."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pyarrow as pa

from trendstream.stream.analytics_store import AnalyticsStore
from trendstream.trends.hashtags import (
    count_hashtags,
    counts_from_parquet,
    hashtag_bursts,
    with_tweet_ids,
)


def test_count_hashtags_counts_posts_not_repeats():
    assert count_hashtags([("a", "A"), ("a",), ("b",)]) == Counter({"a": 2, "b": 1})


def test_bursting_tag_found_flat_and_rare_tags_not():
    window = Counter({"metrostrike": 40, "goodmorning": 100, "rare": 3})
    baseline = Counter({"goodmorning": 800, "metrostrike": 2})
    found = hashtag_bursts(window, baseline, 900, 7200, min_count=8, min_score=4.0, max_trends=10)
    assert [t.hashtag for t in found] == ["metrostrike"]
    assert found[0].score > 15 and found[0].growth > 10


def test_tweet_ids_attached_by_tag():
    found = hashtag_bursts(
        Counter({"x": 9}), Counter(), 900, 7200, min_count=8, min_score=3, max_trends=5
    )
    withids = with_tweet_ids(found, ["1", "2", "3"], [("X",), ("y",), ("x", "y")])
    assert withids[0].tweet_ids == ["1", "3"]


def test_counts_from_parquet_windows_take_each_windows_latest_update(tmp_path):
    store = AnalyticsStore(tmp_path)
    assert (
        counts_from_parquet(
            store,
            datetime(2025, 1, 1, tzinfo=UTC),
            datetime(2025, 1, 2, tzinfo=UTC),
        )
        is None
    )
    start = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

    def batch(batch_id, rows):
        at = pa.timestamp("us", tz="UTC")
        table = pa.table(
            {
                "window_start": pa.array([start.replace(second=s) for s, _, _ in rows], at),
                "window_end": pa.array([start.replace(second=s + 5) for s, _, _ in rows], at),
                "hashtag": [tag for _, tag, _ in rows],
                "count": pa.array([n for _, _, n in rows], pa.int64()),
            }
        )
        store.write_batch("hashtags", "run-1", batch_id, table)

    batch(0, [(0, "metrostrike", 3), (5, "metrostrike", 4), (0, "goodmorning", 2)])
    batch(1, [(0, "metrostrike", 6), (10, "metrostrike", 5)])  # late posts update window :00
    counts = counts_from_parquet(store, start, start.replace(second=10))
    assert counts == Counter({"metrostrike": 10, "goodmorning": 2})


def test_spellings_of_one_story_are_related_and_listed_most_frequent_first():
    from trendstream.trends.hashtags import hashtag_variants, related_tags

    assert related_tags("WorldCup", "worldcupfinal") and related_tags("rate", "RATE")
    assert not related_tags("rate", "ratecut")  # too short to be sure
    assert not related_tags("worldcup", "metrostrike")
    texts = ["#WorldCup yes"] * 3 + ["#worldcup", "#WorldCupFinal #WorldCup", "#other #Other"]
    assert hashtag_variants(texts) == ["#WorldCup", "#WorldCupFinal", "#worldcup"]
    assert hashtag_variants(["no tags"]) == []
