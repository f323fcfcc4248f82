"""What the CLI tests (``tests/unit/cli``) check of a ``trendstream`` invocation."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result

from trendstream.sources.generator import StreamPaths

Invoke = Callable[..., Result]


def ingest_args(paths: StreamPaths) -> list[str]:
    """``trendstream ingest`` arguments for a generated stream's two files, JSON summary out."""
    return [
        "ingest",
        "--file",
        str(paths.tweets),
        "--file",
        str(paths.engagements),
        "--source",
        "generated",
        "--json",
    ]


def help_names(result: Result, *options: str) -> None:
    """``--help`` succeeded and its text names each of ``options``."""
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    for option in options:
        assert option in result.output, (option, result.output)


def fails_with(result: Result, code: int, *phrases: str) -> None:
    """The command failed with exit ``code`` and a message (no traceback) naming ``phrases``."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), result.exception
    for phrase in phrases:
        assert phrase in result.output, (phrase, result.output)
