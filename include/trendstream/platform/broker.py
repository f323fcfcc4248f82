"""The local broker: Apache Kafka in KRaft mode, one node that is broker and controller, or a
cluster of ``broker.nodes`` such nodes on loopback.

Loopback only, and durable across restarts and ``kill -9``. Design: docs/platform.md#broker
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from trendstream.core.settings import Settings
from trendstream.kafka.admin import min_insync_replicas
from trendstream.platform import process
from trendstream.platform.process import PlatformError, ProcessSpec, free_ports, running_pid

NAME = "broker"
LOOPBACK = "127.0.0.1"
# Replicas of Kafka's internal topics (offsets, transactions) in a cluster: 3 is Kafka's own
# default, and more buys nothing on one machine.
MAX_INTERNAL_REPLICAS = 3
# The last node of a cluster to stop cannot finish a controlled shutdown (no quorum left).
LAST_NODE_GRACE_S = 3.0


@dataclass(frozen=True)
class Node:
    """One KRaft node of the local broker: its process name, client port and files."""

    node_id: int
    name: str
    port: int
    data_dir: Path
    config_file: Path


def _loopback_ports(bootstrap_servers: str) -> list[int] | None:
    """The ports of a bootstrap list that names only loopback brokers, else None."""
    ports = []
    for server in (s.strip() for s in bootstrap_servers.split(",") if s.strip()):
        host, _, port = server.rpartition(":")
        if host not in (LOOPBACK, "localhost") or not port.isdigit():
            return None
        ports.append(int(port))
    return ports or None


def broker_ports(settings: Settings) -> list[int]:
    """The client port of each node: the bootstrap list's when it names exactly the nodes on
    loopback (so clients and brokers always agree, as for Milvus and its URI), else
    ``broker.port`` and the ports after it."""
    nodes = settings.broker.nodes
    named = _loopback_ports(settings.kafka.bootstrap_servers)
    if named and len(named) == nodes and len(set(named)) == nodes:
        return named
    return [settings.broker.port + i for i in range(nodes)]


def bootstrap_servers(ports: list[int]) -> str:
    """The bootstrap list naming every local node (what ``kafka.bootstrap_servers`` should be)."""
    return ",".join(f"{LOOPBACK}:{port}" for port in ports)


def cluster_nodes(settings: Settings) -> list[Node]:
    """The nodes ``platform up`` runs. A single node keeps the original names and files
    (``broker``, ``<state>/kafka``); a cluster's are ``broker-<id>`` under ``kafka-cluster/``."""
    paths = settings.paths
    ports = broker_ports(settings)
    if settings.broker.nodes == 1:
        return [Node(1, NAME, ports[0], paths.kafka_data_dir, paths.kafka_config_file)]
    return [
        Node(
            i,
            f"{NAME}-{i}",
            port,
            paths.kafka_node_data_dir(i),
            paths.kafka_node_config_file(i),
        )
        for i, port in enumerate(ports, start=1)
    ]


def quorum_voters(controller_ports: list[int]) -> str:
    """``controller.quorum.voters``: node ``i`` (from 1) listens on ``controller_ports[i-1]``."""
    return ",".join(f"{i}@{LOOPBACK}:{port}" for i, port in enumerate(controller_ports, start=1))


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


def server_properties(
    settings: Settings, controller_ports: list[int], node_id: int = 1
) -> dict[str, str]:
    """Node ``node_id``'s configuration: a KRaft node (broker and controller) on loopback, no
    topic auto-creation (an unknown topic is an error, never a silent new topic). In a
    cluster, Kafka's internal topics get 3 replicas and min ISR 2 like ours, and a dead node
    is fenced (its partitions' leadership moved) after 6 s instead of 9."""
    node = cluster_nodes(settings)[node_id - 1]
    controller_port = controller_ports[node_id - 1]
    replicas = min(settings.broker.nodes, MAX_INTERNAL_REPLICAS)
    min_isr = str(min_insync_replicas(replicas))
    props = {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        "controller.quorum.voters": quorum_voters(controller_ports),
        "listeners": (
            f"PLAINTEXT://{LOOPBACK}:{node.port},CONTROLLER://{LOOPBACK}:{controller_port}"
        ),
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{node.port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(node.data_dir),
        "num.partitions": str(settings.kafka.partitions),
        "auto.create.topics.enable": "false",
        "default.replication.factor": str(replicas),
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": str(replicas),
        "offsets.topic.num.partitions": "8",
        "transaction.state.log.replication.factor": str(replicas),
        "transaction.state.log.min.isr": min_isr,
        "transaction.state.log.num.partitions": "8",
        "share.coordinator.state.topic.replication.factor": str(replicas),
        "share.coordinator.state.topic.min.isr": min_isr,
        "group.initial.rebalance.delay.ms": "0",
        "num.network.threads": "2",
        "num.io.threads": "4",
        "num.recovery.threads.per.data.dir": "2",
        "log.retention.check.interval.ms": "60000",
    }
    if settings.broker.nodes > 1:
        props["broker.session.timeout.ms"] = "6000"
        props["broker.heartbeat.interval.ms"] = "1000"
    return props


def _cluster_id(settings: Settings, node: Node) -> str:
    """A formatted peer's cluster id (every node of a cluster shares one), else a new one."""
    for peer in cluster_nodes(settings):
        meta = peer.data_dir / "meta.properties"
        if peer is not node and meta.is_file():
            for line in meta.read_text().splitlines():
                if line.startswith("cluster.id="):
                    return line.partition("=")[2].strip()
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


def _format_storage(settings: Settings, node: Node) -> None:
    """Format the node's log dir once; a formatted dir is left as it is."""
    if (node.data_dir / "meta.properties").is_file():
        return
    cluster_id = _cluster_id(settings, node)
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
        str(node.config_file),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise PlatformError(
            f"formatting Kafka storage in {node.data_dir} failed: "
            f"{(done.stderr or done.stdout).strip()[-800:]}"
        )
    logging.getLogger(__name__).info(
        "formatted Kafka storage %s (cluster %s)", node.data_dir, cluster_id
    )


def controller_ports(settings: Settings) -> list[int]:
    """Each node's controller port: ``broker.controller_port`` and the ports after it when
    set; else free ports picked while no node runs and kept in the quorum file while one
    does, so a node restarted alone finds its peers' controllers."""
    nodes = settings.broker.nodes
    if settings.broker.controller_port:
        return [settings.broker.controller_port + i for i in range(nodes)]
    quorum = settings.paths.kafka_quorum_file
    if any(running_pid(spec)[0] is not None for spec in broker_specs(settings)):
        try:
            ports = json.loads(quorum.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            ports = []
        if isinstance(ports, list) and len(ports) == nodes:
            return [int(p) for p in ports]
    ports = free_ports(nodes, taken=broker_ports(settings))
    quorum.parent.mkdir(parents=True, exist_ok=True)
    quorum.write_text(json.dumps(ports))
    return ports


def prepare_broker(settings: Settings, node_id: int = 1) -> None:
    """Write the node's ``server.properties`` and format its storage on first use. Runs just
    before the node's process starts."""
    node = cluster_nodes(settings)[node_id - 1]
    props = server_properties(settings, controller_ports(settings), node_id)
    node.config_file.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{k}={v}" for k, v in props.items()]
    node.config_file.write_text(
        "# written by trendstream at each broker start\n" + "\n".join(lines) + "\n"
    )
    node.data_dir.mkdir(parents=True, exist_ok=True)
    _format_storage(settings, node)


def kafka_healthy(
    bootstrap_servers: str, timeout_s: float = 5.0, node_id: int | None = None
) -> bool:
    """True when a Kafka Admin ``describe_cluster`` answers from ``bootstrap_servers`` (and,
    with ``node_id``, lists that node among the live brokers: a restarted cluster node is
    healthy once the controller has let it back in)."""
    from confluent_kafka.admin import AdminClient

    quiet = logging.getLogger("trendstream.platform.broker.librdkafka")
    quiet.setLevel(logging.CRITICAL)
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "logger": quiet})
    try:
        cluster = admin.describe_cluster(request_timeout=timeout_s).result(timeout=timeout_s + 1)
    except Exception:
        return False
    if node_id is not None:
        return any(n.id == node_id for n in cluster.nodes)
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


def broker_spec(settings: Settings, node_id: int = 1) -> ProcessSpec:
    """The process of node ``node_id`` (1 for the single broker)."""
    node = cluster_nodes(settings)[node_id - 1]
    bootstrap = f"{LOOPBACK}:{node.port}"
    return ProcessSpec(
        name=node.name,
        argv=[
            java_executable(settings),
            *jvm_args(settings),
            "-cp",
            kafka_classpath(settings),
            "kafka.Kafka",
            str(node.config_file),
        ],
        endpoint=bootstrap,
        health=lambda: kafka_healthy(bootstrap, node_id=node_id),
        paths=settings.paths,
        port=node.port,
        start_timeout_s=90.0,
        prepare=lambda: prepare_broker(settings, node_id),
    )


def broker_specs(settings: Settings) -> list[ProcessSpec]:
    """Every node's process, in node order."""
    return [broker_spec(settings, node.node_id) for node in cluster_nodes(settings)]


def stop_brokers(specs: list[ProcessSpec]) -> list[str]:
    """Stop the broker's nodes; returns the names of those that ran. A cluster stops all
    nodes but the first together (their controlled shutdowns need the controller quorum,
    which the first node keeps), then the first with a short grace: alone it has no quorum
    to approve its own controlled shutdown, which Kafka would wait minutes for. Killing it
    loses nothing acknowledged (as any ``kill -9``); it recovers its log at the next start."""
    if len(specs) <= 1:
        return process.stop_all(specs)
    return process.stop_all(specs[1:]) + process.stop_all(specs[:1], timeout_s=LAST_NODE_GRACE_S)
