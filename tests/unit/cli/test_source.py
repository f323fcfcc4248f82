"""``trendstream source``: options, unbounded runs refused, a missing X token named."""

from __future__ import annotations

from tests.support.cli import Invoke, fails_with, help_names


def test_help(cli: Invoke) -> None:
    help_names(cli("source", "--help"), "x-stream", "bluesky")
    help_names(
        cli("source", "x-stream", "--help"),
        "--rules-add",
        "--tag",
        "--dry-run",
        "--rules-list",
        "--rules-delete",
        "--max-events",
        "--duration",
        "TRENDSTREAM_SOURCES__X_BEARER_TOKEN",
    )
    help_names(cli("source", "bluesky", "--help"), "--did", "--max-events", "--duration")


def test_an_unknown_source_is_refused(cli: Invoke) -> None:
    fails_with(cli("source", "mastodon"), 2, "No such command 'mastodon'")


def test_a_live_run_must_be_bounded(cli: Invoke) -> None:
    for name in ("bluesky", "x-stream"):
        fails_with(cli("source", name), 2, "give --max-events and/or --duration")
    fails_with(cli("source", "bluesky", "--duration", "0"), 2, "--duration")
    fails_with(cli("source", "bluesky", "--max-events", "0"), 2, "--max-events")


def test_x_without_a_bearer_token_fails_before_touching_kafka(cli: Invoke) -> None:
    for args in (("--max-events", "5"), ("--rules-list",)):
        result = cli("source", "x-stream", *args)
        fails_with(result, 1, "no X bearer token: set TRENDSTREAM_SOURCES__X_BEARER_TOKEN")
