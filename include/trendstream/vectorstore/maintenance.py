"""Housekeeping for the tweet collection, called by the ``milvus_maintenance`` DAG.

Each step is safe while the stream keeps upserting and returns a JSON-able record of itself.
Design: docs/vectorstore.md#maintenance
"""

from __future__ import annotations

import logging
import time
from typing import Any

from trendstream.core.settings import Settings
from trendstream.vectorstore.collection import (
    STRONG,
    create_index,
    current_index_spec,
    index_spec,
    vector_index_names,
)
from trendstream.vectorstore.store import TweetStore

log = logging.getLogger(__name__)


def flush(store: TweetStore) -> dict[str, Any]:
    """Seal growing segments so recent writes are persisted and indexable."""
    ms = store.milvus
    started = time.monotonic()
    store.retry("flush", lambda: store.client.flush(ms.collection, timeout=ms.rpc_timeout_s))
    seconds = round(time.monotonic() - started, 3)
    log.info("flushed %s in %.3fs", ms.collection, seconds)
    return {"action": "flush", "collection": ms.collection, "seconds": seconds}


def compact(store: TweetStore, wait_s: float = 300.0) -> dict[str, Any]:
    """Merge small segments and purge deleted rows, waiting up to ``wait_s`` for the job.

    Milvus Lite accepts the call but has no compaction job (it answers job id 0); that is
    reported as ``supported: False`` rather than treated as a failure.
    """
    ms, client = store.milvus, store.client
    try:
        job_id = store.retry("compact", lambda: client.compact(ms.collection))
    except Exception as exc:
        if "not support" in str(exc).lower() or "unimplemented" in str(exc).lower():
            log.info("compaction not supported by %s: %s", ms.uri, exc)
            return {"action": "compact", "supported": False, "detail": str(exc)[:200]}
        raise
    if not job_id:
        log.info(
            "compaction of %s: server ran no job (Milvus Lite compacts internally)", ms.collection
        )
        return {"action": "compact", "supported": False, "job_id": 0}
    deadline = time.monotonic() + wait_s
    state = "Executing"
    while time.monotonic() < deadline:
        state = store.retry("get_compaction_state", lambda: client.get_compaction_state(job_id))
        if state == "Completed":
            break
        time.sleep(1.0)
    log.info("compaction job %s of %s: %s", job_id, ms.collection, state)
    return {"action": "compact", "supported": True, "job_id": job_id, "state": state}


def ttl_delete(store: TweetStore, older_than_ms: int) -> dict[str, Any]:
    """Delete rows whose ``created_at`` is before ``older_than_ms``; returns how many."""
    ms = store.milvus
    expr = f"created_at < {int(older_than_ms)}"
    matching = store.count(expr)
    if matching:
        store.retry(
            "ttl delete",
            lambda: store.client.delete(
                ms.collection, filter=expr, timeout=ms.rpc_timeout_s, consistency_level=STRONG
            ),
        )
    log.info(
        "TTL delete on %s: removed %d rows created before %d",
        ms.collection,
        matching,
        older_than_ms,
    )
    return {"action": "ttl_delete", "older_than_ms": int(older_than_ms), "deleted": matching}


def ttl_cutoff_ms(settings: Settings, now_ms: int | None = None) -> int:
    """The created_at before which rows are expired by ``settings.milvus.ttl_days``."""
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    return now - int(settings.milvus.ttl_days * 86_400_000)


def rebuild_index_if_changed(store: TweetStore) -> dict[str, Any]:
    """Drop and rebuild the vector index when it differs from the settings (or its build
    parameters are unknown). Searches are unavailable between release and load; upserts
    keep working throughout."""
    ms, client = store.milvus, store.client
    wanted, current = index_spec(ms), current_index_spec(store)
    if current == wanted:
        log.info("index on %s matches settings %s; nothing to rebuild", ms.collection, wanted)
        return {"action": "rebuild_index", "rebuilt": False, "index": wanted}
    started = time.monotonic()
    store.retry("release_collection", lambda: client.release_collection(ms.collection))
    if current is not None:
        for name in vector_index_names(store):
            store.retry(
                f"drop_index {name}", lambda name=name: client.drop_index(ms.collection, name)
            )
        log.info("dropped index %s on %s", current, ms.collection)
    create_index(store)
    store.retry("load_collection", lambda: client.load_collection(ms.collection))
    seconds = round(time.monotonic() - started, 3)
    log.info("rebuilt index on %s: %s -> %s in %.1fs", ms.collection, current, wanted, seconds)
    return {
        "action": "rebuild_index",
        "rebuilt": True,
        "previous": current,
        "index": wanted,
        "seconds": seconds,
    }


def collection_stats(store: TweetStore) -> dict[str, Any]:
    """Row count, index description and load state, for the DAG to record."""
    ms, client = store.milvus, store.client
    indexes = []
    for name in store.retry("list_indexes", lambda: client.list_indexes(ms.collection)):
        info = store.retry(
            f"describe_index {name}",
            lambda name=name: client.describe_index(ms.collection, name),
        )
        indexes.append({k: v for k, v in info.items() if isinstance(v, (str, int, float))})
    load_state = store.retry("get_load_state", lambda: client.get_load_state(ms.collection))
    stats = {
        "collection": ms.collection,
        "uri": ms.uri,
        "row_count": store.count(),
        "indexes": indexes,
        "index_matches_settings": current_index_spec(store) == index_spec(ms),
        "load_state": str(getattr(load_state.get("state"), "name", load_state.get("state"))),
    }
    log.info(
        "stats for %s: %d rows, indexes %s, %s",
        ms.collection,
        stats["row_count"],
        [i.get("index_name") for i in indexes],
        stats["load_state"],
    )
    return stats
