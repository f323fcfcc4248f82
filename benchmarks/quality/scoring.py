"""Scoring detections against the generator's ground truth.

* A detection (one reported trend in one snapshot) is **true** when most of its posts
  (≥ ``PURITY``) belong to one planted trend, and it is the first detection of that trend
  in that snapshot; otherwise (chatter, a decoy, a duplicate) it is **false**.
* **precision** = true detections / all detections, over all snapshots.
* **recall** = planted trends detected in at least one snapshot / planted trends
  (also split by kind: with and without a hashtag).
* **F1** = harmonic mean of the two.
* **delay** of a detected trend = snapshots between the first snapshot after its start
  and the first snapshot that reports it (0 = found at the first chance).
* **decoy reports** (wild profile): detections whose posts are mostly one decoy's (spam burst,
  retweet storm, bot ring, faded burst) — false, and counted per case.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PURITY = 0.5


@dataclass
class MethodScore:
    detections: int = 0
    true_detections: int = 0
    false_labels: Counter = field(default_factory=Counter)
    found: dict[str, int] = field(default_factory=dict)  # trend_id -> delay (snapshots)
    seconds: list[float] = field(default_factory=list)
    decoy_reports: Counter = field(default_factory=Counter)  # decoy case -> detections


def decoy_index(ground_truth: dict[str, Any]) -> dict[str, str]:
    """Post id → decoy case, for the decoys that list their posts (the wild profile's)."""
    return {tid: d["case"] for d in ground_truth["decoys"] for tid in d.get("member_tweet_ids", ())}


def member_index(ground_truth: dict[str, Any]) -> dict[str, str]:
    return {tid: t["trend_id"] for t in ground_truth["trends"] for tid in t["member_tweet_ids"]}


def match(tweet_ids: list[str], members: dict[str, str]) -> str | None:
    """The planted trend most of these posts belong to, or None."""
    if not tweet_ids:
        return None
    votes = Counter(members.get(t) for t in tweet_ids)
    trend, n = max(((k, v) for k, v in votes.items() if k), key=lambda kv: kv[1], default=(None, 0))
    return trend if n >= PURITY * len(tweet_ids) else None


def first_chance(start: datetime, schedule: list[datetime]) -> int | None:
    return next((i for i, at in enumerate(schedule) if at > start), None)


def score_snapshot(
    score: MethodScore,
    index: int,
    detections: list[Any],
    members: dict[str, str],
    starts: dict[str, int | None],
    seconds: float,
    decoys: dict[str, str] | None = None,
) -> None:
    score.seconds.append(seconds)
    seen: set[str] = set()
    for detected in detections:
        score.detections += 1
        trend = match(detected.tweet_ids, members)
        decoy = match(detected.tweet_ids, decoys) if decoys and trend is None else None
        if decoy is not None:
            score.decoy_reports[decoy] += 1
        if trend is None or trend in seen:
            score.false_labels[detected.label if trend is None else f"duplicate of {trend}"] += 1
            continue
        seen.add(trend)
        score.true_detections += 1
        if trend not in score.found and starts.get(trend) is not None:
            score.found[trend] = index - starts[trend]


def summary(score: MethodScore, ground_truth: dict[str, Any]) -> dict[str, Any]:
    planted = ground_truth["trends"]
    precision = score.true_detections / score.detections if score.detections else 1.0
    recall = len(score.found) / len(planted) if planted else 1.0
    by_kind = {}
    for kind in ("hashtag", "no_hashtag"):
        ids = [t["trend_id"] for t in planted if t["kind"] == kind]
        by_kind[kind] = sum(1 for t in ids if t in score.found) / len(ids) if ids else None
    delays = sorted(score.found.values())
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1(precision, recall), 4),
        "recall_by_kind": by_kind,
        "median_delay_snapshots": statistics.median(delays) if delays else None,
        "delays": delays,
        "detections": score.detections,
        "false_detections": dict(score.false_labels.most_common(10)),
        "missed": sorted(t["trend_id"] for t in planted if t["trend_id"] not in score.found),
        "seconds_per_snapshot": round(statistics.mean(score.seconds), 4) if score.seconds else None,
        "cases": cases(score, ground_truth),
    }


def cases(score: MethodScore, ground_truth: dict[str, Any]) -> dict[str, Any]:
    """Per wild-profile case: a planted story's delay (None = missed), a decoy's reports."""
    out: dict[str, Any] = {}
    for trend in ground_truth["trends"]:
        if trend.get("case"):
            out[trend["case"]] = {"found": trend["trend_id"] in score.found}
            out[trend["case"]]["delay"] = score.found.get(trend["trend_id"])
    for decoy in ground_truth["decoys"]:
        if decoy.get("case"):
            out[decoy["case"]] = {"reported": score.decoy_reports.get(decoy["case"], 0)}
    return out


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def pooled(
    summaries: list[dict[str, Any]], scores: list[MethodScore], planted: int
) -> dict[str, Any]:
    """All seeds together: detections and trends pooled, not per-seed metrics averaged."""
    detections = sum(s.detections for s in scores)
    true = sum(s.true_detections for s in scores)
    found = sum(len(s.found) for s in scores)
    precision = true / detections if detections else 1.0
    recall = found / planted if planted else 1.0
    delays = sorted(d for s in scores for d in s.found.values())
    kinds: dict[str, list[float]] = {}
    for summary_ in summaries:
        for kind, value in summary_["recall_by_kind"].items():
            if value is not None:
                kinds.setdefault(kind, []).append(value)
    seconds = [x for s in scores for x in s.seconds]
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1(precision, recall), 4),
        "recall_by_kind": {k: round(statistics.mean(v), 4) for k, v in kinds.items()},
        "median_delay_snapshots": statistics.median(delays) if delays else None,
        "seconds_per_snapshot": round(statistics.mean(seconds), 4) if seconds else None,
        "detections": detections,
    }


def pooled_cases(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Per case over all seeds: stories found (of planted) with their delays, decoy reports."""
    out: dict[str, Any] = {}
    for summary_ in summaries:
        for case, result in summary_.get("cases", {}).items():
            if "reported" in result:
                entry = out.setdefault(case, {"reported": 0})
                entry["reported"] += result["reported"]
            else:
                entry = out.setdefault(case, {"found": 0, "planted": 0, "delays": []})
                entry["planted"] += 1
                entry["found"] += int(result["found"])
                if result["delay"] is not None:
                    entry["delays"].append(result["delay"])
    return out
