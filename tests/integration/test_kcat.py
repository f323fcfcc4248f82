"""Clients we did not write against our broker and data: Debian's ``kcat`` and Kafka's own
consumer-groups tool.

``kcat`` lists the platform's topics and reads, ``read_committed``, what ``trendstream ingest``
wrote: the keys are exactly the tweet ids. After ``trendstream stream run --available-now``,
``kafka-consumer-groups --describe`` (its class, from the jars ``scripts/setup.sh`` resolved)
shows LAG 0 for every query's group: what Spark processed was published where Kafka tooling
looks.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest

from tests.support.cli import ingest_args
from trendstream.core.settings import Settings
from trendstream.kafka.admin import ensure_topics, topic_specs
from trendstream.platform.broker import java_executable, log4j_config
from trendstream.platform.environment import settings_env
from trendstream.sources.generator import GeneratorConfig, write_stream
from trendstream.stream.job import query_group

pytestmark = pytest.mark.integration

KCAT = shutil.which("kcat")
needs_kcat = pytest.mark.skipif(
    KCAT is None,
    reason="kcat is not installed (scripts/setup.sh installs it with apt when run "
    "as root; else `apt-get install -y kcat`)",
)
BIN = Path(sys.executable).parent
CONSUMER_GROUPS = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"


def kcat(settings: Settings, *args: str) -> str:
    done = subprocess.run(
        [KCAT, "-b", settings.kafka.bootstrap_servers, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def trendstream(settings: Settings, *args: str, timeout: float = 300) -> str:
    """The real CLI in a child process that gets ``settings`` only through its env."""
    done = subprocess.run(
        [str(BIN / "trendstream"), *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def ingest_generated(settings: Settings, tmp_path: Path) -> set[str]:
    """Generate a small stream, ingest both files with the CLI; the tweet ids."""
    paths = write_stream(tmp_path, GeneratorConfig(seed=12, minutes=1, rate=4))
    summary = orjson.loads(trendstream(settings, *ingest_args(paths)))
    ids = {orjson.loads(line)["data"]["id"] for line in paths.tweets.open("rb")}
    assert summary["tweets"] == len(ids) and summary["transactions"] >= 1
    return ids


@needs_kcat
def test_kcat_lists_our_topics(settings: Settings) -> None:
    ensure_topics(settings)
    listed = dict(re.findall(r'topic "([^"]+)" with (\d+) partitions', kcat(settings, "-L")))
    for spec in topic_specs(settings):
        assert listed.get(spec.name) == str(spec.partitions), (spec.name, sorted(listed))


@needs_kcat
def test_kcat_reads_what_ingest_wrote_keyed_by_tweet_id(settings: Settings, tmp_path) -> None:
    ids = ingest_generated(settings, tmp_path)
    out = kcat(
        settings,
        "-C",
        "-t",
        settings.kafka.tweets_topic,
        "-o",
        "beginning",
        "-e",
        "-q",
        "-X",
        "isolation.level=read_committed",
        "-f",
        "%k\n",
    )
    keys = Counter(out.splitlines())
    assert set(keys) == ids and max(keys.values()) == 1


def describe_groups(settings: Settings, groups: list[str]) -> list[dict[str, str]]:
    """``kafka-consumer-groups --describe`` rows (GROUP, TOPIC, PARTITION, ..., LAG)."""
    argv = [
        java_executable(settings),
        "-Xmx256m",
        f"-Dlog4j2.configurationFile={log4j_config()}",
        "-cp",
        f"{settings.jvm_lib / 'kafka'}/*",
        CONSUMER_GROUPS,
        "--bootstrap-server",
        settings.kafka.bootstrap_servers,
        "--describe",
    ]
    for group in groups:
        argv += ["--group", group]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    rows, header = [], None
    for line in done.stdout.splitlines():
        cells = line.split()
        if cells[:1] == ["GROUP"]:
            header = cells
        elif header and len(cells) >= len(header) - 3 and cells[0] in groups:
            rows.append(dict(zip(header, cells, strict=False)))
    return rows


def test_consumer_groups_tool_sees_lag_0_after_an_available_now_run(
    settings: Settings, tmp_path
) -> None:
    ingest_generated(settings, tmp_path)
    trendstream(settings, "stream", "run", "--available-now", timeout=900)
    k = settings.kafka
    reads = {
        (query_group(settings, name), topic)
        for name, topic in [
            ("embed", k.tweets_topic),
            ("hashtags", k.tweets_topic),
            ("engagement", k.engagements_topic),
            ("users", k.tweets_topic),
            ("users", k.engagements_topic),
        ]
    }
    rows = describe_groups(settings, sorted({group for group, _ in reads}))
    seen = {(row["GROUP"], row["TOPIC"]) for row in rows}
    assert seen == reads, (seen, rows)
    lags = {(row["GROUP"], row["TOPIC"], row["PARTITION"]): row["LAG"] for row in rows}
    assert set(lags.values()) == {"0"}, lags
    assert sum(int(row["CURRENT-OFFSET"]) for row in rows if row["GROUP"] == k.consumer_group) > 0
