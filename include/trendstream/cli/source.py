"""``trendstream source``: stream live posts (X filtered stream, Bluesky Jetstream) into Kafka."""

from __future__ import annotations

import json
import signal
from typing import Any

import click

SECONDS = click.FloatRange(min=0, min_open=True)


def _bounded(max_events: int | None, duration: float | None) -> tuple[int | None, float | None]:
    if max_events is None and duration is None:
        raise click.UsageError("give --max-events and/or --duration: live runs are bounded")
    return max_events, duration


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _stream(
    source: str, max_events: int | None, duration: float | None, dids: tuple[str, ...] = ()
) -> None:
    from rich.console import Console

    from trendstream.core.settings import get_settings
    from trendstream.kafka.admin import KafkaUnavailableError
    from trendstream.sources.live import run_live_source
    from trendstream.sources.x_stream import XStreamError

    # SIGTERM (a supervisor stopping us) ends the run like Ctrl-C: the connector's cleanup
    # still flushes queued posts and saves the Jetstream cursor.
    signal.signal(signal.SIGTERM, _interrupt)
    console = Console(stderr=True)
    limits = " and ".join(
        part
        for part in (
            f"{max_events} posts" if max_events else "",
            f"{duration:g} s" if duration else "",
        )
        if part
    )
    try:
        with console.status(f"streaming {source} into Kafka for up to {limits}…"):
            result = run_live_source(
                get_settings(), source, max_events=max_events, duration_s=duration, dids=dids
            )
    except (XStreamError, KafkaUnavailableError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(result, indent=2, default=str))


@click.group("source")
def source() -> None:
    """Stream live posts into the tweets topic through the validated ingest path."""


@source.command("x-stream")
@click.option(
    "--rules-add",
    "rules_add",
    multiple=True,
    metavar="VALUE",
    help="Add a filtered-stream rule (repeatable), then exit.",
)
@click.option("--tag", default="", help="Tag for the rules added with --rules-add.")
@click.option("--dry-run", is_flag=True, help="With --rules-add: let X validate only.")
@click.option("--rules-list", is_flag=True, help="List the stream rules, then exit.")
@click.option(
    "--rules-delete",
    "rules_delete",
    multiple=True,
    metavar="ID",
    help="Delete a rule by id (repeatable), then exit.",
)
@click.option("--max-events", type=click.IntRange(min=1), help="Stop after this many posts.")
@click.option("--duration", type=SECONDS, help="Stop after S seconds.")
def x_stream(
    rules_add: tuple[str, ...],
    tag: str,
    dry_run: bool,
    rules_list: bool,
    rules_delete: tuple[str, ...],
    max_events: int | None,
    duration: float | None,
) -> None:
    """X API v2 filtered stream (bearer token: TRENDSTREAM_SOURCES__X_BEARER_TOKEN).

    Without rule options it streams the posts matching the current rules until
    --max-events or --duration, reconnecting with X's documented backoff.
    """
    from trendstream.core.settings import get_settings
    from trendstream.sources.x_stream import XStreamClient, XStreamError

    if rules_add or rules_list or rules_delete:
        try:
            with XStreamClient(get_settings().sources) as client:
                if rules_delete:
                    click.echo(f"deleted {client.delete_rules(rules_delete)} rule(s)")
                if rules_add:
                    added = client.add_rules([(value, tag) for value in rules_add], dry_run=dry_run)
                    for rule in added:
                        verb = "valid" if dry_run else "added"
                        click.echo(f"{verb}\t{rule.id}\t{rule.value}\t{rule.tag}")
                if rules_list:
                    rules = client.list_rules()
                    for rule in rules:
                        click.echo(f"{rule.id}\t{rule.value}\t{rule.tag}")
                    if not rules:
                        click.echo("no rules: the stream delivers nothing until one is added")
        except XStreamError as exc:
            raise click.ClickException(str(exc)) from None
        return
    _stream("x", *_bounded(max_events, duration))


@source.command("bluesky")
@click.option("--did", "dids", multiple=True, help="Only posts by this DID (repeatable).")
@click.option("--max-events", type=click.IntRange(min=1), help="Stop after this many posts.")
@click.option("--duration", type=SECONDS, help="Stop after S seconds.")
def bluesky(dids: tuple[str, ...], max_events: int | None, duration: float | None) -> None:
    """Bluesky Jetstream posts, resuming from the saved cursor without gaps or duplicates."""
    _stream("bluesky", *_bounded(max_events, duration), dids=dids)
