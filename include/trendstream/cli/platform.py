"""``trendstream platform``: start, stop and inspect the local broker, Milvus and Airflow."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from trendstream.core.settings import Settings, get_settings
from trendstream.platform import services
from trendstream.platform.process import PlatformError, ProcessStatus, log_tail, read_appended

SERVICES_HELP = f"Comma-separated subset of: {', '.join(services.SERVICES)}."


@contextmanager
def _platform_errors() -> Iterator[None]:
    """Expected platform failures become one clear message instead of a traceback."""
    try:
        yield
    except PlatformError as exc:
        raise click.ClickException(str(exc)) from exc


def _services_option(default_help: str) -> click.Option:
    return click.option(
        "--services", "services_", default=None, help=f"{SERVICES_HELP} {default_help}"
    )


@click.group("platform")
def platform() -> None:
    """Start, stop and inspect the local services: broker, Milvus, Spark cluster, Airflow."""


@platform.command("up")
@_services_option("Default: all.")
def up(services_: str | None) -> None:
    """Start the services on 127.0.0.1 (idempotent) and wait until each is healthy."""
    settings = get_settings()
    console = Console()
    started = time.monotonic()
    with _platform_errors():
        wanted = services.parse_services(services_)
        with console.status("starting the platform…") as spinner:

            def progress(message: str) -> None:
                line = f"[{time.monotonic() - started:5.1f}s] {message}"
                # A spinner only shows on a terminal; elsewhere (CI, scripts) print each step.
                if console.is_terminal:
                    spinner.update(line)
                else:
                    console.print(line, markup=False)

            statuses = services.up(settings, wanted, progress=progress)
    console.print(
        f"platform up in {time.monotonic() - started:.1f}s (state dir {settings.state_dir})"
    )
    _print_status(console, settings, statuses, wanted)
    if not services.all_healthy(statuses):
        raise click.ClickException(
            "some services are not healthy (external endpoints unreachable?)"
        )


@platform.command("down")
@_services_option("Default: all.")
def down(services_: str | None) -> None:
    """Stop the services (SIGTERM, then SIGKILL after a grace period). Safe to repeat."""
    from trendstream.orchestration.local_job import stop_local_job

    settings = get_settings()
    with _platform_errors():
        wanted = services.parse_services(services_)
        # Airflow first (its supervisor would relaunch a job stopped under it), then the
        # supervised streaming job (it writes to the broker and Milvus), then the rest.
        airflow = tuple(n for n in wanted if n == "airflow")
        stopped = services.down(settings, airflow) if airflow else []
        if set(wanted) >= {"broker", "milvus"} and stop_local_job(settings):
            click.echo("stopped: the streaming job")
        stopped += services.down(settings, tuple(n for n in wanted if n not in airflow))
    click.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@platform.command("status")
@_services_option("Default: the services `up` started.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(services_: str | None, as_json: bool) -> None:
    """Show each service's PID, endpoint, health, uptime and log; exit 1 if any is unhealthy."""
    settings = get_settings()
    with _platform_errors():
        wanted = (
            services.parse_services(services_)
            if services_
            else services.expected_services(settings)
        )
        statuses = services.status(settings, wanted)
    healthy = services.all_healthy(statuses)
    if as_json:
        report: dict[str, object] = {
            "healthy": healthy,
            "state_dir": str(settings.state_dir),
            "services": [s.as_dict() for s in statuses],
        }
        if "airflow" in wanted:
            report["airflow"] = _airflow_login(settings)
        click.echo(json.dumps(report, indent=2))
    else:
        _print_status(Console(), settings, statuses, wanted)
    if not healthy:
        raise SystemExit(1)


@platform.command("logs")
@click.argument("service")
@click.option("-n", "--lines", default=40, show_default=True, help="Lines to show from the end.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines (Ctrl-C to stop).")
def logs(service: str, lines: int, follow: bool) -> None:
    """Show a service's log: broker, milvus, spark (all its daemons), airflow (all four parts),
    or one process (airflow-<part>, spark-master, spark-worker-<n>)."""
    settings = get_settings()
    with _platform_errors():
        paths = services.log_files(settings, service)
    # Sizes taken once: the tail is printed up to them and --follow continues from them.
    offsets = {path: path.stat().st_size if path.exists() else 0 for path in paths}
    for path in paths:
        if len(paths) > 1:
            click.secho(f"==> {path} <==", bold=True)
        click.echo(
            log_tail(path, lines, offsets[path]) if path.exists() else f"(no log yet at {path})"
        )
    if follow:
        _follow(offsets)


def _follow(offsets: dict[Path, int]) -> None:
    """Print what is appended to the files until Ctrl-C."""
    try:
        while True:
            for line in read_appended(offsets):
                click.echo(line)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


def _airflow_login(settings: Settings) -> dict[str, str]:
    from trendstream.platform.airflow import credentials

    login = credentials(settings)
    return {"url": login.url, "username": login.username, "password": login.password}


def _format_uptime(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _print_status(
    console: Console, settings: Settings, statuses: list[ProcessStatus], wanted: tuple[str, ...]
) -> None:
    table = Table(title=f"trendstream platform ({settings.state_dir})")
    for column in ("service", "pid", "uptime"):
        table.add_column(column, no_wrap=True)
    for column in ("endpoint", "healthy", "log"):
        table.add_column(column, overflow="fold")
    for st in statuses:
        if st.healthy:
            health = "[green]yes[/green]"
        else:
            health = f"[red]no[/red] {st.detail}" if st.detail else "[red]no[/red]"
        pid = str(st.pid) if st.pid else ("external" if not st.managed else "-")
        table.add_row(
            st.name, pid, _format_uptime(st.uptime_s), st.endpoint, health, str(st.log_file)
        )
    console.print(table)
    if "airflow" in wanted:
        login = _airflow_login(settings)
        console.print(
            f"Airflow UI: {login['url']}  user: [bold]{login['username']}[/bold]  "
            f"password: [bold]{login['password']}[/bold]"
        )
