"""Run one live connector for a bounded time into Kafka, through the validated ingest path.

The CLI and the ``live_sources`` DAG both call :func:`run_live_source`, so both behave the same.
Design: docs/sources.md#ingest
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict
from typing import Any

from trendstream.core.settings import Settings
from trendstream.sources.bluesky import JetstreamClient
from trendstream.sources.ingest import Ingestor
from trendstream.sources.reconnect import Clock, ReconnectingClient
from trendstream.sources.x_stream import XStreamClient

log = logging.getLogger(__name__)

LIVE_SOURCES = ("x", "bluesky")
SOURCE_NAMES = {"x": "x-stream", "bluesky": "bluesky"}  # the ``source`` of produced records


def run_live_source(
    settings: Settings,
    source: str,
    *,
    max_events: int | None = None,
    duration_s: float | None = None,
    dids: Sequence[str] = (),
    clock: Clock | None = None,
) -> dict[str, Any]:
    """Stream ``source`` ("x" or "bluesky") until a limit; returns connector and ingest counts."""
    if source not in LIVE_SOURCES:
        raise ValueError(f"unknown live source {source!r}; choose one of {', '.join(LIVE_SOURCES)}")
    if max_events is None and duration_s is None:
        raise ValueError("give max_events or duration_s: live runs are bounded")
    with ExitStack() as stack:
        client: ReconnectingClient
        if source == "x":  # opened first: a missing token fails before Kafka is touched
            client = stack.enter_context(XStreamClient(settings.sources, clock=clock))
        else:
            client = JetstreamClient(settings, dids=dids, clock=clock)
        ingestor = stack.enter_context(Ingestor(settings, source=SOURCE_NAMES[source]))
        stats = client.run(ingestor, max_events=max_events, duration_s=duration_s)
    result = asdict(stats)
    result["ingest"] = ingestor.summary().to_dict()  # after close: counts the final flush
    return result
