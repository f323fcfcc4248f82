"""X API v2 filtered stream: rule management and a reconnecting stream reader.

Post lines go to the sink untouched, so ingest validates them as it does archives.
Design: docs/sources.md#x-api-v2-filtered-stream
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from trendstream.core.recent_ids import RecentIds
from trendstream.core.settings import SourcesSettings
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

STREAM_PATH = "/2/tweets/search/stream"
RULES_PATH = f"{STREAM_PATH}/rules"
STREAM_PARAMS = {
    "tweet.fields": "created_at,author_id,public_metrics,entities,lang,referenced_tweets,"
    "conversation_id",
    "expansions": "author_id",
    "user.fields": "username",
}
TOKEN_ENV = "TRENDSTREAM_SOURCES__X_BEARER_TOKEN"
BACKOFF = {
    "network": Backoff(first_s=0.25, cap_s=16.0, growth="linear"),
    "http": Backoff(first_s=5.0, cap_s=320.0, growth="exponential"),
    "rate_limit": Backoff(first_s=60.0, cap_s=960.0, growth="exponential"),
}
RETRYABLE_4XX = {408, 420, 429}
RECENT_IDS = 100_000  # enough to cover a 5-minute backfill at high volume


class XStreamError(RuntimeError):
    """A failure retrying cannot fix: missing or refused token, bad request, bad rule."""


@dataclass(frozen=True, slots=True)
class StreamRule:
    id: str
    value: str
    tag: str = ""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The ``x-rate-limit-*`` headers of the last response."""

    limit: int
    remaining: int
    reset_epoch: float

    @classmethod
    def from_headers(cls, headers: httpx.Headers) -> RateLimit | None:
        try:
            return cls(
                limit=int(headers["x-rate-limit-limit"]),
                remaining=int(headers["x-rate-limit-remaining"]),
                reset_epoch=float(headers["x-rate-limit-reset"]),
            )
        except (KeyError, ValueError):
            return None


def complete_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines terminated by ``\\n`` (``\\r`` stripped); a cut-off last line is never yielded."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            yield line.rstrip(b"\r")
    if buffer:
        log.debug("dropping %d bytes of an unterminated line at end of stream", len(buffer))


class _Disconnected(Exception):
    """X announced the end of the connection (an operational-disconnect message)."""


class XStreamClient(ReconnectingClient):
    """Rules and the filtered stream, authenticated with the bearer token from settings."""

    name = "X stream"
    schedules = BACKOFF

    def __init__(
        self,
        sources: SourcesSettings,
        *,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        token = sources.x_bearer_token.get_secret_value()
        if not token:
            raise XStreamError(f"no X bearer token: set {TOKEN_ENV} (or sources.x_bearer_token)")
        super().__init__(clock)
        self.sources = sources
        self.rate_limit: RateLimit | None = None
        self.seen = RecentIds(RECENT_IDS)
        self.params = dict(STREAM_PARAMS)
        if sources.x_backfill_minutes:
            self.params["backfill_minutes"] = str(sources.x_backfill_minutes)
        self._http = httpx.Client(
            base_url=sources.x_base_url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "trendstream"},
            timeout=httpx.Timeout(10.0, read=sources.x_stall_seconds),
            transport=transport,
        )

    def __enter__(self) -> XStreamClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- rules ---------------------------------------------------------------------------

    def list_rules(self) -> list[StreamRule]:
        body = self._rules_call("GET")
        return [_rule(item) for item in body.get("data") or []]

    def add_rules(
        self, rules: Sequence[tuple[str, str]], *, dry_run: bool = False
    ) -> list[StreamRule]:
        """Add ``(value, tag)`` rules; X refuses invalid or duplicate rules with a reason."""
        payload = {
            "add": [
                {"value": value, "tag": tag} if tag else {"value": value} for value, tag in rules
            ]
        }
        body = self._rules_call("POST", payload, dry_run=dry_run)
        return [_rule(item) for item in body.get("data") or []]

    def delete_rules(self, ids: Sequence[str]) -> int:
        body = self._rules_call("POST", {"delete": {"ids": list(ids)}})
        return int(body.get("meta", {}).get("summary", {}).get("deleted", 0))

    def _rules_call(
        self, method: str, payload: Any = None, *, dry_run: bool = False
    ) -> dict[str, Any]:
        params = {"dry_run": "true"} if dry_run else None
        try:
            response = self._http.request(method, RULES_PATH, json=payload, params=params)
        except httpx.HTTPError as exc:
            raise XStreamError(f"rules {method} failed: {type(exc).__name__}: {exc}") from None
        self._note_rate_limit(response)
        if response.status_code >= 400:
            raise XStreamError(f"rules {method}: HTTP {response.status_code}: {_problem(response)}")
        body = response.json()
        errors = body.get("errors") or []
        if errors:  # per-rule refusals come back with HTTP 200/201
            reasons = "; ".join(
                f"{e.get('title', '?')}: {e.get('value', e.get('detail', ''))}" for e in errors
            )
            if not body.get("data") and not body.get("meta", {}).get("summary", {}).get("deleted"):
                raise XStreamError(f"rules refused: {reasons}")
            log.warning("some rules were refused: %s", reasons)
        return body

    # --- the stream ----------------------------------------------------------------------

    def _connect_once(
        self, sink: Sink, budget: RunBudget, stats: RunStats, retrier: Retrier
    ) -> tuple[str, str]:
        stall_s = self.sources.x_stall_seconds
        timeout = httpx.Timeout(10.0, read=budget.read_timeout(stall_s))
        try:
            request = self._http.stream("GET", STREAM_PATH, params=self.params, timeout=timeout)
            with request as response:
                self._note_rate_limit(response)
                if response.status_code != 200:
                    response.read()
                    return self._http_failure(response)
                stats.connections += 1
                retrier.reset()
                log.info("X stream connected (connection %d)", stats.connections)
                self._consume(response.iter_bytes(), sink, budget, stats)
                return "network", "stream closed by server"
        except _Disconnected as exc:
            return "network", str(exc)
        except httpx.ReadTimeout:
            if budget.done():
                return "network", "run ended"
            return "network", f"stalled: no data or keep-alive for {stall_s:g} s"
        except httpx.TransportError as exc:
            return "network", f"{type(exc).__name__}: {exc}"

    def _consume(
        self, chunks: Iterable[bytes], sink: Sink, budget: RunBudget, stats: RunStats
    ) -> None:
        for line in complete_lines(chunks):
            if not line.strip():
                stats.keep_alives += 1
            else:
                self._handle_line(line, sink, budget, stats)
            if budget.done():
                return

    def _handle_line(self, line: bytes, sink: Sink, budget: RunBudget, stats: RunStats) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if isinstance(message, dict) and "data" not in message and message.get("errors"):
            stats.skipped += 1
            _handle_stream_errors(message["errors"])
            return
        data = message.get("data") if isinstance(message, dict) else None
        post_id = str(data.get("id", "")) if isinstance(data, dict) else ""
        if post_id and not self.seen.add(post_id):
            stats.duplicates += 1
            return
        stats.posts += 1
        budget.count()
        if sink.submit(line, position=f"id:{post_id}" if post_id else "unparsed"):
            stats.accepted += 1

    def _http_failure(self, response: httpx.Response) -> tuple[str, str]:
        status = response.status_code
        detail = f"HTTP {status}: {_problem(response)}"
        if status == 429 or status == 420:
            return "rate_limit", detail
        if 400 <= status < 500 and status not in RETRYABLE_4XX:
            raise XStreamError(f"X refused the stream request: {detail}")
        return "http", detail

    def _note_rate_limit(self, response: httpx.Response) -> None:
        limit = RateLimit.from_headers(response.headers)
        if limit is not None:
            self.rate_limit = limit
            log.info(
                "X rate limit: %d/%d left, resets at %d",
                limit.remaining,
                limit.limit,
                limit.reset_epoch,
            )

    def _earliest_retry_s(self) -> float:
        """Until the rate-limit window resets, when the last response said none are left."""
        limit = self.rate_limit
        if limit is None or limit.remaining > 0:
            return 0.0
        return max(0.0, limit.reset_epoch - self.clock.time())


def _handle_stream_errors(errors: list[Any]) -> None:
    for error in errors:
        title = str(error.get("title", "")) if isinstance(error, dict) else str(error)
        if title == "operational-disconnect":
            kind = error.get("disconnect_type", "") if isinstance(error, dict) else ""
            raise _Disconnected(f"operational-disconnect {kind}".strip())
        log.warning("X stream error message: %s", error)


def _rule(item: dict[str, Any]) -> StreamRule:
    return StreamRule(
        id=str(item.get("id", "")),
        value=str(item.get("value", "")),
        tag=str(item.get("tag", "") or ""),
    )


def _problem(response: httpx.Response) -> str:
    """X's problem title/detail from an error response (never the request headers)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        first = (body.get("errors") or [body])[0]
        if isinstance(first, dict):
            reason = first.get("detail") or first.get("title") or first.get("message") or body
            return str(reason)[:300]
    return str(body)[:300]
