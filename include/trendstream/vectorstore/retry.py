"""Which Milvus failures are worth retrying, and the one retry policy every call goes through.

Giving up raises, so a Spark batch fails instead of silently dropping rows.
Design: docs/vectorstore.md#retry
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from trendstream.core.settings import MilvusSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_DELAY_S = 0.25
MAX_DELAY_S = 5.0
_TRANSIENT_WORDS = (
    "unavailable",
    "connect",
    "deadline",
    "timed out",
    "timeout",
    "not ready",
    "closed",
    "reset by peer",
    "broken pipe",
    "rate limit",
    "too many requests",
)


class MilvusUnavailable(RuntimeError):
    """Milvus could not be reached within the configured retry budget."""


def is_transient(exc: BaseException) -> bool:
    """Connection-type failures worth retrying (not bad requests or schema errors)."""
    from pymilvus.exceptions import (
        ConnectError,
        ConnectionNotExistException,
        MilvusException,
        MilvusUnavailableException,
        ParamError,
    )

    if isinstance(exc, (ConnectError, MilvusUnavailableException, ConnectionNotExistException)):
        return True
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, ParamError):
        return False
    try:
        import grpc

        if isinstance(exc, grpc.RpcError) and hasattr(exc, "code"):
            return exc.code() in (
                grpc.StatusCode.UNAVAILABLE,
                grpc.StatusCode.DEADLINE_EXCEEDED,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
            )
    except ImportError:  # pragma: no cover - grpc ships with pymilvus
        pass
    if isinstance(exc, MilvusException):
        if exc.code in (2, 8):  # connect failed, rate limited
            return True
        return any(word in str(exc.message).lower() for word in _TRANSIENT_WORDS)
    return False


def with_retry(milvus_settings: MilvusSettings, what: str, call: Callable[[], T]) -> T:
    """Run ``call``; on transient failures back off (0.25 s doubling to 5 s) until the budget."""
    deadline = time.monotonic() + milvus_settings.retry_timeout_s
    delay, attempt = FIRST_DELAY_S, 1
    while True:
        try:
            return call()
        except Exception as exc:
            if not is_transient(exc):
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise MilvusUnavailable(
                    f"Milvus at {milvus_settings.uri} unavailable: {what} failed {attempt} times "
                    f"over {milvus_settings.retry_timeout_s:.0f}s; last error: {exc}"
                ) from exc
            log.warning(
                "%s failed (attempt %d: %s); retrying in %.2fs",
                what,
                attempt,
                str(exc)[:160],
                min(delay, remaining),
            )
            time.sleep(min(delay, remaining))
            delay, attempt = min(delay * 2, MAX_DELAY_S), attempt + 1
