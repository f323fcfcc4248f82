"""The trigger forms' schemas accept the values the DAGs document and refuse bad ones (Airflow
validates with jsonschema the same way before it creates a run)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from trendstream.orchestration.run_params import REPLAY_PARAMS, SNAPSHOT_PARAMS, given


def valid(schemas: dict[str, dict[str, Any]], name: str, value: Any) -> bool:
    schema = {k: v for k, v in schemas[name].items() if k not in ("default", "description")}
    try:
        jsonschema.validate(value, schema, format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("at", None, True),
        ("at", "2026-11-21T10:00:00Z", True),
        ("at", "2026-11-21T10:00:00.5+01:00", True),
        ("at", "yesterday", False),
        ("at", "2026-11-21", False),
        ("window_minutes", None, True),
        ("window_minutes", 15, True),
        ("window_minutes", 2.5, True),
        ("window_minutes", 0, False),
        ("window_minutes", -5, False),
        ("window_minutes", 10_000, False),
        ("window_minutes", "15", False),
    ],
)
def test_snapshot_params(name: str, value: Any, ok: bool) -> None:
    assert valid(SNAPSHOT_PARAMS, name, value) is ok


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("from_offsets", None, True),
        ("from_offsets", {"0": 120}, True),
        ("from_offsets", {"tweets": {"0": 120, "1": 0}}, True),
        ("from_offsets", {}, False),
        ("from_offsets", {"0": -1}, False),
        ("from_offsets", {"tweets": {"zero": 1}}, False),
        ("from_offsets", {"tweets": {"0": "120"}}, False),
        ("from_offsets", [120], False),
        ("from_time", "2026-11-21T10:00:00Z", True),
        ("from_time", "10 minutes ago", False),
    ],
)
def test_replay_params(name: str, value: Any, ok: bool) -> None:
    assert valid(REPLAY_PARAMS, name, value) is ok


def test_given_drops_the_fields_the_form_left_empty() -> None:
    assert given({"from_offsets": None, "from_time": "2026-11-21T10:00:00Z"}) == {
        "from_time": "2026-11-21T10:00:00Z"
    }
    assert given(None) == {}
