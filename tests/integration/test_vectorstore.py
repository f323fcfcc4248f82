"""The Milvus sink and reads against a real Milvus Lite server (no mocks)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC

import numpy as np
import pytest

from tests.support.sandbox import derive_settings, sandbox_settings
from trendstream.core.settings import Settings
from trendstream.platform import process
from trendstream.platform.milvus import milvus_spec
from trendstream.vectorstore import maintenance
from trendstream.vectorstore.collection import SCALAR_FIELDS, CollectionMismatch, create_index
from trendstream.vectorstore.retry import MilvusUnavailable
from trendstream.vectorstore.rows import rows_from_tweets
from trendstream.vectorstore.store import TweetStore

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
def store(settings: Settings) -> Iterator[TweetStore]:
    with TweetStore.connect(small(settings)) as store:
        store.ensure_collection()
        yield store
        store.drop()


def test_ensure_collection_is_idempotent_and_declares_the_schema(store: TweetStore) -> None:
    store.ensure_collection()  # second call: no error, nothing changes
    info = store.client.describe_collection(store.collection)
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
    stats = maintenance.collection_stats(store)
    assert stats["row_count"] == 0 and stats["index_matches_settings"]
    assert stats["load_state"] == "Loaded"
    wider = store.with_settings(derive_settings(store.settings, model={"dimension": DIM * 2}))
    with pytest.raises(CollectionMismatch, match=f"stores {DIM}-d vectors"):
        wider.ensure_collection()


def test_upsert_twice_never_duplicates_and_updates_in_place(store: TweetStore) -> None:
    batch, vectors = tweets(300), unit_vectors(300)
    assert store.upsert(rows_from_tweets(batch, vectors)) == 300
    batch[3]["metrics"]["like_count"] = 999
    assert store.upsert(rows_from_tweets(batch, vectors)) == 300  # replayed batch
    assert store.count() == 300
    (row,) = store.get_by_ids(["10003"], output_fields=["like_count", "clean_text"])
    assert row["like_count"] == 999
    assert row["clean_text"] == "post 3 about topic 3"


def test_search_finds_the_nearest_row_and_honours_filters(store: TweetStore) -> None:
    vectors = unit_vectors(500, seed=1)
    store.upsert(rows_from_tweets(tweets(500), vectors))
    query = vectors[[42, 137]] + 0.01 * unit_vectors(2, seed=2)
    hits = store.search(query, k=5)
    assert [h[0]["id"] for h in hits] == ["10042", "10137"]
    assert hits[0][0]["distance"] > 0.99 and hits[0][0]["hashtags"] == ["topic2"]
    filtered = store.search(query[:1], k=5, filter_expr='array_contains(hashtags, "topic1")')
    assert filtered[0] and all(h["hashtags"] == ["topic1"] for h in filtered[0])


def test_query_time_range_pages_past_the_query_limit(settings: Settings) -> None:
    cfg = small(settings, index_type="FLAT", index_params={}, write_batch_size=5000)
    store = TweetStore.connect(cfg)
    store.ensure_collection()
    n = 17_000  # more than Milvus' 16384-row cap on one query
    vectors = unit_vectors(n, seed=3)
    store.upsert(rows_from_tweets(tweets(n), vectors))
    rows = store.time_range(BASE_MS, BASE_MS + n * 1000, output_fields=["id"])
    assert len(rows) == n and len({r["id"] for r in rows}) == n
    window = store.time_range(
        BASE_MS + 100_000,
        BASE_MS + 120_000,
        output_fields=["id", "created_at"],
        include_vectors=True,
    )
    assert sorted(int(r["id"]) - 10_000 for r in window) == list(range(100, 120))
    for row in window:
        np.testing.assert_allclose(row["embedding"], vectors[int(row["id"]) - 10_000], atol=1e-6)
    store.drop()
    store.close()


def changed_index(store: TweetStore) -> TweetStore:
    params = {"M": 8, "efConstruction": 64}
    return store.with_settings(derive_settings(store.settings, milvus={"index_params": params}))


def test_create_index_retry_is_safe_and_a_foreign_index_is_reported(store: TweetStore) -> None:
    create_index(store)  # "already exists" for our own index is success
    create_index(store)
    with pytest.raises(CollectionMismatch, match="rebuild"):
        create_index(changed_index(store))


def test_ttl_delete_removes_only_old_rows(store: TweetStore) -> None:
    store.upsert(rows_from_tweets(tweets(100), unit_vectors(100)))
    report = maintenance.ttl_delete(store, older_than_ms=BASE_MS + 40 * 1000)
    assert report["deleted"] == 40
    assert store.count() == 60
    assert store.get_by_ids(["10039", "10040"], output_fields=["id"]) == [{"id": "10040"}]
    assert maintenance.ttl_delete(store, older_than_ms=BASE_MS)["deleted"] == 0
    cutoff = maintenance.ttl_cutoff_ms(store.settings, now_ms=BASE_MS + 10 * 86_400_000)
    assert cutoff == BASE_MS + int((10 - store.milvus.ttl_days) * 86_400_000)


def test_rebuild_index_applies_changed_parameters(store: TweetStore) -> None:
    vectors = unit_vectors(200, seed=4)
    store.upsert(rows_from_tweets(tweets(200), vectors))
    assert maintenance.rebuild_index_if_changed(store)["rebuilt"] is False
    changed = changed_index(store)
    report = maintenance.rebuild_index_if_changed(changed)
    assert report["rebuilt"] is True
    assert report["previous"]["params"] == {"M": 16, "efConstruction": 200}
    assert report["index"]["params"] == {"M": 8, "efConstruction": 64}
    assert maintenance.rebuild_index_if_changed(changed)["rebuilt"] is False
    stats = maintenance.collection_stats(changed)
    assert stats["index_matches_settings"] and stats["load_state"] == "Loaded"
    assert changed.search(vectors[:1], k=1)[0][0]["id"] == "10000"
    assert maintenance.flush(changed)["action"] == "flush"
    assert "supported" in maintenance.compact(changed, wait_s=30)
    assert changed.count() == 200  # maintenance lost nothing


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
        store = TweetStore.connect(own)
        store.ensure_collection()
        store.upsert(rows_from_tweets(tweets(50), unit_vectors(50)))
        process.stop(spec)
        started = time.monotonic()
        with pytest.raises(MilvusUnavailable, match="unavailable"):
            store.upsert(rows_from_tweets(tweets(50, start=50), unit_vectors(50)))
        assert time.monotonic() - started < 3.0 + 5.0 + 2.0  # budget + one RPC + slack

        # Server comes back while a write is retrying: the write succeeds, nothing is lost.
        patient = store.with_settings(derive_settings(own, milvus={"retry_timeout_s": 60.0}))
        restart = threading.Timer(1.5, process.start, args=(spec,))
        restart.start()
        written = patient.upsert(rows_from_tweets(tweets(50, start=50), unit_vectors(50)))
        restart.join()
        assert written == 50
        assert patient.count() == 100
        store.close()
    finally:
        process.stop(spec)


def test_a_baseline_past_the_limit_is_a_uniform_weighted_sample(store: TweetStore) -> None:
    from datetime import datetime

    from trendstream.trends.source import load_baseline

    n = 300
    vectors = unit_vectors(n, seed=5)
    store.upsert(rows_from_tweets(tweets(n), vectors))
    start = datetime.fromtimestamp(BASE_MS / 1000, UTC)
    end = datetime.fromtimestamp((BASE_MS + n * 1000) / 1000, UTC)

    def baseline(limit: int):
        limited = derive_settings(store.settings, trends={"baseline_max_posts": limit})
        return load_baseline(store.with_settings(limited), start, end)

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
