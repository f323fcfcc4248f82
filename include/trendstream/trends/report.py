"""Snapshot reports: the machine-readable JSON contract and a self-contained HTML page.

Design: docs/trends.md#reports
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from trendstream.trends.charts import bar_chart, line_chart
from trendstream.trends.engine import Detection, Trend
from trendstream.trends.labels import display_name

SNAPSHOT_PREFIX = "snapshot-"
STYLE = (
    "\n"
    "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;"
    "max-width:1100px;color:#111;padding:0 1rem}\n"
    "h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}.muted{color:#666}\n"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}"
    "td,th{border-bottom:1px solid #e5e7eb;padding:.35rem .5rem;text-align:left;"
    "vertical-align:top}\n"
    ".badge{display:inline-block;padding:.05rem .45rem;border-radius:.6rem;font-size:.75rem;"
    "color:#fff}\n"
    ".emerging{background:#16a34a}.peaking{background:#dc2626}.fading{background:#6b7280}\n"
    ".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:1rem}"
    ".charts img{width:100%}\n"
    "blockquote{margin:.3rem 0;padding:.3rem .6rem;border-left:3px solid #93c5fd;"
    "background:#f8fafc}\n"
)


@dataclass(frozen=True)
class ReportPaths:
    json: Path
    html: Path
    index: Path


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def snapshot_key(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def trend_payload(trend: Trend) -> dict[str, Any]:
    return {
        "trend_id": trend.trend_id,
        "name": display_name(trend.hashtags, trend.keywords, trend.trend_id),
        "status": trend.status,
        "score": round(trend.score, 4),
        "size": trend.size,
        "growth": round(trend.growth, 4),
        "keywords": list(trend.keywords),
        "hashtags": list(trend.hashtags),
        "tweet_ids": list(trend.tweet_ids),
        "representatives": [
            {"tweet_id": r.tweet_id, "text": r.text} for r in trend.representatives
        ],
        "expected": round(trend.expected, 4),
        "baseline_count": trend.baseline_count,
        "engagement": trend.engagement,
        "distinct_authors": trend.distinct_authors,
        "retweet_share": round(trend.retweet_share, 4),
        "hashtag_variants": list(trend.hashtag_variants),
        "first_seen": trend.first_seen,
        "history": [
            {"snapshot_at": h[0], "size": h[1], "score": round(h[2], 4)} for h in trend.history
        ],
        "timeline": list(trend.timeline),
    }


def snapshot_payload(detection: Detection) -> dict[str, Any]:
    """The snapshot JSON contract (``snapshot_at``, ``window``, ``trends``) plus extras."""
    return {
        "snapshot_at": iso(detection.snapshot_at),
        "window": {"start": iso(detection.window_start), "end": iso(detection.window_end)},
        "trends": [trend_payload(t) for t in detection.trends],
        "viral": [asdict(v) for v in detection.viral],
        "suppressed": list(detection.suppressed),
        "hashtag_baseline": [
            {
                "hashtag": h.hashtag,
                "count": h.count,
                "expected": round(h.expected, 4),
                "score": round(h.score, 4),
                "growth": round(h.growth, 4),
                "tweet_ids": h.tweet_ids,
            }
            for h in detection.hashtag_trends
        ],
        "stats": detection.stats,
    }


def write_report(detection: Detection, reports_dir: Path) -> ReportPaths:
    """Write the snapshot's JSON + HTML, refresh ``latest.json`` and the index page."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    key = snapshot_key(detection.snapshot_at)
    payload = snapshot_payload(detection)
    text = json.dumps(payload, indent=1, ensure_ascii=False)
    json_path = _atomic_write(reports_dir / f"{SNAPSHOT_PREFIX}{key}.json", text)
    _atomic_write(reports_dir / "latest.json", text)
    html_path = _atomic_write(reports_dir / f"{SNAPSHOT_PREFIX}{key}.html", render_html(detection))
    index = _atomic_write(reports_dir / "index.html", render_index(reports_dir))
    return ReportPaths(json=json_path, html=html_path, index=index)


def render_html(detection: Detection) -> str:
    trends = detection.trends
    names = [f"{t.trend_id} · {', '.join(t.keywords[:2])}" for t in trends]
    charts = []
    if trends:
        charts.append(
            line_chart(
                {n: t.timeline for n, t in zip(names, trends, strict=False)},
                "Trend volume in the window",
                "minute of window",
                "posts per minute",
            )
        )
        charts.append(
            line_chart(
                {n: [h[1] for h in t.history] for n, t in zip(names, trends, strict=False)},
                "Trend size across snapshots",
                "snapshot",
                "posts in window",
            )
        )
        charts.append(
            bar_chart(
                [t.trend_id for t in trends],
                [t.growth for t in trends],
                "Growth vs baseline (× expected)",
                "growth",
                log=True,
            )
        )
        charts.append(
            bar_chart(
                [t.trend_id for t in trends],
                [t.engagement for t in trends],
                "Engagement (likes+retweets+replies+quotes)",
                "engagement",
            )
        )
    tags = detection.hashtag_trends[:12]
    if tags:
        charts.append(
            bar_chart(
                ["#" + h.hashtag for h in tags],
                [h.count for h in tags],
                "Bursting hashtags (baseline detector)",
                "posts",
            )
        )
    rows = (
        "".join(_trend_row(t) for t in trends)
        or '<tr><td colspan="7">No trends in this window.</td></tr>'
    )
    tag_rows = (
        "".join(
            f"<tr><td>#{escape(h.hashtag)}</td><td>{h.count}</td><td>{h.expected:.2f}</td>"
            f"<td>{h.score:.1f}</td></tr>"
            for h in detection.hashtag_trends
        )
        or '<tr><td colspan="4">No hashtag bursts.</td></tr>'
    )
    images = "".join(f'<img alt="chart" src="{c}">' for c in charts)
    stats = escape(", ".join(f"{k}={v}" for k, v in detection.stats.items()))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">\n'
        f"<title>Trends at {escape(iso(detection.snapshot_at))}</title>"
        f"<style>{STYLE}</style></head><body>\n"
        '<p><a href="index.html">← all snapshots</a></p>\n'
        f"<h1>Semantic trends at {escape(iso(detection.snapshot_at))}</h1>\n"
        f'<p class="muted">Window {escape(iso(detection.window_start))} → '
        f"{escape(iso(detection.window_end))}.\n"
        f"{len(trends)} trends. <small>{stats}</small></p>\n"
        f'<div class="charts">{images}</div>\n'
        "<h2>Trends</h2><table><tr><th>trend</th><th>status</th><th>score</th><th>size</th>"
        "<th>growth</th>\n"
        f"<th>keywords · hashtags</th><th>representative posts</th></tr>{rows}</table>\n"
        f"{_viral_table(detection)}{suppressed_table(detection.suppressed)}"
        "<h2>Hashtag-count baseline</h2><table><tr><th>hashtag</th><th>count</th>"
        f"<th>expected</th><th>score</th></tr>{tag_rows}</table>\n"
        "</body></html>"
    )


def _trend_row(trend: Trend) -> str:
    quotes = "".join(f"<blockquote>{escape(r.text)}</blockquote>" for r in trend.representatives)
    tags = " ".join("#" + escape(h) for h in trend.hashtags)
    if len(trend.hashtag_variants) > 1:
        tags += " · spellings: " + escape(" ".join(trend.hashtag_variants))
    return (
        f"<tr><td>{escape(display_name(trend.hashtags, trend.keywords, trend.trend_id))}"
        f'<br><small class="muted">{escape(trend.trend_id)}</small></td>'
        f'<td><span class="badge {escape(trend.status)}">{escape(trend.status)}</span></td>'
        f"<td>{trend.score:.1f}</td><td>{trend.size}<br><small>{trend.distinct_authors} authors"
        f", {trend.retweet_share:.0%} retweets</small></td><td>{trend.growth:.1f}×</td>"
        f'<td>{escape(", ".join(trend.keywords))}<br><span class="muted">{tags}</span></td>'
        f"<td>{quotes}</td></tr>"
    )


def _viral_table(detection: Detection) -> str:
    if not detection.viral:
        return ""
    rows = "".join(
        f"<tr><td><blockquote>{escape(v.text)}</blockquote></td><td>{v.retweets}</td>"
        f"<td>{v.quotes}</td><td>{v.likes}</td><td>{v.engagement_growth:.1f}×</td></tr>"
        for v in detection.viral
    )
    return (
        '<h2>Viral posts</h2><p class="muted">One post passed on by many: engagement, '
        "not a trend.</p><table><tr><th>post</th><th>retweets</th><th>quotes</th>"
        f"<th>likes</th><th>growth</th></tr>{rows}</table>\n"
    )


def suppressed_table(suppressed: Sequence[dict[str, Any]]) -> str:
    """Suspected-coordination bursts (the snapshot's ``suppressed`` list) as a small section;
    the report and the Trends page both show it this way."""
    if not suppressed:
        return ""
    rows = "".join(
        f"<tr><td><blockquote>{escape(str(s['text']))}</blockquote></td><td>{int(s['size'])}</td>"
        f"<td>{int(s['distinct_authors'])}</td><td>{float(s['new_author_share']):.0%}</td></tr>"
        for s in suppressed
    )
    return (
        '<h2>Suppressed: suspected coordination</h2><p class="muted">Near-duplicate bursts '
        "carried by a handful of accounts or by accounts new to the baseline.</p><table><tr>"
        "<th>example post</th><th>posts</th><th>authors</th><th>new accounts</th></tr>"
        f"{rows}</table>\n"
    )


def render_index(reports_dir: Path) -> str:
    """The list of snapshots, newest first, with their trend counts and top keywords."""
    rows = []
    for path in sorted(reports_dir.glob(f"{SNAPSHOT_PREFIX}*.json"), reverse=True):
        try:
            payload = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        top = "; ".join(", ".join(t["keywords"][:3]) for t in payload.get("trends", [])[:3])
        rows.append(
            f'<tr><td><a href="{escape(path.with_suffix(".html").name)}">'
            f"{escape(payload.get('snapshot_at', path.stem))}</a></td>"
            f"<td>{len(payload.get('trends', []))}</td><td>{escape(top)}</td></tr>"
        )
    body = "".join(rows) or '<tr><td colspan="3">No snapshots yet.</td></tr>'
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Trend snapshots</title>\n"
        f"<style>{STYLE}</style></head><body><h1>Trend snapshots</h1>\n"
        "<table><tr><th>snapshot</th><th>trends</th><th>top keywords</th></tr>"
        f"{body}</table></body></html>"
    )


def _atomic_write(path: Path, text: str) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
