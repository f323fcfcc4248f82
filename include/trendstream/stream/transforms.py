"""What the streaming job does to each micro-batch, as pure functions on plain data.

Every decision is made here, so it is unit-tested without Spark, Kafka or a model.
Design: docs/stream.md#transforms
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trendstream.core.schema import DeadLetterReason, InvalidRecord, Tweet, parse_event
from trendstream.core.settings import Limits
from trendstream.encode.text import clean_text


@dataclass(frozen=True, slots=True)
class Position:
    """Where a record was read: what the dead-letter ``position`` and ordering use."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


@dataclass(frozen=True, slots=True)
class DeadRow:
    raw: bytes
    reason: DeadLetterReason
    detail: str
    position: Position


@dataclass(frozen=True, slots=True)
class Parsed:
    tweets: list[tuple[Tweet, Position]]
    dead: list[DeadRow]


def parse_tweets(
    values: Sequence[bytes | None],
    positions: Sequence[Position],
    limits: Limits,
) -> Parsed:
    """Validate every value with :func:`parse_event`. Refused records, and valid records
    of another kind (an engagement on the tweets topic), become dead rows with a reason."""
    tweets: list[tuple[Tweet, Position]] = []
    dead: list[DeadRow] = []
    for raw, pos in zip(values, positions, strict=True):
        if raw is None:
            dead.append(DeadRow(b"", DeadLetterReason.MISSING_FIELD, "record has no value", pos))
            continue
        try:
            event = parse_event(raw, limits=limits)
        except InvalidRecord as exc:
            dead.append(DeadRow(bytes(raw), exc.reason, exc.detail, pos))
            continue
        if isinstance(event, Tweet):
            tweets.append((event, pos))
        else:
            dead.append(
                DeadRow(
                    bytes(raw),
                    DeadLetterReason.UNKNOWN_FORMAT,
                    f"{event.kind} record on the tweets topic",
                    pos,
                )
            )
    return Parsed(tweets, dead)


def dedupe_latest(tweets: Sequence[tuple[Tweet, Position]]) -> list[tuple[Tweet, Position]]:
    """One record per tweet id: the one read last (highest offset; ids are the Kafka key,
    so all copies of a tweet share a partition), in first-seen order of ids."""
    latest: dict[str, tuple[Tweet, Position]] = {}
    for tweet, pos in tweets:
        kept = latest.get(tweet.id)
        if kept is None or (pos.partition, pos.offset) >= (kept[1].partition, kept[1].offset):
            latest[tweet.id] = (tweet, pos)
    return list(latest.values())


def encoder_texts(tweets: Sequence[Tweet]) -> list[str]:
    """What the encoder sees: cleaned text, falling back to the raw text when cleaning
    leaves nothing (a post of only a URL still needs a vector)."""
    return [clean_text(t.text) or t.text.strip() for t in tweets]


def length_chunks(texts: Sequence[str], size: int) -> list[list[int]]:
    """Indices of ``texts`` in chunks of at most ``size``, shortest texts first: each chunk
    holds texts of similar length, so encoding it chunk by chunk pads about as little as
    encoding the whole batch at once."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[start : start + size] for start in range(0, len(order), size)]
