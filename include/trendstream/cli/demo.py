"""``trendstream demo``: the README's main command — the whole path on the embedded platform."""

from __future__ import annotations

import time

import click


@click.command("demo")
@click.option(
    "--minutes",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    help="Length of the generated sample stream (it ends now).",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1),
    default=3.0,
    show_default=True,
    help="Background posts per second; planted trends and decoys come on top.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Generator seed.")
@click.option("--no-airflow", is_flag=True, help="Skip Airflow (broker, Milvus, Spark only).")
def demo(minutes: float, rate: float, seed: int, no_airflow: bool) -> None:
    """Start the platform, stream a generated sample through Kafka → Spark → Milvus,
    write a trend report and hand over to Airflow. The platform keeps running afterwards
    (`trendstream platform down` stops it)."""
    from rich.console import Console
    from rich.table import Table

    from trendstream.core.settings import get_settings
    from trendstream.orchestration.demo import run_demo

    console = Console()
    settings = get_settings()
    started = time.monotonic()

    def note(message: str) -> None:
        console.log(message)

    try:
        result = run_demo(
            settings, minutes=minutes, rate=rate, seed=seed, with_airflow=not no_airflow, note=note
        )
    except (RuntimeError, OSError, ValueError) as exc:
        raise click.ClickException(f"demo failed: {exc}") from exc

    ingest = result.ingest
    console.rule("sample stream")
    console.print(f"generated into {result.sample_dir}")
    console.print(
        f"ingested {ingest.get('accepted', 0)} records, "
        f"{ingest.get('rejected_total', 0)} to the dead-letter topic, "
        f"{ingest.get('msgs_per_s', 0):.0f} msgs/s"
    )
    console.print(
        f"Milvus now holds [bold]{result.milvus_rows}[/] posts "
        f"(collection {settings.milvus.collection!r} at {settings.milvus.uri})"
    )
    if result.top_hashtags:
        table = Table("hashtag", "count (5-s windows summed)", title="top hashtags")
        for tag, n in result.top_hashtags:
            table.add_row(f"#{tag}", str(n))
        console.print(table)
    trends = Table(
        "trend", "status", "score", "size", "keywords", "hashtags", title="semantic trends"
    )
    for trend in result.trends:
        trends.add_row(
            trend["name"],
            trend["status"],
            f"{trend['score']:.1f}",
            str(trend["size"]),
            ", ".join(trend["keywords"][:5]),
            " ".join(f"#{h}" for h in trend["hashtags"][:3]),
        )
    console.print(trends)
    tracked = {trend_id for _at, ids in result.snapshots for trend_id in ids}
    console.print(
        f"{len(result.snapshots)} snapshots through the sample "
        f"(every 5 minutes, as the trend_snapshot DAG runs): {len(tracked)} trends tracked; "
        "the table shows the latest"
    )
    console.print(f"report: {result.report_html}\njson:   {result.report_json}")
    if result.airflow_url:
        console.rule("Airflow")
        console.print(
            f"UI: {result.airflow_url}  login: {result.airflow_user} / {result.airflow_password}"
        )
        if result.snapshot_run:
            console.print(f"trend_snapshot run {result.snapshot_run[0]}: {result.snapshot_run[1]}")
    console.print(
        f"done in {time.monotonic() - started:.0f}s — `trendstream platform status` shows the "
        "services, `trendstream platform down` stops them"
    )
