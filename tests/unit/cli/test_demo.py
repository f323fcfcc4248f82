"""``trendstream demo``: its options and their ranges (the run itself is an e2e test)."""

from __future__ import annotations

from tests.support.cli import Invoke, fails_with, help_names


def test_help(cli: Invoke) -> None:
    help_names(cli("demo", "--help"), "--minutes", "--rate", "--seed", "--no-airflow")


def test_out_of_range_options_are_refused(cli: Invoke) -> None:
    fails_with(cli("demo", "--minutes", "0.5"), 2, "--minutes")
    fails_with(cli("demo", "--rate", "0"), 2, "--rate")
