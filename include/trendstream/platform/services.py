"""The local platform as a whole: which processes make up each service, in start order."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from trendstream.core.settings import Settings
from trendstream.platform import process
from trendstream.platform.broker import broker_specs, kafka_healthy, stop_brokers
from trendstream.platform.milvus import milvus_healthy, milvus_is_embedded, milvus_spec
from trendstream.platform.process import PlatformError, ProcessSpec, ProcessStatus
from trendstream.platform.spark_cluster import cluster_specs

SERVICES: tuple[str, ...] = ("broker", "milvus", "spark", "airflow")

Progress = Callable[[str], None]


def parse_services(names: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"broker,milvus"`` or a list → a validated tuple, in platform order; None → all."""
    if names is None:
        return SERVICES
    wanted = [n.strip() for n in (names.split(",") if isinstance(names, str) else names)]
    wanted = [n for n in wanted if n]
    unknown = sorted(set(wanted) - set(SERVICES))
    if unknown:
        raise PlatformError(
            f"unknown service(s) {', '.join(unknown)}; choose from {', '.join(SERVICES)}"
        )
    return tuple(n for n in SERVICES if n in wanted)


def service_specs(settings: Settings, service: str) -> list[ProcessSpec]:
    """The processes behind one service, in start order (empty when it is external)."""
    if service == "broker":
        return broker_specs(settings) if settings.broker.enabled else []
    if service == "milvus":
        return [milvus_spec(settings)] if milvus_is_embedded(settings) else []
    if service == "spark":
        return cluster_specs(settings) if settings.spark_cluster.enabled else []
    if service == "airflow":
        from trendstream.platform.airflow import airflow_specs

        return airflow_specs(settings)
    raise PlatformError(f"unknown service {service!r}")


def all_specs(settings: Settings, services: Sequence[str] = SERVICES) -> list[ProcessSpec]:
    return [spec for name in services for spec in service_specs(settings, name)]


def log_files(settings: Settings, service: str) -> list[Path]:
    """The log files of ``service``: one of :data:`SERVICES` (all its processes' logs) or
    one process by name (e.g. ``airflow-scheduler``)."""
    if service in SERVICES:
        return [spec.log_file for spec in service_specs(settings, service)] or [
            settings.paths.log_file(service)
        ]
    specs = all_specs(settings, SERVICES)
    for spec in specs:
        if spec.name == service:
            return [spec.log_file]
    names = ", ".join([*SERVICES, *(s.name for s in specs)])
    raise PlatformError(f"unknown service {service!r}; choose from {names}")


def up(
    settings: Settings,
    services: Sequence[str] = SERVICES,
    progress: Progress | None = None,
) -> list[ProcessStatus]:
    """Start the services (idempotent) and wait until each is healthy."""
    note = progress or (lambda _msg: None)
    for name in services:
        if name == "airflow":
            from trendstream.platform.airflow import prepare_airflow

            note("airflow: preparing the metadata database")
            prepare_airflow(settings)
        specs = service_specs(settings, name)  # a service's processes start together
        for spec in specs:
            note(f"{spec.name}: starting")
            process.start(spec, wait=False)
        for spec in specs:
            note(f"{spec.name}: waiting until healthy")
            process.ensure_healthy(spec)
        _record_expected(settings, add=[name])
    return status(settings, services)


def down(settings: Settings, services: Sequence[str] = SERVICES) -> list[str]:
    """Stop the services in reverse start order; returns the names of stopped processes."""
    stopped: list[str] = []
    for name in reversed(services):
        specs = service_specs(settings, name)
        stopped += stop_brokers(specs) if name == "broker" else process.stop_all(specs)
    _record_expected(settings, remove=services)
    return stopped


def expected_services(settings: Settings) -> tuple[str, ...]:
    """The services ``up`` started and ``down`` has not stopped (all, if none were recorded)."""
    try:
        names = json.loads(settings.paths.services_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return SERVICES
    return parse_services(names) if names else SERVICES


def _record_expected(
    settings: Settings, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> None:
    path = settings.paths.services_file
    try:
        current = set(json.loads(path.read_text()))
    except (FileNotFoundError, json.JSONDecodeError):
        current = set()
    names = (current | set(add)) - set(remove)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([n for n in SERVICES if n in names]))


def status(settings: Settings, services: Sequence[str] = SERVICES) -> list[ProcessStatus]:
    """One status per process; an external broker or Milvus is reported by probing its endpoint."""
    statuses: list[ProcessStatus] = []
    for name in services:
        specs = service_specs(settings, name)
        statuses += [process.status(spec) for spec in specs]
        if not specs and name == "broker":
            bootstrap = settings.kafka.bootstrap_servers
            probe = functools.partial(kafka_healthy, bootstrap)
            statuses.append(_external_status(settings, name, bootstrap, probe))
        elif not specs and name == "milvus":
            probe = functools.partial(milvus_healthy, settings)
            statuses.append(_external_status(settings, name, settings.milvus.uri, probe))
    return statuses


def _external_status(
    settings: Settings, name: str, endpoint: str, probe: Callable[[], bool]
) -> ProcessStatus:
    try:
        healthy, detail = probe(), "external"
    except Exception as exc:
        healthy, detail = False, f"external: {exc}"
    return ProcessStatus(
        name=name,
        endpoint=endpoint,
        log_file=settings.paths.log_file(name),
        healthy=healthy,
        managed=False,
        detail=detail if healthy else f"{detail}, not reachable",
    )


def all_healthy(statuses: Iterable[ProcessStatus]) -> bool:
    return all(s.healthy for s in statuses)
