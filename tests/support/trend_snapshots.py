"""A tiny snapshot set for the Trends page, written directly (no stream run): three snapshots
five minutes apart in which a solar-eclipse story rises and fades and a transit strike peaks,
plus the posts behind them for Milvus. The JSON follows trends/report.py's contract; the
newest snapshot also carries the trend engine's optional fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from trendstream.trends.report import SNAPSHOT_PREFIX, iso, snapshot_key

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
ECLIPSE = "T20261202T100000-00"
STRIKE = "T20261202T100500-01"
ECLIPSE_POSTS = [
    "Totality over the valley, the solar eclipse turned noon into night #eclipse",
    "Crowds cheering as the moon covers the sun, eclipse glasses everywhere #eclipse",
    "The corona during the eclipse was unreal, best sky show of my life #Eclipse2026",
]
STRIKE_POSTS = [
    "Metro drivers walk out, no trains downtown this morning #transitstrike",
    "Bus and subway strike leaves commuters stranded at every station #transitstrike",
]
# (minutes after T0, {trend: (size, status, timeline)})
SNAPSHOTS = [
    (0, {ECLIPSE: (12, "emerging", [0, 1, 1, 2, 2, 3, 3, 0, 0, 0])}),
    (
        5,
        {
            ECLIPSE: (30, "emerging", [2, 2, 3, 3, 4, 4, 3, 3, 3, 3]),
            STRIKE: (9, "emerging", [0, 0, 0, 0, 1, 1, 2, 2, 1, 2]),
        },
    ),
    (
        10,
        {
            ECLIPSE: (14, "fading", [3, 3, 2, 2, 2, 1, 1, 0, 0, 0]),
            STRIKE: (21, "emerging", [1, 1, 2, 2, 2, 3, 3, 2, 2, 3]),
        },
    ),
]


def _trend(trend_id: str, size: int, status: str, timeline: list[int], at: str) -> dict:
    eclipse = trend_id == ECLIPSE
    texts = ECLIPSE_POSTS if eclipse else STRIKE_POSTS
    return {
        "trend_id": trend_id,
        "status": status,
        "score": float(size) * (2.0 if eclipse else 1.5),
        "size": size,
        "growth": 6.5 if eclipse else 4.0,
        "keywords": ["eclipse", "totality", "corona", "moon"]
        if eclipse
        else ["strike", "metro", "commuters", "bus"],
        "hashtags": ["eclipse", "eclipse2026"] if eclipse else ["transitstrike"],
        "tweet_ids": [f"{trend_id}-{i}" for i in range(len(texts))],
        "representatives": [
            {"tweet_id": f"{trend_id}-{i}", "text": t} for i, t in enumerate(texts)
        ],
        "expected": 2.0,
        "baseline_count": 4.0,
        "engagement": 120.0 * size,
        "first_seen": at,
        "history": [],
        "timeline": timeline,
    }


def write_snapshot_set(reports_dir: Path, t0: datetime) -> list[str]:
    """Write the set under ``reports_dir``; returns the snapshot keys, oldest first."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    keys = []
    for minutes, trends in SNAPSHOTS:
        at = t0 + timedelta(minutes=minutes)
        payload: dict[str, Any] = {
            "snapshot_at": iso(at),
            "window": {"start": iso(at - timedelta(minutes=10)), "end": iso(at)},
            "trends": [_trend(tid, *spec, iso(t0)) for tid, spec in trends.items()],
            "hashtag_baseline": [],
            "stats": {},
        }
        if minutes == SNAPSHOTS[-1][0]:
            payload["trends"][0].update(
                distinct_authors=11,
                retweet_share=0.25,
                hashtag_variants={"eclipse": 9, "Eclipse2026": 3},
                suspected_coordination=False,
            )
            payload["suppressed"] = [
                {
                    "size": 80,
                    "distinct_authors": 80,
                    "new_author_share": 0.95,
                    "text": "Claim your FREE crypto airdrop now",
                }
            ]
            payload["viral"] = [
                {
                    "tweet_id": f"{ECLIPSE}-0",
                    "author_id": "42",
                    "text": ECLIPSE_POSTS[0],
                    "retweets": 310,
                    "quotes": 12,
                    "likes": 990,
                    "engagement_growth": 8.0,
                }
            ]
        key = snapshot_key(at)
        (reports_dir / f"{SNAPSHOT_PREFIX}{key}.json").write_text(json.dumps(payload))
        keys.append(key)
    return keys


def posts(t0: datetime) -> list[dict[str, Any]]:
    """The snapshot set's posts, as tweet dicts for ``rows_from_tweets``."""
    out = []
    for trend_id, texts in ((ECLIPSE, ECLIPSE_POSTS), (STRIKE, STRIKE_POSTS)):
        for i, text in enumerate(texts):
            out.append(
                {
                    "id": f"{trend_id}-{i}",
                    "created_at": iso(t0 + timedelta(minutes=i)),
                    "author_id": str(100 + i),
                    "lang": "en",
                    "hashtags": [w[1:].lower() for w in text.split() if w.startswith("#")],
                    "text": text,
                }
            )
    return out
