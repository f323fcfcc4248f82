"""HTML of the Trends page: the ranked list, a trend's page, search results (server-rendered,
every value escaped; charts are Vega-Lite specs drawn by the locally served vega scripts).

Design: docs/orchestration.md#trends-view
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote

from trendstream.trends.report import suppressed_table

VEGA_SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
STYLE = (
    "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:1rem auto;"
    "max-width:1100px;color:#111;padding:0 1rem}a{color:#1d4ed8;text-decoration:none}"
    "h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin-top:1.6rem}"
    ".muted{color:#666;font-size:.85rem}header{display:flex;gap:1rem;align-items:center;"
    "flex-wrap:wrap;justify-content:space-between}form{display:flex;gap:.4rem}"
    "input,select,button{font:inherit;padding:.25rem .45rem}"
    "ol.trends{list-style:none;padding:0}ol.trends li{display:grid;"
    "grid-template-columns:2rem 1fr 130px;gap:.6rem;align-items:center;padding:.55rem 0;"
    "border-bottom:1px solid #e5e7eb}.rank{color:#666;text-align:right}"
    ".name{font-weight:600;font-size:1.05rem}.badge{display:inline-block;padding:0 .45rem;"
    "border-radius:.6rem;font-size:.75rem;color:#fff;margin-left:.4rem}"
    ".emerging{background:#16a34a}.peaking{background:#dc2626}.fading{background:#6b7280}"
    "blockquote{margin:.35rem 0;padding:.35rem .6rem;border-left:3px solid #93c5fd;"
    "background:#f8fafc}table{border-collapse:collapse}td,th{padding:.2rem .6rem;"
    "text-align:left;border-bottom:1px solid #eee}#timeline{width:100%}"
)


def when(iso: str | None) -> str:
    """``2026-12-02 21:05 UTC`` from an ISO time (the raw text if it is not one)."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def sparkline(values: Sequence[int], width: int = 120, height: int = 28) -> str:
    """An inline SVG line of ``values`` (posts per minute in the window)."""
    if not values:
        return ""
    top = max(max(values), 1)
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values)
    )
    return (
        f'<svg class="spark" width="{width}" height="{height}" role="img" '
        f'aria-label="posts per minute"><polyline fill="none" stroke="#2563eb" '
        f'stroke-width="1.6" points="{points}"/></svg>'
    )


def _page(base: str, title: str, body: str, q: str = "", hashtag: str = "") -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f'<header><h1><a href="{base}/">Trends</a></h1>{_search_form(base, q, hashtag)}'
        f'<a href="{base}/quality/">Data quality</a></header>{body}</body></html>'
    )


def _search_form(base: str, q: str = "", hashtag: str = "") -> str:
    return (
        f'<form class="search" action="{base}/search" method="get" role="search">'
        f'<input name="q" type="search" placeholder="Search posts by meaning" required '
        f'value="{escape(q)}" aria-label="search">'
        f'<input name="hashtag" placeholder="#hashtag" size="10" value="{escape(hashtag)}">'
        "<button type=submit>Search</button></form>"
    )


def _badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{escape(status)}</span>' if status else ""


def _authors(trend: dict[str, Any]) -> str:
    n = trend.get("distinct_authors")
    return f" · {int(n)} authors" if n is not None else ""


def index_page(
    base: str,
    key: str | None,
    payload: dict[str, Any] | None,
    trends: list[dict[str, Any]],
    snapshots: list[dict[str, Any]],
) -> str:
    """The "what's happening" list of one snapshot, with a picker for older snapshots."""
    if payload is None:
        body = (
            "<p>No snapshots yet: trigger the <code>trend_snapshot</code> DAG "
            "(or run <code>trendstream trends snapshot</code>).</p>"
        )
        return _page(base, "Trends", body)
    options = "".join(
        f'<option value="{escape(s["key"])}"{" selected" if s["key"] == key else ""}>'
        f"{escape(when(s['snapshot_at']))} · {s['trend_count']} trends</option>"
        for s in snapshots
    )
    picker = (
        f'<form action="{base}/" method="get"><label>Snapshot '
        f'<select name="at" onchange="this.form.submit()">{options}</select></label>'
        "<noscript><button>Show</button></noscript></form>"
    )
    window = payload.get("window") or {}
    items = "".join(
        f'<li><span class="rank">{rank}</span><div>'
        f'<a class="name" href="{base}/trend/{quote(t["trend_id"])}?at={escape(key or "")}">'
        f"{escape(t['name'])}</a>{_badge(t['status'])}"
        f'<div class="muted">{t["posts"]} posts{_authors(t)} · {t["growth"]:.1f}× expected'
        f" · {escape(', '.join(t['keywords'][:4]))}</div></div>{sparkline(t['timeline'])}</li>"
        for rank, t in enumerate(trends, 1)
    )
    body = (
        f'{picker}<p class="muted">Window {escape(when(window.get("start")))} → '
        f"{escape(when(window.get('end')))}</p>"
        + (f'<ol class="trends">{items}</ol>' if items else "<p>No trends in this window.</p>")
        + _viral(payload.get("viral") or ())
        + suppressed_table(payload.get("suppressed") or ())
    )
    return _page(base, "Trends", body)


def _viral(viral: Sequence[dict[str, Any]]) -> str:
    if not viral:
        return ""
    rows = "".join(
        f"<tr><td>{escape(str(v.get('text', '')))}</td><td>{int(v.get('retweets', 0))}</td>"
        f"<td>{int(v.get('quotes', 0))}</td><td>{int(v.get('likes', 0))}</td>"
        f"<td>{float(v.get('engagement_growth', 0)):.1f}×</td></tr>"
        for v in viral
    )
    return (
        "<h2>Viral posts</h2><table><tr><th>post</th><th>retweets</th><th>quotes</th>"
        f"<th>likes</th><th>engagement growth</th></tr>{rows}</table>"
    )


def trend_page(base: str, detail: dict[str, Any], spec: dict[str, Any]) -> str:
    """One trend: its timeline chart, representative posts, keywords, hashtags, engagement."""
    posts = "".join(
        f"<blockquote>{escape(r['text'])}</blockquote>" for r in detail["representatives"]
    )
    facts = [
        ("status", _badge(detail["status"])),
        ("posts in window", str(detail["posts"])),
        ("growth", f"{detail['growth']:.1f}× expected"),
        ("engagement", f"{detail['engagement']:.0f} (likes + retweets + replies + quotes)"),
        ("first seen", escape(when(detail.get("first_seen")))),
        ("keywords", escape(", ".join(detail["keywords"]))),
        ("hashtags", escape(" ".join("#" + h.lstrip("#") for h in detail["hashtags"]))),
    ]
    if detail.get("distinct_authors") is not None:
        facts.append(("distinct authors", str(int(detail["distinct_authors"]))))
    if detail.get("retweet_share") is not None:
        facts.append(("retweet share", f"{float(detail['retweet_share']):.0%}"))
    if detail.get("hashtag_variants"):
        facts.append(("hashtag variants", escape(_variants(detail["hashtag_variants"]))))
    if detail.get("suspected_coordination"):
        facts.append(("suspected coordination", "yes: many near-identical posts, few authors"))
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts)
    older = "".join(
        f'<li><a href="?at={escape(h["key"])}">{escape(when(h["snapshot_at"]))}</a> · '
        f"{h['posts']} posts {_badge(h['status'])}</li>"
        for h in detail["history"]
    )
    # "</" inside a <script> would end it early: JSON allows "<\/".
    spec_json = json.dumps(spec).replace("</", "<\\/")
    scripts = "".join(f'<script src="{base}/static/{name}"></script>' for name in VEGA_SCRIPTS)
    body = (
        f'<p><a href="{base}/?at={escape(detail["snapshot"])}">← all trends</a></p>'
        f"<h1>{escape(detail['name'])}</h1>"
        f'<p class="muted">{escape(detail["trend_id"])} · snapshot '
        f"{escape(when(detail['snapshot_at']))}</p>"
        '<div id="timeline" role="figure" aria-label="timeline"></div>'
        f'<script type="application/json" id="timeline-spec">{spec_json}</script>'
        f"{scripts}<script>vegaEmbed('#timeline', JSON.parse(document.getElementById("
        "'timeline-spec').textContent), {actions: false});</script>"
        f"<h2>Facts</h2><table>{table}</table><h2>Representative posts</h2>{posts}"
        + _viral(detail.get("viral") or ())
        + f"<h2>Snapshots with this trend</h2><ul>{older}</ul>"
    )
    return _page(base, detail["name"], body)


def _variants(value: Any) -> str:
    """Hashtag variants as the engine writes them: ``{tag: count}``, tags, or records."""
    if isinstance(value, dict):
        return ", ".join(f"#{k} ({v})" for k, v in value.items())
    return ", ".join(
        "#" + str(v.get("hashtag", v)) if isinstance(v, dict) else "#" + str(v) for v in value
    )


def search_page(base: str, q: str, hashtag: str, hits: list[dict[str, Any]], error: str) -> str:
    rows = "".join(
        f"<tr><td>{h['score']:.3f}</td><td>{escape(_epoch(h.get('created_at')))}</td>"
        f"<td>{escape(h['text'])}</td></tr>"
        for h in hits
    )
    result = (
        f'<p class="muted">{escape(error)}</p>'
        if error
        else f"<table><tr><th>similarity</th><th>posted</th><th>post</th></tr>{rows}</table>"
        if rows
        else "<p>No posts match.</p>"
    )
    body = (
        f"<h2>Posts nearest to “{escape(q)}”"
        + (f" tagged #{escape(hashtag.lstrip('#'))}" if hashtag else "")
        + f"</h2>{result}"
    )
    return _page(base, f"Search: {q}", body, q, hashtag)


def quality_missing_page(base: str) -> str:
    body = (
        "<h2>Data quality</h2><p>No data docs yet: the <code>data_quality</code> DAG builds "
        "them after its first run.</p>"
    )
    return _page(base, "Data quality", body)


def _epoch(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
