"""What the Trends page shows, read from the snapshot JSON files (pure shaping, no web code).

The snapshot JSON (``trends/report.py``) is the contract; fields the trend engine adds later
(``distinct_authors``, ``retweet_share``, ``hashtag_variants``, ``suspected_coordination``,
a top-level ``viral`` list) are passed through when present and never required.
Design: docs/orchestration.md#trends-view
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trendstream.trends.labels import display_name

# The report writer's file prefix; imported when read, not at import time: the plugin loads this
# module in every Airflow process, and trends.report pulls in the whole trend engine.
SNAPSHOT_KEY = re.compile(r"^\d{8}T\d{6}Z$")
# Per-trend fields the page and the API carry over from the snapshot when the engine wrote them.
OPTIONAL_TREND_FIELDS = (
    "distinct_authors",
    "retweet_share",
    "hashtag_variants",
    "suspected_coordination",
)


def _prefix() -> str:
    from trendstream.trends.report import SNAPSHOT_PREFIX

    return SNAPSHOT_PREFIX


def snapshot_files(reports_dir: Path) -> list[Path]:
    """Snapshot JSON files, newest first (the key in the name sorts by time)."""
    if not reports_dir.is_dir():
        return []
    prefix = _prefix()
    files = [
        p
        for p in reports_dir.glob(f"{prefix}*.json")
        if SNAPSHOT_KEY.match(p.stem.removeprefix(prefix))
    ]
    return sorted(files, reverse=True)


def read_snapshot(path: Path) -> dict[str, Any] | None:
    """A snapshot payload, or None for a file being replaced or not JSON."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def snapshot_key(path: Path) -> str:
    return path.stem.removeprefix(_prefix())


def load_snapshot(reports_dir: Path, key: str | None = None) -> tuple[str, dict[str, Any]] | None:
    """``(key, payload)`` of the snapshot ``key`` (default: the newest readable one)."""
    if key is not None:
        if not SNAPSHOT_KEY.match(key):
            return None
        payload = read_snapshot(reports_dir / f"{_prefix()}{key}.json")
        return (key, payload) if payload is not None else None
    for path in snapshot_files(reports_dir):
        payload = read_snapshot(path)
        if payload is not None:
            return snapshot_key(path), payload
    return None


def snapshot_summaries(reports_dir: Path) -> list[dict[str, Any]]:
    """One line per snapshot, newest first: its key, time, window, trend count, top names."""
    out = []
    for path in snapshot_files(reports_dir):
        payload = read_snapshot(path)
        if payload is None:
            continue
        trends = ranked_trends(payload)
        out.append(
            {
                "key": snapshot_key(path),
                "snapshot_at": str(payload.get("snapshot_at", "")),
                "window": payload.get("window") or {},
                "trend_count": len(trends),
                "top": [t["name"] for t in trends[:3]],
                "report": path.with_suffix(".html").name
                if path.with_suffix(".html").exists()
                else None,
            }
        )
    return out


def trend_name(trend: dict[str, Any]) -> str:
    """The snapshot's name for the trend; snapshots written before names were stored get
    theirs from the same rule."""
    if trend.get("name"):
        return str(trend["name"])
    return display_name(
        trend.get("hashtags") or (),
        trend.get("keywords") or (),
        str(trend.get("trend_id", "trend")),
    )


def trend_summary(trend: dict[str, Any]) -> dict[str, Any]:
    """The list view of a trend: name, volume, growth, status, curve, optional extras."""
    summary = {
        "trend_id": str(trend.get("trend_id", "")),
        "name": trend_name(trend),
        "status": str(trend.get("status", "")),
        "posts": int(trend.get("size", 0)),
        "growth": float(trend.get("growth", 0.0)),
        "score": float(trend.get("score", 0.0)),
        "engagement": float(trend.get("engagement", 0.0)),
        "keywords": [str(k) for k in trend.get("keywords") or ()],
        "hashtags": [str(h) for h in trend.get("hashtags") or ()],
        "timeline": [int(v) for v in trend.get("timeline") or ()],
        "first_seen": trend.get("first_seen"),
    }
    summary.update({f: trend[f] for f in OPTIONAL_TREND_FIELDS if trend.get(f) is not None})
    return summary


def ranked_trends(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The snapshot's trends as a "what's happening" list: highest burst score first; a name
    two trends share gets the first keyword that tells them apart."""
    trends = sorted(
        (trend_summary(t) for t in payload.get("trends") or ()), key=lambda t: -t["score"]
    )
    seen: set[str] = set()
    for trend in trends:
        if trend["name"] in seen:
            extra = next((k for k in trend["keywords"] if k not in trend["name"]), None)
            trend["name"] = f"{trend['name']} · {extra or trend['trend_id']}"
        seen.add(trend["name"])
    return trends


def trend_detail(reports_dir: Path, trend_id: str, key: str | None = None) -> dict[str, Any] | None:
    """One trend as of snapshot ``key`` (default: the newest snapshot holding it) with its
    timeline across every stored snapshot that reported it."""
    history: list[dict[str, Any]] = []
    found: tuple[str, dict[str, Any], dict[str, Any]] | None = None
    for path in snapshot_files(reports_dir):
        payload = read_snapshot(path)
        if payload is None:
            continue
        trend = next(
            (t for t in payload.get("trends") or () if t.get("trend_id") == trend_id), None
        )
        if trend is None:
            continue
        this_key = snapshot_key(path)
        history.append(
            {
                "snapshot_at": str(payload.get("snapshot_at", "")),
                "key": this_key,
                "posts": int(trend.get("size", 0)),
                "score": float(trend.get("score", 0.0)),
                "status": str(trend.get("status", "")),
            }
        )
        if found is None and (key is None or key == this_key):
            found = (this_key, payload, trend)
    if found is None:
        return None
    this_key, payload, trend = found
    return {
        **trend_summary(trend),
        "snapshot": this_key,
        "snapshot_at": str(payload.get("snapshot_at", "")),
        "window": payload.get("window") or {},
        "representatives": [
            {"tweet_id": str(r.get("tweet_id", "")), "text": str(r.get("text", ""))}
            for r in trend.get("representatives") or ()
        ],
        "history": history[::-1],
        "viral": [
            v
            for v in payload.get("viral") or ()
            if str(v.get("tweet_id")) in {str(i) for i in trend.get("tweet_ids") or ()}
        ],
    }


def timeline_spec(detail: dict[str, Any]) -> dict[str, Any]:
    """A Vega-Lite spec: posts per snapshot across snapshots (one line, points coloured by the
    status then), above posts per minute inside the current window; UTC, tooltips, zoom."""
    window = detail.get("window") or {}
    utc_axis = {
        "type": "temporal",
        "scale": {"type": "utc"},
        "axis": {"format": "%H:%M", "tickCount": {"interval": "minute"}, "labelOverlap": True},
    }
    across = {
        "title": "Posts in the window, snapshot by snapshot",
        "width": "container",
        "height": 160,
        "data": {"values": detail["history"]},
        "encoding": {
            "x": {"field": "snapshot_at", "title": "snapshot (UTC)", **utc_axis},
            "y": {"field": "posts", "type": "quantitative", "title": "posts"},
        },
        "layer": [
            {
                "mark": {"type": "line", "color": "#94a3b8"},
                "params": [{"name": "zoom", "select": "interval", "bind": "scales"}],
            },
            {
                "mark": {"type": "point", "filled": True, "size": 80, "tooltip": True},
                "encoding": {
                    "color": {
                        "field": "status",
                        "type": "nominal",
                        "scale": {
                            "domain": ["emerging", "peaking", "fading"],
                            "range": ["#16a34a", "#dc2626", "#6b7280"],
                        },
                    }
                },
            },
        ],
    }
    within = {
        "title": "Posts per minute in this snapshot's window",
        "width": "container",
        "height": 120,
        "data": {
            "values": _minute_points(window.get("start"), window.get("end"), detail["timeline"])
        },
        "mark": {"type": "bar", "tooltip": True, "color": "#2563eb"},
        "encoding": {
            "x": {"field": "minute", "type": "ordinal", "sort": None, "title": "minute (UTC)"},
            "y": {"field": "posts", "type": "quantitative", "title": "posts"},
        },
    }
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "vconcat": [across, within],
        "config": {"view": {"stroke": None}},
    }


def _minute_points(start: str | None, end: str | None, timeline: list[int]) -> list[dict]:
    """The window's buckets as ``{minute: "HH:MM", posts}`` (their start times, UTC; bucket
    numbers when the window is unknown)."""
    if not start or not end or not timeline:
        return [{"minute": str(i), "posts": v} for i, v in enumerate(timeline)]
    t0 = datetime.fromisoformat(start.replace("Z", "+00:00"))
    t1 = datetime.fromisoformat(end.replace("Z", "+00:00"))
    step = (t1 - t0) / len(timeline)
    return [
        {"minute": (t0 + step * i).astimezone(UTC).strftime("%H:%M"), "posts": v}
        for i, v in enumerate(timeline)
    ]
