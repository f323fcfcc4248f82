"""The ``trendstream`` group: its commands, its version, and settings it cannot build."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import Invoke, fails_with, help_names
from trendstream import __version__
from trendstream.cli import COMMANDS


def test_help_lists_every_command(cli: Invoke) -> None:
    help_names(cli("--help"), "--verbose", "--version", *(name for name, _ in COMMANDS))
    help_names(cli("-h"), "--verbose")


def test_version(cli: Invoke) -> None:
    result = cli("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_an_unknown_command_is_refused(cli: Invoke) -> None:
    fails_with(cli("ingets"), 2, "No such command 'ingets'")


def test_a_missing_settings_file_is_named(cli: Invoke, tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    result = cli("stream", "status", env={"TRENDSTREAM_CONFIG": str(missing)})
    fails_with(result, 1, f"TRENDSTREAM_CONFIG={missing} does not name a readable file")


def test_a_settings_file_that_is_not_toml_is_named(cli: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[kafka\nbootstrap_servers = 1\n")
    result = cli("stream", "status", env={"TRENDSTREAM_CONFIG": str(bad)})
    fails_with(result, 1, f"settings file {bad} is not valid TOML", "line 1")


def test_an_invalid_setting_is_named(cli: Invoke, tmp_path: Path) -> None:
    config = tmp_path / "trendstream.toml"
    config.write_text("[kafka]\npartitions = 0\n")
    result = cli("stream", "status", env={"TRENDSTREAM_CONFIG": str(config)})
    fails_with(result, 1, "invalid settings", "kafka.partitions", "greater than or equal to 1")
    result = cli("stream", "status", env={"TRENDSTREAM_STREAM__WINDOW_SECONDS": "five"})
    fails_with(result, 1, "invalid settings", "stream.window_seconds")
