"""Snapshot reports: the JSON contract, HTML escaping of post text, the index page."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from tests.support.synthetic import around, unit
from trendstream.core.settings import TrendSettings
from trendstream.trends.engine import detect_trends
from trendstream.trends.posts import Posts
from trendstream.trends.report import render_html, render_index, snapshot_payload, write_report
from trendstream.trends.viral import ViralPost

AT = datetime(2025, 6, 1, 12, 30, tzinfo=UTC)
EVIL = '<script>alert("x")</script> & <b>bold</b>'


def _detection():
    rng = np.random.default_rng(0)
    centre = unit(rng, 1, 32)[0]
    vectors = np.concatenate([around(rng, centre, 12, 0.9), unit(rng, 40, 32)])
    n = vectors.shape[0]
    start = AT - timedelta(minutes=15)
    window = Posts(
        ids=[str(1000 + i) for i in range(n)],
        vectors=vectors,
        created_ms=np.linspace(start.timestamp() * 1000, AT.timestamp() * 1000 - 1, n).astype(
            np.int64
        ),
        texts=[f"{EVIL} number {i}" for i in range(12)] + [f"other {i}" for i in range(40)],
        hashtags=[("evil",)] * 12 + [()] * 40,
        engagement=np.arange(n, dtype=np.float64),
    )
    empty = window.take([])
    return detect_trends(
        window, empty, at=AT, window_start=start, baseline_seconds=3600, config=TrendSettings()
    )


def test_json_contract():
    payload = json.loads(json.dumps(snapshot_payload(_detection())))
    assert payload["snapshot_at"] == "2025-06-01T12:30:00Z"
    assert payload["window"] == {"start": "2025-06-01T12:15:00Z", "end": "2025-06-01T12:30:00Z"}
    (trend,) = payload["trends"]
    types = {
        "trend_id": str,
        "name": str,
        "status": str,
        "score": float,
        "size": int,
        "growth": float,
        "keywords": list,
        "hashtags": list,
        "tweet_ids": list,
        "representatives": list,
        "distinct_authors": int,
        "retweet_share": float,
        "hashtag_variants": list,
    }
    for key, kind in types.items():
        assert isinstance(trend[key], kind), key
    assert trend["status"] in {"emerging", "peaking", "fading"}
    assert sorted(trend["tweet_ids"]) == [str(1000 + i) for i in range(12)]
    assert trend["size"] == 12 and trend["hashtags"] == ["evil"]
    assert trend["name"] == "#evil"  # the top hashtag names it
    assert len(trend["representatives"]) == 3
    assert set(trend["representatives"][0]) >= {"tweet_id", "text"}
    assert trend["representatives"][0]["text"].startswith(EVIL)  # JSON keeps the raw text
    assert trend["distinct_authors"] == 12 and trend["retweet_share"] == 0.0
    assert payload["viral"] == [] and payload["suppressed"] == []


def test_viral_posts_and_suppressed_clusters_are_listed_and_escaped():
    detection = replace(
        _detection(),
        viral=[ViralPost("1", "9", EVIL, 200, 3, 40, 57.5)],
        suppressed=[{"size": 80, "distinct_authors": 80, "new_author_share": 1.0, "text": EVIL}],
    )
    payload = json.loads(json.dumps(snapshot_payload(detection)))
    assert payload["viral"] == [
        {
            "tweet_id": "1",
            "author_id": "9",
            "text": EVIL,
            "retweets": 200,
            "quotes": 3,
            "likes": 40,
            "engagement_growth": 57.5,
        }
    ]
    page = render_html(detection)
    assert "<h2>Viral posts</h2>" in page and "<h2>Suppressed: suspected coordination</h2>" in page
    assert "<script>" not in page and page.count("&lt;script&gt;") >= 3


def test_html_is_self_contained_and_escapes_post_text(tmp_path):
    paths = write_report(_detection(), tmp_path)
    page = paths.html.read_text()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert page.count("data:image/png;base64,") >= 4  # inline charts
    assert "<link" not in page and 'src="http' not in page
    assert paths.json.name == "snapshot-20250601T123000Z.json"
    assert (
        json.loads((tmp_path / "latest.json").read_text())["snapshot_at"] == "2025-06-01T12:30:00Z"
    )
    index = paths.index.read_text()
    assert 'href="snapshot-20250601T123000Z.html"' in index


def test_index_lists_snapshots_newest_first(tmp_path):
    for minute in (10, 20):
        (tmp_path / f"snapshot-20250601T12{minute}00Z.json").write_text(
            json.dumps({"snapshot_at": f"2025-06-01T12:{minute}:00Z", "trends": []})
        )
    index = render_index(tmp_path)
    assert index.index("12:20:00Z") < index.index("12:10:00Z")
