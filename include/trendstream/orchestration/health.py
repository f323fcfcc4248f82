"""Is the streaming job healthy? A pure verdict from its heartbeat, its process and its lag.

Dead and stuck jobs are restarted; lag is reported, since restarting does not cure it.
Design: docs/orchestration.md#health
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from trendstream.stream.heartbeat import Heartbeat


class HealthState(str, Enum):
    NOT_RUNNING = "not_running"  # no job was ever started (or it was stopped on purpose)
    STARTING = "starting"  # alive, no heartbeat yet, still inside the start-up grace period
    ALIVE = "alive"
    LAGGING = "lagging"
    STUCK = "stuck"
    DEAD = "dead"

    @property
    def needs_restart(self) -> bool:
        return self in (HealthState.STUCK, HealthState.DEAD)


@dataclass(frozen=True)
class HealthThresholds:
    # A batch is triggered every few seconds even when idle, so a minute of silence is a hang.
    max_heartbeat_age_s: float = 90.0
    max_batch_duration_s: float = 300.0
    max_lag: int = 200_000  # the supervisor uses settings.quality.max_lag
    # Spark start-up plus model load on a busy 2-core machine.
    startup_grace_s: float = 180.0
    # Records waiting but no micro-batch completed for this long: alive yet not working.
    max_stall_s: float = 300.0


@dataclass(frozen=True)
class Health:
    state: HealthState
    reasons: tuple[str, ...] = ()
    heartbeat_age_s: float | None = None
    lag: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def needs_restart(self) -> bool:
        return self.state.needs_restart

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "reasons": list(self.reasons),
            "heartbeat_age_s": None
            if self.heartbeat_age_s is None
            else round(self.heartbeat_age_s, 1),
            "lag": self.lag,
            **self.details,
        }


def assess_stream_health(
    heartbeat: Heartbeat | None,
    lag: int | None,
    now: datetime,
    thresholds: HealthThresholds,
    *,
    process_alive: bool,
    process_age_s: float | None = None,
    ever_started: bool = True,
    stalled_s: float | None = None,
) -> Health:
    """The job's health from what we can observe; ``reasons`` say why in words.

    ``stalled_s``: how long records have been waiting without a micro-batch completing
    (the supervisor tracks it across ticks); a job that heartbeats but never finishes a
    batch (e.g. a query stuck retrying) is as stuck as one that stopped heartbeating.
    """
    if not process_alive:
        if not ever_started:
            return Health(HealthState.NOT_RUNNING, ("no stream job has been started",), lag=lag)
        return Health(HealthState.DEAD, ("the stream job's process is gone",), lag=lag)

    age = None if heartbeat is None else heartbeat.age_s(now)
    young = process_age_s is not None and process_age_s < thresholds.startup_grace_s
    # A heartbeat older than the process itself belongs to a previous run.
    fresh_for_this_run = heartbeat is not None and (process_age_s is None or age <= process_age_s)

    if not fresh_for_this_run:
        if young:
            return Health(HealthState.STARTING, ("waiting for the first micro-batch",), lag=lag)
        return Health(
            HealthState.STUCK,
            (f"no heartbeat within the {thresholds.startup_grace_s:.0f}s start-up grace period",),
            lag=lag,
        )
    assert heartbeat is not None and age is not None
    reasons = []
    if age > thresholds.max_heartbeat_age_s:
        reasons.append(f"heartbeat is {age:.0f}s old (limit {thresholds.max_heartbeat_age_s:.0f}s)")
    if (
        heartbeat.batch_duration_s is not None
        and heartbeat.batch_duration_s > thresholds.max_batch_duration_s
    ):
        reasons.append(
            f"last batch took {heartbeat.batch_duration_s:.0f}s "
            f"(limit {thresholds.max_batch_duration_s:.0f}s)"
        )
    if stalled_s is not None and stalled_s > thresholds.max_stall_s:
        reasons.append(f"no micro-batch completed for {stalled_s:.0f}s while records wait")
    if reasons:
        return Health(HealthState.STUCK, tuple(reasons), age, lag)
    if lag is not None and lag > thresholds.max_lag:
        return Health(
            HealthState.LAGGING, (f"consumer lag {lag} > {thresholds.max_lag}",), age, lag
        )
    return Health(HealthState.ALIVE, (), age, lag)
