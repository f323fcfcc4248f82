"""The pure engine on synthetic embedded posts: bursts reported, flat topics not, ids kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from tests.support.synthetic import Topic, synthetic_posts
from trendstream.core.settings import TrendSettings
from trendstream.trends.engine import baseline_span_seconds, detect_trends
from trendstream.trends.posts import empty_posts

AT = datetime(2025, 6, 1, 13, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
BASELINE = timedelta(minutes=60)
DEFAULT_CONFIG = TrendSettings()


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _snapshot(rng, centres, at, window_topics, previous=None, config=DEFAULT_CONFIG):
    start = at - WINDOW
    baseline = synthetic_posts(
        rng,
        start_ms=_ms(start - BASELINE),
        end_ms=_ms(start),
        background=1200,
        topics=[Topic("coffee", 160)],
        centres=centres,
        dimension=64,
        id_prefix=f"b{at:%H%M}-",
    )
    window = synthetic_posts(
        rng,
        start_ms=_ms(start),
        end_ms=_ms(at),
        background=300,
        topics=window_topics,
        centres=centres,
        dimension=64,
        id_prefix=f"w{at:%H%M}-",
    )
    return window, detect_trends(
        window,
        baseline,
        at=at,
        window_start=start,
        baseline_seconds=BASELINE.total_seconds(),
        config=config,
        previous=previous,
    )


def test_bursts_with_and_without_hashtag_found_flat_topic_not():
    rng = np.random.default_rng(0)
    centres: dict[str, np.ndarray] = {}
    topics = [Topic("coffee", 40), Topic("strike", 30, hashtag="metrostrike"), Topic("outage", 25)]
    window, found = _snapshot(rng, centres, AT, topics)
    labels = sorted(t.representatives[0].text.split()[0] for t in found.trends)
    assert labels == ["outage", "strike"]
    strike = next(t for t in found.trends if t.hashtags)
    assert strike.hashtags == ["metrostrike"] and strike.size == 30
    assert all(tid.startswith("w") for t in found.trends for tid in t.tweet_ids)
    assert [h.hashtag for h in found.hashtag_trends] == ["metrostrike"]  # blind to the outage
    assert found.trends[0].score >= found.trends[1].score


def test_trend_keeps_its_id_in_the_next_snapshot_and_new_one_gets_a_new_id():
    rng = np.random.default_rng(1)
    centres: dict[str, np.ndarray] = {}
    _, first = _snapshot(rng, centres, AT, [Topic("strike", 20)])
    _, second = _snapshot(
        rng,
        centres,
        AT + timedelta(minutes=5),
        [Topic("strike", 40), Topic("quake", 30)],
        previous=first.state,
    )
    (strike_1,) = first.trends
    by_text = {t.representatives[0].text.split()[0]: t for t in second.trends}
    assert by_text["strike"].trend_id == strike_1.trend_id
    assert by_text["strike"].status == "emerging" and [h[1] for h in by_text["strike"].history] == [
        20,
        40,
    ]
    assert by_text["quake"].trend_id != strike_1.trend_id


def test_a_story_that_went_quiet_at_the_end_of_the_window_is_fading_though_it_grew():
    rng = np.random.default_rng(1)
    centres: dict[str, np.ndarray] = {}
    _, first = _snapshot(rng, centres, AT, [Topic("strike", 20)])
    at = AT + timedelta(minutes=5)
    window, _ = _snapshot(rng, centres, at, [Topic("strike", 40)], previous=first.state)
    # The same posts, but the strike's all in the window's first half: it fell silent since.
    start, middle = _ms(at - WINDOW), _ms(at - WINDOW / 2)
    strike = np.array([t.startswith("strike") for t in window.texts])
    created = window.created_ms.copy()
    created[strike] = np.linspace(start, middle, int(strike.sum()), dtype=np.int64)
    quiet = detect_trends(
        replace(window, created_ms=created),
        empty_posts(64),
        at=at,
        window_start=at - WINDOW,
        baseline_seconds=BASELINE.total_seconds(),
        config=DEFAULT_CONFIG,
        previous=first.state,
    )
    (trend,) = [t for t in quiet.trends if t.trend_id == first.trends[0].trend_id]
    assert [h[1] for h in trend.history] == [20, 40] and trend.timeline[-3:] == [0, 0, 0]
    assert trend.status == "fading"


def test_empty_window_and_baseline():
    found = detect_trends(
        empty_posts(64),
        empty_posts(64),
        at=AT,
        window_start=AT - WINDOW,
        baseline_seconds=3600,
        config=TrendSettings(),
    )
    assert found.trends == [] and found.hashtag_trends == []


def test_baseline_span_is_the_history_actually_covered():
    rng = np.random.default_rng(2)
    start = AT - WINDOW
    recent = synthetic_posts(
        rng,
        start_ms=_ms(start - timedelta(minutes=20)),
        end_ms=_ms(start),
        background=500,
        topics=[],
        centres={},
        dimension=8,
    )
    span = baseline_span_seconds(recent, start - timedelta(hours=2), start)
    assert 19 * 60 < span <= 20 * 60
    assert baseline_span_seconds(empty_posts(8), start - timedelta(hours=2), start) == 7200


def test_a_sampled_baseline_weights_its_hashtag_counts_too():
    rng = np.random.default_rng(4)
    centres: dict[str, np.ndarray] = {}
    start = AT - WINDOW
    strike = Topic("strike", 60, hashtag="metrostrike")
    baseline = synthetic_posts(
        rng,
        start_ms=_ms(start - BASELINE),
        end_ms=_ms(start),
        background=600,
        topics=[Topic("strike", 12, hashtag="metrostrike")],
        centres=centres,
        dimension=64,
        id_prefix="b-",
    )
    window = synthetic_posts(
        rng,
        start_ms=_ms(start),
        end_ms=_ms(AT),
        background=300,
        topics=[strike],
        centres=centres,
        dimension=64,
        id_prefix="w-",
    )

    def expected(weight: float) -> float:
        found = detect_trends(
            window,
            baseline,
            at=AT,
            window_start=start,
            baseline_seconds=BASELINE.total_seconds(),
            config=TrendSettings(),
            baseline_weight=weight,
        )
        (tag,) = [h for h in found.hashtag_trends if h.hashtag == "metrostrike"]
        return tag.expected

    assert expected(2.0) > 1.8 * expected(1.0)


def test_one_author_or_retweets_alone_make_no_trend_but_many_authors_do():
    rng = np.random.default_rng(4)
    centres: dict[str, np.ndarray] = {}
    window, found = _snapshot(rng, centres, AT, [Topic("outage", 40)])
    assert len(found.trends) == 1 and found.trends[0].distinct_authors == 40
    rows = [i for i, t in enumerate(window.texts) if t.startswith("outage")]
    spam = [("spammer" if i in rows else a) for i, a in enumerate(window.author_ids)]
    storm = [("RT @a: outage update" if i in rows else t) for i, t in enumerate(window.texts)]
    for posts in (  # one account posting 40 times; one post retweeted 40 times
        replace(window, author_ids=spam),
        replace(window, texts=storm),
    ):
        again = detect_trends(
            posts,
            empty_posts(posts.dimension),
            at=AT,
            window_start=AT - WINDOW,
            baseline_seconds=BASELINE.total_seconds(),
            config=DEFAULT_CONFIG,
        )
        assert again.trends == []
    # the storm still shows, as one viral post instead of a trend
    assert [v.retweets for v in again.viral] == [len(rows)]
