"""``trendstream trends``: options, bad times and durations, and an unreachable Milvus."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import click
import pytest

from tests.support.cli import Invoke, fails_with, help_names
from trendstream.cli.trends import parse_duration, parse_instant


def test_help(cli: Invoke) -> None:
    help_names(cli("trends", "--help"), "--at", "--window", "--json")


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), ("5", 300)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_instants_without_a_zone_are_utc() -> None:
    assert parse_instant("2025-06-01T12:30:00") == datetime(2025, 6, 1, 12, 30, tzinfo=UTC)
    assert parse_instant("2025-06-01T12:30:00Z") == datetime(2025, 6, 1, 12, 30, tzinfo=UTC)
    with pytest.raises(click.BadParameter):
        parse_instant("noon")


def test_bad_window_and_time_are_refused(cli: Invoke) -> None:
    fails_with(cli("trends", "--window", "soon"), 2, "'soon' is not a duration like 15m")
    fails_with(cli("trends", "--window", "0m"), 2, "is not a duration")
    fails_with(cli("trends", "--at", "noon"), 2, "'noon' is not an ISO-8601 time")


def test_an_empty_state_dir_with_no_milvus_is_a_clear_error(cli: Invoke, dead_port: int) -> None:
    started = time.monotonic()
    result = cli("trends", "--at", "2025-06-01T12:30:00Z")
    fails_with(result, 1, f"cannot reach Milvus at http://127.0.0.1:{dead_port}", "platform up")
    assert time.monotonic() - started < 30
