"""``trendstream topics``: options, bad topic names, and a dead broker reported quickly."""

from __future__ import annotations

import time

from tests.support.cli import Invoke, fails_with, help_names


def test_help(cli: Invoke) -> None:
    help_names(cli("topics", "--help"), "create", "show")
    help_names(cli("topics", "create", "--help"))
    help_names(cli("topics", "show", "--help"), "--topic", "--group", "--timeout")


def test_a_dead_broker_is_a_clear_error_within_the_timeout(cli: Invoke, dead_port: int) -> None:
    started = time.monotonic()
    result = cli("topics", "show", "--timeout", "1")
    elapsed = time.monotonic() - started
    fails_with(result, 1, f"127.0.0.1:{dead_port}")
    assert elapsed < 10, elapsed


def test_a_topic_name_kafka_refuses_is_named_before_connecting(cli: Invoke) -> None:
    started = time.monotonic()
    result = cli("topics", "show", "--topic", "no spaces!")
    fails_with(result, 1, "topic name 'no spaces!' has characters Kafka refuses")
    assert time.monotonic() - started < 5


def test_a_timeout_must_be_positive(cli: Invoke) -> None:
    fails_with(cli("topics", "show", "--timeout", "0"), 2, "--timeout")
