"""A trend's life-cycle status — emerging, peaking or fading — from two views of its volume.

Snapshot-to-snapshot size says whether the story grew since the last snapshot; the
within-window curve (posts per minute) says what it is doing *now*: a story whose volume fell
to zero in the window's last minutes is fading even if this window holds more posts than the
last one. The later stage of the two wins. Design: docs/trends.md#status
"""

from __future__ import annotations

from collections.abc import Sequence

STAGES = ("emerging", "peaking", "fading")
RISE = 1.15  # a snapshot this much bigger than the one before is still rising
PEAK_BAND = 0.85  # within this share of the peak is "at the peak"
FADE_SHARE = 0.35  # a curve tail below this share of its peak has fallen off
TAIL_SHARE = 0.2  # the curve's tail: this share of the window's buckets (at least 2)
MIN_CURVE_POSTS = 5  # fewer posts than this make a curve too noisy to judge


def size_status(sizes: Sequence[int]) -> str:
    """Stage from the volume history across snapshots (oldest first)."""
    if len(sizes) < 2 or sizes[-1] >= RISE * sizes[-2]:
        return "emerging"
    return "peaking" if sizes[-1] >= PEAK_BAND * max(sizes) else "fading"


def curve_status(timeline: Sequence[int]) -> str | None:
    """Stage from the within-window curve: the mean of its last buckets against the highest
    mean of any run of as many buckets; None when the curve is too thin to say."""
    if sum(timeline) < MIN_CURVE_POSTS:
        return None
    width = min(len(timeline), max(2, round(len(timeline) * TAIL_SHARE)))
    means = [sum(timeline[i : i + width]) / width for i in range(len(timeline) - width + 1)]
    tail, peak = means[-1], max(means)
    if tail < FADE_SHARE * peak:
        return "fading"
    return "peaking" if tail < PEAK_BAND * peak else "emerging"


def trend_status(sizes: Sequence[int], timeline: Sequence[int] = ()) -> str:
    """The later stage of the size history and the within-window curve."""
    stages = [size_status(sizes), curve_status(timeline) or "emerging"]
    return max(stages, key=STAGES.index)
