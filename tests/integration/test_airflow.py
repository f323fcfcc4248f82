"""Airflow end to end: REST auth, a triggered DAG run, the Trends view, DAG test runs on real
services, and the supervisor bringing back a ``kill -9``-ed stream job with nothing lost.

Airflow starts once per session (``airflow_platform``); the stream, its topics and its Milvus
collection are private to this module. Slow by nature (Spark start-up, Airflow task
processes): the whole module is marked ``integration``.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.sandbox import isolated_settings
from tests.support.subprocess_json import run_python_json
from trendstream.core.settings import Settings
from trendstream.orchestration import local_job
from trendstream.orchestration.airflow_api import AirflowApiError, AirflowClient
from trendstream.orchestration.supervisor import Action, stop_supervised_job, supervise_once
from trendstream.platform.airflow import airflow_env, airflow_url, credentials
from trendstream.stream.heartbeat import Heartbeat

pytestmark = pytest.mark.integration

STREAM_TIMEOUT_S = 600  # Spark start-up + first encode; minutes when the machine is overloaded


def wait_for(what: str, predicate: Callable[[], object], timeout_s: float, interval_s: float = 2.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


# --- REST and the Trends view -------------------------------------------------------------


@pytest.fixture(scope="module")
def api(airflow_platform: Settings) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=airflow_url(airflow_platform), timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def token(airflow_platform: Settings, api: httpx.Client) -> str:
    login = credentials(airflow_platform)
    response = api.post(
        "/auth/token", json={"username": login.username, "password": login.password}
    )
    assert response.status_code == 201, response.text
    return response.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_rest_api_refuses_anonymous_and_wrong_tokens(api: httpx.Client, token: str) -> None:
    assert api.get("/api/v2/dags").status_code == 401
    assert api.get("/api/v2/dags", headers=bearer("not-a-jwt")).status_code in (401, 403)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert api.get("/api/v2/dags", headers=bearer(forged)).status_code in (401, 403)
    assert (
        api.post("/api/v2/dags/trend_snapshot/dagRuns", json={"logical_date": None}).status_code
        == 401
    )
    bad_login = api.post("/auth/token", json={"username": "admin", "password": "wrong"})
    assert bad_login.status_code in (401, 403)


def test_our_dags_are_loaded_without_import_errors(api: httpx.Client, token: str) -> None:
    wanted = {"stream_supervisor", "milvus_maintenance", "data_quality", "trend_snapshot"}

    def loaded() -> set[str]:
        dags = api.get("/api/v2/dags", params={"limit": 100}, headers=bearer(token)).json()["dags"]
        return wanted & {d["dag_id"] for d in dags} == wanted

    wait_for("the DAG processor to load our DAGs", loaded, 120)
    errors = api.get("/api/v2/importErrors", headers=bearer(token)).json()
    assert errors["total_entries"] == 0, errors


def test_trigger_trend_snapshot_over_rest_and_see_it_in_the_trends_view(
    airflow_platform: Settings, api: httpx.Client, token: str
) -> None:
    test_our_dags_are_loaded_without_import_errors(api, token)
    auth = bearer(token)
    login = credentials(airflow_platform)
    with AirflowClient(login.url, login.username, login.password) as client:
        # The params' schemas are checked before a run exists: bad values are refused.
        for bad in ({"window_minutes": -5}, {"at": "yesterday"}):
            with pytest.raises(AirflowApiError, match=r": 400 .*" + next(iter(bad))):
                client.trigger("trend_snapshot", bad)
        with pytest.raises(AirflowApiError, match=": 400 "):
            client.trigger("stream_supervisor", {"from_offsets": {"0": -1}})
        client.set_paused("trend_snapshot", False)
        try:
            run_id = client.trigger(
                "trend_snapshot", {"window_minutes": 5, "at": datetime.now(UTC).isoformat()}
            )
            started = time.monotonic()
            assert client.wait("trend_snapshot", run_id, timeout_s=300) == "success"
        finally:
            client.set_paused("trend_snapshot", True)
    print(f"\ntrend_snapshot REST-triggered run finished in {time.monotonic() - started:.0f}s")

    # The Trends view: refused without Airflow auth, served with it, lists the new report.
    assert api.get("/trends/").status_code == 401
    assert api.get("/trends/", headers=bearer("not-a-jwt")).status_code == 403
    assert (
        api.get("/trends/api/snapshots", headers={"Cookie": "_token=not-a-jwt"}).status_code == 403
    )
    page = api.get("/trends/", headers=auth)
    assert page.status_code == 200 and "Data quality" in page.text
    snapshots = api.get("/trends/api/snapshots", headers=auth).json()
    assert snapshots, "the triggered snapshot is listed"
    report = api.get(
        f"/trends/reports/{snapshots[0]['report']}", headers={"Cookie": f"_token={token}"}
    )
    assert report.status_code == 200 and "<html" in report.text.lower()
    assert api.get("/trends/reports/..%2Fairflow%2Fsecrets.json", headers=auth).status_code == 404
    plugins = api.get("/api/v2/plugins", headers=auth).json()["plugins"]
    ours = next(p for p in plugins if p["name"] == "trendstream")
    assert ours["external_views"][0]["href"] == "/trends/"


# --- the stream under the supervisor ------------------------------------------------------


def produce_tweets(settings: Settings, minutes: float, rate: float, seed: int) -> set[str]:
    from trendstream.kafka.producer import IdempotentProducer
    from trendstream.sources.generator import GeneratorConfig, generate_stream

    start = datetime.now(UTC) - timedelta(minutes=minutes + 1)
    stream = generate_stream(GeneratorConfig(seed=seed, minutes=minutes, rate=rate, start=start))
    ids = set()
    with IdempotentProducer(settings) as producer:
        for line in stream.tweets:
            tweet_id = json.loads(line)["data"]["id"]
            producer.produce(settings.kafka.tweets_topic, line, tweet_id)
            ids.add(tweet_id)
    return ids


def milvus_rows(settings: Settings, ids: set[str]) -> tuple[int, set[str]]:
    """(rows in the collection, which of ``ids`` it holds): duplicates would show as extra rows."""
    from trendstream.vectorstore.store import TweetStore

    with TweetStore.connect(settings) as store:
        if not store.exists():
            return 0, set()
        found = {row["id"] for row in store.get_by_ids(sorted(ids), output_fields=["id"])}
        return store.count(), found


@pytest.fixture(scope="module")
def stream(airflow_platform: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A private stream: topics, tweets produced, the job launched by the supervisor and caught
    up."""
    from trendstream.kafka.admin import ensure_topics

    settings = isolated_settings(
        airflow_platform,
        tmp_path_factory.mktemp("stream-state"),
        stream={"trigger_seconds": 1.0},
    )
    saved = dict(os.environ)
    os.environ.update(settings.env())
    ensure_topics(settings)
    produced = produce_tweets(settings, minutes=0.5, rate=5, seed=1)
    report = supervise_once(settings)
    assert report.decision.action is Action.LAUNCH, report.as_dict()
    state = {"settings": settings, "produced": produced}
    try:
        wait_for(
            "the first tweets in Milvus",
            lambda: milvus_rows(settings, produced)[0] >= len(produced),
            STREAM_TIMEOUT_S,
            3,
        )
        yield state
    finally:
        stop_supervised_job(settings)
        os.environ.clear()
        os.environ.update(saved)
        assert local_job.running_job(settings) == (None, None)


def test_supervisor_restarts_a_killed_job_and_nothing_is_lost(stream: dict) -> None:
    settings: Settings = stream["settings"]
    before_pid, _ = local_job.running_job(settings)
    assert before_pid is not None
    assert supervise_once(settings).decision.action is Action.NONE  # healthy: adopted, left alone
    stream["produced"] |= produce_tweets(settings, minutes=0.5, rate=5, seed=2)
    time.sleep(3)  # let it start on the new tweets, then kill it mid-stream
    os.kill(before_pid, signal.SIGKILL)  # the driver JVM (the job's process)
    killed_at = time.monotonic()

    def restarted():
        report = supervise_once(settings)
        return report if report.decision.action is Action.RESTART else None

    report = wait_for("the supervisor to restart the job", restarted, 60, 1)
    detected_s = time.monotonic() - killed_at
    assert report.health.state.value == "dead" and report.pid != before_pid

    def caught_up() -> bool:
        hb = Heartbeat.read(settings.paths.heartbeat_file)
        return (
            hb is not None
            and hb.pid is not None
            and milvus_rows(settings, produced)[0] >= len(produced)
        )

    produced = stream["produced"]
    wait_for("the restarted job to catch up", caught_up, STREAM_TIMEOUT_S, 3)
    recovered_s = time.monotonic() - killed_at
    rows, found = milvus_rows(settings, produced)
    lost, duplicated = len(produced - found), rows - len(found)
    print(
        f"\nsupervisor: detected the kill in {detected_s:.1f}s, "
        f"caught up {recovered_s:.1f}s after it; "
        f"produced {len(produced)}, in Milvus {rows}, lost {lost}, duplicated {duplicated}"
    )
    assert lost == 0 and duplicated == 0
    assert local_job.running_job(settings)[0] == report.pid


_DAG_TEST = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag()
states = {dag_id: str(bag.get_dag(dag_id).test().state) for dag_id in sys.argv[1:]}
print("@@" + json.dumps(states))
"""


@pytest.fixture(scope="module")
def dag_test_states(airflow_platform: Settings, stream: dict) -> dict[str, str]:
    """``dag.test()`` of stream_supervisor, data_quality and milvus_maintenance (one process:
    Airflow imports once), with this module's stream settings, while the stream job runs."""
    settings: Settings = stream["settings"]
    env = {**os.environ, **airflow_env(airflow_platform), **settings.env()}
    return run_python_json(
        _DAG_TEST,
        ["stream_supervisor", "data_quality", "milvus_maintenance"],
        env,
        timeout=400,
    )


def test_dag_test_stream_supervisor_adopts_the_running_job(
    stream: dict, dag_test_states: dict
) -> None:
    settings: Settings = stream["settings"]
    assert dag_test_states["stream_supervisor"] == "success"
    last = json.loads(settings.paths.supervisor_state_file.read_text())["last"]
    assert last["action"] == "none" and last["pid"] == local_job.running_job(settings)[0]


def test_dag_test_data_quality_passes_on_the_streamed_data(
    stream: dict, dag_test_states: dict
) -> None:
    settings: Settings = stream["settings"]
    assert dag_test_states["data_quality"] == "success"
    results = {
        p.parent.name: json.loads(p.read_text())
        for p in settings.paths.quality_dir.glob("*/latest.json")
    }
    assert {name: doc["success"] for name, doc in results.items()} == {
        "analytics": True,
        "vectors": True,
        "stream": True,
    }
    assert results["vectors"]["batch"]["rows"] > 0 and results["analytics"]["rows"] > 0
    # The user's view: the Data Docs site lists each suite's run, linking GE's pages.
    index = (settings.paths.data_docs_dir / "index.html").read_text()
    for suite in ("analytics", "vectors", "stream"):
        assert f"validations/{suite}/" in index
    assert next(settings.paths.data_docs_dir.glob("validations/vectors/**/*.html")).is_file()


def test_dag_test_milvus_maintenance_runs_while_the_stream_writes(
    stream: dict, dag_test_states: dict
) -> None:
    settings: Settings = stream["settings"]
    assert dag_test_states["milvus_maintenance"] == "success"
    records = [
        json.loads(line) for line in settings.paths.milvus_stats_file.read_text().splitlines()
    ]
    assert [r["step"] for r in records] == ["flush", "ttl_delete", "compact", "index", "stats"]
    rows, found = milvus_rows(settings, stream["produced"])
    assert records[-1]["row_count"] == rows == len(found) == len(stream["produced"])


_HOOK = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from hooks.milvus_hook import MilvusHook
hook = MilvusHook("milvus_test")
ok, message = hook.test_connection()
with hook.get_store() as store:
    store_answers = {"uri": store.milvus.uri, "has_collection": store.exists()}
print("@@" + json.dumps({"ok": ok, "message": message, "params": hook.connection_params(),
                          "uri": hook.settings().milvus.uri, "store": store_answers}))
"""


def test_milvus_hook_connects_with_an_env_defined_connection(airflow_platform: Settings) -> None:
    host, port = airflow_platform.milvus.uri.removeprefix("http://").split(":")
    env = {
        **os.environ,
        **airflow_env(airflow_platform),
        "AIRFLOW_CONN_MILVUS_TEST": json.dumps(
            {"conn_type": "milvus", "host": host, "port": int(port), "schema": "default"}
        ),
    }
    plugins = Path(__file__).resolve().parents[2] / "plugins"
    answer = run_python_json(_HOOK, [str(plugins)], env)
    assert answer["ok"], answer["message"]
    assert answer["params"] == {
        "uri": airflow_platform.milvus.uri,
        "token": "",
        "db_name": "default",
    }
    assert answer["uri"] == airflow_platform.milvus.uri
    # The store the hook hands out is connected through the same connection (a real round trip).
    assert answer["store"]["uri"] == airflow_platform.milvus.uri
    assert isinstance(answer["store"]["has_collection"], bool)
