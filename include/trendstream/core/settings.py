"""One settings object for the whole platform.

``TRENDSTREAM_*`` env vars, then a TOML file, then these defaults (the single-machine platform).
Design: docs/core.md#settings
"""

from __future__ import annotations

import os
import tomllib
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from trendstream.core.paths import Paths, repo_root

ENV_PREFIX = "TRENDSTREAM_"
CONFIG_ENV = "TRENDSTREAM_CONFIG"
DEFAULT_CONFIG_FILE = Path("trendstream.toml")


class SettingsError(ValueError):
    """The settings cannot be built: a named file is missing, a file is not TOML, or a value
    (from the environment or the file) is invalid. The message says which."""


class Deployment(StrEnum):
    """Where the platform runs: selects local vs cluster resources in one place."""

    LOCAL = "local"
    KUBERNETES = "kubernetes"


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:19092"
    tweets_topic: str = "tweets"
    engagements_topic: str = "engagements"
    dead_letter_topic: str = "tweets.dlq"
    hashtag_counts_topic: str = "analytics.hashtags"
    engagement_rates_topic: str = "analytics.engagement"
    user_scores_topic: str = "analytics.users"
    partitions: int = Field(default=4, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    consumer_group: str = "trendstream-stream"
    session_timeout_ms: int = 6000
    # Explicit topic retention, so describe-configs always shows it. -1 bytes: no size limit.
    retention_ms: int = 7 * 24 * 3600 * 1000
    retention_bytes: int = -1
    dead_letter_retention_ms: int = 30 * 24 * 3600 * 1000
    # A file ingest's transactions (`trendstream ingest`): big enough that the commit round
    # trip is noise next to the batch, small enough that a crash redoes little.
    transaction_records: int = Field(default=20_000, ge=1)
    transaction_mb: float = Field(default=16.0, gt=0)
    # Extra librdkafka settings (e.g. security.protocol, sasl.*) for clusters.
    client_config: dict[str, str] = Field(default_factory=dict)


class BrokerSettings(BaseModel):
    """The local Apache Kafka broker (KRaft) started by ``platform up``: one node, or a
    cluster of ``nodes`` on loopback (docs/platform.md#kafka-cluster)."""

    enabled: bool = True
    # KRaft nodes, each broker and controller. 3 gives replicated topics (RF 3, min ISR 2) and
    # a controller quorum that survives one node; kafka.bootstrap_servers should list them all.
    nodes: int = Field(default=1, ge=1, le=9)
    # Used only when kafka.bootstrap_servers names no single loopback broker (its port wins).
    port: int = 19092
    # The KRaft controller listener (loopback); 0 picks a free port at each start.
    controller_port: int = Field(default=0, ge=0)
    # JVM heap of the broker (of each node); 512 MB carries the local platform and the
    # 1M-event soak, 320 MB each node of a 3-node cluster.
    heap_mb: int = Field(default=512, ge=128)
    # A JDK/JRE 17+ home; empty means $JAVA_HOME, then `java` on PATH.
    java_home: str = ""


class MilvusSettings(BaseModel):
    uri: str = "http://127.0.0.1:19530"
    token: str = ""
    db_name: str = "default"
    collection: str = "tweets"
    index_type: str = "HNSW"
    metric_type: str = "COSINE"
    index_params: dict[str, Any] = Field(default_factory=lambda: {"M": 16, "efConstruction": 200})
    search_params: dict[str, Any] = Field(default_factory=lambda: {"ef": 64})
    ttl_days: float = 7.0
    write_batch_size: int = Field(default=1000, ge=1)
    # Writes retry with backoff this long in total before raising MilvusUnavailable.
    retry_timeout_s: float = Field(default=60.0, gt=0)
    rpc_timeout_s: float = Field(default=30.0, gt=0)
    # gRPC keepalive ping interval. gRPC servers (Milvus Lite's included) allow one ping per
    # 5 min on an idle channel by default and answer faster ones with GOAWAY "too_many_pings";
    # pymilvus pings every 10 s. Dead connections are caught by rpc_timeout_s anyway.
    keepalive_s: float = Field(default=330.0, gt=0)
    # Server started by ``platform up`` for a loopback URI: "lite" (the milvus-lite server),
    # "standalone" (the full Milvus 2.3 binary of the ``milvus`` wheel) or "none".
    embedded: Literal["lite", "standalone", "none"] = "lite"
    # Used only when the URI names no port (the URI's port wins).
    port: int = 19530


class ModelSettings(BaseModel):
    name: str = "all-MiniLM-L6-v2"
    # A local path wins over the name; empty means "the offline packaged model".
    path: str = ""
    dimension: int = Field(default=384, ge=1)
    batch_size: int = Field(default=64, ge=1)
    max_seq_length: int = Field(default=128, ge=8)
    device: str = "auto"
    # Torch intra-op threads per process; 0 = the CPUs this process may run on.
    threads: int = Field(default=0, ge=0)
    # CPU runtime: "onnx" (onnxruntime, the model exported once and cached) or "torch".
    # On a GPU the torch model runs in fp16 whatever this says. docs/encoding.md#model
    backend: Literal["torch", "onnx"] = "onnx"
    # "int8" (dynamic int8 of the Linear/MatMul weights, CPU only) or "none" (fp32).
    quantize: Literal["none", "int8"] = "int8"
    # Where ONNX exports are cached; empty means the user cache (~/.cache/trendstream).
    export_dir: str = ""


class Limits(BaseModel):
    """What a record may be: one object handed to every validator (``parse_event`` at ingest
    and in the embed query, the Java parser of the analytics queries), so they agree."""

    max_record_bytes: int = Field(default=64 * 1024, ge=1)
    # X allows 280 (25k for premium long posts are truncated upstream)
    max_text_chars: int = Field(default=4000, ge=1)
    earliest_time: datetime = datetime(2006, 3, 21, tzinfo=UTC)  # the first tweet
    # How far ahead of the clock a created_at may be (skewed producers).
    future_slack_s: int = Field(default=86_400, ge=0)

    @field_validator("earliest_time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StreamSettings(BaseModel):
    max_offsets_per_trigger: int = Field(default=20000, ge=1)
    trigger_seconds: float = 2.0
    starting_offsets: str = "earliest"
    fail_on_data_loss: bool = False
    # Tweets per encode call in the embed sink; each chunk's Milvus upsert runs while the
    # next chunk encodes (docs/stream.md#sink).
    encode_chunk: int = Field(default=512, ge=1)
    shuffle_partitions: int = 4
    window_seconds: int = 5
    watermark_seconds: int = 10
    user_score_half_life_s: float = 3600.0
    # Checkpoint set under ``paths.checkpoint_dir``; a replay switches to a fresh one.
    checkpoint_name: str = "stream"
    # Spark master of the job, in-process or spark-submit's --master (DAG tasks: spark_default's).
    master: str = "local[2]"
    driver_memory: str = "2g"
    # A failed query (e.g. Milvus down past its retry budget) restarts from its checkpoint
    # after a backoff doubling up to this cap, at most max_restarts times in a row.
    restart_backoff_max_s: float = 30.0
    max_restarts: int = Field(default=20, ge=0)
    # Run the windowed analytics queries beside the embedding query.
    analytics: bool = True
    # Prometheus metrics endpoint of the job (0 = off).
    metrics_port: int = Field(default=0, ge=0)
    # Extra JVM flags for the job's driver (and the platform Spark cluster's executors), e.g.
    # "-XX:TieredStopAtLevel=1": C1-only JIT starts a short --available-now run ~10 s sooner
    # (of ~43 s) but slows a long-running job. On Kubernetes: kubernetes.spark_conf.
    java_options: str = ""


class SparkClusterSettings(BaseModel):
    """A Spark standalone cluster on loopback (Spark's own Master and Workers from the pyspark
    install), started by ``platform up`` when enabled; the job uses it when ``stream.master``
    is its URL (``spark://127.0.0.1:<master_port>``). Design: docs/platform.md#spark-cluster"""

    enabled: bool = False
    master_port: int = Field(default=17077, ge=1, le=65535)
    master_webui_port: int = Field(default=18090, ge=1, le=65535)
    workers: int = Field(default=2, ge=1)
    # Per worker: what its executor may use. Small, for a 2-core box shared with the rest.
    worker_cores: int = Field(default=1, ge=1)
    worker_memory: str = "1g"
    # Heap of each Master/Worker daemon JVM (they only schedule; executors have their own).
    daemon_memory: str = "256m"


class AirflowSettings(BaseModel):
    port: int = 18080
    host: str = "127.0.0.1"
    parallelism: int = 4
    username: str = "admin"


class TrendSettings(BaseModel):
    """Trend engine knobs (tuned on generated streams by ``python -m benchmarks.quality``)."""

    window_minutes: float = 10.0
    baseline_minutes: float = 120.0
    # DBSCAN edge threshold (cosine); incoherent clusters are split at higher ones.
    similarity_threshold: float = 0.55
    # Mean member→centroid cosine a cluster needs before it is accepted unsplit.
    cluster_cohesion: float = 0.65
    min_cluster_size: int = 8
    # A trend needs both: Poisson z-score ≥ min_score and window/expected ≥ min_growth.
    min_score: float = 5.0
    min_growth: float = 3.0
    tracking_similarity: float = 0.75
    max_trends: int = 20
    # At most this many baseline posts are read with their vectors (a uniform sample, its
    # counts scaled back up); 0 reads them all. Bounds a snapshot's memory and Milvus reads.
    baseline_max_posts: int = Field(default=50000, ge=0)


class SourcesSettings(BaseModel):
    """Live connectors: X API v2 filtered stream and Bluesky Jetstream."""

    # Never serialized (excluded from dumps and ``Settings.env()``), so it cannot leak into
    # child environments, logs or files; set it with TRENDSTREAM_SOURCES__X_BEARER_TOKEN.
    x_bearer_token: SecretStr = Field(default=SecretStr(""), exclude=True)
    x_base_url: str = "https://api.x.com"
    x_stall_seconds: float = Field(default=90.0, gt=0)  # X sends a keep-alive every ~20 s
    x_backfill_minutes: int = Field(default=0, ge=0, le=5)  # Pro/Enterprise only
    bluesky_jetstream_url: str = "wss://jetstream2.us-east.bsky.network/subscribe"
    bluesky_collections: list[str] = Field(default_factory=lambda: ["app.bsky.feed.post"])
    bluesky_dids: list[str] = Field(default_factory=list)
    # Empty means ``paths.bluesky_cursor_file`` (under the state dir).
    bluesky_cursor_file: str = ""
    bluesky_cursor_margin_s: float = Field(default=2.0, ge=0)
    bluesky_stall_seconds: float = Field(default=60.0, gt=0)


class KubernetesSettings(BaseModel):
    """How the stream runs on a cluster (``deployment=kubernetes``).

    The Helm chart writes these into its ConfigMap, so the SparkApplication the
    supervisor DAG submits is built from the very values the chart rendered.
    """

    namespace: str = "default"
    image: str = "trendstream:0.1.0"
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    app_name: str = "trendstream-stream"
    service_account: str = "trendstream-spark"
    config_map: str = "trendstream-config"
    secret: str = "trendstream-secret"
    state_claim: str = "trendstream-state"
    driver_cores: int = Field(default=1, ge=1)
    driver_memory: str = "2g"
    executor_instances: int = Field(default=2, ge=1)
    executor_cores: int = Field(default=1, ge=1)
    executor_memory: str = "2g"
    executor_gpus: int = Field(default=0, ge=0)
    restart_policy: Literal["Always", "OnFailure"] = "Always"
    on_failure_retries: int = Field(default=3, ge=0)
    on_failure_retry_interval_s: int = Field(default=30, ge=1)
    on_submission_failure_retries: int = Field(default=5, ge=0)
    on_submission_failure_retry_interval_s: int = Field(default=20, ge=1)
    ui_port: int = Field(default=4040, ge=1, le=65535)  # Spark UI, also serves /metrics/prometheus
    spark_conf: dict[str, str] = Field(default_factory=dict)


class QualitySettings(BaseModel):
    """Thresholds of the data_quality DAG's Great Expectations suites."""

    max_analytics_age_s: float = Field(
        default=900.0, gt=0
    )  # newest hashtag window at most this old
    max_null_rate: float = Field(default=0.0, ge=0, le=1)
    vector_sample: int = Field(default=2000, ge=1)
    max_dead_letter_rate: float = Field(default=0.05, ge=0)
    max_lag: int = Field(default=200_000, ge=0)


class AlertSettings(BaseModel):
    """Where alerts go besides ``<state_dir>/alerts/alerts.jsonl`` (always written): e-mail
    through an Airflow SMTP connection when ``email_to`` is set, Slack through an Airflow
    Slack-webhook connection when that connection exists. Empty conn id: channel off."""

    email_to: list[str] = Field(default_factory=list)
    email_from: str = "trendstream@localhost"
    smtp_conn_id: str = "smtp_default"
    slack_conn_id: str = "slack_alerts"


class FaultSettings(BaseModel):
    """Fault injection for crash tests (:mod:`trendstream.core.faults`); empty in production."""

    # "module:factory" of a FaultHook factory, importable in the process that loads it.
    hook: str = ""
    # Keyword arguments of the factory (in the environment: one JSON object).
    params: dict[str, Any] = Field(default_factory=dict)


class Settings(BaseSettings):
    """Everything configurable, in one object. Build it with :func:`get_settings`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="ignore",
    )

    deployment: Deployment = Deployment.LOCAL
    state_dir: Path = Path(".state")
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    milvus: MilvusSettings = Field(default_factory=MilvusSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    stream: StreamSettings = Field(default_factory=StreamSettings)
    airflow: AirflowSettings = Field(default_factory=AirflowSettings)
    spark_cluster: SparkClusterSettings = Field(default_factory=SparkClusterSettings)
    trends: TrendSettings = Field(default_factory=TrendSettings)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    sources: SourcesSettings = Field(default_factory=SourcesSettings)
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    limits: Limits = Field(default_factory=Limits)
    faults: FaultSettings = Field(default_factory=FaultSettings)
    # Jars put there by `mvn -f jvm/pom.xml package dependency:copy-dependencies` (kafka/, spark/);
    # unset means ``<checkout>/jvm/lib``. The image sets it to where it baked them.
    jvm_lib_dir: Path | None = None

    @field_validator("state_dir")
    @classmethod
    def _absolute_state_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))

    @property
    def paths(self) -> Paths:
        """Every location under ``state_dir`` (the one owner of the layout)."""
        return Paths(self.state_dir, self.stream.checkpoint_name)

    @property
    def jvm_lib(self) -> Path:
        """Where the Maven-resolved jars live (``kafka/`` for the broker, ``spark/`` for Spark)."""
        if self.jvm_lib_dir is not None:
            return self.jvm_lib_dir.expanduser().resolve()
        return repo_root() / "jvm" / "lib"

    def env(self) -> dict[str, str]:
        """These settings as ``TRENDSTREAM_*`` variables, to hand to child processes."""
        return flatten_env(self.model_dump(mode="json"))


def flatten_env(values: dict[str, Any], prefix: str = ENV_PREFIX) -> dict[str, str]:
    """Flatten nested settings into env var form (dicts of scalars become JSON)."""
    import json

    out: dict[str, str] = {}
    for key, value in values.items():
        name = f"{prefix}{key.upper()}"
        if value is None:  # unset stays unset (the default applies in the child too)
            continue
        if isinstance(value, dict) and key in Settings.model_fields:
            out.update(flatten_env(value, name + "__"))
        elif isinstance(value, (dict, list)):
            out[name] = json.dumps(value)
        else:
            out[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


class _TomlFileSource(PydanticBaseSettingsSource):
    """Optional TOML file; a missing default file is fine, a missing named file is an error."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        named = os.environ.get(CONFIG_ENV)
        path = Path(named) if named else DEFAULT_CONFIG_FILE
        if named and not path.is_file():
            raise FileNotFoundError(f"{CONFIG_ENV}={named} does not name a readable file")
        try:
            self._data: dict[str, Any] = tomllib.loads(path.read_text()) if path.is_file() else {}
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from None

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; call ``get_settings.cache_clear()`` in tests).
    Raises :class:`SettingsError` when they cannot be built."""
    try:
        return Settings()
    except FileNotFoundError as exc:  # only a named settings file is looked up
        raise SettingsError(str(exc)) from None
    except ValidationError as exc:
        raise SettingsError(
            f"invalid settings ({ENV_PREFIX}* environment or settings file): {exc}"
        ) from None
