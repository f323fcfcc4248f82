"""The state directory's layout: every location named once, and where it is on disk."""

from __future__ import annotations

from pathlib import Path

from trendstream.core.paths import Paths
from trendstream.core.settings import Settings


def test_layout_on_disk_is_stable(tmp_path: Path) -> None:
    """Existing state dirs (and the chart's volume) depend on these exact places."""
    p = Paths(tmp_path, checkpoint_name="replay-1")
    expected = {
        p.run_dir: "run",
        p.log_dir: "logs",
        p.checkpoint_dir: "checkpoints",
        p.stream_checkpoints: "checkpoints/replay-1",
        p.query_checkpoint("embed"): "checkpoints/replay-1/embed",
        p.analytics_dir: "analytics",
        p.reports_dir: "reports",
        p.quality_dir: "quality",
        p.kafka_data_dir: "kafka",
        p.kafka_config_file: "run/kafka/server.properties",
        p.kafka_node_data_dir(2): "kafka-cluster/node-2",
        p.kafka_node_config_file(2): "run/kafka/node-2.properties",
        p.kafka_quorum_file: "run/kafka/quorum.json",
        p.airflow_home: "airflow",
        p.sample_dir: "sample",
        p.milvus_data_dir("lite"): "milvus",
        p.milvus_data_dir("standalone"): "milvus-standalone",
        p.milvus_stats_file: "milvus/stats.jsonl",
        p.heartbeat_file: "run/stream-heartbeat.json",
        p.supervisor_state_file: "run/stream-supervisor.json",
        p.services_file: "run/services.json",
        p.bluesky_cursor_file: "run/bluesky-cursor.json",
        p.alerts_file: "alerts/alerts.jsonl",
        p.pid_file("broker"): "run/broker.pid",
        p.lock_file("stream-job"): "run/stream-job.lock",
        p.log_file("broker"): "logs/broker.log",
    }
    assert {path: path.relative_to(tmp_path).as_posix() for path in expected} == expected


def test_settings_paths_follow_state_dir_and_checkpoint_name(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, stream={"checkpoint_name": "replay-2"})
    assert settings.paths == Paths(tmp_path, "replay-2")
    assert settings.paths.query_checkpoint("users") == tmp_path / "checkpoints/replay-2/users"
