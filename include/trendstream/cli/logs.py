"""Where the CLI's log records go: ours to the console, everyone else's to a log file.

The console is for our progress. Libraries' records (py4j, pymilvus, Airflow, ...) and Python
warnings (pandas FutureWarnings and the like) go to ``<state_dir>/logs/cli.log``; ``-v`` brings
them back to the console. The Spark driver's own output is redirected where the JVM starts
(``trendstream.stream.quiet_driver``).
Design: docs/orchestration.md#quiet-console
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

OURS = "trendstream"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that install their own console handlers (propagate=False) when imported; done
# before we route them, and only for the commands that import them anyway.
SELF_CONFIGURING = {"pymilvus": ("pymilvus", "pymilvus.milvus_client", "pymilvus.bulk_writer")}


class _Installed(logging.Handler):
    """Marks the handlers we installed, so a second ``configure`` (tests) replaces them."""


class _Console(logging.StreamHandler, _Installed):
    pass


class _File(logging.FileHandler, _Installed):
    pass


def is_ours(record: logging.LogRecord) -> bool:
    return record.name == OURS or record.name.startswith(OURS + ".")


def configure(verbose: int, log_file: Path | None, libraries: tuple[str, ...] = ()) -> None:
    """Console: our records at WARNING (-v INFO, -vv DEBUG), others' only with -v; file: all
    records at INFO and up. ``libraries``: keys of SELF_CONFIGURING the command will use."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Installed)]:
        root.removeHandler(handler)
        handler.close()
    level = logging.WARNING - 10 * min(verbose, 2)
    console = _Console(sys.stderr)
    console.setLevel(level)
    console.setFormatter(logging.Formatter(FORMAT))
    if not verbose:
        console.addFilter(is_ours)
    root.addHandler(console)
    root.setLevel(min(level, logging.INFO))
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = _File(log_file)
        to_file.setLevel(logging.INFO)
        to_file.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(to_file)
    # warnings.warn -> the "py.warnings" logger -> the file. Off first: a second call is a
    # no-op in logging, even when someone restored warnings.showwarning in between (pytest).
    logging.captureWarnings(False)
    logging.captureWarnings(True)
    for library in libraries:
        __import__(library)
        for name in SELF_CONFIGURING[library]:
            logger = logging.getLogger(name)
            for handler in logger.handlers[:]:
                logger.removeHandler(handler)
            logger.propagate = True
