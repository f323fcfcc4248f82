"""The three checks the data_quality DAG runs, by name: fetch recent data, validate, record."""

from __future__ import annotations

from datetime import UTC, datetime

from trendstream.core.settings import Settings
from trendstream.quality import frames, suites
from trendstream.quality.runner import QualityResult, validate

CHECKS = ("analytics", "vectors", "stream")


def run_check(settings: Settings, name: str, now: datetime | None = None) -> QualityResult:
    """Validate one data set; call ``.raise_for_failure()`` on the result to fail loudly."""
    now = now or datetime.now(UTC)
    q = settings.quality
    if name == "analytics":
        frame, ref = frames.analytics_frame(settings, now)
        suite = suites.analytics_suite(q.max_analytics_age_s, q.max_null_rate)
    elif name == "vectors":
        frame, ref = frames.vectors_frame(settings, now, q.vector_sample)
        suite = suites.vectors_suite(settings.model.dimension)
    elif name == "stream":
        frame, ref = frames.stream_frame(settings)
        suite = suites.stream_suite(q.max_dead_letter_rate, q.max_lag)
    else:
        raise ValueError(f"unknown quality check {name!r}; choose from {', '.join(CHECKS)}")
    return validate(settings, suite, frame, ref)
