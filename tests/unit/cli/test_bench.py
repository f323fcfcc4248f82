"""``trendstream bench``: its options."""

from __future__ import annotations

from tests.support.cli import Invoke, help_names


def test_help(cli: Invoke) -> None:
    help_names(cli("bench", "--help"), "NAMES", "--quick", "--no-readme", "--collect")
