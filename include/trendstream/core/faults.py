"""Fault injection points: where a crash test may stop a production process, and nothing else.

The hook is named by settings and built when the process starts; hooks live with the tests.
Design: docs/core.md#faults
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol

from trendstream.core.settings import FaultSettings


class FaultHook(Protocol):
    """The points a test may act at (typically: kill the process there)."""

    def before_commit(self, transaction_no: int, flush: Callable[[], object]) -> None:
        """Ingest: the ``transaction_no``-th transaction of this run (from 1) is complete, its
        commit not yet sent; ``flush()`` waits until all of it is acknowledged in the log."""

    def after_batch(self, batch_id: int) -> None:
        """Stream job: micro-batch ``batch_id`` is upserted to Milvus, not yet recorded
        as done by Spark."""


class NoFaults:
    """The production hook: every point is a no-op. Test hooks subclass it."""

    def before_commit(self, transaction_no: int, flush: Callable[[], object]) -> None:
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
