"""The Trends JSON API against its own OpenAPI schema, checked by schemathesis on a live server
(uvicorn on a free port, over a tiny snapshot set): every generated request gets a documented
status, content type and body shape, and never a server error."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
import uvicorn
from fastapi import HTTPException, Request
from hypothesis import HealthCheck, given, settings

from tests.support.trend_snapshots import T0, write_snapshot_set
from trendstream.core.settings import Settings
from trendstream.orchestration.trends_view import create_app
from trendstream.trends.search import Hit

TOKEN = "schemathesis"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def bearer_only(request: Request) -> None:
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        raise HTTPException(status_code=401, detail="Not authenticated")


def nearest(settings: Settings, q: str, k: int, since, hashtag) -> list[Hit]:
    """Stands in for Milvus search (the browser test searches the real one)."""
    return [Hit(str(i), 1.0 - i / 10, 1764669600000, q, "7", ("eclipse",)) for i in range(k)][:3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = Settings(state_dir=tmp_path_factory.mktemp("api-state"))
    write_snapshot_set(state.paths.reports_dir, T0)
    app = create_app(lambda: state, bearer_only, Path("/nonexistent"), nearest)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.config.port}"
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield url
    server.should_exit = True
    thread.join(10)


def test_api_conforms_to_its_schema(live_url: str) -> None:
    assert httpx.get(f"{live_url}/openapi.json").status_code == 401  # the schema is private too
    schema = schemathesis.openapi.from_url(f"{live_url}/openapi.json", headers=AUTH)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} == {
        "/api/snapshots",
        "/api/snapshots/{key}",
        "/api/trends",
        "/api/trends/{trend_id}",
        "/api/search",
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def conforms(case) -> None:
            case.call_and_validate(base_url=live_url, headers=AUTH)

        conforms()
