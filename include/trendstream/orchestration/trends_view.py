"""The Trends page served inside the Airflow UI: ranked trends, a page per trend, semantic
search, Data Docs, and the JSON API behind them (described by the app's OpenAPI schema).

A plain FastAPI app; the plugin passes Airflow's authentication in, so nothing is anonymous.
Design: docs/orchestration.md#trends-view
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, ConfigDict

from trendstream.core.settings import Settings
from trendstream.orchestration import trends_data as data
from trendstream.orchestration import trends_pages as pages
from trendstream.trends.search import HASHTAG, Hit, NoPostsYet, search_posts

SettingsProvider = Callable[[], Settings]
Search = Callable[[Settings, str, int, datetime | None, str | None], list[Hit]]
# The vendored browser scripts the page loads (web/package.json; scripts/setup.sh installs them).
VENDOR_FILES = {
    "vega.min.js": "vega/build/vega.min.js",
    "vega-lite.min.js": "vega-lite/build/vega-lite.min.js",
    "vega-embed.min.js": "vega-embed/build/vega-embed.min.js",
}
MAX_K = 100
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated (no Airflow token)"},
    403: {"description": "The token is invalid or expired"},
}


class Open(BaseModel):
    """Snapshot data: the listed fields always, the trend engine's newer ones passed through."""

    model_config = ConfigDict(extra="allow")


class SnapshotSummary(Open):
    key: str
    snapshot_at: str
    window: dict[str, str]
    trend_count: int
    top: list[str]
    report: str | None


class TrendSummary(Open):
    trend_id: str
    name: str
    status: str
    posts: int
    growth: float
    score: float
    engagement: float
    keywords: list[str]
    hashtags: list[str]
    timeline: list[int]


class Snapshot(Open):
    key: str
    snapshot_at: str
    window: dict[str, str]
    trends: list[TrendSummary]
    viral: list[dict[str, Any]]
    suppressed: list[dict[str, Any]]


class HistoryPoint(BaseModel):
    snapshot_at: str
    key: str
    posts: int
    score: float
    status: str


class TrendDetail(TrendSummary):
    snapshot: str
    snapshot_at: str
    window: dict[str, str]
    representatives: list[dict[str, str]]
    history: list[HistoryPoint]
    viral: list[dict[str, Any]]


class SearchHit(BaseModel):
    id: str
    score: float
    created_at: int | None
    author_id: str
    hashtags: list[str]
    text: str


Key = Annotated[str | None, Query(pattern=data.SNAPSHOT_KEY.pattern, description="snapshot key")]
Q = Annotated[str, Query(min_length=1, max_length=500, description="free text")]
K = Annotated[int, Query(ge=1, le=MAX_K, description="how many posts")]
Since = Annotated[datetime | None, Query(description="only posts created at or after (ISO)")]
Tag = Annotated[str | None, Query(pattern=HASHTAG.pattern, description="only posts tagged so")]


def _inside(root: Path, relative: str) -> Path:
    """``root/relative`` if it is a file inside ``root`` (no ``..`` escapes), else 404."""
    target = (root / relative).resolve()
    if not target.is_file() or not target.is_relative_to(root.resolve()):
        raise HTTPException(status_code=404, detail="not found")
    return target


def create_app(
    settings: SettingsProvider,
    auth: Callable[..., Any],
    vendor_dir: Path,
    search: Search = search_posts,
) -> FastAPI:
    """The view's app; every route depends on ``auth``. ``vendor_dir`` holds the npm packages
    of ``VENDOR_FILES``; ``search`` finds posts (Milvus, by default)."""
    app = FastAPI(
        title="trendstream trends",
        description="Trends detected in the stream, their timelines, and semantic post search.",
        dependencies=[Depends(auth)],
        responses=AUTH_RESPONSES,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served below, behind ``auth`` like everything else
    )

    def reports() -> Path:
        return settings().paths.reports_dir

    def run_search(q: str, k: int, since: datetime | None, hashtag: str | None) -> list[dict]:
        from trendstream.vectorstore.retry import MilvusUnavailable

        try:
            return [h.to_dict() for h in search(settings(), q, k, since, hashtag)]
        except NoPostsYet:
            return []
        except MilvusUnavailable as exc:
            raise HTTPException(status_code=503, detail=f"Milvus is unavailable: {exc}") from None

    # --- pages ---------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, at: Key = None) -> str:
        found = data.load_snapshot(reports(), at)
        if found is None and at is not None:
            raise HTTPException(status_code=404, detail=f"no snapshot {at}")
        key, payload = found or (None, None)
        trends = data.ranked_trends(payload) if payload else []
        return pages.index_page(
            _base(request), key, payload, trends, data.snapshot_summaries(reports())
        )

    @app.get("/trend/{trend_id}", response_class=HTMLResponse, include_in_schema=False)
    def trend(request: Request, trend_id: str, at: Key = None) -> str:
        detail = _trend_or_404(reports(), trend_id, at)
        return pages.trend_page(_base(request), detail, data.timeline_spec(detail))

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_html(request: Request, q: Q, k: K = 20, hashtag: str = "") -> str:
        tag = hashtag.strip() or None
        if tag is not None and not HASHTAG.fullmatch(tag):
            return pages.search_page(_base(request), q, hashtag, [], "Not a hashtag.")
        try:
            hits, error = run_search(q, k, None, tag), ""
        except HTTPException as exc:
            hits, error = [], str(exc.detail)
        return pages.search_page(_base(request), q, hashtag, hits, error)

    @app.get("/quality/", include_in_schema=False)
    def quality_index(request: Request) -> Any:
        index_html = settings().paths.data_docs_dir / "index.html"
        if index_html.is_file():
            return FileResponse(index_html)
        return HTMLResponse(pages.quality_missing_page(_base(request)))

    @app.get("/quality/{relative:path}", include_in_schema=False)
    def quality_file(relative: str) -> FileResponse:
        return FileResponse(_inside(settings().paths.data_docs_dir, relative))

    @app.get("/reports/{relative:path}", include_in_schema=False)
    def report(relative: str) -> FileResponse:
        return FileResponse(_inside(reports(), relative))

    @app.get("/static/{name}", include_in_schema=False)
    def vendored(name: str) -> FileResponse:
        if name not in VENDOR_FILES:
            raise HTTPException(status_code=404, detail="not found")
        path = vendor_dir / VENDOR_FILES[name]
        if not path.is_file():
            raise HTTPException(
                status_code=404, detail=f"{name} is not installed: run scripts/setup.sh (npm)"
            )
        return FileResponse(path, media_type="text/javascript")

    # --- JSON API ------------------------------------------------------------------------

    @app.get("/openapi.json", include_in_schema=False)
    def openapi() -> dict[str, Any]:
        return app.openapi()

    @app.get("/api/snapshots", response_model=list[SnapshotSummary], tags=["snapshots"])
    def snapshots() -> list[dict[str, Any]]:
        """Stored snapshots, newest first."""
        return data.snapshot_summaries(reports())

    @app.get(
        "/api/snapshots/{key}",
        response_model=Snapshot,
        tags=["snapshots"],
        responses={404: {"description": "No such snapshot"}},
    )
    def snapshot(key: str) -> dict[str, Any]:
        """One snapshot: its window and its trends ranked, plus viral posts and suspected
        coordination (``suppressed``) when detected."""
        found = data.load_snapshot(reports(), key)
        if found is None:
            raise HTTPException(status_code=404, detail=f"no snapshot {key}")
        key, payload = found
        return {
            "key": key,
            "snapshot_at": str(payload.get("snapshot_at", "")),
            "window": payload.get("window") or {},
            "trends": data.ranked_trends(payload),
            "viral": list(payload.get("viral") or ()),
            "suppressed": list(payload.get("suppressed") or ()),
        }

    @app.get(
        "/api/trends",
        response_model=list[TrendSummary],
        tags=["trends"],
        responses={404: {"description": "No such snapshot"}},
    )
    def trends(at: Key = None) -> list[dict[str, Any]]:
        """The trends of snapshot ``at`` (default: the newest), highest score first."""
        found = data.load_snapshot(reports(), at)
        if found is None:
            if at is not None:
                raise HTTPException(status_code=404, detail=f"no snapshot {at}")
            return []
        return data.ranked_trends(found[1])

    @app.get(
        "/api/trends/{trend_id}",
        response_model=TrendDetail,
        tags=["trends"],
        responses={404: {"description": "No such trend in the stored snapshots"}},
    )
    def trend_json(trend_id: str, at: Key = None) -> dict[str, Any]:
        """One trend as of snapshot ``at`` with its history across the stored snapshots."""
        return _trend_or_404(reports(), trend_id, at)

    @app.get(
        "/api/search",
        response_model=list[SearchHit],
        tags=["search"],
        responses={503: {"description": "Milvus is unavailable"}},
    )
    def search_json(q: Q, k: K = 10, since: Since = None, hashtag: Tag = None) -> list[dict]:
        """The ``k`` stored posts nearest in meaning to ``q``, nearest first."""
        return run_search(q, k, since, hashtag)

    return app


def _trend_or_404(reports_dir: Path, trend_id: str, at: str | None) -> dict[str, Any]:
    detail = data.trend_detail(reports_dir, trend_id, at)
    if detail is None:
        raise HTTPException(status_code=404, detail=f"no trend {trend_id}")
    return detail


def _base(request: Request) -> str:
    """Where the app is mounted (``/trends`` inside Airflow): links are absolute from it."""
    return str(request.scope.get("root_path", "")).rstrip("/")
