"""A Spark standalone cluster on loopback: Spark's own Master and Workers from the pyspark install.

Each daemon is one supervised JVM (PID file, log, health check) like the broker, so the job
can run with executors in other JVMs than its driver. Design: docs/platform.md#spark-cluster
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from trendstream.core.settings import Settings
from trendstream.platform.broker import java_executable
from trendstream.platform.process import ProcessSpec, log_tail

LOOPBACK = "127.0.0.1"
MASTER = "spark-master"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
# What a Worker logs once the Master accepted it (its own log: no port to probe, they are random).
REGISTERED = "Successfully registered with master"
START_MARKER = "\n=== "  # process.start writes it before each start of a service


def spark_home() -> Path:
    """The pyspark install is a Spark distribution: ``jars/`` and ``bin/`` live there."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def master_url(settings: Settings) -> str:
    """What ``stream.master`` names to run the job on this cluster."""
    return f"spark://{LOOPBACK}:{settings.spark_cluster.master_port}"


def master_json_url(settings: Settings) -> str:
    """The Master's state as JSON (workers, running and completed applications)."""
    return f"http://{LOOPBACK}:{settings.spark_cluster.master_webui_port}/json/"


def is_local_cluster(settings: Settings, master: str) -> bool:
    """True when ``master`` is this cluster (so the job may size its executors to its workers)."""
    return master.rstrip("/") == master_url(settings)


def executor_conf(settings: Settings, master: str) -> dict[str, str]:
    """On this cluster, one executor per Worker of the Worker's size (else Spark's defaults
    would ask each Worker for all of its cores at 1 GiB); nothing for any other master."""
    if not is_local_cluster(settings, master):
        return {}
    c = settings.spark_cluster
    conf = {
        "spark.executor.cores": str(c.worker_cores),
        "spark.cores.max": str(c.workers * c.worker_cores),
        "spark.executor.memory": c.worker_memory,
    }
    if settings.stream.java_options:
        conf["spark.executor.extraJavaOptions"] = settings.stream.java_options
    return conf


def worker_name(index: int) -> str:
    return f"spark-worker-{index + 1}"


def daemon_env(settings: Settings) -> dict[str, str]:
    """Loopback only (RPC, web UIs, executors' block managers), and small daemon heaps."""
    return {
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": LOOPBACK,
        "SPARK_DAEMON_MEMORY": settings.spark_cluster.daemon_memory,
        # Workers build executors' command lines with Spark's launcher, which needs this
        # unless it runs from a source build (load-spark-env.sh would set it).
        "SPARK_SCALA_VERSION": "2.13",
        # No Spark conf dir of the user's may change what the test and the docs describe.
        "SPARK_CONF_DIR": str(settings.paths.spark_cluster_dir / "conf"),
    }


def daemon_argv(
    settings: Settings, main_class: str, args: list[str], jvm_opts: tuple[str, ...] = ()
) -> list[str]:
    """``java -cp <pyspark>/jars/* <class> ARGS``: what ``spark-class`` would exec, without
    its shell launcher, so the PID the supervisor records is the daemon JVM itself."""
    memory = settings.spark_cluster.daemon_memory
    return [
        java_executable(settings),
        f"-Xms{memory}",
        f"-Xmx{memory}",
        # A taken port is an error, not a silent bind to the next one the job does not know.
        "-Dspark.port.maxRetries=0",
        *jvm_opts,
        "-cp",
        f"{spark_home() / 'jars'}/*",
        main_class,
        *args,
    ]


def master_argv(settings: Settings) -> list[str]:
    c = settings.spark_cluster
    return daemon_argv(
        settings,
        MASTER_CLASS,
        [
            "--host",
            LOOPBACK,
            "--port",
            str(c.master_port),
            "--webui-port",
            str(c.master_webui_port),
        ],
        # Its REST submission server would take the fixed port 6066: jobs come via spark-submit.
        jvm_opts=("-Dspark.master.rest.enabled=false",),
    )


def worker_argv(settings: Settings, index: int) -> list[str]:
    """One Worker offering ``worker_cores`` and ``worker_memory`` (port 0: Spark picks one)."""
    c = settings.spark_cluster
    return daemon_argv(
        settings,
        WORKER_CLASS,
        [
            "--host",
            LOOPBACK,
            "--port",
            "0",
            "--webui-port",
            "0",
            "--cores",
            str(c.worker_cores),
            "--memory",
            c.worker_memory,
            "--work-dir",
            str(worker_dir(settings, index)),
            master_url(settings),
        ],
    )


def worker_dir(settings: Settings, index: int) -> Path:
    """Where a Worker puts its executors' files (stdout/stderr, shipped jars and py-files)."""
    return settings.paths.spark_cluster_dir / worker_name(index)


def master_state(settings: Settings, timeout_s: float = 3.0) -> dict[str, Any]:
    """The Master's JSON (raises when it does not answer)."""
    with urllib.request.urlopen(master_json_url(settings), timeout=timeout_s) as response:
        return json.loads(response.read())


def master_healthy(settings: Settings) -> bool:
    return master_state(settings).get("status") == "ALIVE"


def registered_since_start(log_text: str) -> bool:
    """True when the log's part since the last start says the Worker joined its Master."""
    return REGISTERED in log_text[log_text.rfind(START_MARKER) + 1 :]


def _prepare(settings: Settings) -> None:
    conf = settings.paths.spark_cluster_dir / "conf"
    conf.mkdir(parents=True, exist_ok=True)


def cluster_specs(settings: Settings) -> list[ProcessSpec]:
    """The Master, then its Workers (started together; each Worker retries until the Master
    answers)."""
    c = settings.spark_cluster
    env = daemon_env(settings)
    specs = [
        ProcessSpec(
            name=MASTER,
            argv=master_argv(settings),
            endpoint=master_url(settings),
            health=lambda: master_healthy(settings),
            paths=settings.paths,
            env=env,
            port=c.master_port,
            start_timeout_s=90.0,
            prepare=lambda: _prepare(settings),
        )
    ]
    for index in range(c.workers):
        log_file = settings.paths.log_file(worker_name(index))
        specs.append(
            ProcessSpec(
                name=worker_name(index),
                argv=worker_argv(settings, index),
                endpoint=str(worker_dir(settings, index)),
                health=lambda f=log_file: registered_since_start(log_tail(f, lines=400)),
                paths=settings.paths,
                env=env,
                start_timeout_s=90.0,
                prepare=lambda i=index: worker_dir(settings, i).mkdir(parents=True, exist_ok=True),
            )
        )
    return specs
