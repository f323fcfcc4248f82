"""Start the Spark driver JVM for an in-process SparkSession with its output in a log file.

PySpark starts the JVM with the caller's stdout/stderr, so Spark's log4j lines, the JVM's own
start-up warnings and the Python workers' stderr (relayed by the JVM) would land on our console.
Here the JVM gets our log4j2 config and its stdout/stderr go to
``<state_dir>/logs/spark-driver.log``; the CLI's console keeps to our progress.
Design: docs/stream.md#quiet-driver
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from trendstream.core.settings import Settings

LOG_NAME = "spark-driver"
EXTRA_JAVA_OPTIONS = "spark.driver.extraJavaOptions"


def log4j_config() -> Path:
    return Path(__file__).resolve().with_name("spark-log4j2.yaml")


def driver_java_options(log_file: Path, existing: str = "") -> str:
    """``spark.driver.extraJavaOptions`` with our log4j2 config and its log file (pure)."""
    ours = f"-Dlog4j2.configurationFile={log4j_config()} -Dtrendstream.spark.log={log_file}"
    return f"{existing} {ours}".strip()


def start_quiet_gateway(settings: Settings, options: Mapping[str, str]) -> None:
    """Launch the driver JVM with ``options`` (what the session builder holds) unless one runs
    in this process already; ``getOrCreate`` then attaches to it."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None:  # noqa: SLF001 - PySpark's own "JVM running" flag
        return
    log_file = settings.paths.log_file(LOG_NAME)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    conf = SparkConf(loadDefaults=False).setAll(list(options.items()))
    conf.set(EXTRA_JAVA_OPTIONS, driver_java_options(log_file, options.get(EXTRA_JAVA_OPTIONS, "")))
    with log_file.open("ab") as out:  # the JVM keeps its own handle
        gateway = launch_gateway(conf, popen_kwargs={"stdout": out, "stderr": subprocess.STDOUT})
    SparkContext._ensure_initialized(gateway=gateway, conf=conf)  # noqa: SLF001
