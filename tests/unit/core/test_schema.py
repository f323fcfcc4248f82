"""The one validator: every supported shape, every dead-letter reason, and a property test."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trendstream.core.schema import (
    DeadLetterReason,
    Engagement,
    InvalidRecord,
    Tweet,
    format_time,
    parse_event,
    parse_time,
)

NOW = datetime(2025, 6, 2, tzinfo=UTC)


def v2(**changes: object) -> dict:
    data = {
        "id": "1800000000000000001",
        "text": "hello #World @bob",
        "author_id": "42",
        "created_at": "2025-06-01T12:00:00.000Z",
        "lang": "en",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def reason_of(raw: object, **kwargs: object) -> DeadLetterReason:
    with pytest.raises(InvalidRecord) as caught:
        parse_event(raw, now=NOW, **kwargs)  # type: ignore[arg-type]
    return caught.value.reason


def test_v2_filtered_stream_line_with_includes_and_entities() -> None:
    line = {
        "data": v2(
            entities={
                "hashtags": [{"start": 6, "end": 12, "tag": "World"}],
                "mentions": [{"start": 13, "end": 17, "username": "bob"}],
                "urls": [{"expanded_url": "https://example.org/x"}],
            },
            public_metrics={
                "like_count": 3,
                "retweet_count": 2,
                "reply_count": 1,
                "quote_count": 0,
            },
            referenced_tweets=[{"type": "replied_to", "id": "17"}],
            conversation_id="17",
        ),
        "includes": {
            "users": [{"id": "41", "username": "other"}, {"id": "42", "username": "alice"}]
        },
    }
    tweet = parse_event(orjson.dumps(line), now=NOW)
    assert isinstance(tweet, Tweet)
    assert tweet.id == "1800000000000000001"
    assert tweet.author_username == "alice"
    assert tweet.hashtags == ("world",)
    assert tweet.mentions == ("bob",)
    assert tweet.urls == ("https://example.org/x",)
    assert (tweet.metrics.like_count, tweet.metrics.retweet_count) == (3, 2)
    assert (tweet.referenced_type, tweet.referenced_id) == ("replied_to", "17")
    assert tweet.created_at == datetime(2025, 6, 1, 12, tzinfo=UTC)


def test_bare_v2_tweet_extracts_hashtags_and_mentions_from_text() -> None:
    tweet = parse_event(json.dumps(v2(text="Go #Team and #team, ping @carol")), now=NOW)
    assert tweet.hashtags == ("team",)
    assert tweet.mentions == ("carol",)


def test_v2_note_tweet_long_text_wins() -> None:
    tweet = parse_event(v2(note_tweet={"text": "the long version"}), now=NOW)
    assert tweet.text == "the long version"


def test_v1_statuses_extended_and_retweet() -> None:
    status = {
        "id_str": "1800000000000000005",
        "created_at": "Sun Jun 01 12:00:00 +0000 2025",
        "text": "short",
        "extended_tweet": {
            "full_text": "the full #text",
            "entities": {"hashtags": [{"text": "Text"}]},
        },
        "user": {"id_str": "9", "screen_name": "dave"},
        "favorite_count": 4,
        "retweeted_status": {"id_str": "1700000000000000000"},
    }
    tweet = parse_event(status, now=NOW)
    assert (tweet.text, tweet.hashtags, tweet.author_username) == (
        "the full #text",
        ("text",),
        "dave",
    )
    assert tweet.metrics.like_count == 4
    assert (tweet.referenced_type, tweet.source) == ("retweeted", "x-v1.1")


def test_canonical_round_trip_is_stable() -> None:
    first = parse_event(v2(text="café ☕ #Morning"), now=NOW)
    again = parse_event(first.to_json(), now=NOW)
    assert again == first
    assert again.to_json() == first.to_json()
    assert "café ☕".encode() in first.to_json()  # UTF-8 kept, not \\u-escaped


@pytest.mark.parametrize(
    "created_at",
    [
        "2025-06-01T12:00:00.000Z",
        "2025-06-01T12:00:00Z",
        "2025-06-01T14:00:00+02:00",
        1748779200000,
    ],
)
def test_the_canonical_bytes_do_not_depend_on_the_input_time_form(created_at: object) -> None:
    # An input time already in the canonical form is kept as text, any other is formatted:
    # both give the same Tweet and the same bytes, in the topic's documented key order.
    tweet = parse_event(v2(created_at=created_at), now=NOW)
    assert tweet == parse_event(v2(), now=NOW)
    value = tweet.to_json()
    assert value == parse_event(v2(), now=NOW).to_json()
    assert list(orjson.loads(value)) == [
        *("id", "text", "created_at", "author_id", "lang", "author_username"),
        *("hashtags", "mentions", "urls", "metrics", "referenced_type", "referenced_id"),
        *("conversation_id", "source", "uri", "kind"),
    ]
    assert orjson.loads(value)["created_at"] == "2025-06-01T12:00:00.000Z"
    assert tweet.to_dict() == orjson.loads(value)


def test_a_hand_built_tweet_equals_the_parsed_one() -> None:
    parsed = parse_event(v2(text="plain"), now=NOW)
    built = Tweet(
        id=parsed.id,
        text="plain",
        created_at=datetime(2025, 6, 1, 12, tzinfo=UTC),
        author_id="42",
        lang="en",
        source="x-v2",
    )
    assert built == parsed and hash(built) == hash(parsed)
    assert built.to_json() == parsed.to_json()


def test_engagements_like_and_follow() -> None:
    like = parse_event(
        {
            "kind": "engagement",
            "id": "5",
            "type": "like",
            "user_id": "7",
            "tweet_id": "99",
            "created_at": "2025-06-01T12:00:01Z",
        },
        now=NOW,
    )
    follow = parse_event(
        {
            "kind": "engagement",
            "id": "6",
            "type": "follow",
            "user_id": "7",
            "target_user_id": "42",
            "created_at": "2025-06-01T12:00:01Z",
        },
        now=NOW,
    )
    assert isinstance(like, Engagement) and like.key == "99"
    assert isinstance(follow, Engagement) and follow.key == "42"
    assert parse_event(like.to_json(), now=NOW) == like


def test_time_formats() -> None:
    expected = datetime(2025, 6, 1, 12, tzinfo=UTC)
    assert parse_time("2025-06-01T12:00:00Z", now=NOW) == expected
    assert parse_time("2025-06-01T14:00:00+02:00", now=NOW) == expected
    assert parse_time("Sun Jun 01 12:00:00 +0000 2025", now=NOW) == expected
    assert parse_time(int(expected.timestamp() * 1000), now=NOW) == expected
    assert format_time(expected) == "2025-06-01T12:00:00.000Z"


def test_nfc_normalisation_of_decomposed_text() -> None:
    assert parse_event(v2(text="cafe\u0301"), now=NOW).text == "caf\u00e9"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe{}", DeadLetterReason.INVALID_UTF8),
        (b'{"id": 1,', DeadLetterReason.INVALID_JSON),
        (b'{"x": NaN}', DeadLetterReason.INVALID_JSON),
        (b'{"id": ' + b"7" * 5000 + b"}", DeadLetterReason.INVALID_JSON),  # past Python's int limit
        (b"[1]", DeadLetterReason.NOT_AN_OBJECT),
        ({"foo": 1}, DeadLetterReason.UNKNOWN_FORMAT),
        (v2(id=...), DeadLetterReason.MISSING_FIELD),
        (v2(id=["1"]), DeadLetterReason.WRONG_TYPE),
        (v2(id="12x"), DeadLetterReason.BAD_ID),
        (v2(id="0000"), DeadLetterReason.BAD_ID),
        (v2(id="1" * 20), DeadLetterReason.BAD_ID),
        (v2(created_at="2099-01-01T00:00:00Z"), DeadLetterReason.BAD_TIMESTAMP),
        (v2(created_at=True), DeadLetterReason.BAD_TIMESTAMP),
        (v2(text=" \n "), DeadLetterReason.EMPTY_TEXT),
        (v2(text="x" * 4001), DeadLetterReason.OVERSIZED_TEXT),
        (b'{"text": "' + b"x" * 70000 + b'"}', DeadLetterReason.OVERSIZED_RECORD),
        (v2(text="a\u0000b"), DeadLetterReason.CONTROL_CHARACTERS),
        (
            b'{"id": "1", "text": "\\udc00", "author_id": "2", '
            b'"created_at": "2025-06-01T00:00:00Z"}',
            DeadLetterReason.CONTROL_CHARACTERS,
        ),
        (v2(public_metrics={"like_count": -1}), DeadLetterReason.BAD_VALUE),
        (
            {
                "kind": "engagement",
                "id": "5",
                "type": "poke",
                "user_id": "7",
                "tweet_id": "9",
                "created_at": "2025-06-01T12:00:01Z",
            },
            DeadLetterReason.BAD_VALUE,
        ),
    ],
)
def test_each_reason(raw: object, reason: DeadLetterReason) -> None:
    assert reason_of(raw) is reason


def test_duplicate_reason_exists_for_the_ingestor() -> None:
    # DUPLICATE is decided by the ingestor (it needs memory of earlier ids), not the parser.
    assert DeadLetterReason("duplicate") is DeadLetterReason.DUPLICATE


def test_every_reason_is_covered_somewhere() -> None:
    corpus = json.loads(
        (Path(__file__).parents[2] / "data" / "bad_records.expected.json").read_text()
    )
    reasons = {case["expect"] for case in corpus.values()} - {"accepted"}
    missing = {r.value for r in DeadLetterReason} - reasons - {"oversized_record"}
    assert not missing, f"corpus lacks {missing}"  # oversized records are built at test time


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=20,
)
tweetish = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=25), st.integers(), json_values),
        "text": st.one_of(st.text(max_size=50), json_values),
        "author_id": st.one_of(st.from_regex(r"[0-9]{1,20}", fullmatch=True), json_values),
        "created_at": st.one_of(
            st.datetimes().map(lambda d: d.isoformat()), st.integers(), json_values
        ),
        "kind": st.sampled_from(["tweet", "engagement", "other"]),
        "type": st.sampled_from(["like", "follow", "retweet", "x"]),
        "user_id": json_values,
        "tweet_id": json_values,
        "target_user_id": json_values,
        "entities": json_values,
        "public_metrics": json_values,
        "referenced_tweets": json_values,
        "lang": json_values,
        "user": json_values,
        "id_str": json_values,
        "data": json_values,
        "includes": json_values,
        "hashtags": json_values,
        "note_tweet": json_values,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=200),
        tweetish.map(lambda d: json.dumps(d).encode()),
        tweetish,
        st.builds(lambda d: {"data": d}, tweetish),
    )
)
def test_parse_event_only_ever_raises_invalid_record(raw: bytes | dict) -> None:
    try:
        event = parse_event(raw, now=NOW)
    except InvalidRecord as exc:
        assert isinstance(exc.reason, DeadLetterReason)
    else:
        assert isinstance(event, Tweet | Engagement)
        assert parse_event(event.to_json(), now=NOW) == event  # what we emit we accept
