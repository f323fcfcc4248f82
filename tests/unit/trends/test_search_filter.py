"""The Milvus filter of a search: time and hashtag limits, nothing but a word spliced in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trendstream.trends.search import search_filter


def test_time_and_hashtag_limits_combine() -> None:
    since = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert search_filter() == ""
    assert search_filter(since) == "created_at >= 1796205600000"
    assert search_filter(hashtag="#Eclipse") == 'array_contains(hashtags, "eclipse")'
    assert search_filter(since, "éclipse_2026") == (
        'created_at >= 1796205600000 and array_contains(hashtags, "éclipse_2026")'
    )


@pytest.mark.parametrize("bad", ['x" or 1', "two words", "a)", "#"])
def test_anything_but_a_word_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a hashtag"):
        search_filter(hashtag=bad)
