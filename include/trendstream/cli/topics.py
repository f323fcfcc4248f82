"""``trendstream topics``: create the platform's topics and show offsets and lag."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click


@contextmanager
def _kafka_errors() -> Iterator[None]:
    from trendstream.kafka.admin import KafkaUnavailableError, TopicNameError, UnknownTopicError

    try:
        yield
    except (KafkaUnavailableError, TopicNameError, UnknownTopicError) as exc:
        raise click.ClickException(str(exc)) from None


@click.group("topics", invoke_without_command=True)
@click.pass_context
def topics(ctx: click.Context) -> None:
    """Create the topics explicitly and show per-partition offsets (default: show)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(show)


@topics.command("create")
def create() -> None:
    """Create the missing topics with explicit partitions and retention (idempotent)."""
    from rich.console import Console
    from rich.table import Table

    from trendstream.core.settings import get_settings
    from trendstream.kafka.admin import ensure_topics, topic_specs

    settings = get_settings()
    with _kafka_errors():
        specs = topic_specs(settings)
        outcome = ensure_topics(settings, specs)
    table = Table(title=f"topics on {settings.kafka.bootstrap_servers}")
    for column in ("topic", "partitions", "retention.ms", "retention.bytes", "state"):
        table.add_column(column)
    for spec in specs:
        table.add_row(
            spec.name,
            str(spec.partitions),
            spec.config["retention.ms"],
            spec.config["retention.bytes"],
            outcome[spec.name],
        )
    Console().print(table)


@topics.command("show")
@click.option(
    "--topic",
    "names",
    multiple=True,
    help="Topic(s) to show (default: the platform's topics that exist).",
)
@click.option(
    "--group",
    default=None,
    help="Consumer group for committed offsets and lag (default: the stream job's).",
)
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds to wait for the broker.",
)
def show(names: tuple[str, ...], group: str | None, timeout: float) -> None:
    """Per-partition low/high offsets, the group's committed offsets and lag."""
    from rich.console import Console
    from rich.table import Table

    from trendstream.core.settings import get_settings
    from trendstream.kafka.admin import consumer_lag, list_topics, topic_specs, validate_topic_name

    settings = get_settings()
    group = group or settings.kafka.consumer_group
    console = Console()
    with _kafka_errors():
        for name in names:
            validate_topic_name(name)
        existing = list_topics(settings, timeout=timeout)
        wanted = list(names) or [s.name for s in topic_specs(settings) if s.name in existing]
        if not wanted:
            console.print("no platform topics yet; create them with `trendstream topics create`")
            return
        table = Table(title=f"offsets on {settings.kafka.bootstrap_servers} (group {group})")
        for column in ("topic", "partition", "low", "high", "records", "committed", "lag"):
            table.add_column(column, justify="left" if column == "topic" else "right")
        for name in wanted:
            for row in consumer_lag(settings, group, name, timeout=timeout):
                table.add_row(
                    name,
                    str(row.partition),
                    f"{row.low:,}",
                    f"{row.high:,}",
                    f"{row.high - row.low:,}",
                    "-" if row.committed is None else f"{row.committed:,}",
                    f"{row.lag:,}",
                )
    console.print(table)
