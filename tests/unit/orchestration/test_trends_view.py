"""The Trends app on a tiny snapshot set: pages and API behind the given auth, trends named
and ranked, a trend's history across snapshots, search through the given search, no path
escapes."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import HTTPException, Request
from fastapi.testclient import TestClient

from tests.support.trend_snapshots import ECLIPSE, STRIKE, T0, write_snapshot_set
from trendstream.core.settings import Settings
from trendstream.orchestration.trends_data import trend_name
from trendstream.orchestration.trends_pages import sparkline
from trendstream.orchestration.trends_view import create_app
from trendstream.trends.search import Hit, NoPostsYet
from trendstream.vectorstore.retry import MilvusUnavailable

AUTH = {"Authorization": "Bearer good"}


def only_with_token(request: Request) -> None:
    if request.headers.get("authorization") != "Bearer good":
        raise HTTPException(status_code=401, detail="Not authenticated")


class RecordingSearch:
    """Stands in for Milvus search (the integration browser test runs the real one)."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.calls: list[tuple] = []
        self.fail = fail

    def __call__(self, settings, q, k, since, hashtag) -> list[Hit]:
        self.calls.append((q, k, since, hashtag))
        if self.fail:
            raise self.fail
        return [Hit("1", 0.91, 1764669600000, "Totality <now>", "7", ("eclipse",))]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(state_dir=tmp_path)
    write_snapshot_set(settings.paths.reports_dir, T0)
    return settings


def client(settings: Settings, search=None, vendor: Path | None = None) -> TestClient:
    app = create_app(
        lambda: settings,
        only_with_token,
        vendor or Path("/nonexistent"),
        search or RecordingSearch(),
    )
    return TestClient(app)


def test_every_page_and_endpoint_needs_auth(settings: Settings) -> None:
    c = client(settings)
    for path in (
        "/",
        f"/trend/{ECLIPSE}",
        "/search?q=eclipse",
        "/quality/",
        "/api/snapshots",
        "/api/trends",
        f"/api/trends/{ECLIPSE}",
        "/api/search?q=eclipse",
        "/openapi.json",
    ):
        assert c.get(path).status_code == 401, path
        assert c.get(path, headers=AUTH).status_code == 200, path


def test_trends_are_named_ranked_and_browsable_by_snapshot(settings: Settings) -> None:
    c = client(settings)
    snapshots = c.get("/api/snapshots", headers=AUTH).json()
    assert [s["key"] for s in snapshots] == [
        "20261202T101000Z",
        "20261202T100500Z",
        "20261202T100000Z",
    ]
    latest = c.get("/api/trends", headers=AUTH).json()
    assert [t["name"] for t in latest] == ["#transitstrike", "#eclipse"]  # by score: 31.5 > 28
    assert latest[1]["distinct_authors"] == 11 and "distinct_authors" not in latest[0]
    oldest = c.get("/api/trends?at=20261202T100000Z", headers=AUTH).json()
    assert [t["trend_id"] for t in oldest] == [ECLIPSE]
    assert c.get("/api/trends?at=20991202T100000Z", headers=AUTH).status_code == 404
    page = c.get("/", headers=AUTH).text
    assert "#transitstrike" in page and "11 authors" in page and "<svg" in page
    assert ECLIPSE not in page.split("<ol")[1].split("</ol>")[0].replace(f"trend/{ECLIPSE}", "")
    old_page = c.get("/?at=20261202T100000Z", headers=AUTH).text
    assert "#transitstrike" not in old_page and "Data quality" in old_page


def test_suspected_coordination_is_listed_when_the_snapshot_has_some(settings: Settings) -> None:
    c = client(settings)
    latest = c.get("/api/snapshots/20261202T101000Z", headers=AUTH).json()
    assert latest["suppressed"][0]["distinct_authors"] == 80
    assert c.get("/api/snapshots/20261202T100000Z", headers=AUTH).json()["suppressed"] == []
    section = c.get("/", headers=AUTH).text.split("Suppressed: suspected coordination")[1]
    assert "Claim your FREE crypto airdrop now" in section
    assert "<td>80</td><td>80</td><td>95%</td>" in section
    assert "suspected coordination" not in c.get("/?at=20261202T100000Z", headers=AUTH).text


def test_a_trend_page_has_its_timeline_posts_and_engine_extras(settings: Settings) -> None:
    c = client(settings)
    detail = c.get(f"/api/trends/{ECLIPSE}", headers=AUTH).json()
    assert [h["posts"] for h in detail["history"]] == [12, 30, 14]
    assert [h["status"] for h in detail["history"]] == ["emerging", "emerging", "fading"]
    assert detail["viral"][0]["retweets"] == 310
    page = c.get(f"/trend/{ECLIPSE}", headers=AUTH).text
    spec = json.loads(page.split('id="timeline-spec">')[1].split("</script>")[0])
    assert [p["posts"] for p in spec["vconcat"][0]["data"]["values"]] == [12, 30, 14]
    assert spec["vconcat"][1]["data"]["values"][0] == {"minute": "10:00", "posts": 3}
    assert "/static/vega-embed.min.js" in page and "Totality over the valley" in page
    assert "#Eclipse2026 (3)" in page and "distinct authors" in page
    strike = c.get(f"/trend/{STRIKE}?at=20261202T100500Z", headers=AUTH).text
    assert "9</td>" in strike and "distinct authors" not in strike
    assert c.get("/trend/T-missing", headers=AUTH).status_code == 404


def test_search_passes_filters_and_reports_milvus_trouble(settings: Settings) -> None:
    search = RecordingSearch()
    c = client(settings, search)
    hits = c.get(
        "/api/search",
        params={"q": "eclipse", "k": 3, "since": "2026-12-02T10:00:00Z", "hashtag": "#Eclipse"},
        headers=AUTH,
    ).json()
    assert hits[0]["hashtags"] == ["eclipse"] and hits[0]["score"] == 0.91
    q, k, since, hashtag = search.calls[0]
    assert (q, k, hashtag) == ("eclipse", 3, "#Eclipse") and isinstance(since, datetime)
    assert c.get("/api/search?q=x&hashtag=a%20or%201", headers=AUTH).status_code == 422
    assert c.get("/api/search?q=x&k=0", headers=AUTH).status_code == 422
    assert "Totality &lt;now&gt;" in c.get("/search?q=eclipse", headers=AUTH).text
    assert (
        client(settings, RecordingSearch(NoPostsYet("none")))
        .get("/api/search?q=x", headers=AUTH)
        .json()
        == []
    )
    down = client(settings, RecordingSearch(MilvusUnavailable("refused")))
    assert down.get("/api/search?q=x", headers=AUTH).status_code == 503
    assert "Milvus is unavailable" in down.get("/search?q=x", headers=AUTH).text


def test_data_docs_vendored_scripts_and_no_escapes(settings: Settings, tmp_path: Path) -> None:
    vendor = tmp_path / "node_modules"
    (vendor / "vega" / "build").mkdir(parents=True)
    (vendor / "vega" / "build" / "vega.min.js").write_text("var vega;")
    c = client(settings, vendor=vendor)
    assert "No data docs yet" in c.get("/quality/", headers=AUTH).text
    docs = settings.paths.data_docs_dir
    docs.mkdir(parents=True)
    (docs / "index.html").write_text("<html>data docs</html>")
    assert c.get("/quality/", headers=AUTH).text == "<html>data docs</html>"
    assert c.get("/quality/index.html", headers=AUTH).status_code == 200
    assert c.get("/static/vega.min.js", headers=AUTH).text == "var vega;"
    assert c.get("/static/vega-lite.min.js", headers=AUTH).status_code == 404  # not installed
    assert c.get("/static/..%2F..%2Fsecret", headers=AUTH).status_code == 404
    (tmp_path / "secret.txt").write_text("no")
    assert c.get("/reports/..%2F..%2Fsecret.txt", headers=AUTH).status_code == 404
    assert c.get("/quality/..%2F..%2F..%2Fsecret.txt", headers=AUTH).status_code == 404


def test_names_fall_back_from_hashtag_to_key_phrase_to_id() -> None:
    assert trend_name({"hashtags": ["Eclipse"], "keywords": ["sun"]}) == "#Eclipse"
    assert trend_name({"hashtags": [], "keywords": ["solar", "eclipse", "today", "x"]}) == (
        "solar eclipse today"
    )
    assert trend_name({"trend_id": "T1"}) == "T1"
    # A snapshot that stored its name (the report writer does) keeps it.
    assert trend_name({"name": "#WorldCup", "hashtags": ["worldcup"]}) == "#WorldCup"


def test_sparkline_scales_to_the_peak() -> None:
    svg = sparkline([0, 5, 10], width=100, height=20)
    assert 'points="0.0,18.0 50.0,10.0 100.0,2.0"' in svg
    assert sparkline([]) == ""
