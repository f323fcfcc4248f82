"""The stream job on a real Spark standalone cluster: Spark's own Master and two Workers on
loopback, the job submitted with ``spark-submit --master spark://…`` through the local launch
path, so executors run in the Workers' JVMs with the package shipped as a zip."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.job_run import embed_batches, embed_rate, job_log_file, run_job_to_completion
from tests.support.sandbox import derive_settings, isolated_settings
from tests.support.stream_data import (
    engagement_seconds,
    expected_engagement_seconds,
    expected_hashtag_windows,
    hashtag_windows,
    produce,
    tweet_ids,
)
from trendstream.core.settings import Settings
from trendstream.platform import services
from trendstream.platform.process import free_port, log_tail
from trendstream.platform.spark_cluster import master_state, master_url, worker_dir
from trendstream.sources.generator import GeneratorConfig, generate_stream
from trendstream.vectorstore.store import TweetStore

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

JOB_TIMEOUT_S = 400


@pytest.fixture(scope="module")
def spark_cluster(
    platform: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """A private cluster (Master + 2 Workers, 1 core and 1 GiB each) beside the shared
    broker and Milvus; stopped after the module."""
    settings = derive_settings(
        platform,
        state_dir=tmp_path_factory.mktemp("spark-cluster"),
        spark_cluster={
            "enabled": True,
            "master_port": free_port(),
            "master_webui_port": free_port(),
        },
    )
    try:
        services.up(settings, ("spark",))
        yield settings
    finally:
        services.down(settings, ("spark",))


def test_the_job_on_two_workers_lands_every_tweet_once_with_exact_analytics(
    spark_cluster: Settings, tmp_path: Path
) -> None:
    cluster = spark_cluster
    settings = isolated_settings(
        cluster,
        tmp_path / "state",
        # A generous watermark keeps the window counts exact (no late drops).
        stream={"master": master_url(cluster), "watermark_seconds": 3600},
    )
    generated = generate_stream(
        GeneratorConfig(minutes=1.0, rate=2.5, users=150, trends=2, decoys=1)
    )
    produce(settings, generated.tweets, generated.engagements)
    log_file = job_log_file(settings)
    started = time.monotonic()
    code = run_job_to_completion(settings, timeout_s=JOB_TIMEOUT_S)
    wall = time.monotonic() - started
    log_text = log_file.read_text(errors="replace")
    assert code == 0, log_tail(log_file, 60)

    ids = sorted(set(tweet_ids(generated.tweets)))
    with TweetStore.connect(settings) as store:
        assert store.count() == len(ids)
        assert sorted(r["id"] for r in store.get_by_ids(ids, output_fields=["id"])) == ids
    hashtags = expected_hashtag_windows(generated.tweets, settings.stream.window_seconds)
    assert hashtags and hashtag_windows(settings) == hashtags
    engagement = expected_engagement_seconds(generated.engagements)
    assert engagement and engagement_seconds(settings) == engagement

    # Executors really ran in both Workers' JVMs, each with the shipped package zip, and the
    # model ran there: the driver never loaded it.
    (app,) = [
        a for a in master_state(cluster)["completedapps"] if a["name"] == "trendstream-stream"
    ]
    assert app["cores"] == 2
    for index in range(cluster.spark_cluster.workers):
        executors = list((worker_dir(cluster, index) / app["id"]).iterdir())
        assert executors, f"no executor of {app['id']} on worker {index + 1}"
        assert any(next(e.glob("trendstream-*.zip"), None) for e in executors)
    assert "loaded embedding model" not in log_text
    print(
        f"cluster job: {len(ids)} tweets, {len(generated.engagements)} engagements in "
        f"{wall:.1f}s wall; embed sink {embed_rate(embed_batches(log_text)):.1f} tweets/s"
    )
