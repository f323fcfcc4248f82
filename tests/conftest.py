"""Shared fixtures: real local services on free ports, and per-test isolated settings.

- ``platform`` (session): an Apache Kafka broker (KRaft, one node) and a Milvus Lite server in a
  temp state dir, on free ports; yields their ``Settings``; stopped at session end.
- ``settings`` (function): the platform's settings with unique topics, consumer group, Milvus
  collection and state dir per test, exported as ``TRENDSTREAM_*`` env vars so
  ``get_settings()`` and child processes (spark-submit, the CLI) see exactly the same values.
- ``airflow_platform`` (session, slow): the same platform plus Airflow 3.
- ``private_platform`` (function): a factory for a throw-away platform of the test's own
  (e.g. to kill and restart its broker); its settings are
  exported like ``settings``; the test starts what it needs with ``services.up``; everything
  is stopped at the end.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.sandbox import QUICK_JIT, isolated_settings, sandbox_settings
from trendstream.core.settings import Settings, get_settings
from trendstream.platform import services
from trendstream.platform.process import PlatformError


# Reliability soak runs (tests/reliability): `pytest --soak` = TRENDSTREAM_SOAK=1. Registered
# here because pytest only takes options from the rootdir conftest.
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", action="store_true", help="run the long reliability soak tests")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--soak"):
        os.environ["TRENDSTREAM_SOAK"] = "1"


def _export(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in settings.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TRENDSTREAM_CONFIG", raising=False)
    get_settings.cache_clear()


def _start_on_free_ports(tmp_path_factory: pytest.TempPathFactory, attempts: int = 3) -> Settings:
    """Broker + Milvus on fresh free ports; retried because a free port can be taken meanwhile."""
    attempt = 1
    while True:
        settings = sandbox_settings(tmp_path_factory.mktemp("platform"), java_options=QUICK_JIT)
        try:
            services.up(settings, services=("broker", "milvus"))
            return settings
        except PlatformError as exc:
            services.down(settings, services=("broker", "milvus"))
            if "already in use" not in str(exc) or attempt == attempts:
                raise
            attempt += 1


def _interrupt_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session", autouse=True)
def _teardown_on_sigterm() -> Iterator[None]:
    """`timeout` and CI cancels send SIGTERM: make it an interrupt so fixture teardowns still
    stop the services they started instead of leaving them orphaned."""
    previous = signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = _start_on_free_ports(tmp_path_factory)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _export(settings, monkeypatch)
        try:
            yield settings
        finally:
            services.down(settings, services=("broker", "milvus"))
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def airflow_platform(platform: Settings) -> Iterator[Settings]:
    try:
        services.up(platform, services=("airflow",))
        yield platform
    finally:
        services.down(platform, services=("airflow",))


@pytest.fixture
def settings(
    platform: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    per_test = isolated_settings(platform, tmp_path / "state")
    per_test.state_dir.mkdir(parents=True, exist_ok=True)
    _export(per_test, monkeypatch)
    yield per_test
    get_settings.cache_clear()


@pytest.fixture
def private_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Settings]]:
    created: list[Settings] = []

    def make() -> Settings:
        own = sandbox_settings(tmp_path / f"platform-{len(created)}", java_options=QUICK_JIT)
        created.append(own)
        _export(own, monkeypatch)
        return own

    yield make
    for own in reversed(created):
        services.down(own)
    get_settings.cache_clear()
