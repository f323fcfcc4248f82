"""How the platform is configured, checked without starting anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.sandbox import derive_settings, sandbox_settings
from trendstream.core.paths import repo_root
from trendstream.platform import services
from trendstream.platform.airflow import airflow_env, airflow_specs, credentials
from trendstream.platform.milvus import milvus_is_embedded
from trendstream.platform.process import PlatformError


@pytest.fixture
def local(tmp_path: Path):
    return sandbox_settings(tmp_path / "state")


def test_parse_services_orders_and_validates() -> None:
    assert services.parse_services(None) == services.SERVICES
    assert services.parse_services("airflow, broker") == ("broker", "airflow")
    with pytest.raises(PlatformError, match="unknown service.*kafka"):
        services.parse_services("kafka")


def test_broker_is_one_kraft_node_on_loopback(local) -> None:
    from trendstream.platform.broker import server_properties

    spec = services.service_specs(local, "broker")[0]
    assert spec.argv[-2:] == ["kafka.Kafka", str(local.paths.kafka_config_file)]
    assert any(a.startswith("-Xmx512m") for a in spec.argv)
    props = server_properties(local, controller_ports=[45678])
    port = local.broker.port
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == (f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:45678")
    assert props["controller.quorum.voters"] == "1@127.0.0.1:45678"
    assert props["log.dirs"] == str(local.paths.kafka_data_dir)  # durable, under the state dir
    assert props["auto.create.topics.enable"] == "false"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["min.insync.replicas"] == props["transaction.state.log.min.isr"] == "1"
    assert "broker.session.timeout.ms" not in props  # Kafka's default where nothing fails over


def test_quorum_voters_name_every_controller() -> None:
    from trendstream.platform.broker import quorum_voters

    assert quorum_voters([9001]) == "1@127.0.0.1:9001"
    assert quorum_voters([9001, 9002, 9003]) == "1@127.0.0.1:9001,2@127.0.0.1:9002,3@127.0.0.1:9003"


def test_a_three_node_cluster_replicates_and_keeps_its_nodes_apart(tmp_path: Path) -> None:
    from trendstream.platform.broker import bootstrap_servers, broker_ports, server_properties

    cluster = sandbox_settings(tmp_path / "state", broker_nodes=3)
    ports = broker_ports(cluster)
    assert cluster.kafka.bootstrap_servers == bootstrap_servers(ports)
    assert bootstrap_servers([1, 2]) == "127.0.0.1:1,127.0.0.1:2"
    specs = services.service_specs(cluster, "broker")
    assert [s.name for s in specs] == ["broker-1", "broker-2", "broker-3"]
    assert [s.port for s in specs] == ports and len(set(ports)) == 3
    assert any(a == "-Xmx320m" for a in specs[0].argv)
    assert len({s.pid_file for s in specs}) == len({s.log_file for s in specs}) == 3
    controllers = [7001, 7002, 7003]
    nodes = [server_properties(cluster, controllers, node_id=i) for i in (1, 2, 3)]
    assert {p["controller.quorum.voters"] for p in nodes} == {
        "1@127.0.0.1:7001,2@127.0.0.1:7002,3@127.0.0.1:7003"
    }
    assert [p["node.id"] for p in nodes] == ["1", "2", "3"]
    assert nodes[1]["listeners"] == (
        f"PLAINTEXT://127.0.0.1:{ports[1]},CONTROLLER://127.0.0.1:7002"
    )
    assert [p["log.dirs"] for p in nodes] == [
        str(cluster.paths.kafka_node_data_dir(i)) for i in (1, 2, 3)
    ]
    assert cluster.paths.kafka_data_dir not in {Path(p["log.dirs"]) for p in nodes}
    for props in nodes:
        assert props["offsets.topic.replication.factor"] == "3"
        assert props["transaction.state.log.replication.factor"] == "3"
        assert props["min.insync.replicas"] == props["transaction.state.log.min.isr"] == "2"
    specs_without_list = derive_settings(
        cluster, kafka={"bootstrap_servers": "127.0.0.1:19092"}, broker={"port": 29092}
    )
    assert broker_ports(specs_without_list) == [29092, 29093, 29094]


def test_a_restarted_node_keeps_the_quorum_and_a_fresh_cluster_picks_new_ports(
    tmp_path: Path,
) -> None:
    import json
    import os

    from trendstream.platform.broker import broker_spec, controller_ports

    cluster = sandbox_settings(tmp_path / "state", broker_nodes=3)
    first = controller_ports(cluster)
    assert len(set(first)) == 3 and json.loads(cluster.paths.kafka_quorum_file.read_text()) == first
    # While any node runs (here: this test process poses as node 2), the quorum is kept.
    spec = broker_spec(cluster, 2)
    spec.pid_file.parent.mkdir(parents=True, exist_ok=True)
    ticks = int(Path(f"/proc/{os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()[19])
    spec.pid_file.write_text(json.dumps({"pid": os.getpid(), "start_ticks": ticks}))
    assert controller_ports(cluster) == first
    spec.pid_file.unlink()
    fixed = derive_settings(cluster, broker={"controller_port": 40100})
    assert controller_ports(fixed) == [40100, 40101, 40102]


def test_every_service_binds_loopback(local) -> None:
    from trendstream.platform.broker import server_properties

    for spec in services.all_specs(local):
        joined = " ".join(spec.argv)
        assert "0.0.0.0" not in joined
    props = server_properties(local, controller_ports=[1234])
    for listener in props["listeners"].split(","):
        assert "//127.0.0.1:" in listener
    milvus = services.service_specs(local, "milvus")[0]
    assert milvus.argv[milvus.argv.index("--host") + 1] == "127.0.0.1"
    api = airflow_specs(local)[0]
    assert api.argv[api.argv.index("--host") + 1] == "127.0.0.1"


def test_the_broker_listens_where_the_clients_will_connect(local) -> None:
    from trendstream.platform.broker import server_properties

    moved = derive_settings(
        local, kafka={"bootstrap_servers": "localhost:29092"}, broker={"port": 19092}
    )
    spec = services.service_specs(moved, "broker")[0]
    assert spec.port == 29092
    assert server_properties(moved, [1])["advertised.listeners"] == "PLAINTEXT://127.0.0.1:29092"
    for bootstrap in ("kafka.internal:9092", "127.0.0.1:9092,127.0.0.1:9093"):
        other = derive_settings(
            local, kafka={"bootstrap_servers": bootstrap}, broker={"port": 19111}
        )
        assert services.service_specs(other, "broker")[0].port == 19111


def test_milvus_is_started_only_for_a_local_lite_uri(local) -> None:
    assert milvus_is_embedded(local)
    remote = derive_settings(local, milvus={"uri": "http://milvus.internal:19530"})
    assert not milvus_is_embedded(remote)
    assert services.service_specs(remote, "milvus") == []
    assert not milvus_is_embedded(derive_settings(local, milvus={"embedded": "none"}))


def test_airflow_env_points_at_the_repo_and_our_settings(local) -> None:
    env = airflow_env(local)
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(repo_root() / "dags")
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == str(repo_root() / "plugins")
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__PARALLELISM"] == str(local.airflow.parallelism)
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith(f"sqlite:///{local.state_dir}")
    assert env["TRENDSTREAM_KAFKA__BOOTSTRAP_SERVERS"] == local.kafka.bootstrap_servers
    # Secrets are generated once and shared by every component and every restart.
    assert (
        airflow_env(local)["AIRFLOW__API_AUTH__JWT_SECRET"] == env["AIRFLOW__API_AUTH__JWT_SECRET"]
    )
    assert (local.paths.airflow_home / "secrets.json").stat().st_mode & 0o077 == 0


def test_credentials_are_generated_once(local) -> None:
    first = credentials(local)
    assert first.username == "admin" and len(first.password) >= 12
    assert credentials(local) == first
    other = credentials(sandbox_settings(local.state_dir.parent / "other"))
    assert other.password != first.password


def test_embedded_milvus_kind_is_validated(local) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="'lite', 'standalone' or 'none'"):
        derive_settings(local, milvus={"embedded": "full"})


def test_standalone_milvus_runs_the_launcher_in_its_own_data_dir(local) -> None:
    from trendstream.platform.milvus import milvus_data_dir

    standalone = derive_settings(local, milvus={"embedded": "standalone"})
    assert milvus_is_embedded(standalone)
    (spec,) = services.service_specs(standalone, "milvus")
    assert spec.argv[1:3] == ["-m", "trendstream.platform.milvus_standalone"]
    assert spec.argv[spec.argv.index("--port") + 1] == str(local.milvus.port)
    assert spec.port == local.milvus.port and spec.endpoint == local.milvus.uri
    data_dirs = {milvus_data_dir(local), milvus_data_dir(standalone)}
    assert data_dirs == {local.paths.milvus_data_dir(k) for k in ("lite", "standalone")}
    assert len(data_dirs) == 2
    data_dir = spec.argv[spec.argv.index("--data-dir") + 1]
    assert data_dir == str(local.paths.milvus_data_dir("standalone"))


def test_standalone_configs_advertise_loopback_on_distinct_free_ports(tmp_path: Path) -> None:
    pytest.importorskip("milvus", reason="the `milvus` wheel is not installed")
    import re

    from milvus import MilvusServerConfig

    from trendstream.platform.milvus_standalone import write_config

    # The lines of the wheel's template that carry a listen port (the rest name services a
    # standalone with rocksmq and local storage never opens: MinIO, Pulsar, NATS).
    template = Path(MilvusServerConfig().template_file).read_text().splitlines()
    port_lines = [i for i, line in enumerate(template) if re.search(r"\{\{ *\w+_port", line)]
    ports: list[set[int]] = []
    for name, proxy in (("one", 29991), ("two", 29992)):
        env = write_config(tmp_path / name, proxy)
        config = (tmp_path / name / "configs" / "milvus.yaml").read_text()
        etcd = (tmp_path / name / "configs" / "embedEtcd.yaml").read_text()
        assert re.search(rf"^\s+port: {proxy}\b", config, re.M)
        assert set(re.findall(r"^\s+ip: (\S+)", config, re.M)) == {"127.0.0.1"}
        assert str(tmp_path / name / "data") in config
        assert env["ETCD_CONFIG_PATH"] == str(tmp_path / name / "configs" / "embedEtcd.yaml")
        assert "127.0.0.1:" in etcd and "localhost" not in etcd and ":2379" not in etcd
        lines = config.splitlines()
        found = {int(re.findall(r"(\d+)", lines[i])[-1]) for i in port_lines}
        found |= {int(p) for p in re.findall(r":(\d+)", etcd)} | {int(env["METRICS_PORT"])}
        assert len(found) >= 12  # proxy + 9 internal + etcd client/peer + metrics
        ports.append(found - {proxy})
    assert not ports[0] & ports[1], "two instances must never share an internal port"
