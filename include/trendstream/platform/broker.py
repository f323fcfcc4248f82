"""The local broker: Apache Kafka in KRaft mode, one node that is broker and controller.

Loopback only, and durable across restarts and ``kill -9``. Design: docs/platform.md#broker
"""

from __future__ import annotations

import base64
import logging
import os
import shutil
import subprocess
import uuid
from pathlib import Path

from trendstream.core.settings import Settings
from trendstream.platform.process import PlatformError, ProcessSpec, free_port

NAME = "broker"
LOOPBACK = "127.0.0.1"
NODE_ID = 1


def broker_port(settings: Settings) -> int:
    """The port the local broker binds: the bootstrap address's when it names one loopback
    broker (so clients and broker always agree, as for Milvus and its URI), else ``broker.port``."""
    servers = [s.strip() for s in settings.kafka.bootstrap_servers.split(",") if s.strip()]
    if len(servers) == 1:
        host, _, port = servers[0].rpartition(":")
        if host in (LOOPBACK, "localhost") and port.isdigit():
            return int(port)
    return settings.broker.port


def java_executable(settings: Settings) -> str:
    """``broker.java_home``, then ``$JAVA_HOME``, then ``java`` on PATH."""
    home = settings.broker.java_home or os.environ.get("JAVA_HOME", "")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise PlatformError(
            "Kafka needs Java 17+: set broker.java_home or JAVA_HOME, or put "
            "`java` on PATH (apt-get install -y openjdk-17-jre-headless)"
        )
    return found


def kafka_classpath(settings: Settings) -> str:
    lib = settings.jvm_lib / "kafka"
    if not any(lib.glob("kafka_2.13-*.jar")):
        raise PlatformError(
            f"Apache Kafka jars missing in {lib}; run scripts/setup.sh "
            "(mvn -f jvm/pom.xml dependency:copy-dependencies)"
        )
    return f"{lib}/*"


def log4j_config() -> Path:
    """Our log4j2 config for the broker and Kafka's tools (the jvm/ folder of the checkout,
    or ``<jvm_lib>/..`` in the image)."""
    return Path(__file__).resolve().with_name("kafka-log4j2.yaml")


def server_properties(settings: Settings, controller_port: int) -> dict[str, str]:
    """The broker's configuration: one KRaft node on loopback, single-node replication,
    no topic auto-creation (an unknown topic is an error, never a silent new topic)."""
    port = broker_port(settings)
    return {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        "controller.quorum.voters": f"{NODE_ID}@{LOOPBACK}:{controller_port}",
        "listeners": f"PLAINTEXT://{LOOPBACK}:{port},CONTROLLER://{LOOPBACK}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(settings.paths.kafka_data_dir),
        "num.partitions": str(settings.kafka.partitions),
        "auto.create.topics.enable": "false",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "8",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "8",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "num.network.threads": "2",
        "num.io.threads": "4",
        "num.recovery.threads.per.data.dir": "2",
        "log.retention.check.interval.ms": "60000",
    }


def _format_storage(settings: Settings, config: Path) -> None:
    """Format the log dir once (a new cluster id); a formatted dir is left as it is."""
    data_dir = settings.paths.kafka_data_dir
    if (data_dir / "meta.properties").is_file():
        return
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    argv = [
        java_executable(settings),
        "-Xmx256m",
        f"-Dlog4j2.configurationFile={log4j_config()}",
        "-cp",
        kafka_classpath(settings),
        "kafka.tools.StorageTool",
        "format",
        "--ignore-formatted",
        f"--cluster-id={cluster_id}",
        "-c",
        str(config),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise PlatformError(
            f"formatting Kafka storage in {data_dir} failed: "
            f"{(done.stderr or done.stdout).strip()[-800:]}"
        )
    logging.getLogger(__name__).info(
        "formatted Kafka storage %s (cluster %s)", data_dir, cluster_id
    )


def prepare_broker(settings: Settings) -> None:
    """Write ``server.properties`` (a free controller port unless one is set) and format
    the storage on first use. Runs just before the broker process starts."""
    controller = settings.broker.controller_port or free_port()
    config = settings.paths.kafka_config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{k}={v}" for k, v in server_properties(settings, controller).items()]
    config.write_text("# written by trendstream at each broker start\n" + "\n".join(lines) + "\n")
    settings.paths.kafka_data_dir.mkdir(parents=True, exist_ok=True)
    _format_storage(settings, config)


def kafka_healthy(bootstrap_servers: str, timeout_s: float = 5.0) -> bool:
    """True when a Kafka Admin ``describe_cluster`` answers from ``bootstrap_servers``."""
    from confluent_kafka.admin import AdminClient

    quiet = logging.getLogger("trendstream.platform.broker.librdkafka")
    quiet.setLevel(logging.CRITICAL)
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "logger": quiet})
    try:
        cluster = admin.describe_cluster(request_timeout=timeout_s).result(timeout=timeout_s + 1)
    except Exception:
        return False
    return bool(cluster.nodes)


def jvm_args(settings: Settings) -> list[str]:
    """Heap sized for a 2-core box; G1 with short pauses, as Kafka's own start script."""
    heap = settings.broker.heap_mb
    return [
        f"-Xms{min(heap, 256)}m",
        f"-Xmx{heap}m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExplicitGCInvokesConcurrent",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j_config()}",
        f"-Dkafka.logs.dir={settings.paths.log_dir}",
    ]


def broker_spec(settings: Settings) -> ProcessSpec:
    port = broker_port(settings)
    bootstrap = f"{LOOPBACK}:{port}"
    return ProcessSpec(
        name=NAME,
        argv=[
            java_executable(settings),
            *jvm_args(settings),
            "-cp",
            kafka_classpath(settings),
            "kafka.Kafka",
            str(settings.paths.kafka_config_file),
        ],
        endpoint=bootstrap,
        health=lambda: kafka_healthy(bootstrap),
        paths=settings.paths,
        port=port,
        start_timeout_s=90.0,
        prepare=lambda: prepare_broker(settings),
    )
