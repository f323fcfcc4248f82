"""The milvus_maintenance DAG's steps by name, each recorded to ``<state_dir>/milvus/stats.jsonl``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from trendstream.core.settings import Settings

STEPS = ("flush", "ttl_delete", "compact", "index", "stats")


def stats_file(settings: Settings):
    return settings.state_dir / "milvus" / "stats.jsonl"


def run_step(settings: Settings, name: str) -> dict[str, Any]:
    """Run one maintenance step on the configured collection and record what it did."""
    from trendstream.vectorstore import maintenance as m
    from trendstream.vectorstore.milvus import connect, ensure_collection

    steps: dict[str, Callable[[Any, Settings], dict[str, Any]]] = {
        "flush": m.flush,
        "ttl_delete": lambda client, s: m.ttl_delete(client, s, m.ttl_cutoff_ms(s)),
        "compact": m.compact,
        "index": m.rebuild_index_if_changed,
        "stats": m.collection_stats,
    }
    if name not in steps:
        raise ValueError(f"unknown maintenance step {name!r}; choose from {', '.join(STEPS)}")
    client = connect(settings.milvus)
    try:
        ensure_collection(client, settings)
        outcome = steps[name](client, settings)
    finally:
        client.close()
    record = {"at": datetime.now(UTC).isoformat(), "step": name, **outcome}
    path = stats_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(json.dumps(record, default=str) + "\n")
    return record
