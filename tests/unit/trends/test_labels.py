"""Labels: c-TF-IDF keywords, a cluster's hashtags, representative posts near the centroid."""

from __future__ import annotations

import numpy as np

from tests.support.synthetic import around, unit
from trendstream.trends.labels import (
    ctfidf_keywords,
    display_name,
    representatives,
    top_hashtags,
)


def test_ctfidf_prefers_words_that_define_the_cluster_over_window_wide_words():
    outage = [
        "photoshare is down again today, cannot upload anything",
        "is photoshare down for everyone? uploads failing today",
        "photoshare outage: uploads broken for an hour",
    ]
    quake = [
        "felt the harbor quake shaking here today",
        "strong quake near the harbor, windows rattled",
        "harbor quake aftershock just now",
    ]
    rest = [f"today was a long day number {i}" for i in range(30)]
    words = ctfidf_keywords([outage, quake], rest, top=3)
    assert words[0][0] == "photoshare" and "uploads" in words[0]
    assert {"harbor", "quake"} <= set(words[1])
    assert all("today" not in w for w in words)  # common to the whole window: sinks


def test_ctfidf_rest_weight_scales_a_sampled_background():
    cluster = [["alpha beta", "alpha beta", "alpha gamma"]]
    light = ctfidf_keywords(cluster, ["beta"], top=2)
    heavy = ctfidf_keywords(cluster, ["beta"], top=2, rest_weight=100.0)
    assert light[0][0] == "alpha"
    assert heavy[0] == ["alpha", "gamma"]  # beta is everywhere once the sample is scaled up


def test_top_hashtags_needs_a_share_of_posts_and_counts_each_post_once():
    tags = [("LunaVegaAlbum", "lunavegaalbum")] * 6 + [("music",)] + [()] * 3
    assert top_hashtags(tags) == ["lunavegaalbum"]
    assert top_hashtags([()] * 10) == []


def test_representatives_are_nearest_the_centroid_without_repeats():
    rng = np.random.default_rng(0)
    centre = unit(rng, 1, 32)[0]
    vectors = np.stack(
        [
            centre,
            around(rng, centre, 1, 0.99)[0],
            around(rng, centre, 1, 0.9)[0],
            around(rng, centre, 1, 0.6)[0],
            around(rng, centre, 1, 0.95)[0],
        ]
    )
    ids = ["a", "b", "c", "d", "e"]
    texts = ["Same text", "RT @someone: same   TEXT", "third", "far away", "second"]
    picked = representatives(ids, texts, vectors, centre)
    assert [r.tweet_id for r in picked] == ["a", "e", "c"]
    assert picked[0].similarity >= picked[1].similarity >= picked[2].similarity


def test_a_trend_is_named_by_its_top_hashtag_else_a_key_phrase_else_its_id() -> None:
    assert display_name(["#WorldCup", "final"], ["goal"], "T1") == "#WorldCup"
    assert display_name(["#", ""], ["solar", "eclipse", "today", "x"], "T1") == (
        "solar eclipse today"
    )
    assert display_name([], [" "], "T1") == "T1"
