"""Scenario 6: no one let in — tokens Airflow must refuse, and loopback-only services.

``tests/integration/test_airflow.py`` already shows that the REST API and the Trends view
refuse anonymous requests, garbage tokens and a token with a tampered signature. Added
here: a token that was genuinely issued by this Airflow (signed with its real JWT secret,
same claims) but has *expired*, one signed with a *different* secret, and one that claims
``alg: none``. Then every process of the platform (broker, Milvus, the Airflow components
and everything they forked) must listen on loopback addresses only. The stream job's own
sockets are checked in ``test_milvus_outage.py`` while it runs; secrets in logs and files
in ``test_bad_input.py`` (the run with sentinel tokens).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import httpx
import jwt
import psutil
import pytest

from tests.support.reliability_harness import LOOPBACK, listening_sockets
from trendstream.core.settings import Settings
from trendstream.platform import process, services
from trendstream.platform.airflow import airflow_url, credentials

pytestmark = pytest.mark.integration

REFUSED = (401, 403)


@pytest.fixture(scope="module")
def api(airflow_platform: Settings) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=airflow_url(airflow_platform), timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def issued(airflow_platform: Settings, api: httpx.Client) -> tuple[str, dict, dict]:
    """A real token from /auth/token, its header and its claims."""
    login = credentials(airflow_platform)
    response = api.post(
        "/auth/token", json={"username": login.username, "password": login.password}
    )
    assert response.status_code in (200, 201), response.text
    token = response.json()["access_token"]
    return (
        token,
        jwt.get_unverified_header(token),
        jwt.decode(token, options={"verify_signature": False}),
    )


def _secret(settings: Settings) -> str:
    return json.loads((settings.paths.airflow_home / "secrets.json").read_text())["jwt_secret"]


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_expired_foreign_and_unsigned_tokens_are_refused(airflow_platform, api, issued, counts):
    token, header, claims = issued
    alg, now = header["alg"], int(time.time())
    expired = jwt.encode(
        {**claims, "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600},
        _secret(airflow_platform),
        algorithm=alg,
        headers=header,
    )
    foreign = jwt.encode(
        {**claims, "iat": now, "nbf": now, "exp": now + 3600},
        "not-the-secret-" * 4,
        algorithm=alg,
        headers=header,
    )
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**claims, 'exp': now + 3600})}."
    answers = {}
    for name, candidate in (
        ("issued", token),
        ("expired", expired),
        ("foreign", foreign),
        ("alg-none", unsigned),
    ):
        bearer = {"Authorization": f"Bearer {candidate}"}
        answers[name] = {
            "rest": api.get("/api/v2/dags", headers=bearer).status_code,
            "trigger": api.post(
                "/api/v2/dags/trend_snapshot/dagRuns", headers=bearer, json={"logical_date": None}
            ).status_code
            if name != "issued"
            else None,
            "trends-view": api.get(
                "/trends/api/snapshots", headers={"Cookie": f"_token={candidate}"}
            ).status_code,
        }
    counts(algorithm=alg, answers=answers)
    assert (
        answers["issued"]["rest"] == 200 and answers["issued"]["trends-view"] == 200
    )  # the control
    for name in ("expired", "foreign", "alg-none"):
        assert all(code in REFUSED for code in answers[name].values()), (name, answers[name])


def test_every_platform_process_listens_on_loopback_only(airflow_platform, counts):
    procs: list[psutil.Process] = []
    for name in ("broker", "milvus", "airflow"):
        for spec in services.service_specs(airflow_platform, name):
            pid, _ = process.running_pid(spec)
            assert pid is not None, f"{spec.name} is not running"
            root = psutil.Process(pid)
            procs += [root, *root.children(recursive=True)]
    sockets = listening_sockets(procs)
    counts(
        processes=len(procs),
        listening=sorted({(name.split("/")[-1][:40], ip, port) for name, _, ip, port in sockets}),
    )
    assert sockets, "found no listening sockets at all: the check would prove nothing"
    outside = [s for s in sockets if s[2] not in LOOPBACK]
    assert not outside, f"listening beyond loopback: {outside}"
