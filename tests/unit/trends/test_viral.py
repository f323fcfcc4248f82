"""Viral posts: one post's retweets bursting, described by its original."""

from __future__ import annotations

import numpy as np

from trendstream.trends.posts import Posts
from trendstream.trends.viral import original_text, retweet_counts, viral_posts


def _posts(texts: list[str], prefix: str, authors: list[str] | None = None) -> Posts:
    n = len(texts)
    return Posts(
        ids=[f"{prefix}{i}" for i in range(n)],
        vectors=np.zeros((n, 4), np.float32),
        created_ms=np.zeros(n, np.int64),
        texts=texts,
        author_ids=authors or [f"a{i}" for i in range(n)],
        likes=np.full(n, 7.0),
        quotes=np.full(n, 2.0),
    )


def test_retweets_are_counted_per_original():
    counts = retweet_counts(_posts(["RT @a: hi", "RT @a: hi", "hi", "RT @b: yo"], "p"))
    assert counts == {"RT @a: hi": 2, "RT @b: yo": 1}
    assert original_text("RT @a: hi: there") == "hi: there"


def test_a_retweet_storm_is_viral_with_its_original_and_flat_retweets_are_not():
    storm = ["goat runs the house"] + ["RT @g: goat runs the house"] * 30
    steady = ["RT @n: daily news"] * 10
    window = _posts(storm + steady + ["chatter"] * 50, "w", ["goat"] + [f"u{i}" for i in range(90)])
    baseline = _posts(["RT @n: daily news"] * 110, "b")
    found = viral_posts(window, baseline, 600, 6600, min_count=8, min_score=5, min_growth=3)
    assert [v.text for v in found] == ["goat runs the house"]
    (goat,) = found
    assert (goat.tweet_id, goat.author_id, goat.retweets) == ("w0", "goat", 30)
    assert (goat.likes, goat.quotes) == (7, 2) and goat.engagement_growth > 3


def test_a_storm_whose_original_is_older_than_both_periods_points_at_a_retweet():
    window = _posts(["RT @g: goat"] * 12, "w")
    (found,) = viral_posts(
        window, _posts([], "b"), 600, 6600, min_count=8, min_score=5, min_growth=3
    )
    assert (found.tweet_id, found.author_id, found.text) == ("w0", "", "goat")
