"""User activity score: an exponentially decayed, weighted count of a user's actions.

Computed as rebased per-window sums, so the stream keeps no per-user state and nothing overflows.
Design: docs/stream.md#scores
"""

from __future__ import annotations

from collections.abc import Sequence

# Conversation-making actions weigh more than one-click ones.
ACTION_WEIGHTS: dict[str, float] = {
    "post": 1.0,
    "reply": 2.0,
    "quote": 2.0,
    "retweet": 1.0,
    "like": 0.5,
    "follow": 0.5,
}


def fold_actions(
    score: float,
    latest_s: float | None,
    times_s: Sequence[float],
    actions: Sequence[str],
    half_life_s: float,
) -> tuple[float, float]:
    """``(score, latest)`` after adding ``actions`` at ``times_s`` to a user's state."""
    if not times_s:
        return score, latest_s if latest_s is not None else 0.0
    new_latest = max(times_s) if latest_s is None else max(latest_s, max(times_s))
    total = score * 2.0 ** (-(new_latest - latest_s) / half_life_s) if latest_s is not None else 0.0
    for when, action in zip(times_s, actions, strict=True):
        total += ACTION_WEIGHTS.get(action, 0.0) * 2.0 ** (-(new_latest - when) / half_life_s)
    return total, new_latest


def score_at(score: float, latest_s: float, at_s: float, half_life_s: float) -> float:
    """A stored score read at a later time ``at_s`` (decayed from the user's last action)."""
    return score * 2.0 ** (-max(at_s - latest_s, 0.0) / half_life_s)


def window_score(window_sum, window_start_s, at_s, half_life_s: float):
    """One window's rebased sum ``S_w`` as its share of the score at ``at_s``; works on
    floats and elementwise on numpy/pandas arrays (the reader sums these per user)."""
    return window_sum * 2.0 ** ((window_start_s - at_s) / half_life_s)
