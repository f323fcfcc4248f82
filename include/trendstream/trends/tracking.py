"""Trend identity across snapshots (the status of each snapshot's size history comes from
:mod:`.status`; the engine refines it with the within-window curve).

Trends keep their ``trend_id`` by centroid similarity; the state is JSON keyed by snapshot time
so a re-run continues from the state before it. Design: docs/trends.md#tracking
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from trendstream.trends.status import size_status

MAX_MISSED = 2
KEEP_STATES = 48


@dataclass
class TrackedTrend:
    trend_id: str
    centroid: list[float]
    first_seen: str
    last_seen: str
    history: list[tuple[str, int, float]] = field(default_factory=list)
    status: str = "emerging"
    missed: int = 0


@dataclass
class TrackingState:
    snapshot_at: str
    trends: list[TrackedTrend] = field(default_factory=list)

    def centroid_matrix(self, dimension: int) -> np.ndarray:
        if not self.trends:
            return np.empty((0, dimension), np.float32)
        return np.asarray([t.centroid for t in self.trends], np.float32)


def match_centroids(
    current: np.ndarray, previous: np.ndarray, min_similarity: float
) -> dict[int, int]:
    """Greedy one-to-one matching, most similar pairs first: ``{current row: previous row}``."""
    if current.shape[0] == 0 or previous.shape[0] == 0:
        return {}
    sims = current @ previous.T
    pairs = np.argwhere(sims >= min_similarity)
    order = np.argsort(-sims[pairs[:, 0], pairs[:, 1]], kind="stable")
    matched: dict[int, int] = {}
    used: set[int] = set()
    for cur, prev in pairs[order]:
        if int(cur) not in matched and int(prev) not in used:
            matched[int(cur)] = int(prev)
            used.add(int(prev))
    return matched


def advance(
    previous: TrackingState | None,
    at: datetime,
    centroids: np.ndarray,
    sizes: list[int],
    scores: list[float],
    matches: dict[int, int],
    *,
    max_missed: int = MAX_MISSED,
) -> tuple[TrackingState, list[TrackedTrend]]:
    """The next state, and the tracked trend of each current cluster (same order as ``sizes``).

    ``matches`` (from :func:`match_centroids`) says which previous trend each cluster
    continues; unmatched clusters start new trends.
    """
    stamp = at.isoformat()
    prior = previous.trends if previous else []
    current: list[TrackedTrend] = []
    for row, (size, score) in enumerate(zip(sizes, scores, strict=False)):
        if row in matches:
            old = prior[matches[row]]
            history = [*old.history, (stamp, int(size), float(score))]
            first_seen = old.first_seen
            trend_id = old.trend_id
        else:
            history = [(stamp, int(size), float(score))]
            first_seen = stamp
            trend_id = f"T{at.strftime('%Y%m%dT%H%M%S')}-{row:02d}"
        current.append(
            TrackedTrend(
                trend_id=trend_id,
                centroid=[round(float(v), 6) for v in centroids[row]],
                first_seen=first_seen,
                last_seen=stamp,
                history=history,
                status=size_status([h[1] for h in history]),
            )
        )
    continued = set(matches.values())
    quiet = [
        TrackedTrend(**{**asdict(t), "missed": t.missed + 1, "history": list(t.history)})
        for i, t in enumerate(prior)
        if i not in continued and t.missed + 1 <= max_missed
    ]
    return TrackingState(snapshot_at=stamp, trends=current + quiet), current


class StateStore:
    """Tracking states in one JSON file, newest ``KEEP_STATES`` kept, keyed by snapshot time."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load_all(self) -> list[TrackingState]:
        if not self.path.is_file():
            return []
        raw = json.loads(self.path.read_text())
        return [
            TrackingState(
                snapshot_at=entry["snapshot_at"],
                trends=[
                    TrackedTrend(**{**t, "history": [tuple(h) for h in t["history"]]})
                    for t in entry["trends"]
                ],
            )
            for entry in raw.get("states", [])
        ]

    def before(self, at: datetime) -> TrackingState | None:
        """The latest state strictly before ``at`` (None when tracking starts afresh)."""
        earlier = [s for s in self._load_all() if datetime.fromisoformat(s.snapshot_at) < at]
        return max(earlier, key=lambda s: datetime.fromisoformat(s.snapshot_at), default=None)

    def save(self, state: TrackingState) -> None:
        states = [s for s in self._load_all() if s.snapshot_at != state.snapshot_at] + [state]
        states.sort(key=lambda s: datetime.fromisoformat(s.snapshot_at))
        payload = {"version": 1, "states": [asdict(s) for s in states[-KEEP_STATES:]]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload))
        os.replace(tmp, self.path)
