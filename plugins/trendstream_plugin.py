"""Airflow plugin: the Trends view (an authenticated FastAPI app plus a nav link).

The view's logic lives in ``trendstream.orchestration.trends_view``; this file only wires
Airflow's authentication into it. A plugin FastAPI app is mounted *outside* Airflow's API
routers, so without this every page would be public: ``requires_authenticated`` is Airflow's
own dependency — it validates the JWT from ``Authorization: Bearer`` or the UI's ``_token``
cookie through the auth manager, answering 401 without a token and 403 for a bad one.
"""

from __future__ import annotations

from airflow.api_fastapi.core_api.security import requires_authenticated
from airflow.plugins_manager import AirflowPlugin

from trendstream.core.paths import repo_root
from trendstream.core.settings import get_settings
from trendstream.orchestration.trends_view import create_app

URL_PREFIX = "/trends"
# The page's vega scripts, installed by scripts/setup.sh from web/package.json (no CDN).
VENDOR_DIR = repo_root() / "web" / "node_modules"

trends_app = create_app(get_settings, requires_authenticated(), VENDOR_DIR)


class TrendstreamPlugin(AirflowPlugin):
    name = "trendstream"
    fastapi_apps = [{"app": trends_app, "url_prefix": URL_PREFIX, "name": "Trends"}]
    external_views = [
        {
            "name": "Trends",
            "href": f"{URL_PREFIX}/",
            "url_route": "trends",
            "destination": "nav",
            "category": "browse",
        }
    ]
