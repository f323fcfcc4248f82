"""The embedded full Milvus standalone (``embedded = "standalone"``) through our platform code.

One server on free ports in a temp dir, driven by the same vectorstore code the stream and
the trend engine use; stopped and started again to prove the data survives a restart.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.support.sandbox import derive_settings, sandbox_settings
from trendstream.core.settings import Settings
from trendstream.platform import services
from trendstream.platform.environment import settings_env
from trendstream.platform.milvus import milvus_data_dir
from trendstream.vectorstore.rows import rows_from_tweets
from trendstream.vectorstore.store import TweetStore

pytest.importorskip("milvus", reason="the `milvus` wheel (embedded standalone) is not installed")

pytestmark = pytest.mark.integration

DIM = 32
ROWS = 300


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[Settings]:
    settings = derive_settings(
        sandbox_settings(tmp_path / "state", milvus_server="standalone"),
        milvus={"collection": "standalone_test", "retry_timeout_s": 60.0},
        model={"dimension": DIM},
    )
    try:
        services.up(settings, services=("milvus",))
        yield settings
    finally:
        services.down(settings, services=("milvus",))


def unit_vectors(n: int, seed: int = 7) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def tweets(n: int, text: str) -> list[dict]:
    now = int(time.time() * 1000)
    return [
        {"id": f"t{i}", "created_at": now, "author_id": "a", "text": f"{text} {i}"}
        for i in range(n)
    ]


def nearest_ids(store: TweetStore, queries: np.ndarray) -> list[str]:
    return [hits[0]["id"] for hits in store.search(queries, k=3)]


def platform_status(settings: Settings) -> dict:
    """``trendstream platform status --json`` in a child that gets the settings via env."""
    command = [
        str(Path(sys.executable).parent / "trendstream"),
        "platform",
        "status",
        "--json",
        "--services",
        "milvus",
    ]
    done = subprocess.run(
        command, env=settings_env(settings), capture_output=True, text=True, timeout=120
    )
    return json.loads(done.stdout)


def test_standalone_serves_upserts_searches_and_survives_a_restart(standalone: Settings) -> None:
    vectors = unit_vectors(ROWS)
    probes = [0, 17, 150, 299]
    with TweetStore.connect(standalone) as store:
        store.ensure_collection()
        assert store.upsert(rows_from_tweets(tweets(ROWS, "a"), vectors))
        assert store.count() == ROWS
        assert nearest_ids(store, vectors[probes]) == [f"t{i}" for i in probes]

        # The same ids again (a replayed batch): overwritten, never duplicated.
        store.upsert(rows_from_tweets(tweets(ROWS, "b"), vectors))
        assert store.count() == ROWS
        (row,) = store.get_by_ids(["t17"], output_fields=["id", "text"])
        assert row["text"] == "b 17"

    (status,) = platform_status(standalone)["services"]
    assert status["name"] == "milvus" and status["healthy"] and status["pid"]
    assert (milvus_data_dir(standalone) / "configs" / "milvus.yaml").is_file()

    services.down(standalone, services=("milvus",))
    assert not platform_status(standalone)["services"][0]["running"]
    services.up(standalone, services=("milvus",))

    with TweetStore.connect(standalone) as store:
        assert store.count() == ROWS
        assert nearest_ids(store, vectors[probes]) == [f"t{i}" for i in probes]
