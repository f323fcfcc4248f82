"""``trendstream dags``: list, unpause/pause and trigger the Airflow DAGs over the REST API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click


@contextmanager
def _client() -> Iterator:
    import httpx

    from trendstream.core.settings import get_settings
    from trendstream.orchestration.airflow_api import AirflowApiError, AirflowClient
    from trendstream.platform.airflow import credentials

    login = credentials(get_settings())
    try:
        with AirflowClient(login.url, login.username, login.password) as client:
            yield client
    except (AirflowApiError, httpx.HTTPError) as exc:
        raise click.ClickException(
            f"Airflow at {login.url}: {exc} (is it up? `trendstream platform status`)"
        ) from None


@click.group("dags")
def dags() -> None:
    """Run the Airflow DAGs from the command line (the REST API with the platform's login)."""


@dags.command("list")
def list_dags() -> None:
    """The DAG ids Airflow has loaded."""
    with _client() as client:
        for dag_id in sorted(client.dag_ids()):
            click.echo(dag_id)


@dags.command("unpause")
@click.argument("dag_ids", nargs=-1, required=True)
def unpause(dag_ids: tuple[str, ...]) -> None:
    """Let DAG_IDS run on their schedules."""
    with _client() as client:
        for dag_id in dag_ids:
            client.set_paused(dag_id, False)
            click.echo(f"{dag_id}: unpaused")


@dags.command("pause")
@click.argument("dag_ids", nargs=-1, required=True)
def pause(dag_ids: tuple[str, ...]) -> None:
    """Stop scheduling DAG_IDS (running tasks finish)."""
    with _client() as client:
        for dag_id in dag_ids:
            client.set_paused(dag_id, True)
            click.echo(f"{dag_id}: paused")


@dags.command("trigger")
@click.argument("dag_id")
@click.option(
    "--conf", default="{}", help='Run conf as JSON, e.g. \'{"from_time": "2026-11-21T10:00:00Z"}\'.'
)
@click.option(
    "--wait/--no-wait", default=False, help="Wait until the run finishes; fail if it fails."
)
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait with --wait.")
def trigger(dag_id: str, conf: str, wait: bool, timeout: float) -> None:
    """Start a run of DAG_ID now (a paused DAG's run waits until it is unpaused)."""
    try:
        run_conf = json.loads(conf)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--conf") from None
    with _client() as client:
        run_id = client.trigger(dag_id, run_conf)
        click.echo(f"{dag_id}: triggered run {run_id}")
        if wait:
            state = client.wait(dag_id, run_id, timeout_s=timeout)
            click.echo(f"{dag_id}: run {run_id} {state}")
            if state != "success":
                raise click.ClickException(
                    f"{dag_id} run {run_id} {state}; see its logs in the Airflow UI"
                )
