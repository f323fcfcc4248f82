"""Every location under the state directory, named in one place.

Processes meet at these files, so build them with ``settings.paths``, never by joining paths.
Design: docs/core.md#paths
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """The on-disk layout of one state directory (``settings.paths``)."""

    state_dir: Path
    # The stream job's checkpoint set (``settings.stream.checkpoint_name``); a replay
    # switches to a fresh one.
    checkpoint_name: str = "stream"

    # --- directories ------------------------------------------------------------------------

    @property
    def run_dir(self) -> Path:
        """PID files, locks and the small JSON files processes exchange."""
        return self.state_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def checkpoint_dir(self) -> Path:
        return self.state_dir / "checkpoints"

    @property
    def stream_checkpoints(self) -> Path:
        """The current checkpoint set of the stream job: one sub-directory per query."""
        return self.checkpoint_dir / self.checkpoint_name

    def query_checkpoint(self, query: str) -> Path:
        return self.stream_checkpoints / query

    @property
    def analytics_dir(self) -> Path:
        """The windowed analytics' Parquet output, one sub-directory per aggregate."""
        return self.state_dir / "analytics"

    @property
    def reports_dir(self) -> Path:
        """Trend snapshots (JSON + HTML) and the trend engine's state."""
        return self.state_dir / "reports"

    @property
    def quality_dir(self) -> Path:
        """Great Expectations results, one sub-directory per suite (plus ``quarantine``)."""
        return self.state_dir / "quality"

    @property
    def data_docs_dir(self) -> Path:
        """Great Expectations Data Docs (static HTML, ``index.html`` at the top) that the
        data_quality DAG rebuilds after each suite; the Trends page serves them."""
        return self.quality_dir / "data_docs"

    @property
    def kafka_data_dir(self) -> Path:
        """The local broker's log dir (durable across restarts)."""
        return self.state_dir / "kafka"

    def kafka_node_data_dir(self, node_id: int) -> Path:
        """A node's log dir in the local Kafka cluster: a tree of its own, so a cluster never
        opens the single broker's dir (their cluster ids differ)."""
        return self.state_dir / "kafka-cluster" / f"node-{node_id}"

    @property
    def spark_cluster_dir(self) -> Path:
        """The local Spark cluster's worker dirs (executors' files) and the job's package zip."""
        return self.state_dir / "spark"

    @property
    def job_package_dir(self) -> Path:
        """The trendstream package zipped for cluster executors, one zip per content."""
        return self.spark_cluster_dir / "py-files"

    @property
    def airflow_home(self) -> Path:
        return self.state_dir / "airflow"

    @property
    def sample_dir(self) -> Path:
        """Where the demo writes its generated posts."""
        return self.state_dir / "sample"

    def milvus_data_dir(self, embedded: str) -> Path:
        """The local Milvus server's data dir: one per kind (their on-disk formats differ)."""
        return self.state_dir / ("milvus-standalone" if embedded == "standalone" else "milvus")

    # --- files ------------------------------------------------------------------------------

    @property
    def heartbeat_file(self) -> Path:
        """Written by the stream job after each batch, read by the supervisor and the CLI."""
        return self.run_dir / "stream-heartbeat.json"

    @property
    def supervisor_state_file(self) -> Path:
        """The supervisor's restart budget and launch plan, kept across task runs."""
        return self.run_dir / "stream-supervisor.json"

    @property
    def services_file(self) -> Path:
        """The services ``platform up`` started and ``down`` has not stopped."""
        return self.run_dir / "services.json"

    @property
    def kafka_config_file(self) -> Path:
        """The broker's ``server.properties``, rewritten at each start."""
        return self.run_dir / "kafka" / "server.properties"

    def kafka_node_config_file(self, node_id: int) -> Path:
        """A cluster node's ``server.properties``, rewritten at each start of the node."""
        return self.run_dir / "kafka" / f"node-{node_id}.properties"

    @property
    def kafka_quorum_file(self) -> Path:
        """The controller ports of the running local Kafka cluster, so a restarted node
        finds its peers."""
        return self.run_dir / "kafka" / "quorum.json"

    @property
    def bluesky_cursor_file(self) -> Path:
        """The Jetstream resume cursor unless ``sources.bluesky_cursor_file`` names another."""
        return self.run_dir / "bluesky-cursor.json"

    @property
    def alerts_file(self) -> Path:
        return self.state_dir / "alerts" / "alerts.jsonl"

    @property
    def top_trend_file(self) -> Path:
        """The top trend last alerted on, so one trend at the top alerts once."""
        return self.run_dir / "top-trend.json"

    @property
    def milvus_stats_file(self) -> Path:
        """What each milvus_maintenance step did, one JSON line per step run."""
        return self.state_dir / "milvus" / "stats.jsonl"

    def pid_file(self, process: str) -> Path:
        return self.run_dir / f"{process}.pid"

    def lock_file(self, process: str) -> Path:
        return self.run_dir / f"{process}.lock"

    def log_file(self, process: str) -> Path:
        return self.log_dir / f"{process}.log"


def package_parent() -> Path:
    """The directory holding the ``trendstream`` package: what Python workers need on
    PYTHONPATH (``include/`` in a checkout)."""
    return Path(__file__).resolve().parents[2]


def repo_root() -> Path:
    """The checkout holding ``include/trendstream`` (the package is installed editable):
    ``dags/``, ``plugins/``, ``spark_jobs/`` and ``jvm/lib`` live there."""
    return package_parent().parent
