"""The data_quality DAG's task: one Great Expectations suite, failing on broken expectations;
every run (passed or failed) also lands in the Data Docs site."""

from __future__ import annotations

from typing import Any

from trendstream.core.settings import Settings
from trendstream.orchestration.alerts import dag_default_args

SUITES = ("analytics", "vectors", "stream")
DEFAULT_ARGS = dag_default_args()


def check_suite(suite: str, settings: Settings | None = None) -> dict[str, Any]:
    """Run ``suite``; raises with the broken expectations, else returns its statistics."""
    from trendstream.orchestration.connections import task_settings
    from trendstream.quality.checks import run_check
    from trendstream.quality.data_docs import index_page

    settings = settings or task_settings()
    result = run_check(settings, suite).raise_for_failure()
    return {
        "suite": result.suite,
        "result": str(result.result_path),
        "data_docs": str(index_page(settings)),
        **result.statistics,
    }
