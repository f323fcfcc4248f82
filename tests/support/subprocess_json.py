"""Run a Python snippet in a fresh interpreter and read back the JSON it prints.

Airflow reads its configuration once per process, so tests that need a different environment
(connections by env, another AIRFLOW_HOME) run their snippet in a child that prints one line
``@@<json>`` among whatever else Airflow logs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

MARK = "@@"


def run_python_json(
    code: str, args: Sequence[str], env: Mapping[str, str], timeout: float = 120
) -> Any:
    """``python -c code *args`` under ``env``; the JSON after its ``@@`` line (asserts it ran)."""
    run = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    line = next((x for x in run.stdout.splitlines() if x.startswith(MARK)), None)
    assert run.returncode == 0 and line, run.stdout[-3000:] + run.stderr[-4000:]
    return json.loads(line[len(MARK) :])
