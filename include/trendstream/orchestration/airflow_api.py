"""A small client for Airflow's REST API: log in, unpause, trigger, wait — over HTTP only.

Design: docs/orchestration.md#airflow-api-client
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

FINISHED = ("success", "failed")


class AirflowApiError(RuntimeError):
    """An unexpected answer from Airflow's REST API."""


class AirflowClient:
    def __init__(self, url: str, username: str, password: str, timeout_s: float = 30.0) -> None:
        self._http = httpx.Client(base_url=url, timeout=timeout_s)
        response = self._http.post("/auth/token", json={"username": username, "password": password})
        if response.status_code not in (200, 201):
            raise AirflowApiError(
                f"login to {url} as {username!r} failed: "
                f"{response.status_code} {response.text[:200]}"
            )
        self.token = response.json()["access_token"]
        self._http.headers["Authorization"] = f"Bearer {self.token}"

    def __enter__(self) -> AirflowClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise AirflowApiError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    def dag_ids(self) -> set[str]:
        return {
            d["dag_id"] for d in self._call("GET", "/api/v2/dags", params={"limit": 1000})["dags"]
        }

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self._call("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": paused})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """Start a run now; returns its run id."""
        body = {
            "logical_date": None,
            "dag_run_id": f"api__{uuid.uuid4().hex[:12]}",
            "conf": conf or {},
        }
        return self._call("POST", f"/api/v2/dags/{dag_id}/dagRuns", json=body)["dag_run_id"]

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self._call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def wait(
        self, dag_id: str, run_id: str, timeout_s: float = 300.0, interval_s: float = 3.0
    ) -> str:
        """Poll until the run succeeds or fails; returns the final state."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            if state in FINISHED:
                return state
            time.sleep(interval_s)
        raise AirflowApiError(f"{dag_id} run {run_id} did not finish within {timeout_s:.0f}s")
