"""The JSON schemas of the triggered runs' parameters: what the Airflow trigger form shows and
what Airflow checks before a run is created (a bad value is refused by the REST API and the
form). Plain dicts, so the DAG wraps them in ``Param`` and tests validate against them.

jsonschema checks ``format: date-time`` only with an optional extra, so times also carry a
``pattern``: the form gets its date picker and the check holds without the extra.
Design: docs/orchestration.md#run-parameters
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Schema = dict[str, Any]

# ISO-8601 / RFC 3339 date-time with an explicit offset (Z or ±hh:mm).
ISO_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$"
_OFFSET = {"type": "integer", "minimum": 0}
# partition -> offset, for the tweets topic, or topic -> (partition -> offset)
_PARTITION_OFFSETS = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": r"^\d+$"},
    "additionalProperties": _OFFSET,
}


def _optional_time(description: str) -> Schema:
    return {
        "default": None,
        "type": ["null", "string"],
        "format": "date-time",
        "pattern": ISO_TIME_PATTERN,
        "description": description,
    }


SNAPSHOT_PARAMS: dict[str, Schema] = {
    "at": _optional_time(
        "End of the window to snapshot (ISO-8601, e.g. 2026-11-21T10:00:00Z); empty: now."
    ),
    "window_minutes": {
        "default": None,
        "type": ["null", "number"],
        "exclusiveMinimum": 0,
        "maximum": 24 * 60,
        "description": "Window length in minutes; empty: the trends.window_minutes setting.",
    },
}

REPLAY_PARAMS: dict[str, Schema] = {
    "from_offsets": {
        "default": None,
        "type": ["null", "object"],
        "minProperties": 1,
        "additionalProperties": {
            "anyOf": [_OFFSET, _PARTITION_OFFSETS],
        },
        "description": 'Replay from these offsets: {"0": 120} (tweets partition -> offset) or '
        '{"tweets": {"0": 120}}. Leave both empty for a normal supervisor tick.',
    },
    "from_time": _optional_time(
        "Replay from the first posts at or after this time (ISO-8601). "
        "Give this or from_offsets, not both."
    ),
}


def given(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters actually set: the trigger form sends every field, unset ones as null."""
    return {k: v for k, v in (params or {}).items() if v is not None}
