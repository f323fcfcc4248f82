"""The canonical post and engagement records, and the one validator every path uses.

Design: docs/core.md#schema
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import msgspec
import orjson

from trendstream.core.settings import Limits

# parse_event's limits when a caller names none: the settings' defaults (tests, offline tools);
# the pipeline passes ``settings.limits``.
DEFAULT_LIMITS = Limits()
_HASHTAG_RE = re.compile(r"(?<![\w&])#(\w{1,100})", re.UNICODE)
HASHTAG_PATTERN = _HASHTAG_RE  # public name, for callers that need tags as written (case kept)
_MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,15})", re.ASCII)
# A timestamp already in format_time's form is kept as text (formatting it again costs more
# than the rest of the output).
_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", re.ASCII)
ENGAGEMENT_TYPES = ("like", "retweet", "reply", "quote", "follow")
REFERENCE_TYPES = ("retweeted", "quoted", "replied_to")


class DeadLetterReason(str, Enum):
    """Why a record was refused; the value is what goes into the dead-letter record."""

    INVALID_UTF8 = "invalid_utf8"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    UNKNOWN_FORMAT = "unknown_format"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    BAD_ID = "bad_id"
    BAD_TIMESTAMP = "bad_timestamp"
    EMPTY_TEXT = "empty_text"
    OVERSIZED_TEXT = "oversized_text"
    OVERSIZED_RECORD = "oversized_record"
    CONTROL_CHARACTERS = "control_characters"
    BAD_VALUE = "bad_value"
    DUPLICATE = "duplicate"


class InvalidRecord(ValueError):
    """A record that must go to the dead-letter topic, with a machine-readable reason."""

    def __init__(self, reason: DeadLetterReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class PublicMetrics(msgspec.Struct, frozen=True):
    like_count: int = 0
    retweet_count: int = 0
    reply_count: int = 0
    quote_count: int = 0


class Tweet(msgspec.Struct, frozen=True):
    """A post in canonical form: what the ``tweets`` topic carries, keyed by ``id``.

    A frozen Struct, not a dataclass: built once per ingested record, 5x faster.
    """

    id: str
    text: str
    created_at: datetime
    author_id: str
    lang: str = "und"
    author_username: str = ""
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    metrics: PublicMetrics = msgspec.field(default_factory=PublicMetrics)
    referenced_type: str = ""  # "", "retweeted", "quoted" or "replied_to"
    referenced_id: str = ""
    conversation_id: str = ""
    source: str = ""
    # The post's own address where ``id`` is derived from it (Bluesky at:// URI); else "".
    uri: str = ""
    # ``created_at`` as format_time writes it: filled in on construction unless the parser
    # passes the input's own text, already in that form (formatting costs more than parsing).
    created_text: str = ""

    kind = "tweet"

    def __post_init__(self) -> None:
        if not self.created_text:
            msgspec.structs.force_setattr(self, "created_text", format_time(self.created_at))

    def _record(self) -> _TweetJSON:
        m = self.metrics
        return _TweetJSON(
            self.id,
            self.text,
            self.created_text,
            self.author_id,
            self.lang,
            self.author_username,
            self.hashtags,
            self.mentions,
            self.urls,
            _MetricsJSON(m.like_count, m.retweet_count, m.reply_count, m.quote_count),
            self.referenced_type,
            self.referenced_id,
            self.conversation_id,
            self.source,
            self.uri,
        )

    def to_dict(self) -> dict[str, Any]:
        return orjson.loads(self.to_json())  # lists, not tuples, as the JSON reader gives

    def to_json(self) -> bytes:
        """Compact UTF-8 JSON (non-ASCII kept as is), the ``tweets`` topic value."""
        return _encode(self._record())


class _MetricsJSON(msgspec.Struct):
    like_count: int
    retweet_count: int
    reply_count: int
    quote_count: int


class _TweetJSON(msgspec.Struct):
    """The ``tweets`` topic value's fields in their order (a Struct encodes 3x faster than
    building a dict for orjson; the bytes are the same)."""

    id: str
    text: str
    created_at: str
    author_id: str
    lang: str
    author_username: str
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    urls: tuple[str, ...]
    metrics: _MetricsJSON
    referenced_type: str
    referenced_id: str
    conversation_id: str
    source: str
    uri: str
    kind: str = "tweet"


class _EngagementJSON(msgspec.Struct):
    id: str
    type: str
    user_id: str
    created_at: str
    tweet_id: str
    target_user_id: str
    source: str
    kind: str = "engagement"


_encode = msgspec.json.Encoder().encode


class Engagement(msgspec.Struct, frozen=True):
    """A like/retweet/reply/quote/follow event; the ``engagements`` topic, keyed by tweet id."""

    id: str
    type: str
    user_id: str
    created_at: datetime
    tweet_id: str = ""
    target_user_id: str = ""
    source: str = ""
    created_text: str = ""  # as in Tweet

    kind = "engagement"

    def __post_init__(self) -> None:
        if not self.created_text:
            msgspec.structs.force_setattr(self, "created_text", format_time(self.created_at))

    @property
    def key(self) -> str:
        return self.tweet_id or self.target_user_id or self.id

    def _record(self) -> _EngagementJSON:
        return _EngagementJSON(
            self.id,
            self.type,
            self.user_id,
            self.created_text,
            self.tweet_id,
            self.target_user_id,
            self.source,
        )

    def to_dict(self) -> dict[str, Any]:
        return orjson.loads(self.to_json())

    def to_json(self) -> bytes:
        return _encode(self._record())


Event = Tweet | Engagement


def format_time(value: datetime) -> str:
    """``2025-06-01T12:00:00.022Z``: UTC, milliseconds (isoformat: 5x faster than strftime)."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"


_now_cache: list[Any] = [0.0, datetime.now(UTC)]


def _coarse_now() -> datetime:
    """The clock, read at most once a second (it is checked on every record)."""
    tick = time.monotonic()
    if tick - _now_cache[0] > 1.0:
        _now_cache[0] = tick
        _now_cache[1] = datetime.now(UTC)
    return _now_cache[1]


def parse_time(
    value: Any, *, limits: Limits = DEFAULT_LIMITS, now: datetime | None = None
) -> datetime:
    """ISO-8601 (X v2), Twitter's v1.1 ``Wed Oct 10 20:19:24 +0000 2018`` or epoch ms, within
    ``limits`` (not before ``earliest_time``, at most ``future_slack_s`` ahead of now)."""
    if isinstance(value, bool) or value is None:
        raise InvalidRecord(DeadLetterReason.BAD_TIMESTAMP, f"not a timestamp: {value!r}")
    try:
        if type(value) is str and value[:1].isdigit():
            parsed = datetime.fromisoformat(value)  # 3.11+: takes "Z" and fractions as is
        elif isinstance(value, (int, float)):
            parsed = datetime.fromtimestamp(value / 1000.0, tz=UTC)
        elif isinstance(value, str):
            parsed = datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
        else:
            raise InvalidRecord(DeadLetterReason.BAD_TIMESTAMP, f"not a timestamp: {value!r}")
    except (ValueError, OverflowError, OSError) as exc:
        raise InvalidRecord(DeadLetterReason.BAD_TIMESTAMP, f"{value!r}: {exc}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    elif parsed.tzinfo is not UTC:
        parsed = parsed.astimezone(UTC)
    latest = (now or _coarse_now()) + timedelta(seconds=limits.future_slack_s)
    if parsed < limits.earliest_time or parsed > latest:
        raise InvalidRecord(DeadLetterReason.BAD_TIMESTAMP, f"out of range: {value!r}")
    return parsed


def _time_and_text(value: Any, limits: Limits, now: datetime | None) -> tuple[datetime, str]:
    """:func:`parse_time`, and ``value`` itself when it is already in format_time's form."""
    parsed = parse_time(value, limits=limits, now=now)
    if type(value) is str and len(value) == 24 and _CANONICAL_TIME.fullmatch(value):
        return parsed, value
    return parsed, ""


def decode_record(raw: bytes | str, limits: Limits) -> dict[str, Any]:
    """Bytes → JSON object, refusing oversized, non-UTF-8, non-JSON and non-object input."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="surrogatepass")
    if len(raw) > limits.max_record_bytes:
        raise InvalidRecord(
            DeadLetterReason.OVERSIZED_RECORD,
            f"{len(raw)} bytes > limit {limits.max_record_bytes}",
        )
    try:
        value = orjson.loads(raw)  # fast path; strict, so refusals are re-diagnosed below
    except orjson.JSONDecodeError:
        value = _decode_slow(raw)
    if not isinstance(value, dict):
        raise InvalidRecord(DeadLetterReason.NOT_AN_OBJECT, f"got {type(value).__name__}")
    return value


def _decode_slow(raw: bytes) -> Any:
    """Say precisely why orjson refused a record, or accept what the stdlib accepts.

    orjson also refuses lone-surrogate escapes and integers beyond 64 bits; the stdlib
    parser accepts those, so the field checks can give the exact reason.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord(DeadLetterReason.INVALID_UTF8, str(exc)) from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:  # ValueError: also an int past 4,300 digits
        raise InvalidRecord(DeadLetterReason.INVALID_JSON, str(exc)[:200]) from None


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def parse_event(
    raw: bytes | str | dict[str, Any],
    *,
    limits: Limits = DEFAULT_LIMITS,
    now: datetime | None = None,
) -> Event:
    """Validate one record of any supported shape into a :class:`Tweet` or :class:`Engagement`."""
    obj = raw if isinstance(raw, dict) else decode_record(raw, limits)
    if obj.get("kind") == "engagement" or (
        "type" in obj and "user_id" in obj and "text" not in obj
    ):
        return _parse_engagement(obj, limits=limits, now=now)
    if isinstance(obj.get("data"), dict):  # X API v2 filtered-stream / lookup envelope
        return _parse_v2(obj["data"], obj.get("includes"), limits=limits, now=now)
    if obj.get("kind") == "tweet":
        return _parse_canonical(obj, limits=limits, now=now)
    if "id_str" in obj or "user" in obj or "full_text" in obj:
        return _parse_v1(obj, limits=limits, now=now)
    if "text" in obj or "author_id" in obj:
        return _parse_v2(obj, None, limits=limits, now=now)
    raise InvalidRecord(DeadLetterReason.UNKNOWN_FORMAT, f"keys: {sorted(obj)[:10]}")


# --- field helpers -------------------------------------------------------------------


def _require(obj: dict[str, Any], name: str) -> Any:
    if name not in obj or obj[name] is None:
        raise InvalidRecord(DeadLetterReason.MISSING_FIELD, name)
    return obj[name]


def _id(value: Any, name: str) -> str:
    if type(value) is str:
        text = value
    elif type(value) is int:  # not bool: type(True) is bool
        text = str(value)
    else:
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, f"{name} must be a string id")
    # 1-19 ASCII digits, not all zeros (checked without a regex: hot path).
    if not (0 < len(text) <= 19 and text.isascii() and text.isdigit() and text.strip("0")):
        raise InvalidRecord(DeadLetterReason.BAD_ID, f"{name}={text[:40]!r}")
    return text


def _text(value: Any, max_chars: int) -> str:
    if not isinstance(value, str):
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, "text must be a string")
    if "\x00" in value:
        raise InvalidRecord(DeadLetterReason.CONTROL_CHARACTERS, "NUL in text")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidRecord(
                DeadLetterReason.CONTROL_CHARACTERS, "lone surrogate in text"
            ) from None
    text = value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)
    if not text.strip():
        raise InvalidRecord(DeadLetterReason.EMPTY_TEXT, "text is empty")
    if len(text) > max_chars:
        raise InvalidRecord(DeadLetterReason.OVERSIZED_TEXT, f"{len(text)} chars > {max_chars}")
    return text


def _count(value: Any, name: str) -> int:
    if value is None:
        return 0
    if type(value) is not int:
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, f"{name} must be an integer")
    if value < 0:
        raise InvalidRecord(DeadLetterReason.BAD_VALUE, f"{name} is negative")
    return value


_NO_METRICS = PublicMetrics()


def _metrics(obj: Any) -> PublicMetrics:
    if obj is None:
        return _NO_METRICS
    if not isinstance(obj, dict):
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, "public_metrics must be an object")
    get = obj.get
    like = get("like_count")
    if like is None:
        like = get("favorite_count")
    retweets, replies, quotes = get("retweet_count"), get("reply_count"), get("quote_count")
    if (  # the usual case, checked at once: four non-negative ints (bool is no int here)
        type(like) is int
        and type(retweets) is int
        and type(replies) is int
        and type(quotes) is int
        and like >= 0
        and retweets >= 0
        and replies >= 0
        and quotes >= 0
    ):
        return PublicMetrics(like, retweets, replies, quotes)
    return PublicMetrics(
        _count(like, "like_count"),
        _count(retweets, "retweet_count"),
        _count(replies, "reply_count"),
        _count(quotes, "quote_count"),
    )


def _lang(value: Any) -> str:
    if value is None:
        return "und"
    if not isinstance(value, str) or len(value) > 16:
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, "lang must be a short string")
    return value or "und"


def _tags(entities: Any, key: str, field_name: str) -> tuple[str, ...] | None:
    """Entity lists from X payloads; ``None`` when absent so text extraction can fill in."""
    if not isinstance(entities, dict) or key not in entities:
        return None
    items = entities[key]
    if not isinstance(items, list):
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, f"entities.{key} must be a list")
    out = []
    for item in items:
        value = item.get(field_name) if isinstance(item, dict) else item
        if isinstance(value, str) and value:
            out.append(value)
    return tuple(out)


def extract_hashtags(text: str) -> tuple[str, ...]:
    """Hashtags as written in text, lower-cased and de-duplicated in order of appearance."""
    if "#" not in text:  # most posts: skip the regex
        return ()
    return tuple(dict.fromkeys(tag.lower() for tag in _HASHTAG_RE.findall(text)))


def extract_mentions(text: str) -> tuple[str, ...]:
    if "@" not in text:
        return ()
    return tuple(dict.fromkeys(_MENTION_RE.findall(text)))


def _norm_tags(tags: tuple[str, ...] | None, text: str) -> tuple[str, ...]:
    if tags is None:
        return extract_hashtags(text)
    return tuple(dict.fromkeys(t.lstrip("#").lower() for t in tags))


# --- the supported shapes ---------------------------------------------------------------


def _parse_v2(obj: dict[str, Any], includes: Any, *, limits: Limits, now: datetime | None) -> Tweet:
    get = obj.get  # this is the hot path of every ingest: keep lookups local
    note = get("note_tweet")
    text = _text(
        note.get("text") if isinstance(note, dict) else _require(obj, "text"), limits.max_text_chars
    )
    author_id = _id(_require(obj, "author_id"), "author_id")
    username = ""
    if isinstance(includes, dict) and isinstance(includes.get("users"), list):
        for user in includes["users"]:
            if isinstance(user, dict) and str(user.get("id")) == author_id:
                username = str(user.get("username", ""))
    entities = get("entities")
    if entities is None:
        hashtags, mentions, urls = extract_hashtags(text), extract_mentions(text), ()
    else:
        hashtags = _norm_tags(_tags(entities, "hashtags", "tag"), text)
        mentions = _tags(entities, "mentions", "username") or extract_mentions(text)
        urls = _tags(entities, "urls", "expanded_url") or ()
    ref_type, ref_id = "", ""
    refs = get("referenced_tweets")
    if isinstance(refs, list) and refs and isinstance(refs[0], dict):
        ref_type = refs[0].get("type")
        if ref_type not in REFERENCE_TYPES:
            raise InvalidRecord(DeadLetterReason.BAD_VALUE, f"referenced_tweets.type {ref_type!r}")
        ref_id = _id(refs[0].get("id"), "referenced_tweets.id")
    elif refs is not None and not isinstance(refs, list):
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, "referenced_tweets must be a list")
    tweet_id = _id(_require(obj, "id"), "id")  # checked before the time, as always
    created_at, created_text = _time_and_text(_require(obj, "created_at"), limits, now)
    return Tweet(
        id=tweet_id,
        text=text,
        created_at=created_at,
        created_text=created_text,
        author_id=author_id,
        lang=_lang(get("lang")),
        author_username=username or str(get("author_username", "") or ""),
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        metrics=_metrics(get("public_metrics")),
        referenced_type=ref_type,
        referenced_id=ref_id,
        conversation_id=str(get("conversation_id", "") or ""),
        source=str(get("source", "") or "x-v2"),
    )


def _parse_v1(obj: dict[str, Any], *, limits: Limits, now: datetime | None) -> Tweet:
    user = obj.get("user")
    if not isinstance(user, dict):
        raise InvalidRecord(DeadLetterReason.MISSING_FIELD, "user")
    ext = obj.get("extended_tweet")
    text_value = (
        ext.get("full_text")
        if isinstance(ext, dict) and "full_text" in ext
        else obj.get("full_text", obj.get("text"))
    )
    if text_value is None:
        raise InvalidRecord(DeadLetterReason.MISSING_FIELD, "text")
    text = _text(text_value, limits.max_text_chars)
    entities = ext.get("entities") if isinstance(ext, dict) else obj.get("entities")
    ref_type, ref_id = "", ""
    if isinstance(obj.get("retweeted_status"), dict):
        ref_type, ref_id = (
            "retweeted",
            _id(obj["retweeted_status"].get("id_str"), "retweeted_status"),
        )
    elif obj.get("quoted_status_id_str"):
        ref_type, ref_id = "quoted", _id(obj["quoted_status_id_str"], "quoted_status_id_str")
    elif obj.get("in_reply_to_status_id_str"):
        ref_type, ref_id = "replied_to", _id(obj["in_reply_to_status_id_str"], "in_reply_to")
    return Tweet(
        id=_id(
            obj.get("id_str", obj.get("id"))
            if obj.get("id_str", obj.get("id")) is not None
            else _require(obj, "id_str"),
            "id_str",
        ),
        text=text,
        created_at=parse_time(_require(obj, "created_at"), limits=limits, now=now),
        author_id=_id(user.get("id_str", user.get("id")), "user.id_str"),
        lang=_lang(obj.get("lang")),
        author_username=str(user.get("screen_name", "") or ""),
        hashtags=_norm_tags(_tags(entities, "hashtags", "text"), text),
        mentions=_tags(entities, "user_mentions", "screen_name") or extract_mentions(text),
        urls=_tags(entities, "urls", "expanded_url") or (),
        metrics=_metrics(
            {
                "like_count": obj.get("favorite_count"),
                "retweet_count": obj.get("retweet_count"),
                "reply_count": obj.get("reply_count"),
                "quote_count": obj.get("quote_count"),
            }
        ),
        referenced_type=ref_type,
        referenced_id=ref_id,
        source="x-v1.1",
    )


def _parse_canonical(obj: dict[str, Any], *, limits: Limits, now: datetime | None) -> Tweet:
    text = _text(_require(obj, "text"), limits.max_text_chars)
    hashtags = obj.get("hashtags")
    if hashtags is not None and not (
        isinstance(hashtags, list) and all(isinstance(h, str) for h in hashtags)
    ):
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, "hashtags must be a list of strings")
    mentions = obj.get("mentions") or []
    urls = obj.get("urls") or []
    if not isinstance(mentions, list) or not isinstance(urls, list):
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, "mentions/urls must be lists")
    tweet_id = _id(_require(obj, "id"), "id")  # checked before the time, as always
    created_at, created_text = _time_and_text(_require(obj, "created_at"), limits, now)
    return Tweet(
        id=tweet_id,
        text=text,
        created_at=created_at,
        created_text=created_text,
        author_id=_id(_require(obj, "author_id"), "author_id"),
        lang=_lang(obj.get("lang")),
        author_username=str(obj.get("author_username", "") or ""),
        hashtags=_norm_tags(tuple(hashtags) if hashtags is not None else None, text),
        mentions=tuple(str(m) for m in mentions),
        urls=tuple(str(u) for u in urls),
        metrics=_metrics(obj.get("metrics")),
        referenced_type=str(obj.get("referenced_type", "") or ""),
        referenced_id=str(obj.get("referenced_id", "") or ""),
        conversation_id=str(obj.get("conversation_id", "") or ""),
        source=str(obj.get("source", "") or ""),
        uri=str(obj.get("uri", "") or ""),
    )


def _parse_engagement(obj: dict[str, Any], *, limits: Limits, now: datetime | None) -> Engagement:
    etype = _require(obj, "type")
    if etype not in ENGAGEMENT_TYPES:
        raise InvalidRecord(DeadLetterReason.BAD_VALUE, f"engagement type {etype!r}")
    tweet_id = obj.get("tweet_id")
    target = obj.get("target_user_id")
    if etype == "follow":
        target = _id(_require(obj, "target_user_id"), "target_user_id")
    else:
        tweet_id = _id(_require(obj, "tweet_id"), "tweet_id")
    engagement_id = _id(_require(obj, "id"), "id")
    user_id = _id(_require(obj, "user_id"), "user_id")
    created_at, created_text = _time_and_text(_require(obj, "created_at"), limits, now)
    return Engagement(
        id=engagement_id,
        type=etype,
        user_id=user_id,
        created_at=created_at,
        created_text=created_text,
        tweet_id=str(tweet_id or ""),
        target_user_id=str(target or ""),
        source=str(obj.get("source", "") or ""),
    )
