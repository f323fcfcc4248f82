"""Live connectors without a network: backoff schedules, Bluesky → canonical, stream framing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from trendstream.core.schema import DeadLetterReason, InvalidRecord, parse_event
from trendstream.core.settings import Settings, SourcesSettings
from trendstream.sources import bluesky, x_stream
from trendstream.sources.reconnect import Backoff, Retrier, RunBudget

LIVE = Path(__file__).parents[2] / "data" / "live"


def _jetstream_posts() -> dict[str, dict]:
    """The recorded post-create events, by rkey."""
    out = {}
    for line in (LIVE / "jetstream_posts.jsonl").read_text().splitlines():
        event = json.loads(line)
        commit = event.get("commit") or {}
        if (
            commit.get("operation") == "create"
            and commit.get("collection") == bluesky.POST_COLLECTION
        ):
            out[commit["rkey"]] = event
    return out


def _canonical(event: dict):
    return parse_event(
        bluesky.post_to_canonical(event["did"], event["commit"]["rkey"], event["commit"]["record"])
    )


# --- backoff ------------------------------------------------------------------------------


def test_x_network_backoff_is_linear_in_250ms_steps_up_to_16s() -> None:
    schedule = x_stream.BACKOFF["network"]
    assert [schedule.delay(n) for n in (1, 2, 3, 4)] == [0.25, 0.5, 0.75, 1.0]
    assert schedule.delay(64) == 16.0
    assert schedule.delay(1000) == 16.0


def test_x_http_backoff_doubles_from_5s_up_to_320s() -> None:
    schedule = x_stream.BACKOFF["http"]
    assert [schedule.delay(n) for n in range(1, 9)] == [5, 10, 20, 40, 80, 160, 320, 320]


def test_x_rate_limit_backoff_doubles_from_one_minute() -> None:
    schedule = x_stream.BACKOFF["rate_limit"]
    assert [schedule.delay(n) for n in range(1, 4)] == [60, 120, 240]
    assert schedule.delay(10_000) == schedule.cap_s  # no overflow on long outages


def test_retrier_counts_each_class_and_resets_on_success() -> None:
    retrier = Retrier(dict(x_stream.BACKOFF))
    assert [
        retrier.next_delay("http"),
        retrier.next_delay("network"),
        retrier.next_delay("http"),
    ] == [5, 0.25, 10]
    retrier.reset()
    assert retrier.next_delay("http") == 5


def test_backoff_refuses_attempt_zero() -> None:
    with pytest.raises(ValueError):
        Backoff(1.0, 2.0, "linear").delay(0)


class _Clock:
    def __init__(self) -> None:
        self.now, self.slept = 1000.0, []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_run_budget_never_sleeps_past_the_deadline() -> None:
    clock = _Clock()
    budget = RunBudget(clock, duration_s=30)
    budget.wait(20)
    budget.wait(60)
    assert clock.slept == [20, 10]
    assert budget.done()


def test_run_budget_counts_events() -> None:
    budget = RunBudget(_Clock(), max_events=2)
    budget.count()
    assert not budget.done()
    budget.count()
    assert budget.done()


# --- X stream framing -----------------------------------------------------------------------


def test_complete_lines_keeps_keepalives_and_drops_a_cut_off_line() -> None:
    chunks = [b'{"data":{"id":"1"}}\r', b"\n\r\n", b'{"data":{"id":"2"}}\r\n{"data":{"id"']
    assert list(x_stream.complete_lines(chunks)) == [
        b'{"data":{"id":"1"}}',
        b"",
        b'{"data":{"id":"2"}}',
    ]


def test_operational_disconnect_line_ends_the_connection() -> None:
    lines = (LIVE / "x_filtered_stream.ndjson").read_bytes().split(b"\r\n")
    message = json.loads(next(line for line in lines if b"operational-disconnect" in line))
    with pytest.raises(x_stream._Disconnected, match="UpstreamOperationalDisconnect"):
        x_stream._handle_stream_errors(message["errors"])


def test_recent_ids_forget_the_oldest_beyond_capacity() -> None:
    recent = x_stream.RecentIds(capacity=2)
    assert [
        recent.add("1"),
        recent.add("1"),
        recent.add("2"),
        recent.add("3"),
        recent.add("1"),
    ] == [True, False, True, True, True]


def test_x_client_refuses_to_start_without_a_token() -> None:
    with pytest.raises(x_stream.XStreamError, match="TRENDSTREAM_SOURCES__X_BEARER_TOKEN"):
        x_stream.XStreamClient(SourcesSettings())


def test_token_is_never_serialized() -> None:
    settings = Settings(sources=SourcesSettings(x_bearer_token=SecretStr("s3cr3t-token")))
    assert "s3cr3t-token" not in repr(settings)
    assert "s3cr3t-token" not in json.dumps(settings.env())
    assert "s3cr3t-token" not in settings.model_dump_json()


# --- Bluesky → canonical ----------------------------------------------------------------------


def test_numeric_ids_are_stable_positive_and_at_most_19_digits() -> None:
    ids = {bluesky.numeric_id(f"at://did:plc:x/app.bsky.feed.post/{n}") for n in range(2000)}
    assert len(ids) == 2000
    assert all(i.isdigit() and 0 < int(i) < 2**63 and len(i) <= 19 for i in ids)
    assert bluesky.numeric_id("did:plc:abc") == bluesky.numeric_id("did:plc:abc")


def test_post_with_tag_facets_maps_to_hashtags_lang_and_uri() -> None:
    event = _jetstream_posts()["3ljqnk4fzqk2a"]
    tweet = _canonical(event)
    assert tweet.hashtags == ("energiewende", "solar")
    assert tweet.lang == "de"  # langs[0]
    assert tweet.source == "bluesky"
    assert tweet.uri == f"at://{event['did']}/app.bsky.feed.post/3ljqnk4fzqk2a"
    assert tweet.id == bluesky.numeric_id(tweet.uri)
    assert tweet.author_id == bluesky.numeric_id(event["did"])
    assert tweet.conversation_id == tweet.id  # a thread root is its own conversation


def test_reply_maps_to_replied_to_parent_within_root_conversation() -> None:
    posts = _jetstream_posts()
    root, parent, reply = (
        _canonical(posts[k]) for k in ("3ljqnk2bd4c2y", "3ljqnk3ox5s2d", "3ljqnkbq4tk2n")
    )
    assert (reply.referenced_type, reply.referenced_id) == ("replied_to", parent.id)
    assert reply.conversation_id == root.id


def test_mentions_use_the_handle_as_written_with_multibyte_text() -> None:
    tweet = _canonical(_jetstream_posts()["3ljqnkbq4tk2n"])
    assert tweet.mentions == ("bob.test", "dana.example.com")


def test_quote_and_quote_with_media_map_to_quoted() -> None:
    posts = _jetstream_posts()
    quoted = _canonical(posts["3ljqnk2bd4c2y"])
    assert (
        _canonical(posts["3ljqnk5a7ss2x"]).referenced_type,
        _canonical(posts["3ljqnk5a7ss2x"]).referenced_id,
    ) == ("quoted", quoted.id)
    with_media = _canonical(posts["3ljqnk7sxkc27"])
    assert with_media.referenced_type == "quoted"
    assert with_media.referenced_id == _canonical(posts["3ljqnk4fzqk2a"]).id


def test_links_come_from_link_facets_and_external_embeds() -> None:
    posts = _jetstream_posts()
    assert _canonical(posts["3ljqnk6lmcs2p"]).urls == ("https://example.org/relay-notes-2025",)
    assert _canonical(posts["3ljqnkcvm6c2t"]).urls == ("https://example.com/link-cards",)


def test_non_ascii_tags_survive() -> None:
    assert _canonical(_jetstream_posts()["3ljqnk2ia2k2w"]).hashtags == ("ブルースカイ",)


def test_bogus_created_at_is_left_to_validation() -> None:
    with pytest.raises(InvalidRecord) as info:
        _canonical(_jetstream_posts()["3ljqnkaxyz22f"])
    assert info.value.reason is DeadLetterReason.BAD_TIMESTAMP


def test_post_without_text_is_refused_by_validation_not_by_the_mapping() -> None:
    mapped = bluesky.post_to_canonical("did:plc:x", "3abc", {"createdAt": "2025-01-01T00:00:00Z"})
    with pytest.raises(InvalidRecord) as info:
        parse_event(mapped)
    assert info.value.reason is DeadLetterReason.MISSING_FIELD


def test_subscribe_url_repeats_filters_and_adds_the_cursor() -> None:
    url = bluesky.subscribe_url(
        "wss://js.example/subscribe",
        ["app.bsky.feed.post"],
        ["did:plc:a", "did:plc:b"],
        1741101673000000,
    )
    assert url == (
        "wss://js.example/subscribe?wantedCollections=app.bsky.feed.post"
        "&wantedDids=did%3Aplc%3Aa&wantedDids=did%3Aplc%3Ab&cursor=1741101673000000"
    )


def test_cursor_state_round_trips_and_forgets_keys_outside_the_margin(tmp_path: Path) -> None:
    state = bluesky.CursorState(
        time_us=10_000_000, seen={("did:a", "1"): 1_000_000, ("did:a", "2"): 9_000_000}
    )
    path = tmp_path / "cursor.json"
    state.save(path, margin_us=2_000_000)
    loaded = bluesky.CursorState.load(path)
    assert loaded.time_us == 10_000_000
    assert loaded.seen == {("did:a", "2"): 9_000_000}
    assert loaded.resume_cursor(2_000_000) == 8_000_000
    assert bluesky.CursorState.load(tmp_path / "missing.json").resume_cursor(1) is None


def test_an_unreadable_cursor_file_stops_the_run_instead_of_skipping_ahead(tmp_path: Path) -> None:
    path = tmp_path / "cursor.json"
    path.write_text('{"time_us": 17')
    with pytest.raises(ValueError, match="delete it to start from the live tail"):
        bluesky.CursorState.load(path)
