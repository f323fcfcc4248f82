"""The ``trendstream`` command: each sub-command lives in its own module here."""

from __future__ import annotations

import importlib
import logging

import click

from trendstream import __version__
from trendstream.core.settings import SettingsError

# (module, attribute) of every sub-command; a module adds itself with one line here.
COMMANDS: list[tuple[str, str]] = [
    ("generate", "generate"),
    ("ingest", "ingest"),
    ("topics", "topics"),
    ("platform", "platform"),
    ("source", "source"),
    ("stream", "stream"),
    ("trends", "trends"),
    ("search", "search"),
    ("bench", "bench"),
    ("dags", "dags"),
    ("demo", "demo"),
]


class _Main(click.Group):
    """Settings that cannot be built (bad file, bad value) end any command with their
    message instead of a traceback; every command reads them through ``get_settings``."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trendstream")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """trendstream: Kafka → Spark → Milvus semantic trend detection, run by Airflow."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


for _module, _attr in COMMANDS:
    main.add_command(getattr(importlib.import_module(f"trendstream.cli.{_module}"), _attr))
