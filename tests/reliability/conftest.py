"""Reliability scenarios: fault injection, bad input, load, access control (issue 8).

Each scenario records its counts (produced, in Milvus, in the dead-letter topic, lost,
duplicated, plus scenario extras) with the ``counts`` fixture; they are printed as one
table at the end of the run, so a plain ``pytest tests/reliability`` shows them.
Every scenario scales itself up under ``--soak`` (or ``TRENDSTREAM_SOAK=1``): 25 crash
trials instead of 5, a 60 s Milvus outage instead of 35 s, 1M events instead of ~50k.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

_RECORDED: list[tuple[str, dict]] = []


@pytest.fixture
def counts(request: pytest.FixtureRequest) -> Callable[..., dict]:
    """``counts(produced=..., in_milvus=..., in_dlq=..., lost=..., duplicated=..., **extra)``."""

    def record(**figures) -> dict:
        _RECORDED.append((request.node.name, figures))
        print(f"\n[reliability] {request.node.name}: {json.dumps(figures, default=str)}")
        return figures

    return record


def pytest_terminal_summary(terminalreporter) -> None:
    if not _RECORDED:
        return
    terminalreporter.section("reliability counts")
    for name, figures in _RECORDED:
        terminalreporter.write_line(f"{name}: {json.dumps(figures, default=str)}")
