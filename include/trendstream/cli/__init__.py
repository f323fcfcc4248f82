"""The ``trendstream`` command: each sub-command lives in its own module here."""

from __future__ import annotations

import importlib

import click

from trendstream import __version__
from trendstream.cli import logs
from trendstream.core.settings import SettingsError, get_settings

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
# Commands that talk to Milvus: pymilvus's console handlers are rerouted before they run.
MILVUS_COMMANDS = {"demo", "trends", "search", "stream"}


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
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="More log output (-vv for debug); also shows libraries' logs, kept in logs/cli.log.",
)
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    """trendstream: Kafka → Spark → Milvus semantic trend detection, run by Airflow."""
    log_file = get_settings().paths.log_file("cli")
    libraries = ("pymilvus",) if ctx.invoked_subcommand in MILVUS_COMMANDS else ()
    logs.configure(verbose, log_file, libraries)


for _module, _attr in COMMANDS:
    main.add_command(getattr(importlib.import_module(f"trendstream.cli.{_module}"), _attr))
