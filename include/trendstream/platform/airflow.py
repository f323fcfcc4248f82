"""Airflow 3 on one machine: api-server, scheduler, dag-processor and triggerer, supervised.

Design: docs/platform.md#airflow
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from trendstream.core.paths import repo_root
from trendstream.core.settings import Settings
from trendstream.platform.environment import find_program, venv_path_env
from trendstream.platform.process import PlatformError, ProcessSpec

COMPONENTS: tuple[str, ...] = ("api-server", "scheduler", "dag-processor", "triggerer")
# Key of each component in the /api/v2/monitor/health answer.
_HEALTH_KEYS = {
    "scheduler": "scheduler",
    "dag-processor": "dag_processor",
    "triggerer": "triggerer",
}
_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
_START_TIMEOUT_S = 240.0


@dataclass(frozen=True)
class AirflowCredentials:
    url: str
    username: str
    password: str


def airflow_url(settings: Settings) -> str:
    return f"http://{settings.airflow.host}:{settings.airflow.port}"


def passwords_file(settings: Settings) -> Path:
    return settings.paths.airflow_home / "simple_auth_manager_passwords.json"


def _secrets_file(settings: Settings) -> Path:
    return settings.paths.airflow_home / "secrets.json"


def _load_or_create_json(path: Path, make: dict[str, str]) -> dict[str, str]:
    """Read ``path``, adding any missing keys from ``make`` (written owner-only)."""
    current: dict[str, str] = json.loads(path.read_text()) if path.is_file() else {}
    merged = {**make, **current}
    if merged != current:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged) + "\n")
        path.chmod(0o600)
    return merged


def _airflow_secrets(settings: Settings) -> dict[str, str]:
    """JWT secret, session key and Fernet key shared by all components (generated once)."""
    return _load_or_create_json(
        _secrets_file(settings),
        {
            "jwt_secret": secrets.token_urlsafe(48),
            "secret_key": secrets.token_urlsafe(32),
            "fernet_key": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        },
    )


def credentials(settings: Settings) -> AirflowCredentials:
    """The UI/API login; the password is generated on first start and kept under the state dir."""
    username = settings.airflow.username
    passwords = _load_or_create_json(
        passwords_file(settings), {username: secrets.token_urlsafe(12)}
    )
    return AirflowCredentials(airflow_url(settings), username, passwords[username])


def airflow_env(settings: Settings) -> dict[str, str]:
    """Environment for every Airflow process: its config, plus our settings for DAG tasks."""
    home = settings.paths.airflow_home
    keys = _airflow_secrets(settings)
    url = airflow_url(settings)
    return {
        **venv_path_env(),
        **settings.env(),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(repo_root() / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(repo_root() / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(settings.airflow.parallelism),
        "AIRFLOW__CORE__FERNET_KEY": keys["fernet_key"],
        "AIRFLOW__CORE__AUTH_MANAGER": _AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{settings.airflow.username}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file(settings)),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__API__HOST": settings.airflow.host,
        "AIRFLOW__API__PORT": str(settings.airflow.port),
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": keys["secret_key"],
        "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        **connections_env(settings),
    }


def connections_env(settings: Settings) -> dict[str, str]:
    """The connections DAG tasks take Spark, Kafka and Milvus from (``AIRFLOW_CONN_*``),
    pointed at this platform's services."""
    milvus = urlsplit(settings.milvus.uri)
    kafka_extra = {"bootstrap.servers": settings.kafka.bootstrap_servers}
    connections = {
        # Local mode with the venv's spark-submit (the stream job's --master under Airflow).
        "spark_default": {"conn_type": "spark", "host": "local[*]"},
        # Extra = librdkafka config, as the Kafka provider's hooks read it.
        "kafka_default": {
            "conn_type": "kafka",
            "extra": {**kafka_extra, **settings.kafka.client_config},
        },
        # The plugin's MilvusHook: password = token, schema = database.
        "milvus_default": {
            "conn_type": "milvus",
            "host": milvus.hostname or "127.0.0.1",
            "port": milvus.port or settings.milvus.port,
            "password": settings.milvus.token,
            "schema": settings.milvus.db_name,
            "extra": {"secure": str(milvus.scheme == "https").lower()},
        },
    }
    return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(c) for conn_id, c in connections.items()}


def _migrated_stamp(settings: Settings) -> Path:
    return settings.paths.airflow_home / ".migrated"


def prepare_airflow(settings: Settings) -> None:
    """Create AIRFLOW_HOME and the credentials; migrate the metadata DB once per Airflow version."""
    home = settings.paths.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    credentials(settings)
    stamp = _migrated_stamp(settings)
    want = f"migrated by apache-airflow {version('apache-airflow')}"
    if stamp.is_file() and stamp.read_text() == want:
        return
    log_path = settings.paths.log_file("airflow-db-migrate")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_handle:
        result = subprocess.run(
            [find_program("airflow"), "db", "migrate"],
            env={**os.environ, **airflow_env(settings)},
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    if result.returncode != 0:
        raise PlatformError(
            f"`airflow db migrate` failed (exit {result.returncode}); see {log_path}"
        )
    stamp.write_text(want)


def airflow_health(settings: Settings, timeout_s: float = 3.0) -> dict[str, object]:
    """The api-server's health answer (metadatabase, scheduler, dag_processor, triggerer)."""
    response = httpx.get(f"{airflow_url(settings)}/api/v2/monitor/health", timeout=timeout_s)
    response.raise_for_status()
    return response.json()


def component_healthy(settings: Settings, component: str) -> bool:
    """api-server: answers at all; the others: reported healthy by the api-server."""
    health = airflow_health(settings)
    key = _HEALTH_KEYS.get(component)
    if key is None:
        return health.get("metadatabase", {}).get("status") == "healthy"  # type: ignore[union-attr]
    return health.get(key, {}).get("status") == "healthy"  # type: ignore[union-attr]


def airflow_specs(settings: Settings) -> list[ProcessSpec]:
    """The four Airflow components, api-server first (the others report health through it)."""
    airflow = find_program("airflow")
    env = airflow_env(settings)
    # Airflow's log servers bind every interface (hard-coded); on one machine the api-server
    # reads task logs from the local files anyway, so they are not started at all.
    extra_args = {
        "api-server": ["--host", settings.airflow.host, "--port", str(settings.airflow.port)],
        "scheduler": ["--skip-serve-logs"],
        "triggerer": ["--skip-serve-logs"],
    }
    return [
        ProcessSpec(
            name=f"airflow-{component}",
            argv=[airflow, component, *extra_args.get(component, [])],
            endpoint=airflow_url(settings)
            if component == "api-server"
            else f"{airflow_url(settings)} (health)",
            health=lambda component=component: component_healthy(settings, component),
            paths=settings.paths,
            env=env,
            cwd=settings.paths.airflow_home,
            port=settings.airflow.port if component == "api-server" else None,
            start_timeout_s=_START_TIMEOUT_S,
        )
        for component in COMPONENTS
    ]
