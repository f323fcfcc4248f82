"""The Milvus sink and reads against a real Milvus Lite server (no mocks)."""

from __future__ import annotations

import threading
import time
from datetime import UTC

import numpy as np
import pytest

from tests.support.sandbox import derive_settings, sandbox_settings
from trendstream.core.settings import Settings
from trendstream.platform import process
from trendstream.platform.milvus import milvus_spec
from trendstream.vectorstore import maintenance
from trendstream.vectorstore.milvus import (
    SCALAR_FIELDS,
    CollectionMismatch,
    MilvusUnavailable,
    connect,
    count,
    create_index,
    ensure_collection,
    get_by_ids,
    query_time_range,
    rows_from_tweets,
    search,
    upsert_rows,
)

pytestmark = pytest.mark.integration

BASE_MS = 1_750_000_000_000
DIM = 16  # small vectors keep the server-side work tiny; the schema takes any dimension


def small(settings: Settings, **milvus: object) -> Settings:
    return derive_settings(settings, model={"dimension": DIM}, milvus=milvus)


def unit_vectors(n: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def tweets(n: int, start: int = 0) -> list[dict]:
    return [
        {
            "id": str(10_000 + i),
            "text": f"post {i} about #topic{i % 5} https://t.co/x{i}",
            "created_at": BASE_MS + i * 1000,
            "author_id": str(500 + i % 7),
            "lang": "en",
            "hashtags": [f"topic{i % 5}"],
            "metrics": {"like_count": i, "retweet_count": 1, "reply_count": 0, "quote_count": 0},
        }
        for i in range(start, start + n)
    ]


@pytest.fixture
def store(settings: Settings):
    cfg = small(settings)
    client = connect(cfg.milvus)
    ensure_collection(client, cfg)
    yield client, cfg
    client.drop_collection(cfg.milvus.collection)
    client.close()


def test_ensure_collection_is_idempotent_and_declares_the_schema(store) -> None:
    client, cfg = store
    ensure_collection(client, cfg)  # second call: no error, nothing changes
    info = client.describe_collection(cfg.milvus.collection)
    fields = {f["name"]: f for f in info["fields"]}
    assert (
        set(fields)
        == {*SCALAR_FIELDS, "embedding"}
        == {
            "id",
            "embedding",
            "created_at",
            "author_id",
            "lang",
            "hashtags",
            "like_count",
            "retweet_count",
            "reply_count",
            "quote_count",
            "text",
            "clean_text",
            "ingested_at",
        }
    )
    assert fields["id"].get("is_primary") and not info.get("auto_id")
    assert int(fields["embedding"]["params"]["dim"]) == DIM
    stats = maintenance.collection_stats(client, cfg)
    assert stats["row_count"] == 0 and stats["index_matches_settings"]
    assert stats["load_state"] == "Loaded"
    with pytest.raises(CollectionMismatch, match=f"stores {DIM}-d vectors"):
        ensure_collection(client, derive_settings(cfg, model={"dimension": DIM * 2}))


def test_upsert_twice_never_duplicates_and_updates_in_place(store) -> None:
    client, cfg = store
    batch, vectors = tweets(300), unit_vectors(300)
    assert upsert_rows(client, cfg, rows_from_tweets(batch, vectors)) == 300
    batch[3]["metrics"]["like_count"] = 999
    assert upsert_rows(client, cfg, rows_from_tweets(batch, vectors)) == 300  # replayed batch
    assert count(client, cfg) == 300
    (row,) = get_by_ids(client, cfg, ["10003"], output_fields=["like_count", "clean_text"])
    assert row["like_count"] == 999
    assert row["clean_text"] == "post 3 about topic 3"


def test_search_finds_the_nearest_row_and_honours_filters(store) -> None:
    client, cfg = store
    vectors = unit_vectors(500, seed=1)
    upsert_rows(client, cfg, rows_from_tweets(tweets(500), vectors))
    query = vectors[[42, 137]] + 0.01 * unit_vectors(2, seed=2)
    hits = search(client, cfg, query, k=5)
    assert [h[0]["id"] for h in hits] == ["10042", "10137"]
    assert hits[0][0]["distance"] > 0.99 and hits[0][0]["hashtags"] == ["topic2"]
    filtered = search(client, cfg, query[:1], k=5, filter_expr='array_contains(hashtags, "topic1")')
    assert filtered[0] and all(h["hashtags"] == ["topic1"] for h in filtered[0])


def test_query_time_range_pages_past_the_query_limit(settings: Settings) -> None:
    cfg = small(settings, index_type="FLAT", index_params={}, write_batch_size=5000)
    client = connect(cfg.milvus)
    ensure_collection(client, cfg)
    n = 17_000  # more than Milvus' 16384-row cap on one query
    vectors = unit_vectors(n, seed=3)
    upsert_rows(client, cfg, rows_from_tweets(tweets(n), vectors))
    rows = query_time_range(client, cfg, BASE_MS, BASE_MS + n * 1000, output_fields=["id"])
    assert len(rows) == n and len({r["id"] for r in rows}) == n
    window = query_time_range(
        client,
        cfg,
        BASE_MS + 100_000,
        BASE_MS + 120_000,
        output_fields=["id", "created_at"],
        include_vectors=True,
    )
    assert sorted(int(r["id"]) - 10_000 for r in window) == list(range(100, 120))
    for row in window:
        np.testing.assert_allclose(row["embedding"], vectors[int(row["id"]) - 10_000], atol=1e-6)
    client.drop_collection(cfg.milvus.collection)


def test_create_index_retry_is_safe_and_a_foreign_index_is_reported(store) -> None:
    client, cfg = store
    create_index(client, cfg)  # "already exists" for our own index is success
    create_index(client, cfg)
    changed = derive_settings(cfg, milvus={"index_params": {"M": 8, "efConstruction": 64}})
    with pytest.raises(CollectionMismatch, match="rebuild"):
        create_index(client, changed)


def test_ttl_delete_removes_only_old_rows(store) -> None:
    client, cfg = store
    upsert_rows(client, cfg, rows_from_tweets(tweets(100), unit_vectors(100)))
    report = maintenance.ttl_delete(client, cfg, older_than_ms=BASE_MS + 40 * 1000)
    assert report["deleted"] == 40
    assert count(client, cfg) == 60
    assert get_by_ids(client, cfg, ["10039", "10040"], output_fields=["id"]) == [{"id": "10040"}]
    assert maintenance.ttl_delete(client, cfg, older_than_ms=BASE_MS)["deleted"] == 0
    cutoff = maintenance.ttl_cutoff_ms(cfg, now_ms=BASE_MS + 10 * 86_400_000)
    assert cutoff == BASE_MS + int((10 - cfg.milvus.ttl_days) * 86_400_000)


def test_rebuild_index_applies_changed_parameters(store) -> None:
    client, cfg = store
    vectors = unit_vectors(200, seed=4)
    upsert_rows(client, cfg, rows_from_tweets(tweets(200), vectors))
    assert maintenance.rebuild_index_if_changed(client, cfg)["rebuilt"] is False
    changed = derive_settings(cfg, milvus={"index_params": {"M": 8, "efConstruction": 64}})
    report = maintenance.rebuild_index_if_changed(client, changed)
    assert report["rebuilt"] is True
    assert report["previous"]["params"] == {"M": 16, "efConstruction": 200}
    assert report["index"]["params"] == {"M": 8, "efConstruction": 64}
    assert maintenance.rebuild_index_if_changed(client, changed)["rebuilt"] is False
    stats = maintenance.collection_stats(client, changed)
    assert stats["index_matches_settings"] and stats["load_state"] == "Loaded"
    assert search(client, changed, vectors[:1], k=1)[0][0]["id"] == "10000"
    assert maintenance.flush(client, changed)["action"] == "flush"
    assert "supported" in maintenance.compact(client, changed, wait_s=30)
    assert count(client, changed) == 200  # maintenance lost nothing


def test_outage_raises_within_the_budget_and_recovers(tmp_path) -> None:
    """A private server (the shared one must stay up): stop it mid-stream, then restart."""
    own = derive_settings(
        sandbox_settings(tmp_path / "own"),
        model={"dimension": DIM},
        milvus={"collection": "outage", "retry_timeout_s": 3.0, "rpc_timeout_s": 5.0},
    )
    spec = milvus_spec(own)
    process.start(spec)
    try:
        client = connect(own.milvus)
        ensure_collection(client, own)
        upsert_rows(client, own, rows_from_tweets(tweets(50), unit_vectors(50)))
        process.stop(spec)
        started = time.monotonic()
        with pytest.raises(MilvusUnavailable, match="unavailable"):
            upsert_rows(client, own, rows_from_tweets(tweets(50, start=50), unit_vectors(50)))
        assert time.monotonic() - started < 3.0 + 5.0 + 2.0  # budget + one RPC + slack

        # Server comes back while a write is retrying: the write succeeds, nothing is lost.
        patient = derive_settings(own, milvus={"retry_timeout_s": 60.0})
        restart = threading.Timer(1.5, process.start, args=(spec,))
        restart.start()
        written = upsert_rows(
            client, patient, rows_from_tweets(tweets(50, start=50), unit_vectors(50))
        )
        restart.join()
        assert written == 50
        assert count(client, patient) == 100
    finally:
        process.stop(spec)


def test_a_baseline_past_the_limit_is_a_uniform_weighted_sample(store) -> None:
    from datetime import datetime

    from trendstream.trends.source import load_baseline

    client, cfg = store
    n = 300
    vectors = unit_vectors(n, seed=5)
    upsert_rows(client, cfg, rows_from_tweets(tweets(n), vectors))
    start = datetime.fromtimestamp(BASE_MS / 1000, UTC)
    end = datetime.fromtimestamp((BASE_MS + n * 1000) / 1000, UTC)

    def baseline(limit: int):
        return load_baseline(
            derive_settings(cfg, trends={"baseline_max_posts": limit}), start, end, client
        )

    for limit in (0, n):  # no limit, or not past it: every post, unweighted
        whole, weight = baseline(limit)
        assert len(whole) == n and weight == 1.0
    sample, weight = baseline(100)
    assert len(sample) == 100 and weight == 3.0
    assert set(sample.ids) <= set(whole.ids)
    for row, tweet_id in enumerate(sample.ids):
        np.testing.assert_allclose(sample.vectors[row], vectors[int(tweet_id) - 10_000], atol=1e-6)
    assert (
        sample.created_ms.min() < BASE_MS + 60_000 and sample.created_ms.max() > BASE_MS + 240_000
    )
    assert set(baseline(100)[0].ids) == set(sample.ids)  # a re-run snapshot sees the same sample
