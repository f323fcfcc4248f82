"""Where the platform's programs live, and the environment every child process gets."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from trendstream.core.settings import Settings
from trendstream.platform.process import PlatformError


def venv_bin() -> Path:
    """The running interpreter's ``bin`` dir (not resolved, so it stays the venv's)."""
    return Path(sys.executable).parent


def venv_path_env() -> dict[str, str]:
    """``PATH`` with the venv's ``bin`` first, so children find ``airflow``, ``spark-submit``."""
    return {"PATH": f"{venv_bin()}{os.pathsep}{os.environ.get('PATH', '')}"}


def find_program(name: str, *extra_dirs: Path) -> str:
    """A program from the venv, the given dirs, or PATH; a clear error if it is missing."""
    search = os.pathsep.join(str(d) for d in (venv_bin(), *extra_dirs))
    found = shutil.which(name, path=search) or shutil.which(name)
    if not found:
        raise PlatformError(f"{name} not found (looked in {search} and PATH); run scripts/setup.sh")
    return found


def settings_env(settings: Settings) -> dict[str, str]:
    """A full environment for a child process (spark-submit, the CLI, Airflow tasks).

    The current environment, the venv's ``bin`` first on PATH, and every setting as a
    ``TRENDSTREAM_*`` variable, so the child's ``get_settings()`` equals ``settings``.
    """
    return {**os.environ, **venv_path_env(), **settings.env()}
