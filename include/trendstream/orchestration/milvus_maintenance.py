"""The milvus_maintenance DAG's steps by name, each recorded to ``paths.milvus_stats_file``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from trendstream.core.settings import Settings
from trendstream.orchestration.alerts import dag_default_args

STEPS = ("flush", "ttl_delete", "compact", "index", "stats")
DEFAULT_ARGS = dag_default_args(timedelta(minutes=1))


def run_step(name: str, settings: Settings | None = None) -> dict[str, Any]:
    """Run one maintenance step on the configured collection and record what it did."""
    from trendstream.orchestration.connections import task_settings
    from trendstream.vectorstore import maintenance as m
    from trendstream.vectorstore.store import TweetStore

    settings = settings or task_settings()
    steps: dict[str, Callable[[TweetStore], dict[str, Any]]] = {
        "flush": m.flush,
        "ttl_delete": lambda store: m.ttl_delete(store, m.ttl_cutoff_ms(settings)),
        "compact": m.compact,
        "index": m.rebuild_index_if_changed,
        "stats": m.collection_stats,
    }
    if name not in steps:
        raise ValueError(f"unknown maintenance step {name!r}; choose from {', '.join(STEPS)}")
    with TweetStore.connect(settings) as store:
        store.ensure_collection()
        outcome = steps[name](store)
    record = {"at": datetime.now(UTC).isoformat(), "step": name, **outcome}
    path = settings.paths.milvus_stats_file
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(json.dumps(record, default=str) + "\n")
    return record
