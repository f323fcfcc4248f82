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
import threading
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


@pytest.fixture(scope="module")
def trend_data(airflow_platform: Settings) -> Iterator[datetime]:
    """Snapshots ending now (newest on the page) and their posts in the platform's Milvus."""
    from trendstream.encode.model import encode_texts
    from trendstream.vectorstore.rows import rows_from_tweets
    from trendstream.vectorstore.store import TweetStore

    t0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
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
    # The JSON search with a hashtag filter, in a thread: it also loads the api-server's sentence
    # model while the browser logs in, so the page's search below does not wait for it.
    json_search: dict[str, object] = {}
    thread = threading.Thread(target=_search_json, args=(airflow_platform, json_search))
    thread.start()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
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
            expect(frame.get_by_role("heading", name="Posts nearest to")).to_be_visible()
            nearest = frame.locator("table tr").nth(1)  # row 0 is the header
            expect(nearest).to_contain_text("eclipse")
            page.screenshot(path=screenshots / "search.png")
        finally:
            browser.close()

    thread.join(TIMEOUT_MS / 1000)
    hits = json_search.get("hits")
    assert isinstance(hits, list) and hits, json_search
    assert all(h["hashtags"] == ["transitstrike"] for h in hits)


def _search_json(settings: Settings, out: dict[str, object]) -> None:
    out["hits"] = httpx.get(
        airflow_url(settings) + "/trends/api/search",
        params={"q": "trains not running", "k": 5, "hashtag": "transitstrike"},
        headers={"Authorization": f"Bearer {_token(settings)}"},
        timeout=TIMEOUT_MS / 1000,
    ).json()


def _token(settings: Settings) -> str:
    login = credentials(settings)
    response = httpx.post(
        login.url + "/auth/token",
        json={"username": login.username, "password": login.password},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()["access_token"]
