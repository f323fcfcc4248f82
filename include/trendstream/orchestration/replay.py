"""Replay planning: turn a DAG run's conf into a fresh checkpoint plus starting offsets.

Partitions not asked for start at their committed position, so nothing is skipped.
Design: docs/orchestration.md#replay
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from trendstream.core.settings import Settings
from trendstream.orchestration.supervisor import JobPlan, apply_plan

Offsets = dict[str, dict[str, int]]
# (topic, epoch milliseconds) -> partition -> first offset at or after that time
TimeLookup = Callable[[str, int], dict[int, int]]
# topic -> partition -> the consumer group's committed offset (None: nothing committed)
CommittedLookup = Callable[[str], dict[int, int | None]]

EARLIEST = -2
CHECKPOINT_ENV = "TRENDSTREAM_STREAM__CHECKPOINT_NAME"
STARTING_OFFSETS_ENV = "TRENDSTREAM_STREAM__STARTING_OFFSETS"


class ReplayConfError(ValueError):
    """The conf does not describe a replay we can run."""


def is_replay(conf: Mapping[str, Any] | None) -> bool:
    return bool(conf) and ("from_offsets" in conf or "from_time" in conf)  # type: ignore[operator]


def plan_replay(
    conf: Mapping[str, Any],
    settings: Settings,
    now: datetime,
    *,
    offsets_at: TimeLookup,
    committed: CommittedLookup,
) -> JobPlan:
    """The job plan for a replay described by ``conf`` (pure given the two lookups)."""
    topics = [settings.kafka.tweets_topic, settings.kafka.engagements_topic]
    if "from_offsets" in conf and "from_time" in conf:
        raise ReplayConfError("give either from_offsets or from_time, not both")
    if "from_offsets" in conf:
        asked = _normalise_offsets(conf["from_offsets"], settings.kafka.tweets_topic)
        unknown = sorted(set(asked) - set(topics))
        if unknown:
            raise ReplayConfError(f"from_offsets names topics the stream does not read: {unknown}")
    elif "from_time" in conf:
        at = _parse_time(conf["from_time"])
        if at > now:
            raise ReplayConfError(f"from_time {at.isoformat()} is in the future")
        millis = int(at.timestamp() * 1000)
        asked = {t: {str(p): o for p, o in offsets_at(t, millis).items()} for t in topics}
    else:
        raise ReplayConfError('conf needs "from_offsets" or "from_time"')

    starting: Offsets = {}
    for topic in topics:
        starting[topic] = {
            str(p): (o if o is not None else EARLIEST) for p, o in committed(topic).items()
        }
        starting[topic].update(asked.get(topic, {}))
    name = f"replay-{now.astimezone(UTC):%Y%m%dT%H%M%S}"
    return JobPlan(
        env={CHECKPOINT_ENV: name, STARTING_OFFSETS_ENV: json.dumps(starting, sort_keys=True)},
        replay={"checkpoint": name, "starting_offsets": starting, "requested": dict(conf)},
    )


def _normalise_offsets(value: Any, default_topic: str) -> Offsets:
    if not isinstance(value, Mapping) or not value:
        raise ReplayConfError("from_offsets must be a non-empty object")
    if all(not isinstance(v, Mapping) for v in value.values()):
        value = {default_topic: value}
    out: Offsets = {}
    for topic, parts in value.items():
        if not isinstance(parts, Mapping):
            raise ReplayConfError(f"from_offsets[{topic!r}] must map partition -> offset")
        try:
            out[str(topic)] = {str(int(p)): int(o) for p, o in parts.items()}
        except (TypeError, ValueError):
            raise ReplayConfError(
                f"from_offsets[{topic!r}] must map integer partitions to offsets"
            ) from None
        if any(o < 0 for o in out[str(topic)].values()):
            raise ReplayConfError(f"from_offsets[{topic!r}] has a negative offset")
    return out


def _parse_time(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ReplayConfError(f"from_time must be an ISO-8601 time, got {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def kafka_offsets_at(settings: Settings) -> TimeLookup:
    """The first offset at or after a time in each partition (the end when none is),
    from the broker's time index."""
    from trendstream.kafka.admin import offsets_for_times

    return lambda topic, millis: offsets_for_times(settings, topic, millis)


def kafka_committed(settings: Settings) -> CommittedLookup:
    """A topic's committed offsets in the group of the query that reads it: the embed
    query's for tweets, the engagement query's for engagements."""
    from trendstream.kafka.admin import committed_offsets
    from trendstream.stream.job import query_group

    groups = {settings.kafka.engagements_topic: query_group(settings, "engagement")}
    return lambda topic: committed_offsets(
        settings, groups.get(topic, settings.kafka.consumer_group), topic
    )


def replay_plan_for(
    settings: Settings, conf: Mapping[str, Any], now: datetime | None = None
) -> JobPlan:
    """:func:`plan_replay` against the live broker (time index and committed offsets)."""
    return plan_replay(
        conf,
        settings,
        now or datetime.now(UTC),
        offsets_at=kafka_offsets_at(settings),
        committed=kafka_committed(settings),
    )


def start_replay(settings: Settings, conf: Mapping[str, Any]) -> dict[str, Any]:
    """Restart the local job on a fresh checkpoint from the offsets ``conf`` asks for."""
    plan = replay_plan_for(settings, conf)
    pid = apply_plan(settings, plan)
    return {"action": "replay", "pid": pid, **(plan.replay or {})}
