"""Validate a frame against a suite; keep the result (JSON and Data Docs); quarantine the batch
when it fails.

Design: docs/quality.md#runner
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from trendstream.core.settings import Settings
from trendstream.quality.data_docs import project, run_with_docs
from trendstream.quality.suites import SuiteSpec

log = logging.getLogger(__name__)


class QualityCheckFailed(RuntimeError):
    """A suite failed; the message names every expectation that broke."""

    def __init__(self, result: QualityResult) -> None:
        self.result = result
        broken = "; ".join(result.failed)
        super().__init__(
            f"data quality suite {result.suite!r} failed: {broken} "
            f"(result {result.result_path}, quarantined {result.quarantine_path})"
        )


@dataclass(frozen=True)
class QualityResult:
    suite: str
    success: bool
    failed: list[str]
    result_path: Path
    quarantine_path: Path | None = None
    statistics: dict[str, Any] = field(default_factory=dict)

    def raise_for_failure(self) -> QualityResult:
        if not self.success:
            raise QualityCheckFailed(self)
        return self


def validate(
    settings: Settings, suite: SuiteSpec, frame: pd.DataFrame, batch_ref: dict[str, Any]
) -> QualityResult:
    """Run ``suite`` on ``frame``; records the outcome (result JSON, Data Docs page), never
    raises on failure itself."""
    with project(settings) as context:
        outcome = run_with_docs(context, suite, frame)
    failed = [_describe(r) for r in outcome.results if not r.success]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    document = {
        "suite": suite.name,
        "batch": batch_ref,
        "rows": len(frame),
        **outcome.to_json_dict(),
    }
    result_path = _write(settings.paths.quality_dir / suite.name / f"{stamp}.json", document)
    _write(settings.paths.quality_dir / suite.name / "latest.json", document)
    quarantine = None
    if failed:
        quarantine = _write(
            settings.paths.quality_dir / "quarantine" / f"{stamp}-{suite.name}.json",
            {"suite": suite.name, "batch": batch_ref, "failed": failed, "result": str(result_path)},
        )
        log.error("quality suite %s FAILED on %s: %s", suite.name, batch_ref, "; ".join(failed))
    else:
        log.info("quality suite %s passed on %d rows", suite.name, len(frame))
    return QualityResult(
        suite=suite.name,
        success=bool(outcome.success),
        failed=failed,
        result_path=result_path,
        quarantine_path=quarantine,
        statistics=dict(outcome.statistics),
    )


def _describe(result: Any) -> str:
    """``expect_x(column=c, ...)``: which expectation broke, with its arguments and a sample."""
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    detail = result.result or {}
    if "unexpected_count" in detail:
        sample = detail.get("partial_unexpected_list", [])[:3]
        return f"{config.type}({args}): {detail['unexpected_count']} unexpected, e.g. {sample}"
    if "observed_value" in detail:
        return f"{config.type}({args}): observed {detail['observed_value']!r}"
    exc = (result.exception_info or {}).get("exception_message")
    return f"{config.type}({args})" + (f": {exc}" if exc else "")


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=2, default=str))
    tmp.replace(path)
    return path


def latest_results(settings: Settings) -> dict[str, dict[str, Any]]:
    """suite name → its latest result document (for the UI)."""
    out = {}
    for path in sorted(settings.paths.quality_dir.glob("*/latest.json")):
        try:
            out[path.parent.name] = json.loads(path.read_text())
        except ValueError:
            continue
    return out
