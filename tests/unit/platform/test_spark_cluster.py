"""The local Spark cluster's command lines, URLs and health rule, checked without starting it."""

from __future__ import annotations

from pathlib import Path

import pytest

from trendstream.core.settings import Settings
from trendstream.platform import services
from trendstream.platform.spark_cluster import (
    MASTER_CLASS,
    WORKER_CLASS,
    cluster_specs,
    is_local_cluster,
    master_argv,
    master_json_url,
    master_url,
    registered_since_start,
    worker_argv,
    worker_dir,
)


@pytest.fixture
def cluster(tmp_path: Path) -> Settings:
    return Settings(
        state_dir=tmp_path,
        spark_cluster={
            "enabled": True,
            "master_port": 27001,
            "master_webui_port": 27002,
            "workers": 3,
            "worker_cores": 1,
            "worker_memory": "768m",
        },
    )


def after(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_urls_name_the_loopback_master(cluster: Settings) -> None:
    assert master_url(cluster) == "spark://127.0.0.1:27001"
    assert master_json_url(cluster) == "http://127.0.0.1:27002/json/"
    assert is_local_cluster(cluster, "spark://127.0.0.1:27001/")
    assert not is_local_cluster(cluster, "spark://127.0.0.1:7077")
    assert not is_local_cluster(cluster, "local[2]")


def test_master_binds_loopback_on_the_set_ports_without_its_rest_server(cluster: Settings) -> None:
    argv = master_argv(cluster)
    assert MASTER_CLASS in argv and argv[argv.index("-cp") + 1].endswith("/jars/*")
    assert (after(argv, "--host"), after(argv, "--port"), after(argv, "--webui-port")) == (
        "127.0.0.1",
        "27001",
        "27002",
    )
    assert "-Dspark.master.rest.enabled=false" in argv
    assert "-Dspark.port.maxRetries=0" in argv


def test_each_worker_offers_its_share_on_free_ports_with_its_own_dir(cluster: Settings) -> None:
    argv = worker_argv(cluster, 1)
    assert WORKER_CLASS in argv and argv[-1] == master_url(cluster)
    assert (after(argv, "--host"), after(argv, "--port"), after(argv, "--webui-port")) == (
        "127.0.0.1",
        "0",
        "0",
    )
    assert (after(argv, "--cores"), after(argv, "--memory")) == ("1", "768m")
    assert Path(after(argv, "--work-dir")) == worker_dir(cluster, 1)
    assert worker_dir(cluster, 1).is_relative_to(cluster.paths.spark_cluster_dir)
    assert worker_dir(cluster, 0) != worker_dir(cluster, 1)


def test_the_spark_service_is_the_master_then_its_workers_only_when_enabled(
    cluster: Settings,
) -> None:
    specs = services.service_specs(cluster, "spark")
    assert [s.name for s in specs] == [
        "spark-master",
        "spark-worker-1",
        "spark-worker-2",
        "spark-worker-3",
    ]
    assert specs[0].port == 27001 and specs[0].endpoint == master_url(cluster)
    assert all(s.env["SPARK_LOCAL_IP"] == "127.0.0.1" for s in specs)
    assert all(s.log_file.parent == cluster.paths.log_dir for s in specs)
    off = Settings(state_dir=cluster.state_dir)
    assert services.service_specs(off, "spark") == []
    assert len(cluster_specs(off)) == 1 + off.spark_cluster.workers


def test_a_worker_is_healthy_once_registered_since_its_last_start() -> None:
    first = "\n=== 2026-12-01 start: java ...\nINFO Worker: Successfully registered with master x\n"
    assert registered_since_start(first)
    restarted = first + "\n=== 2026-12-02 start: java ...\nINFO Worker: Connecting to master\n"
    assert not registered_since_start(restarted)
    assert not registered_since_start("")
