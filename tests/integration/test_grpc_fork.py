"""Children started beside a live Milvus (gRPC) channel all reach exec (grpc/grpc#43055).

A fresh interpreter imports trendstream, opens a Milvus client on the session platform and
starts 300 children the way PySpark starts its gateway JVM (Python runs in the child before
exec). With gRPC's fork support on, ~3 % of them abort with "epoll_wait error: Bad file
descriptor" before exec (8 of 300 when measured); importing trendstream turns it off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from trendstream.core.settings import Settings

pytestmark = pytest.mark.integration

CHILDREN = 300
PROBE = """
import json, signal, subprocess, sys
import trendstream
from pymilvus import MilvusClient
client = MilvusClient(uri=sys.argv[1])
client.list_collections()
aborted = []
for _ in range(int(sys.argv[2])):
    child = subprocess.run(
        ["true"], capture_output=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    if child.returncode != 0:
        aborted.append([child.returncode, child.stderr.decode(errors="replace")[:200]])
    client.list_collections()
print(json.dumps(aborted))
"""


def test_children_started_beside_a_live_milvus_channel_all_reach_exec(platform: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GRPC_ENABLE_FORK_SUPPORT"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, platform.milvus.uri, str(CHILDREN)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    aborted = json.loads(done.stdout.strip().splitlines()[-1])
    assert aborted == [], f"{len(aborted)} of {CHILDREN} children aborted: {aborted[:3]}"
