"""Keep the stream job alive: observe, decide (pure), act — with bounded restarts and backoff.

Restarts are counted in a state file so the budget holds across task runs and worker deaths.
Design: docs/orchestration.md#supervisor
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from trendstream.core.settings import Settings
from trendstream.orchestration import local_job
from trendstream.orchestration.health import (
    Health,
    HealthState,
    HealthThresholds,
    assess_stream_health,
)
from trendstream.stream.heartbeat import Heartbeat

log = logging.getLogger(__name__)

LagProbe = Callable[[Settings], int | None]


class SupervisorGaveUp(RuntimeError):
    """The job keeps dying: the supervisor's restart budget is spent, a human has to look."""


class Action(str, Enum):
    NONE = "none"
    LAUNCH = "launch"
    RESTART = "restart"
    BACKOFF = "backoff"
    GIVE_UP = "give_up"


@dataclass(frozen=True)
class RestartPolicy:
    max_restarts: int = 5
    window_s: float = 1800.0
    backoff_base_s: float = 10.0
    backoff_max_s: float = 300.0

    def backoff_s(self, recent_restarts: int) -> float:
        """Wait before the next restart: base, 2×base, 4×base, … capped."""
        if recent_restarts <= 0:
            return 0.0
        return min(self.backoff_max_s, self.backoff_base_s * 2 ** (recent_restarts - 1))


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    wait_s: float = 0.0


def decide(
    health: Health, restarts: list[datetime], now: datetime, policy: RestartPolicy
) -> Decision:
    """What to do about ``health`` given the restarts already made (pure)."""
    if health.state is HealthState.NOT_RUNNING:
        return Decision(Action.LAUNCH, "no stream job running: starting one")
    if not health.needs_restart:
        return Decision(Action.NONE, "; ".join(health.reasons) or health.state.value)
    recent = sorted(t for t in restarts if (now - t).total_seconds() < policy.window_s)
    why = "; ".join(health.reasons)
    if len(recent) >= policy.max_restarts:
        return Decision(
            Action.GIVE_UP,
            f"{why}; already restarted {len(recent)} times in {policy.window_s:.0f}s — giving up",
        )
    wait = policy.backoff_s(len(recent)) - ((now - recent[-1]).total_seconds() if recent else 0.0)
    if wait > 0:
        return Decision(Action.BACKOFF, f"{why}; next restart allowed in {wait:.0f}s", wait)
    return Decision(
        Action.RESTART, f"{why}: restarting (restart {len(recent) + 1}/{policy.max_restarts})"
    )


@dataclass
class JobPlan:
    """How the job is launched: extra args and env overrides (a replay sets both)."""

    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    replay: dict[str, Any] | None = None


@dataclass
class SupervisorState:
    restarts: list[datetime] = field(default_factory=list)
    launched_at: datetime | None = None
    plan: JobPlan = field(default_factory=JobPlan)
    # The last (pid, batch id) seen and since when it has not changed while records waited.
    progress: dict[str, Any] = field(default_factory=dict)
    last: dict[str, Any] = field(default_factory=dict)

    def stalled_s(
        self, heartbeat: Heartbeat | None, lag: int | None, now: datetime
    ) -> float | None:
        """Seconds with records waiting and no new micro-batch (updates the tracking)."""
        if heartbeat is None or not lag:
            self.progress = {}
            return None
        seen = {"pid": heartbeat.pid, "batch_id": heartbeat.batch_id}
        if {k: self.progress.get(k) for k in seen} != seen:
            self.progress = {**seen, "since": now.isoformat()}
            return 0.0
        return (now - datetime.fromisoformat(self.progress["since"])).total_seconds()

    @classmethod
    def load(cls, settings: Settings) -> SupervisorState:
        try:
            data = json.loads(settings.paths.supervisor_state_file.read_text())
        except (FileNotFoundError, ValueError):
            return cls()
        return cls(
            restarts=[datetime.fromisoformat(t) for t in data.get("restarts", [])],
            launched_at=datetime.fromisoformat(data["launched_at"])
            if data.get("launched_at")
            else None,
            plan=JobPlan(**data.get("plan", {})),
            progress=data.get("progress", {}),
            last=data.get("last", {}),
        )

    def save(self, settings: Settings) -> None:
        path = settings.paths.supervisor_state_file
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "restarts": [t.isoformat() for t in self.restarts],
            "launched_at": self.launched_at.isoformat() if self.launched_at else None,
            "plan": asdict(self.plan),
            "progress": self.progress,
            "last": self.last,
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(path)


@dataclass(frozen=True)
class SupervisorReport:
    health: Health
    decision: Decision
    pid: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "health": self.health.as_dict(),
            "action": self.decision.action.value,
            "reason": self.decision.reason,
            "pid": self.pid,
        }


def kafka_lag(settings: Settings) -> int | None:
    """Records of the tweets topic the stream's consumer group has not committed (None if
    unknown)."""
    from trendstream.kafka.admin import consumer_lag

    try:
        parts = consumer_lag(settings, settings.kafka.consumer_group, settings.kafka.tweets_topic)
    except Exception as exc:  # the broker being down must not stop us restarting the job
        log.warning("consumer lag unavailable: %s", exc)
        return None
    return sum(p.lag for p in parts)


def supervise_once(
    settings: Settings,
    *,
    now: datetime | None = None,
    thresholds: HealthThresholds | None = None,
    policy: RestartPolicy = RestartPolicy(),
    lag_probe: LagProbe = kafka_lag,
) -> SupervisorReport:
    """One tick: assess the job, then launch / restart / wait / give up as decided."""
    thresholds = thresholds or HealthThresholds(max_lag=settings.quality.max_lag)
    with local_job.supervisor_lock(settings):
        now = now or datetime.now(UTC)
        state = SupervisorState.load(settings)
        pid, age = local_job.running_job(settings)
        heartbeat, lag = Heartbeat.read(settings.paths.heartbeat_file), lag_probe(settings)
        health = assess_stream_health(
            heartbeat,
            lag,
            now,
            thresholds,
            process_alive=pid is not None,
            process_age_s=age,
            ever_started=state.launched_at is not None,
            stalled_s=state.stalled_s(heartbeat, lag, now) if pid is not None else None,
        )
        decision = decide(health, state.restarts, now, policy)
        log.info(
            "stream health %s -> %s: %s", health.state.value, decision.action.value, decision.reason
        )
        if decision.action is Action.RESTART:
            local_job.stop_local_job(settings)
            state.restarts.append(now)
            state.progress = {}
        if decision.action in (Action.LAUNCH, Action.RESTART):
            pid = local_job.launch_local_job(settings, state.plan.args, state.plan.env)
            state.launched_at = now
        report = SupervisorReport(health, decision, pid)
        state.last = {"at": now.isoformat(), **report.as_dict()}
        state.save(settings)
    if decision.action is Action.GIVE_UP:
        raise SupervisorGaveUp(decision.reason)
    return report


def apply_plan(settings: Settings, plan: JobPlan, *, now: datetime | None = None) -> int:
    """Stop the job and start it again with ``plan`` (a replay); the restart budget resets."""
    with local_job.supervisor_lock(settings):
        now = now or datetime.now(UTC)
        local_job.stop_local_job(settings)
        settings.paths.heartbeat_file.unlink(missing_ok=True)
        state = SupervisorState.load(settings)
        state.plan, state.restarts, state.launched_at = plan, [], now
        pid = local_job.launch_local_job(settings, plan.args, plan.env)
        state.last = {"at": now.isoformat(), "action": "replay", "pid": pid, "replay": plan.replay}
        state.save(settings)
    log.info("stream job relaunched for replay %s (pid %s)", plan.replay, pid)
    return pid


def stop_supervised_job(settings: Settings) -> bool:
    """Stop the job and forget it was launched, so the next tick starts a fresh one."""
    with local_job.supervisor_lock(settings):
        stopped = local_job.stop_local_job(settings)
        state = SupervisorState.load(settings)
        state.launched_at, state.restarts = None, []
        state.save(settings)
    return stopped
