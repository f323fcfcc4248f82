"""The Trends view app on files: every route behind the given auth, no path escapes."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import Header, HTTPException
from fastapi.testclient import TestClient

from trendstream.core.settings import Settings
from trendstream.orchestration.trends_view import create_app


def only_with_token(authorization: str = Header(default="")) -> None:
    if authorization != "Bearer good":
        raise HTTPException(status_code=401, detail="Not authenticated")


def test_view_lists_snapshots_serves_reports_and_requires_auth(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    reports = settings.paths.reports_dir
    reports.mkdir(parents=True)
    for key in ("20261121T100000Z", "20261121T100500Z"):
        (reports / f"snapshot-{key}.html").write_text(f"<html>{key}</html>")
        (reports / f"snapshot-{key}.json").write_text("{}")
    (reports / "index.html").write_text("<html>index</html>")
    (tmp_path / "secret.txt").write_text("no")
    (tmp_path / "quality" / "vectors").mkdir(parents=True)
    (tmp_path / "quality" / "vectors" / "latest.json").write_text(json.dumps({"success": False}))

    client = TestClient(create_app(lambda: settings, only_with_token))
    auth = {"Authorization": "Bearer good"}
    for path in (
        "/",
        "/api/snapshots",
        "/reports/snapshot-20261121T100000Z.html",
        "/quality/vectors/latest.json",
    ):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=auth).status_code == 200, path
    names = [s["name"] for s in client.get("/api/snapshots", headers=auth).json()]
    assert sorted(names) == ["snapshot-20261121T100000Z", "snapshot-20261121T100500Z"]
    page = client.get("/", headers=auth).text
    assert "snapshot-20261121T100500Z" in page and "❌" in page and "vectors" in page
    assert client.get("/reports/..%2Fsecret.txt", headers=auth).status_code == 404
    assert client.get("/reports/missing.html", headers=auth).status_code == 404
