"""The real platform services through the ``trendstream platform`` command and the library."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from trendstream.cli.platform import platform as platform_command
from trendstream.core.settings import Settings, get_settings
from trendstream.kafka.admin import TopicSpec, ensure_topics
from trendstream.platform import process, services
from trendstream.platform.broker import kafka_healthy
from trendstream.platform.environment import settings_env
from trendstream.platform.milvus import milvus_healthy
from trendstream.platform.process import PlatformError, port_in_use

pytestmark = pytest.mark.integration

CLI = [str(Path(sys.executable).parent / "trendstream"), "platform"]


def cli(*args: str) -> Result:
    """``trendstream platform ARGS`` in-process, with the settings the test exported."""
    get_settings.cache_clear()
    return CliRunner().invoke(platform_command, list(args))


def cli_subprocess(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a child process that gets ``settings`` only through its env."""
    return subprocess.run(
        [*CLI, *args], env=settings_env(settings), capture_output=True, text=True, timeout=300
    )


def status_json(*args: str) -> tuple[int, dict]:
    result = cli("status", "--json", *args)
    return result.exit_code, json.loads(result.stdout)


def pids(report: dict) -> dict[str, int]:
    return {s["name"]: s["pid"] for s in report["services"]}


def wait_until_gone(pid: int, port: int, timeout_s: float = 10.0) -> None:
    """A SIGKILLed process lingers a moment (and as a zombie until reaped); a JVM's other
    threads, which hold its listening socket, end a little after its main thread."""
    deadline = time.monotonic() + timeout_s
    while (process.pid_alive(pid) or port_in_use(port)) and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def sandbox(private_platform) -> Settings:
    return private_platform()


def test_fixture_settings_are_isolated_and_exported(settings: Settings, platform: Settings) -> None:
    assert get_settings() == settings
    assert settings.kafka.bootstrap_servers == platform.kafka.bootstrap_servers
    assert settings.kafka.tweets_topic != platform.kafka.tweets_topic
    assert settings.kafka.dead_letter_topic == f"{settings.kafka.tweets_topic}.dlq"
    assert settings.milvus.collection != platform.milvus.collection
    assert settings.state_dir.is_dir() and settings.state_dir != platform.state_dir
    # One probe can time out while earlier tests' Spark jobs still load the box; a service
    # that stays unreachable for 30 s is a real failure.
    deadline = time.monotonic() + 30
    while not (kafka_healthy(settings.kafka.bootstrap_servers) and milvus_healthy(settings)):
        assert time.monotonic() < deadline, "the shared broker/Milvus stayed unreachable for 30 s"
        time.sleep(1)


def test_up_status_down_round_trip(sandbox: Settings) -> None:
    up = cli("up", "--services", "broker,milvus")
    assert up.exit_code == 0, up.output
    # A separate process that only has the env sees the same platform.
    child = cli_subprocess(sandbox, "status", "--json")
    assert child.returncode == 0, child.stderr
    report = json.loads(child.stdout)
    assert report["healthy"] is True
    assert [s["name"] for s in report["services"]] == ["broker", "milvus"]
    assert kafka_healthy(sandbox.kafka.bootstrap_servers) and milvus_healthy(sandbox)

    again = cli("up", "--services", "broker,milvus")
    assert again.exit_code == 0, again.output
    assert pids(status_json()[1]) == pids(report), "a second `up` must not restart anything"

    logs = cli("logs", "broker", "-n", "1000")
    assert f"Awaiting socket connections on 127.0.0.1:{sandbox.broker.port}" in logs.stdout

    down = cli("down")
    assert down.exit_code == 0 and "broker" in down.stdout and "milvus" in down.stdout
    for pid in pids(report).values():
        assert (
            not Path(f"/proc/{pid}").exists()
            or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
        )
    assert not port_in_use(sandbox.broker.port)
    assert "nothing was running" in cli("down").stdout
    code, report = status_json("--services", "broker,milvus")
    assert code == 1 and report["healthy"] is False


def test_killed_service_is_reported_dead_and_up_restarts_it(sandbox: Settings) -> None:
    services.up(sandbox, ["broker"])
    (broker,) = services.status(sandbox, ["broker"])
    os.kill(broker.pid, signal.SIGKILL)
    wait_until_gone(broker.pid, sandbox.broker.port)
    result = cli("status", "--services", "broker")
    assert result.exit_code == 1
    (dead,) = services.status(sandbox, ["broker"])
    assert dead.stale_pid == broker.pid and not dead.running
    assert "dead" in result.stdout and str(broker.pid) in result.stdout
    (back,) = services.up(sandbox, ["broker"])
    assert back.healthy and back.pid != broker.pid


def test_port_in_use_is_a_clear_error(sandbox: Settings) -> None:
    import socket

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", sandbox.broker.port))
        squatter.listen()
        result = cli("up", "--services", "broker")
        assert result.exit_code == 1 and isinstance(
            result.exception, SystemExit
        )  # handled, no traceback
        assert f"port {sandbox.broker.port}" in result.stderr and "already in use" in result.stderr
        with pytest.raises(PlatformError, match="already in use"):
            services.up(sandbox, ["broker"])


def _consume_all(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False}
    )
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    values: list[bytes] = []
    try:
        for _ in range(60):
            for message in consumer.consume(num_messages=expected, timeout=0.5):
                if not message.error():
                    values.append(message.value())
            if len(values) >= expected:
                break
    finally:
        consumer.close()
    return values


def test_durable_broker_keeps_messages_across_restart(private_platform) -> None:
    from confluent_kafka import Producer

    durable = private_platform()
    topic, sent = "durable-check", [f"tweet-{i}".encode() for i in range(50)]
    statuses = services.up(durable, ["broker"])
    assert [s.name for s in statuses] == ["broker"] and services.all_healthy(statuses)
    ensure_topics(durable, [TopicSpec(topic, 1, {})])  # the broker auto-creates nothing
    producer = Producer(
        {"bootstrap.servers": durable.kafka.bootstrap_servers, "enable.idempotence": True}
    )
    for value in sent:
        producer.produce(topic, value=value, partition=0)
    assert producer.flush(15) == 0
    assert "broker" in services.down(durable, ["broker"])
    assert not port_in_use(durable.broker.port)
    services.up(durable, ["broker"])
    assert _consume_all(durable.kafka.bootstrap_servers, topic, len(sent)) == sent


@pytest.mark.slow
def test_airflow_comes_up_healthy_with_credentials(airflow_platform: Settings) -> None:
    code, report = status_json("--services", "airflow")
    assert code == 0 and report["healthy"] is True
    names = [s["name"] for s in report["services"]]
    assert names == [
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    ]
    login = report["airflow"]
    assert login["url"] == f"http://127.0.0.1:{airflow_platform.airflow.port}"
    assert login["username"] == "admin" and len(login["password"]) >= 12
    table = cli_subprocess(airflow_platform, "status", "--services", "airflow").stdout
    assert login["password"] in table

    token = httpx.post(
        f"{login['url']}/auth/token", json={"username": "admin", "password": login["password"]}
    )
    assert token.status_code == 201, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert httpx.get(f"{login['url']}/api/v2/dags", headers=bearer).status_code == 200
    wrong = httpx.post(
        f"{login['url']}/auth/token", json={"username": "admin", "password": "wrong"}
    )
    assert wrong.status_code == 401
    assert httpx.get(f"{login['url']}/api/v2/dags").status_code == 401
    scheduler = next(s for s in report["services"] if s["name"] == "airflow-scheduler")
    environ = Path(f"/proc/{scheduler['pid']}/environ").read_bytes().split(b"\0")
    expected = f"TRENDSTREAM_KAFKA__BOOTSTRAP_SERVERS={airflow_platform.kafka.bootstrap_servers}"
    assert expected.encode() in environ, "DAG tasks must see the platform's settings"


@pytest.mark.timeout(60)
def test_logs_follow_prints_new_lines(sandbox: Settings) -> None:
    log = sandbox.paths.log_file("broker")
    log.parent.mkdir(parents=True)
    log.write_text("old line\n")
    follower = subprocess.Popen(
        [*CLI, "logs", "broker", "-n", "5", "--follow"],
        env=settings_env(sandbox),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout.readline().strip() == "old line"
        with log.open("a") as handle:
            handle.write("appended while following\n")
        assert follower.stdout.readline().strip() == "appended while following"
    finally:
        follower.terminate()
        follower.wait(10)


def test_external_services_are_probed_not_started(platform: Settings, tmp_path: Path) -> None:
    from tests.support.sandbox import derive_settings

    external = derive_settings(
        platform, state_dir=tmp_path, broker={"enabled": False}, milvus={"embedded": "none"}
    )
    reachable = services.up(external, ["broker", "milvus"])
    assert [(s.name, s.managed, s.healthy, s.pid) for s in reachable] == [
        ("broker", False, True, None),
        ("milvus", False, True, None),
    ]
    assert not (tmp_path / "run" / "broker.pid").exists()
    gone = derive_settings(
        external, kafka={"bootstrap_servers": "127.0.0.1:9"}, milvus={"uri": "http://127.0.0.1:9"}
    )
    assert not any(s.healthy for s in services.status(gone, ["broker", "milvus"]))
