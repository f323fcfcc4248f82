"""How every client of ours is built, and the time-range filter the readers share."""

from __future__ import annotations

from trendstream.core.settings import MilvusSettings
from trendstream.vectorstore.store import client_kwargs, time_range_filter


def test_client_kwargs_follow_the_settings() -> None:
    kwargs = client_kwargs(
        MilvusSettings(uri="http://h:1", token="t", rpc_timeout_s=9, keepalive_s=330)
    )
    assert kwargs["uri"] == "http://h:1" and kwargs["token"] == "t" and kwargs["timeout"] == 9
    assert kwargs["db_name"] == ""  # "default" is pymilvus' empty db name
    assert kwargs["grpc_options"]["grpc.keepalive_time_ms"] == 330_000
    assert client_kwargs(MilvusSettings(db_name="other"))["db_name"] == "other"


def test_time_range_filter_is_half_open() -> None:
    assert time_range_filter(10, 20) == "created_at >= 10 and created_at < 20"
