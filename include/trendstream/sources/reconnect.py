"""What the live connectors share: reconnect schedules, run limits and the sink they feed.

Waiting goes through an injectable :class:`Clock` so tests replay hours of backoff at once.
Design: docs/sources.md#live-sources
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

log = logging.getLogger(__name__)


class Sink(Protocol):
    """Where a connector hands its posts. :class:`trendstream.sources.ingest.Ingestor`
    (validates, produces, dead-letters) satisfies it; connectors never import the ingest."""

    def submit(self, raw: bytes | str | dict[str, Any], position: str) -> bool: ...

    def flush(self) -> Any: ...


class Clock(Protocol):
    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Wall-clock time (rate-limit reset headers are epoch seconds) and real sleeps."""

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Backoff:
    """One reconnect schedule: the wait before the n-th consecutive retry (n from 1)."""

    first_s: float
    cap_s: float
    growth: Literal["linear", "exponential"]

    def delay(self, attempt: int) -> float:
        if attempt < 1:
            raise ValueError("attempts count from 1")
        if self.growth == "linear":
            return min(self.first_s * attempt, self.cap_s)
        return min(self.first_s * 2.0 ** min(attempt - 1, 62), self.cap_s)


@dataclass
class Retrier:
    """Consecutive-failure counts per failure class; a healthy connection resets them all."""

    schedules: dict[str, Backoff]
    attempts: dict[str, int] = field(default_factory=dict)

    def next_delay(self, cause: str) -> float:
        self.attempts[cause] = self.attempts.get(cause, 0) + 1
        return self.schedules[cause].delay(self.attempts[cause])

    def reset(self) -> None:
        self.attempts.clear()


@dataclass(frozen=True, slots=True)
class Reconnect:
    """One decision to reconnect, kept so runs (and tests) can show what happened."""

    cause: str
    delay_s: float
    detail: str


class RunBudget:
    """Stops a run after ``max_events`` posts, ``duration_s`` seconds or :meth:`stop`."""

    def __init__(
        self, clock: Clock, max_events: int | None = None, duration_s: float | None = None
    ) -> None:
        self.clock = clock
        self.max_events = max_events
        self.deadline = None if duration_s is None else clock.time() + duration_s
        self.events = 0
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()

    def count(self) -> None:
        self.events += 1

    def remaining_s(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - self.clock.time())

    def done(self) -> bool:
        if self._stopped.is_set():
            return True
        if self.max_events is not None and self.events >= self.max_events:
            return True
        remaining = self.remaining_s()
        return remaining is not None and remaining <= 0

    def wait(self, seconds: float) -> None:
        """Sleep before a reconnect, but never past the end of the run."""
        remaining = self.remaining_s()
        self.clock.sleep(seconds if remaining is None else min(seconds, remaining))

    def read_timeout(self, stall_s: float) -> float:
        """How long one read may block: the stall limit, or less when the run ends sooner."""
        remaining = self.remaining_s()
        return stall_s if remaining is None else max(0.05, min(stall_s, remaining))


@dataclass
class RunStats:
    """What one run did; ``skipped`` counts events that are not posts (control, other kinds)."""

    connections: int = 0
    posts: int = 0
    accepted: int = 0
    duplicates: int = 0
    skipped: int = 0
    keep_alives: int = 0
    reconnects: list[Reconnect] = field(default_factory=list)


class ReconnectingClient:
    """The loop both connectors share: connect, read until failure or limits, wait, repeat.

    Subclasses read one connection in :meth:`_connect_once` and say why it ended; the
    failure class picks the backoff schedule from :attr:`schedules`.
    """

    name = "source"
    schedules: dict[str, Backoff] = {}

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.budget: RunBudget | None = None

    def stop(self) -> None:
        """Ask a running :meth:`run` to finish after the current event."""
        if self.budget is not None:
            self.budget.stop()

    def run(
        self, sink: Sink, *, max_events: int | None = None, duration_s: float | None = None
    ) -> RunStats:
        """Stream into ``sink`` until ``max_events`` posts or ``duration_s`` seconds."""
        budget = self.budget = RunBudget(self.clock, max_events=max_events, duration_s=duration_s)
        stats = RunStats()
        retrier = Retrier(dict(self.schedules))
        try:
            while not budget.done():
                cause, detail = self._connect_once(sink, budget, stats, retrier)
                self._checkpoint(sink)
                if budget.done():
                    break
                delay = max(retrier.next_delay(cause), self._earliest_retry_s())
                stats.reconnects.append(Reconnect(cause, delay, detail))
                log.warning("%s: %s (%s); reconnecting in %.2f s", self.name, cause, detail, delay)
                budget.wait(delay)
        finally:
            self._checkpoint(sink)
        log.info(
            "%s done: %d posts (%d accepted, %d duplicates dropped, %d other events) "
            "over %d connections",
            self.name,
            stats.posts,
            stats.accepted,
            stats.duplicates,
            stats.skipped,
            stats.connections,
        )
        return stats

    def _connect_once(
        self, sink: Sink, budget: RunBudget, stats: RunStats, retrier: Retrier
    ) -> tuple[str, str]:
        """Read one connection; return the failure class and what happened."""
        raise NotImplementedError

    def _checkpoint(self, sink: Sink) -> None:
        """After each connection and at the end: make what was read durable."""
        sink.flush()

    def _earliest_retry_s(self) -> float:
        """A floor for the next wait (e.g. until a rate-limit window resets)."""
        return 0.0
