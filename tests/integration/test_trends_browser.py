"""The Trends page in a real browser: Playwright drives Debian's chromium through the Airflow
login page, Browse → Trends, a trend's page and a search over real Milvus, saving a
screenshot of each; anonymous requests get 401.

Reuses the session's ``airflow_platform``; the data is the tiny snapshot set of
``tests/support/trend_snapshots.py`` (no stream run) and its five posts, encoded and upserted
into the platform's collection. Screenshots go to ``$TRENDSTREAM_SCREENSHOT_DIR`` (the README's
come from ``docs/screenshots``), else to a temp folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.trend_snapshots import ECLIPSE, posts, write_snapshot_set
from trendstream.core.settings import Settings
from trendstream.platform.airflow import airflow_url, credentials

pytestmark = pytest.mark.integration

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# The api-server's first search loads the sentence model: ~10 s idle, minutes on a loaded box.
TIMEOUT_MS = 240_000
PAGE_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def trend_data(airflow_platform: Settings) -> Iterator[datetime]:
    """Snapshots ending now (newest on the page) and their posts in the platform's Milvus."""
    from trendstream.encode.model import encode_texts
    from trendstream.vectorstore.rows import rows_from_tweets
    from trendstream.vectorstore.store import TweetStore

    # The newest snapshot a minute or two ahead, so it outranks one a DAG run just wrote.
    newest = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=2)
    t0 = newest - timedelta(minutes=10)
    write_snapshot_set(airflow_platform.paths.reports_dir, t0)
    tweets = posts(t0)
    vectors = encode_texts([t["text"] for t in tweets], airflow_platform.model)
    with TweetStore.connect(airflow_platform) as store:
        store.ensure_collection()
        store.upsert(rows_from_tweets(tweets, vectors))
    yield t0


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("TRENDSTREAM_SCREENSHOT_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_anonymous_requests_to_the_page_and_the_api_get_401(airflow_platform: Settings) -> None:
    base = airflow_url(airflow_platform)
    for path in ("/trends/", f"/trends/trend/{ECLIPSE}", "/trends/api/search?q=eclipse"):
        assert httpx.get(base + path, timeout=30).status_code == 401, path


def test_log_in_browse_trends_open_a_trend_and_search(
    airflow_platform: Settings, trend_data: datetime, screenshots: Path
) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it as root)")
    from playwright.sync_api import expect, sync_playwright

    login = credentials(airflow_platform)
    token = _token(airflow_platform)
    latest = _get(airflow_platform, token, "/trends/api/trends")
    assert [t["name"] for t in latest] == ["#transitstrike", "#eclipse"], latest
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=PAGE_TIMEOUT_MS)
            page.goto(login.url + "/")
            page.get_by_label("Username").fill(login.username)
            page.get_by_label("Password").fill(login.password)
            page.get_by_role("button", name="Sign in").click()

            page.get_by_role("button", name="Browse").click()
            page.get_by_role("menuitem", name="Trends").click()
            frame = page.frame_locator("iframe")
            strike = frame.get_by_role("link", name="#transitstrike", exact=True)
            expect(strike).to_be_visible()
            expect(frame.get_by_role("link", name="#eclipse", exact=True)).to_be_visible()
            expect(frame.get_by_text("11 authors")).to_be_visible()
            page.screenshot(path=screenshots / "trends.png")

            frame.get_by_role("link", name="#eclipse", exact=True).click()
            expect(frame.get_by_role("heading", name="#eclipse", exact=True)).to_be_visible()
            # vega-embed drew the timeline (the vendored scripts loaded): an SVG or canvas.
            expect(frame.locator("#timeline canvas, #timeline svg").first).to_be_visible()
            expect(frame.get_by_text("Totality over the valley").first).to_be_visible()
            page.screenshot(path=screenshots / "trend.png")

            frame.get_by_role("searchbox").fill("moon covering the sun")
            frame.get_by_role("button", name="Search").click()
            heading = frame.get_by_role("heading", name="Posts nearest to")
            expect(heading).to_be_visible(timeout=TIMEOUT_MS)
            nearest = frame.locator("table tr").nth(1)  # row 0 is the header
            expect(nearest).to_contain_text("eclipse")
            page.screenshot(path=screenshots / "search.png")
        finally:
            browser.close()

    # The same search as JSON, with the hashtag filter (the model is loaded by now).
    hits = _get(
        airflow_platform,
        token,
        "/trends/api/search",
        {"q": "trains not running", "k": 5, "hashtag": "transitstrike"},
    )
    assert hits and all(h["hashtags"] == ["transitstrike"] for h in hits), hits


def _get(settings: Settings, token: str, path: str, params: dict | None = None) -> list:
    response = httpx.get(
        airflow_url(settings) + path,
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT_MS / 1000,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _token(settings: Settings) -> str:
    login = credentials(settings)
    response = httpx.post(
        login.url + "/auth/token",
        json={"username": login.username, "password": login.password},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()["access_token"]
