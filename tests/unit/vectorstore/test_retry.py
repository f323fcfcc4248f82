"""The retry policy: transient failures back off until the budget, bad requests never retry."""

from __future__ import annotations

import time

import pytest
from pymilvus.exceptions import MilvusException, ParamError

from trendstream.core.settings import MilvusSettings
from trendstream.vectorstore.retry import MilvusUnavailable, is_transient, with_retry


def test_transient_errors_are_told_apart_from_bad_requests() -> None:
    assert is_transient(MilvusException(code=2, message="Fail connecting to server"))
    assert is_transient(MilvusException(code=1, message="server unavailable, try later"))
    assert is_transient(ConnectionResetError())
    assert not is_transient(MilvusException(code=1100, message="invalid dimension"))
    assert not is_transient(ParamError(message="bad param"))
    assert not is_transient(ValueError("nope"))


def test_retry_gives_up_with_milvus_unavailable_within_the_budget() -> None:
    settings = MilvusSettings(retry_timeout_s=1.0)
    calls = []

    def down() -> None:
        calls.append(time.monotonic())
        raise MilvusException(code=2, message="Fail connecting to server")

    started = time.monotonic()
    with pytest.raises(MilvusUnavailable, match="upsert failed .* times"):
        with_retry(settings, "upsert", down)
    assert 1.0 <= time.monotonic() - started < 2.0
    assert len(calls) >= 3  # 0.25 + 0.5 + ... backoff


def test_retry_returns_once_the_server_answers_and_never_retries_bad_requests() -> None:
    settings = MilvusSettings(retry_timeout_s=5.0)
    attempts = iter([MilvusException(code=2, message="connect"), None])

    def flaky() -> str:
        error = next(attempts)
        if error:
            raise error
        return "ok"

    assert with_retry(settings, "search", flaky) == "ok"
    bad_calls = []

    def bad_request() -> None:
        bad_calls.append(1)
        raise ParamError(message="bad")

    with pytest.raises(ParamError):
        with_retry(settings, "search", bad_request)
    assert bad_calls == [1]
