"""The Trends view served inside the Airflow UI: snapshot list, latest report, quality results.

A plain FastAPI app; the plugin passes Airflow's authentication in, so nothing is anonymous.
Design: docs/orchestration.md#trends-view
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from trendstream.core.settings import Settings

SettingsProvider = Callable[[], Settings]


def list_snapshots(reports_dir: Path) -> list[dict[str, Any]]:
    """Snapshot reports, newest first: each HTML report with its JSON twin when present."""
    if not reports_dir.is_dir():
        return []
    reports = [p for p in reports_dir.rglob("*.html") if p.name != "index.html"]
    out = []
    for path in sorted(reports, key=lambda p: (p.stat().st_mtime, p.name), reverse=True):
        twin = path.with_suffix(".json")
        out.append(
            {
                "name": path.stem,
                "html": path.relative_to(reports_dir).as_posix(),
                "json": twin.relative_to(reports_dir).as_posix() if twin.exists() else None,
                "modified": path.stat().st_mtime,
            }
        )
    return out


def list_quality_results(quality_dir: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(quality_dir.glob("*/latest.json")):
        try:
            document = json.loads(path.read_text())
        except ValueError:
            continue
        out.append(
            {
                "suite": path.parent.name,
                "success": document.get("success"),
                "file": path.relative_to(quality_dir).as_posix(),
            }
        )
    return out


def _inside(root: Path, relative: str) -> Path:
    """``root/relative`` if it is a file inside ``root`` (no ``..`` escapes), else 404."""
    target = (root / relative).resolve()
    if not target.is_file() or not target.is_relative_to(root.resolve()):
        raise HTTPException(status_code=404, detail="not found")
    return target


def create_app(settings: SettingsProvider, auth: Callable[..., Any]) -> FastAPI:
    """The view's app; every route depends on ``auth``."""
    app = FastAPI(
        title="trendstream trends", dependencies=[Depends(auth)], docs_url=None, redoc_url=None
    )

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        s = settings()
        return _page(list_snapshots(s.paths.reports_dir), list_quality_results(s.paths.quality_dir))

    @app.get("/api/snapshots")
    def snapshots() -> list[dict[str, Any]]:
        return list_snapshots(settings().paths.reports_dir)

    @app.get("/reports/{relative:path}")
    def report(relative: str) -> FileResponse:
        return FileResponse(_inside(settings().paths.reports_dir, relative))

    @app.get("/quality/{relative:path}")
    def quality(relative: str) -> FileResponse:
        return FileResponse(_inside(settings().paths.quality_dir, relative))

    return app


def _page(snapshots: list[dict[str, Any]], quality: list[dict[str, Any]]) -> str:
    items = (
        "".join(
            f'<li><a href="reports/{html.escape(s["html"])}" target="report">'
            f"{html.escape(s['name'])}</a>"
            + (f' (<a href="reports/{html.escape(s["json"])}">json</a>)' if s["json"] else "")
            + "</li>"
            for s in snapshots
        )
        or "<li>No snapshots yet: trigger the <code>trend_snapshot</code> DAG.</li>"
    )
    checks = (
        "".join(
            f'<li>{"✅" if q["success"] else "❌"} <a href="quality/{html.escape(q["file"])}">'
            f"{html.escape(q['suite'])}</a></li>"
            for q in quality
        )
        or "<li>No quality results yet.</li>"
    )
    latest = (
        f'<iframe name="report" src="reports/{html.escape(snapshots[0]["html"])}" '
        'style="width:100%;height:80vh;border:1px solid #ccc"></iframe>'
        if snapshots
        else ""
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Trends</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1rem}"
        "nav{display:flex;gap:3rem}ul{max-height:12rem;overflow:auto}</style></head><body>"
        "<h1>Trends</h1><nav><section><h2>Snapshots</h2><ul>"
        f"{items}</ul></section><section><h2>Data quality</h2><ul>{checks}</ul></section></nav>"
        f"<h2>Latest report</h2>{latest}</body></html>"
    )
