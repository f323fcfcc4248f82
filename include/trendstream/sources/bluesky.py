"""Bluesky Jetstream: post-create events over a websocket, mapped to canonical tweets.

The cursor is saved only after the sink flushed, and the replayed overlap is dropped by key.
Design: docs/sources.md#bluesky-jetstream
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import connect

from trendstream.core.settings import Settings
from trendstream.sources.reconnect import (
    Backoff,
    Clock,
    ReconnectingClient,
    Retrier,
    RunBudget,
    RunStats,
    Sink,
)

log = logging.getLogger(__name__)

POST_COLLECTION = "app.bsky.feed.post"
TAG_FEATURE = "app.bsky.richtext.facet#tag"
MENTION_FEATURE = "app.bsky.richtext.facet#mention"
LINK_FEATURE = "app.bsky.richtext.facet#link"
BACKOFF = {"network": Backoff(first_s=1.0, cap_s=60.0, growth="exponential")}
CHECKPOINT_INTERVAL_S = 2.0  # between sink flushes + cursor writes while streaming
MAX_MESSAGE_BYTES = 2**20


# --- mapping (pure) ---------------------------------------------------------------------


def numeric_id(text: str) -> str:
    """A stable positive 63-bit id (≤ 19 digits) for a non-numeric identifier."""
    value = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    return str((value & (2**63 - 1)) or 1)


def at_uri(did: str, collection: str, rkey: str) -> str:
    return f"at://{did}/{collection}/{rkey}"


def _post_uri(value: Any) -> str:
    """The at:// URI of a strong ref, when it points at a post."""
    uri = value.get("uri") if isinstance(value, dict) else None
    return uri if isinstance(uri, str) and f"/{POST_COLLECTION}/" in uri else ""


def _quoted_uri(embed: Any) -> str:
    if not isinstance(embed, dict):
        return ""
    kind = embed.get("$type")
    if kind == "app.bsky.embed.record":
        return _post_uri(embed.get("record"))
    if kind == "app.bsky.embed.recordWithMedia":
        inner = embed.get("record")
        return _post_uri(inner.get("record") if isinstance(inner, dict) else None)
    return ""


def _facet_features(record: dict[str, Any], text: str) -> tuple[list[str], list[str], list[str]]:
    """Hashtags, mentioned handles and links from rich-text facets (byte offsets in UTF-8)."""
    tags: list[str] = []
    mentions: list[str] = []
    links: list[str] = []
    facets = record.get("facets")
    encoded = text.encode("utf-8", errors="ignore") if isinstance(text, str) else b""
    for facet in facets if isinstance(facets, list) else []:
        if not isinstance(facet, dict) or not isinstance(facet.get("features"), list):
            continue
        index = facet.get("index") if isinstance(facet.get("index"), dict) else {}
        for feature in facet["features"]:
            kind = feature.get("$type") if isinstance(feature, dict) else None
            if kind == TAG_FEATURE and isinstance(feature.get("tag"), str):
                tags.append(feature["tag"])
            elif kind == MENTION_FEATURE:
                written = _slice(encoded, index).lstrip("@")
                mentions.append(written or str(feature.get("did", "")))
            elif kind == LINK_FEATURE and isinstance(feature.get("uri"), str):
                links.append(feature["uri"])
    embed = record.get("embed")
    if isinstance(embed, dict) and embed.get("$type") == "app.bsky.embed.external":
        external = embed.get("external")
        if isinstance(external, dict) and isinstance(external.get("uri"), str):
            links.append(external["uri"])
    return tags, list(dict.fromkeys(mentions)), list(dict.fromkeys(links))


def _slice(encoded: bytes, index: dict[str, Any]) -> str:
    start, end = index.get("byteStart"), index.get("byteEnd")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(encoded)):
        return ""
    return encoded[start:end].decode("utf-8", errors="ignore")


def post_to_canonical(did: str, rkey: str, record: dict[str, Any]) -> dict[str, Any]:
    """A Jetstream post record as a canonical ``kind: "tweet"`` dict for ``parse_event``.

    Missing or malformed fields are passed through as they are, so validation (not this
    mapping) decides what is dead-lettered and why.
    """
    uri = at_uri(did, POST_COLLECTION, rkey)
    post_id = numeric_id(uri)
    text = record.get("text")
    tags, mentions, links = _facet_features(record, text if isinstance(text, str) else "")
    langs = record.get("langs")
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
    parent, root = _post_uri(reply.get("parent")), _post_uri(reply.get("root"))
    quoted = _quoted_uri(record.get("embed"))
    referenced_type, referenced_uri = (
        ("replied_to", parent) if parent else ("quoted", quoted) if quoted else ("", "")
    )
    return {
        "kind": "tweet",
        "id": post_id,
        "text": text,
        "created_at": record.get("createdAt"),
        "author_id": numeric_id(did),
        "lang": langs[0]
        if isinstance(langs, list) and langs and isinstance(langs[0], str)
        else None,
        "hashtags": tags,
        "mentions": mentions,
        "urls": links,
        "referenced_type": referenced_type,
        "referenced_id": numeric_id(referenced_uri) if referenced_uri else "",
        "conversation_id": numeric_id(root) if root else post_id,
        "source": "bluesky",
        "uri": uri,
    }


def subscribe_url(
    base_url: str, collections: Sequence[str], dids: Sequence[str], cursor: int | None
) -> str:
    params = [("wantedCollections", c) for c in collections] + [("wantedDids", d) for d in dids]
    if cursor is not None:
        params.append(("cursor", str(cursor)))
    return f"{base_url}?{urlencode(params)}" if params else base_url


# --- cursor -----------------------------------------------------------------------------


@dataclass
class CursorState:
    """The last processed ``time_us`` and the post keys seen within the resume margin."""

    time_us: int | None = None
    seen: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> CursorState:
        if not path.is_file():
            return cls()
        try:
            data = json.loads(path.read_text())
            return cls(
                time_us=data.get("time_us"),
                seen={(did, rkey): t for did, rkey, t in data.get("seen", [])},
            )
        except (ValueError, TypeError, AttributeError) as exc:  # never silently skip ahead
            raise ValueError(
                f"unreadable Jetstream cursor file {path} ({exc}); fix it, or delete "
                "it to start from the live tail"
            ) from None

    def save(self, path: Path, margin_us: int) -> None:
        """Write atomically, keeping only keys a resume can replay."""
        if self.time_us is not None:
            floor = self.time_us - margin_us
            self.seen = {key: t for key, t in self.seen.items() if t >= floor}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "time_us": self.time_us,
                    "seen": [[did, rkey, t] for (did, rkey), t in self.seen.items()],
                }
            )
        )
        os.replace(tmp, path)

    def resume_cursor(self, margin_us: int) -> int | None:
        return None if self.time_us is None else max(0, self.time_us - margin_us)


def cursor_path(settings: Settings) -> Path:
    configured = settings.sources.bluesky_cursor_file
    return Path(configured).expanduser() if configured else settings.paths.bluesky_cursor_file


# --- the client -------------------------------------------------------------------------


class JetstreamClient(ReconnectingClient):
    """Consumes post creates from Jetstream into a sink, resuming from a persisted cursor."""

    name = "Jetstream"
    schedules = BACKOFF

    def __init__(
        self, settings: Settings, *, dids: Sequence[str] = (), clock: Clock | None = None
    ) -> None:
        super().__init__(clock)
        sources = settings.sources
        self.base_url = sources.bluesky_jetstream_url
        self.collections = list(sources.bluesky_collections)
        self.dids = list(dids) or list(sources.bluesky_dids)
        self.stall_s = sources.bluesky_stall_seconds
        self.margin_us = int(sources.bluesky_cursor_margin_s * 1_000_000)
        self.path = cursor_path(settings)
        self.state = CursorState.load(self.path)

    def _connect_once(
        self, sink: Sink, budget: RunBudget, stats: RunStats, retrier: Retrier
    ) -> tuple[str, str]:
        cursor = self.state.resume_cursor(self.margin_us)
        url = subscribe_url(self.base_url, self.collections, self.dids, cursor)
        try:
            # close_timeout: when a run ends, unread events can hold up the closing handshake.
            with connect(url, open_timeout=10, close_timeout=1, max_size=MAX_MESSAGE_BYTES) as ws:
                stats.connections += 1
                log.info(
                    "Jetstream connected (connection %d, cursor %s)", stats.connections, cursor
                )
                last_checkpoint = self.clock.time()
                received = 0
                while not budget.done():
                    try:
                        message = ws.recv(timeout=budget.read_timeout(self.stall_s))
                    except TimeoutError:
                        if budget.done():
                            break
                        return "network", f"stalled: no event for {self.stall_s:g} s"
                    received += 1
                    if received == 1:
                        retrier.reset()  # only a connection that delivers counts as healthy
                    self._handle(message, sink, budget, stats)
                    if self.clock.time() - last_checkpoint >= CHECKPOINT_INTERVAL_S:
                        self._checkpoint(sink)
                        last_checkpoint = self.clock.time()
                return "network", "run ended"
        except InvalidURI as exc:
            raise ValueError(f"bad Jetstream URL: {exc}") from None
        except ConnectionClosed as exc:
            return "network", f"connection closed ({exc})"
        except (InvalidHandshake, OSError, TimeoutError) as exc:
            return "network", f"{type(exc).__name__}: {exc}"

    def _handle(self, message: str | bytes, sink: Sink, budget: RunBudget, stats: RunStats) -> None:
        try:
            event = json.loads(message)
        except ValueError:
            event = None
        if not isinstance(event, dict) or not isinstance(event.get("time_us"), int):
            stats.posts += 1
            budget.count()
            sink.submit(message, position="unparsed")  # dead-lettered with the reason
            return
        time_us = event["time_us"]
        commit = event.get("commit")
        did = event.get("did")
        if (
            event.get("kind") != "commit"
            or not isinstance(commit, dict)
            or commit.get("operation") != "create"
            or commit.get("collection") != POST_COLLECTION
            or not isinstance(did, str)
            or not isinstance(commit.get("rkey"), str)
        ):
            stats.skipped += 1
            self._advance(time_us)
            return
        key = (did, commit["rkey"])
        if key in self.state.seen:
            stats.duplicates += 1
            return
        record = commit.get("record") if isinstance(commit.get("record"), dict) else {}
        stats.posts += 1
        budget.count()
        if sink.submit(post_to_canonical(did, key[1], record), position=f"time_us:{time_us}"):
            stats.accepted += 1
        self.state.seen[key] = time_us
        self._advance(time_us)

    def _advance(self, time_us: int) -> None:
        if self.state.time_us is None or time_us > self.state.time_us:
            self.state.time_us = time_us

    def _checkpoint(self, sink: Sink) -> None:
        """Flush the sink first: the cursor may only name events that are safely produced."""
        sink.flush()
        if self.state.time_us is not None:
            self.state.save(self.path, self.margin_us)
