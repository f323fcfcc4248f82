"""``trendstream search``: posts nearest in meaning to a free-text query (Milvus search)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from trendstream.cli.trends import parse_instant
from trendstream.trends.search import HASHTAG, Hit, NoPostsYet, search_posts


@click.command("search")
@click.argument("query")
@click.option(
    "--k", default=10, show_default=True, type=click.IntRange(1, 1000), help="How many posts."
)
@click.option(
    "--since", "since_text", metavar="ISO8601", help="Only posts created at or after this time."
)
@click.option("--hashtag", help="Only posts with this hashtag (with or without #).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def search(query: str, k: int, since_text: str | None, hashtag: str | None, as_json: bool) -> None:
    """Find the posts most similar in meaning to QUERY, most similar first."""
    import json

    from trendstream.core.settings import get_settings
    from trendstream.vectorstore.retry import MilvusUnavailable

    if not query.strip():
        raise click.BadParameter("the query is empty", param_hint="QUERY")
    since = parse_instant(since_text) if since_text else None
    if hashtag is not None and not HASHTAG.fullmatch(hashtag):
        raise click.BadParameter(
            "a hashtag is one word: letters, digits, _", param_hint="--hashtag"
        )
    settings = get_settings()
    try:
        hits = search_posts(settings, query, k, since, hashtag)
    except NoPostsYet as exc:
        raise click.ClickException(str(exc)) from None
    except MilvusUnavailable as exc:
        raise click.ClickException(f"cannot reach Milvus at {settings.milvus.uri}: {exc}") from None
    if as_json:
        for hit in hits:
            click.echo(json.dumps(hit.to_dict(), ensure_ascii=False))
        return
    _print(hits, query)


def _print(hits: list[Hit], query: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Nearest posts to {query!r}")
    table.add_column("id")
    table.add_column("score", justify="right")
    table.add_column("created", no_wrap=True)
    table.add_column("text", overflow="fold")
    for hit in hits:
        when = (
            datetime.fromtimestamp(hit.created_at / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
            if hit.created_at
            else ""
        )
        table.add_row(hit.id, f"{hit.score:.3f}", when, hit.text)
    Console().print(table if hits else "no posts match")
