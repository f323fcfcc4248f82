"""Fault hooks the crash tests load into the child processes they kill.

A test names one of the factories below in the child's settings (:func:`fault_settings`);
the child builds it once at start-up (:func:`trendstream.core.faults.load_hook`).
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.sandbox import derive_settings
from trendstream.core.faults import NoFaults
from trendstream.core.settings import Settings

# Under trendstream's namespace: the child's quiet console shows only trendstream records,
# and the tests read the injection from that console.
log = logging.getLogger("trendstream.faults.injected")

# The checkout root: a child (console script, spark-submit) must find ``tests.support`` on
# its PYTHONPATH to import a hook from here.
CHECKOUT = Path(__file__).resolve().parents[2]


class CrashBeforeCommit(NoFaults):
    """SIGKILL the ingest right before its ``commit``-th commit: that transaction's records
    are in the log and stay uncommitted, as a real kill there would leave them."""

    def __init__(self, commit: int) -> None:
        self.commit = commit

    def before_commit(self, transaction_no: int, flush: Callable[[], object]) -> None:
        if transaction_no == self.commit:
            flush()  # all of the transaction in the log, uncommitted, when the kill lands
            log.error(
                "fault injection: killing the ingest before commit %d; its transaction is "
                "in the log, uncommitted",
                transaction_no,
            )
            os.kill(os.getpid(), signal.SIGKILL)


class CrashAfterBatch(NoFaults):
    """Exit the stream job right after micro-batch ``batch``'s Milvus upsert, before Spark
    records the batch as done, so the restarted job replays it."""

    def __init__(self, batch: int) -> None:
        self.batch = batch

    def after_batch(self, batch_id: int) -> None:
        if batch_id == self.batch:
            log.error("fault injection: dying after the upsert of batch %d", batch_id)
            os._exit(1)


def fault_settings(settings: Settings, hook: type[NoFaults], **params: Any) -> Settings:
    """``settings`` with ``hook(**params)`` as the fault hook of the process they start."""
    return derive_settings(
        settings, faults={"hook": f"{hook.__module__}:{hook.__qualname__}", "params": params}
    )


def importable_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the checkout first on PYTHONPATH, so the child can import the hooks."""
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**env, "PYTHONPATH": os.pathsep.join([str(CHECKOUT), *rest])}
