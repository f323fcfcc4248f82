"""``trendstream generate``: a synthetic stream with planted trends and its ground truth."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click


def _parse_start(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO-8601 time: {value!r}", param_hint="--start") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.command("generate")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for tweets.jsonl, engagements.jsonl and ground_truth.json.",
)
@click.option("--seed", default=7, show_default=True, help="Same seed, same bytes.")
@click.option(
    "--minutes",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Stream length in (event-time) minutes.",
)
@click.option(
    "--rate",
    default=20.0,
    show_default=True,
    type=click.FloatRange(min=0.01),
    help="Background posts per second (trends and decoys come on top).",
)
@click.option(
    "--start",
    default=None,
    help="Event time of the first post, ISO-8601 (default 2025-06-01T12:00:00Z).",
)
@click.option(
    "--trends",
    default=None,
    type=click.IntRange(min=0),
    help="Number of planted trends (default: 6 per hour, at least 2).",
)
@click.option(
    "--profile",
    default="clean",
    show_default=True,
    type=click.Choice(["clean", "wild"]),
    help="clean: planted trends + flat decoys; wild: also spam, a retweet storm, a bot ring, "
    "a faded burst, a slow ramp, close stories, hashtag spellings, retweet-heavy chatter.",
)
def generate(
    out_dir: Path,
    seed: int,
    minutes: float,
    rate: float,
    start: str | None,
    trends: int | None,
    profile: str,
) -> None:
    """Write a seedable X API v2 style stream with planted trends, decoys and ground truth."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from trendstream.sources.generator import GeneratorConfig, write_stream

    kwargs = {
        "seed": seed,
        "minutes": minutes,
        "rate": rate,
        "trends": trends,
        "profile": profile,
    }
    parsed_start = _parse_start(start)
    if parsed_start is not None:
        kwargs["start"] = parsed_start
    try:
        config = GeneratorConfig(**kwargs)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    console = Console()
    with Progress(
        TextColumn("generating"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} s of stream"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("generate", total=config.seconds)
        paths = write_stream(
            out_dir, config, progress=lambda done, _total: bar.update(task, completed=done)
        )
    import orjson

    truth = orjson.loads(paths.ground_truth.read_bytes())
    stream = truth["stream"]
    console.print(f"wrote {stream['tweets']:,} posts to {paths.tweets}")
    console.print(f"wrote {stream['engagements']:,} engagements to {paths.engagements}")
    console.print(
        f"wrote ground truth ({len(truth['trends'])} trends, {len(truth['decoys'])} "
        f"decoys) to {paths.ground_truth}"
    )
    for trend in truth["trends"]:
        tag = f"#{trend['hashtag']}" if trend["hashtag"] else "(no hashtag)"
        console.print(
            f"  {trend['trend_id']:<32} {tag:<18} {trend['start'][11:19]} → "
            f"peak {trend['peak'][11:19]} → {trend['end'][11:19]}  "
            f"{trend['size']:,} posts"
        )
