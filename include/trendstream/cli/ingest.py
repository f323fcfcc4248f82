"""``trendstream ingest``: validate archive files and produce them to Kafka."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("ingest")
@click.option(
    "--file",
    "files",
    required=True,
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSONL / JSON archive (X v2, v1.1, generator output; .gz ok). Repeatable.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0.001),
    default=None,
    help="Replay at most this many records per second.",
)
@click.option(
    "--as-fast-as-possible",
    "fast",
    is_flag=True,
    help="No rate limit (the default when --rate is not given).",
)
@click.option(
    "--source",
    default="archive",
    show_default=True,
    help="Source name recorded in dead-letter records.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes validating JSONL files (default: CPU cores - 1; 1 = in-process).",
)
@click.option(
    "--transaction-records",
    type=click.IntRange(min=1),
    default=None,
    help="Commit a Kafka transaction every this many records "
    "[default: the kafka.transaction_records setting].",
)
@click.option(
    "--transaction-mb",
    type=click.FloatRange(min=0.01),
    default=None,
    help="... or every this many MB, whichever comes first "
    "[default: the kafka.transaction_mb setting].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def ingest(
    files: tuple[Path, ...],
    rate: float | None,
    fast: bool,
    source: str,
    workers: int | None,
    transaction_records: int | None,
    transaction_mb: float | None,
    as_json: bool,
) -> None:
    """Validate records; valid posts → tweets topic (keyed by id), engagements → engagements
    topic, invalid ones → dead-letter topic with reason and file position.

    Writes in Kafka transactions: `read_committed` readers never see part of a batch, and
    running the same command again after a crash resumes where the committed part ends."""
    import orjson
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from trendstream.core.settings import get_settings
    from trendstream.kafka.admin import KafkaUnavailableError, TopicNameError
    from trendstream.sources.ingest import count_lines, ingest_files

    if rate is not None and fast:
        raise click.UsageError("give either --rate or --as-fast-as-possible, not both")
    settings = get_settings()
    console = Console(stderr=as_json)
    totals = [count_lines(f) for f in files]
    total = None if None in totals else sum(t or 0 for t in totals)
    try:
        with Progress(
            TextColumn("ingesting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("ingest", total=total)
            summary = ingest_files(
                settings,
                files,
                source=source,
                rate=rate,
                workers=workers,
                progress=lambda n: bar.advance(task, n),
                transaction_records=transaction_records,
                transaction_bytes=int(transaction_mb * 2**20) if transaction_mb else None,
            )
    except (KafkaUnavailableError, TopicNameError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(orjson.dumps(summary.to_dict(), option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title=f"ingest summary ({source})", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("records read", f"{summary.records:,}")
    table.add_row(f"accepted → {settings.kafka.tweets_topic}", f"{summary.tweets:,}")
    table.add_row(f"accepted → {settings.kafka.engagements_topic}", f"{summary.engagements:,}")
    table.add_row(f"rejected → {settings.kafka.dead_letter_topic}", f"{summary.rejected_total:,}")
    for reason, count in sorted(summary.rejected.items()):
        table.add_row(f"  {reason}", f"{count:,}")
    table.add_row("delivered (acks=all)", f"{summary.delivered:,}")
    table.add_row("committed transactions", f"{summary.transactions:,}")
    if summary.resumed:
        table.add_row("resumed after (committed earlier)", f"{summary.resumed:,}")
    table.add_row("seconds", f"{summary.seconds:.2f}")
    table.add_row("msgs/s", f"{summary.msgs_per_s:,.0f}")
    console.print(table)
