"""``trendstream search``: options, refused input, and an unreachable Milvus (no model load)."""

from __future__ import annotations

import sys
import time

from tests.support.cli import Invoke, fails_with, help_names


def test_help(cli: Invoke) -> None:
    help_names(cli("search", "--help"), "QUERY", "--k", "--since", "--hashtag", "--json")


def test_bad_input_is_refused(cli: Invoke) -> None:
    fails_with(cli("search", "   "), 2, "the query is empty")
    fails_with(cli("search", "solar", "--k", "0"), 2, "--k")
    fails_with(cli("search", "solar", "--since", "last week"), 2, "is not an ISO-8601 time")
    fails_with(cli("search"), 2, "Missing argument 'QUERY'")
    fails_with(cli("search", "solar", "--hashtag", 'x" or 1'), 2, "a hashtag is one word")


def test_no_milvus_is_a_clear_error_before_the_model_loads(cli: Invoke, dead_port: int) -> None:
    loaded = "sentence_transformers" in sys.modules
    started = time.monotonic()
    result = cli("search", "solar eclipse")
    fails_with(result, 1, f"cannot reach Milvus at http://127.0.0.1:{dead_port}")
    assert time.monotonic() - started < 30
    assert loaded or "sentence_transformers" not in sys.modules
