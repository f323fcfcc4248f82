"""``trendstream search``: posts nearest in meaning to a free-text query (Milvus search)."""

from __future__ import annotations

from datetime import UTC

import click

from trendstream.cli.trends import parse_instant

OUTPUT_FIELDS = ("id", "created_at", "text")


@click.command("search")
@click.argument("query")
@click.option(
    "--k", default=10, show_default=True, type=click.IntRange(1, 1000), help="How many posts."
)
@click.option(
    "--since", "since_text", metavar="ISO8601", help="Only posts created at or after this time."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def search(query: str, k: int, since_text: str | None, as_json: bool) -> None:
    """Find the posts most similar in meaning to QUERY, most similar first."""
    import json

    from trendstream.core.settings import get_settings
    from trendstream.encode.model import encode_texts
    from trendstream.encode.text import clean_text
    from trendstream.vectorstore.retry import MilvusUnavailable
    from trendstream.vectorstore.store import TweetStore

    if not query.strip():
        raise click.BadParameter("the query is empty", param_hint="QUERY")
    settings = get_settings()
    since = parse_instant(since_text) if since_text else None
    flt = f"created_at >= {int(since.timestamp() * 1000)}" if since else ""
    vector = encode_texts([clean_text(query) or query], settings.model)
    try:
        with TweetStore.connect(settings) as store:
            if not store.exists():
                raise click.ClickException(
                    f"Milvus collection {store.collection!r} does not exist yet (nothing streamed)"
                )
            (hits,) = store.search(vector, k, flt, OUTPUT_FIELDS)
    except MilvusUnavailable as exc:
        raise click.ClickException(f"cannot reach Milvus at {settings.milvus.uri}: {exc}") from None
    if as_json:
        for hit in hits:
            click.echo(
                json.dumps(
                    {
                        "id": str(hit["id"]),
                        "score": round(hit["distance"], 4),
                        "created_at": hit.get("created_at"),
                        "text": hit.get("text", ""),
                    },
                    ensure_ascii=False,
                )
            )
        return
    _print(hits, query)


def _print(hits: list[dict], query: str) -> None:
    from datetime import datetime

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Nearest posts to {query!r}")
    table.add_column("id")
    table.add_column("score", justify="right")
    table.add_column("created", no_wrap=True)
    table.add_column("text", overflow="fold")
    for hit in hits:
        created = hit.get("created_at")
        when = (
            datetime.fromtimestamp(created / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
            if created
            else ""
        )
        table.add_row(str(hit["id"]), f"{hit['distance']:.3f}", when, hit.get("text", ""))
    Console().print(table if hits else "no posts match")
