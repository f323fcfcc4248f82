"""Fault injection points: where a crash test may stop a production process, and nothing else.

Production objects (:class:`~trendstream.sources.ingest.Ingestor`,
:class:`~trendstream.stream.sink.EmbedSink`) call a :class:`FaultHook` at the few points
whose crash semantics the reliability tests prove; the default hook does nothing. Crash
tests kill a *child* process (the ingest CLI, the spark-submitted job), so the hook is
named by settings (``faults.hook = "module:factory"``, ``faults.params``) and built once
when that process starts (:func:`load_hook`). The hooks themselves live with the tests
(``tests/support/faults.py``), never in the library.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from trendstream.core.settings import FaultSettings


class FaultHook(Protocol):
    """The points a test may act at (typically: kill the process there)."""

    def before_commit(self, transaction_no: int) -> None:
        """Ingest: the ``transaction_no``-th transaction of this run (from 1) is fully
        acknowledged in the log, its commit not yet sent."""

    def after_batch(self, batch_id: int) -> None:
        """Stream job: micro-batch ``batch_id`` is upserted to Milvus, not yet recorded
        as done by Spark."""


class NoFaults:
    """The production hook: every point is a no-op. Test hooks subclass it."""

    def before_commit(self, transaction_no: int) -> None:
        pass

    def after_batch(self, batch_id: int) -> None:
        pass


NO_FAULTS: FaultHook = NoFaults()


def load_hook(settings: FaultSettings) -> FaultHook:
    """The hook ``settings.hook`` names (``"package.module:factory"``), built as
    ``factory(**settings.params)``; :data:`NO_FAULTS` when none is named."""
    if not settings.hook:
        return NO_FAULTS
    module_name, sep, attr = settings.hook.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"faults.hook {settings.hook!r} is not of the form 'module:factory'")
    factory: Any = getattr(importlib.import_module(module_name), attr)
    return factory(**settings.params)
