"""``trendstream stream``: options, and ``status`` before the job ever ran."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import Invoke, fails_with, help_names


def test_help(cli: Invoke) -> None:
    help_names(cli("stream", "--help"), "run", "status")
    help_names(
        cli("stream", "run", "--help"),
        "--available-now",
        "--max-offsets-per-trigger",
        "--reset",
        "--no-analytics",
    )
    help_names(cli("stream", "status", "--help"), "--json")


def test_status_on_an_empty_state_dir_says_the_job_has_not_run(
    cli: Invoke, state_dir: Path
) -> None:
    for args in ((), ("--json",)):
        result = cli("stream", "status", *args)
        fails_with(result, 1, "no heartbeat", str(state_dir), "trendstream stream run")


def test_run_refuses_a_batch_size_below_one(cli: Invoke) -> None:
    fails_with(cli("stream", "run", "--max-offsets-per-trigger", "0"), 2, "--max-offsets")
