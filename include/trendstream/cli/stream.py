"""``trendstream stream``: run the Spark streaming job, or read its heartbeat.

``stream run`` calls the same ``run_stream`` as spark-submit does: one code path.
Design: docs/stream.md#job
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import click


@click.group("stream")
def stream() -> None:
    """The Kafka → Spark → Milvus streaming job and its windowed analytics."""


@stream.command("run")
@click.option(
    "--available-now",
    is_flag=True,
    help="Process everything in Kafka now, then exit (a batch run).",
)
@click.option(
    "--max-offsets-per-trigger",
    type=click.IntRange(min=1),
    default=None,
    help="Records per micro-batch (default: settings.stream.max_offsets_per_trigger).",
)
@click.option(
    "--reset",
    is_flag=True,
    help="Delete the checkpoints and analytics output first (re-read from startingOffsets).",
)
@click.option("--no-analytics", is_flag=True, help="Run only the embedding query.")
def run(
    available_now: bool, max_offsets_per_trigger: int | None, reset: bool, no_analytics: bool
) -> None:
    """Run the streaming job until stopped (or, with --available-now, until caught up)."""
    from rich.console import Console

    from trendstream.core.settings import get_settings
    from trendstream.kafka.admin import KafkaUnavailableError
    from trendstream.stream.job import StreamQueryFailed, run_stream

    settings = get_settings()
    console = Console(stderr=True)
    done = threading.Event()
    with console.status("starting Spark…") as status:
        watcher = threading.Thread(target=_watch, args=(settings, status, done), daemon=True)
        watcher.start()
        try:
            final = run_stream(
                settings,
                available_now=available_now,
                max_offsets_per_trigger=max_offsets_per_trigger,
                analytics=False if no_analytics else None,
                reset=reset,
            )
        except (StreamQueryFailed, KafkaUnavailableError) as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            final = None
        finally:
            done.set()
    if final is not None:
        click.echo(json.dumps(final.to_dict(), indent=2))


def _watch(settings, status, done: threading.Event) -> None:
    """Show the heartbeat's figures in the spinner line while the job runs."""
    from trendstream.stream.heartbeat import Heartbeat

    while not done.wait(1.0):
        beat = Heartbeat.read(settings.paths.heartbeat_file)
        if beat and beat.batch_id is not None:
            status.update(
                f"batch {beat.batch_id}: {beat.rows_total} records so far, "
                f"{beat.rows_per_second or 0:.0f} rows/s, lag {beat.lag}"
            )


@stream.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the raw heartbeat JSON.")
def status(as_json: bool) -> None:
    """Show the job's last heartbeat: batch, rows/s, stage times, lag, age."""
    from rich.console import Console
    from rich.table import Table

    from trendstream.core.settings import get_settings
    from trendstream.stream.heartbeat import Heartbeat

    path = get_settings().paths.heartbeat_file
    beat = Heartbeat.read(path)
    if beat is None:
        raise click.ClickException(
            f"no heartbeat at {path}: the stream job has not run here "
            "(start it with `trendstream stream run`)"
        )
    if as_json:
        click.echo(json.dumps(beat.to_dict(), indent=2))
        return
    age = beat.age_s(datetime.now(UTC))
    table = Table(title=f"stream job (pid {beat.pid}, {beat.status}, heartbeat {age:.0f}s ago)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key in (
        "batch_id",
        "input_rows",
        "rows_per_second",
        "batch_duration_s",
        "encode_rows_per_second",
        "tweets_upserted",
        "dead_letters",
        "lag",
        "batches_total",
        "rows_total",
    ):
        table.add_row(key, str(getattr(beat, key)))
    for stage, secs in (beat.stage_seconds or {}).items():
        table.add_row(f"  {stage} s", str(secs))
    for name, query in beat.queries.items():
        table.add_row(
            f"query {name}",
            f"batch {query.get('batch_id')}, {query.get('rows_per_second') or 0:.0f} rows/s",
        )
    Console().print(table)
