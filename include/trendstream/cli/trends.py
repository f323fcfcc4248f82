"""``trendstream trends``: take a trend snapshot now (or at a past time) and report it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import click

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.I)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 60}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``1d``; a bare number means minutes."""
    match = _DURATION_RE.match(text)
    if not match or float(match.group(1)) <= 0:
        raise click.BadParameter(f"{text!r} is not a duration like 15m, 90s or 2h")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])


def parse_instant(text: str) -> datetime:
    """An ISO-8601 time; one without a zone is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO-8601 time like 2025-06-01T12:30:00Z"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@click.command("trends")
@click.option(
    "--at",
    "at_text",
    metavar="ISO8601",
    help="Snapshot time (default: now). Use a past time for replayed archives.",
)
@click.option(
    "--window",
    "window_text",
    metavar="DURATION",
    help="Window length, e.g. 15m (default: settings.trends.window_minutes).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the snapshot JSON instead of a table.")
def trends(at_text: str | None, window_text: str | None, as_json: bool) -> None:
    """Detect semantic trends in the window ending at --at and write the JSON + HTML report."""
    from trendstream.core.settings import get_settings
    from trendstream.trends.snapshot import run_snapshot
    from trendstream.vectorstore.retry import MilvusUnavailable

    at = parse_instant(at_text) if at_text else None
    window = parse_duration(window_text) if window_text else None
    settings = get_settings()
    try:
        result = run_snapshot(settings, at=at, window=window)
    except (MilvusUnavailable, ConnectionError) as exc:
        raise click.ClickException(
            f"cannot reach Milvus at {settings.milvus.uri}: {exc} "
            "(is `trendstream platform up` running?)"
        ) from None
    if as_json:
        click.echo(json.dumps(result.payload, ensure_ascii=False))
        return
    _print_table(result)


def _print_table(result) -> None:
    from rich.console import Console
    from rich.table import Table

    payload = result.payload
    table = Table(
        title=f"Trends at {payload['snapshot_at']} (window from {payload['window']['start']})"
    )
    for name in ("trend", "status", "score", "size", "growth", "keywords", "hashtags", "top post"):
        table.add_column(name, overflow="fold")
    for t in payload["trends"]:
        top = t["representatives"][0]["text"] if t["representatives"] else ""
        table.add_row(
            t["name"],
            t["status"],
            f"{t['score']:.1f}",
            str(t["size"]),
            f"{t['growth']:.1f}×",
            ", ".join(t["keywords"][:5]),
            " ".join("#" + h for h in t["hashtags"]),
            top[:100],
        )
    console = Console()
    console.print(table)
    console.print(f"report: {result.paths.html}  ({result.seconds:.1f}s)")
