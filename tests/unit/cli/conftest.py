"""``trendstream`` invoked in-process (click's CliRunner) against an empty state dir, with
every service address pointing at a port nothing listens on: what needs no services is
tested for real, and what needs one must fail fast with a clear message."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.support.cli import Invoke
from trendstream.cli import main
from trendstream.core.settings import get_settings
from trendstream.platform.process import free_port


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def dead_port() -> int:
    return free_port()


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, state_dir: Path, dead_port: int
) -> Iterator[Invoke]:
    for name in list(os.environ):
        if name.startswith("TRENDSTREAM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no ./trendstream.toml of the caller's
    for name, value in {
        "STATE_DIR": str(state_dir),
        "KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{dead_port}",
        "MILVUS__URI": f"http://127.0.0.1:{dead_port}",
        "MILVUS__RETRY_TIMEOUT_S": "1",
        "MILVUS__RPC_TIMEOUT_S": "1",
        "AIRFLOW__PORT": str(dead_port),
    }.items():
        monkeypatch.setenv(f"TRENDSTREAM_{name}", value)
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        get_settings.cache_clear()  # each invocation reads its environment, as a process would
        return runner.invoke(main, list(args), env=env)

    yield invoke
    get_settings.cache_clear()
