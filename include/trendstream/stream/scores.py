"""User activity score: an exponentially decayed, weighted count of a user's actions.

    score_u(T) = Σ_i  w(a_i) · 2^(−(T − t_i) / H)

over every action ``a_i`` of user ``u`` at event time ``t_i`` (posting, and liking,
retweeting, replying to, quoting or following), where ``T`` is the user's latest action
time and ``H`` is ``settings.stream.user_score_half_life_s``. An action counts fully when
it happens and half as much ``H`` seconds later, so the score ranks users by *recent*
activity and needs only two numbers of state per user, ``(score, T)``: new actions are
folded in with :func:`fold_actions` in any order (an action older than ``T`` is simply
discounted on arrival), which is what makes it a streaming aggregate.

The stream job computes it as a plain windowed sum instead (no per-user state in Python):
actions are grouped by user and tumbling window ``[s_w, s_w + W)`` and each window keeps
``S_w = Σ w(a_i) · 2^((t_i − s_w) / H)``, rebased to its own start, so every term is at
most ``w · 2^(W/H)`` and nothing overflows however long the stream runs. The score at any
``T`` is then ``Σ_w S_w · 2^((s_w − T) / H)`` (:func:`window_score` per window): the same
sum, since ``2^((t − s_w)/H) · 2^((s_w − T)/H) = 2^(−(T − t)/H)``.
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
