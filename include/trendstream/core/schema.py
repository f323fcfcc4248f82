"""The canonical post and engagement records, and the one validator every path uses.

Archives (X API v2, v1.1, our generator), live connectors and records written straight
to Kafka all pass through :func:`parse_event`, so a record means the same thing
wherever it entered. Anything that does not validate raises :class:`InvalidRecord` with
a :class:`DeadLetterReason`, which is what lands in the dead-letter topic.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

MAX_TEXT_CHARS = 4000  # X allows 280 (25k for premium long posts are truncated upstream)
MAX_RECORD_BYTES = 64 * 1024
EARLIEST_TIME = datetime(2006, 3, 21, tzinfo=timezone.utc)  # the first tweet
FUTURE_SLACK = timedelta(days=1)
_ID_RE = re.compile(r"^[0-9]{1,19}$")
_HASHTAG_RE = re.compile(r"(?<![\w&])#(\w{1,100})", re.UNICODE)
_MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,15})", re.ASCII)
ENGAGEMENT_TYPES = ("like", "retweet", "reply", "quote", "follow")


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


@dataclass(frozen=True, slots=True)
class PublicMetrics:
    like_count: int = 0
    retweet_count: int = 0
    reply_count: int = 0
    quote_count: int = 0


@dataclass(frozen=True, slots=True)
class Tweet:
    """A post in canonical form: what the ``tweets`` topic carries, keyed by ``id``."""

    id: str
    text: str
    created_at: datetime
    author_id: str
    lang: str = "und"
    author_username: str = ""
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    metrics: PublicMetrics = field(default_factory=PublicMetrics)
    referenced_type: str = ""  # "", "retweeted", "quoted" or "replied_to"
    referenced_id: str = ""
    conversation_id: str = ""
    source: str = ""

    kind = "tweet"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = self.kind
        out["created_at"] = format_time(self.created_at)
        out["hashtags"] = list(self.hashtags)
        out["mentions"] = list(self.mentions)
        out["urls"] = list(self.urls)
        return out

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Engagement:
    """A like/retweet/reply/quote/follow event; the ``engagements`` topic, keyed by tweet id."""

    id: str
    type: str
    user_id: str
    created_at: datetime
    tweet_id: str = ""
    target_user_id: str = ""
    source: str = ""

    kind = "engagement"

    @property
    def key(self) -> str:
        return self.tweet_id or self.target_user_id or self.id

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = self.kind
        out["created_at"] = format_time(self.created_at)
        return out

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()


Event = Tweet | Engagement


def format_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(value: Any, *, now: datetime | None = None) -> datetime:
    """ISO-8601 (X v2), Twitter's v1.1 ``Wed Oct 10 20:19:24 +0000 2018`` or epoch ms."""
    if isinstance(value, bool) or value is None:
        raise InvalidRecord(DeadLetterReason.BAD_TIMESTAMP, f"not a timestamp: {value!r}")
    try:
        if isinstance(value, (int, float)):
            parsed = datetime.fromtimestamp(value / 1000.0, tz=timezone.utc)
        elif isinstance(value, str) and value[:1].isdigit():
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif isinstance(value, str):
            parsed = datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
        else:
            raise InvalidRecord(DeadLetterReason.BAD_TIMESTAMP, f"not a timestamp: {value!r}")
    except (ValueError, OverflowError, OSError) as exc:
        raise InvalidRecord(DeadLetterReason.BAD_TIMESTAMP, f"{value!r}: {exc}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    parsed = parsed.astimezone(timezone.utc)
    latest = (now or datetime.now(timezone.utc)) + FUTURE_SLACK
    if parsed < EARLIEST_TIME or parsed > latest:
        raise InvalidRecord(DeadLetterReason.BAD_TIMESTAMP, f"out of range: {value!r}")
    return parsed


def decode_record(raw: bytes | str, *, max_bytes: int = MAX_RECORD_BYTES) -> dict[str, Any]:
    """Bytes → JSON object, refusing oversized, non-UTF-8, non-JSON and non-object input."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="surrogatepass")
    if len(raw) > max_bytes:
        raise InvalidRecord(
            DeadLetterReason.OVERSIZED_RECORD, f"{len(raw)} bytes > limit {max_bytes}"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord(DeadLetterReason.INVALID_UTF8, str(exc)) from None
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InvalidRecord(DeadLetterReason.INVALID_JSON, str(exc)[:200]) from None
    if not isinstance(value, dict):
        raise InvalidRecord(DeadLetterReason.NOT_AN_OBJECT, f"got {type(value).__name__}")
    return value


def parse_event(
    raw: bytes | str | dict[str, Any],
    *,
    max_bytes: int = MAX_RECORD_BYTES,
    max_text_chars: int = MAX_TEXT_CHARS,
    now: datetime | None = None,
) -> Event:
    """Validate one record of any supported shape into a :class:`Tweet` or :class:`Engagement`."""
    obj = raw if isinstance(raw, dict) else decode_record(raw, max_bytes=max_bytes)
    if obj.get("kind") == "engagement" or ("type" in obj and "user_id" in obj and "text" not in obj):
        return _parse_engagement(obj, now=now)
    if isinstance(obj.get("data"), dict):  # X API v2 filtered-stream / lookup envelope
        return _parse_v2(obj["data"], obj.get("includes"), max_text_chars=max_text_chars, now=now)
    if obj.get("kind") == "tweet":
        return _parse_canonical(obj, max_text_chars=max_text_chars, now=now)
    if "id_str" in obj or "user" in obj or "full_text" in obj:
        return _parse_v1(obj, max_text_chars=max_text_chars, now=now)
    if "text" in obj or "author_id" in obj:
        return _parse_v2(obj, None, max_text_chars=max_text_chars, now=now)
    raise InvalidRecord(DeadLetterReason.UNKNOWN_FORMAT, f"keys: {sorted(obj)[:10]}")


# --- field helpers -------------------------------------------------------------------


def _require(obj: dict[str, Any], name: str) -> Any:
    if name not in obj or obj[name] is None:
        raise InvalidRecord(DeadLetterReason.MISSING_FIELD, name)
    return obj[name]


def _id(value: Any, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, f"{name} must be a string id")
    text = str(value)
    if not _ID_RE.match(text) or int(text) <= 0:
        raise InvalidRecord(DeadLetterReason.BAD_ID, f"{name}={text[:40]!r}")
    return text


def _text(value: Any, max_chars: int) -> str:
    if not isinstance(value, str):
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, "text must be a string")
    text = unicodedata.normalize("NFC", value)
    if "\x00" in text or any(unicodedata.category(c) == "Cs" for c in text):
        raise InvalidRecord(DeadLetterReason.CONTROL_CHARACTERS, "NUL or lone surrogate in text")
    if not text.strip():
        raise InvalidRecord(DeadLetterReason.EMPTY_TEXT, "text is empty")
    if len(text) > max_chars:
        raise InvalidRecord(DeadLetterReason.OVERSIZED_TEXT, f"{len(text)} chars > {max_chars}")
    return text


def _count(value: Any, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, f"{name} must be an integer")
    if value < 0:
        raise InvalidRecord(DeadLetterReason.BAD_VALUE, f"{name} is negative")
    return value


def _metrics(obj: Any) -> PublicMetrics:
    if obj is None:
        return PublicMetrics()
    if not isinstance(obj, dict):
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, "public_metrics must be an object")
    return PublicMetrics(
        like_count=_count(obj.get("like_count", obj.get("favorite_count")), "like_count"),
        retweet_count=_count(obj.get("retweet_count"), "retweet_count"),
        reply_count=_count(obj.get("reply_count"), "reply_count"),
        quote_count=_count(obj.get("quote_count"), "quote_count"),
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
    return tuple(dict.fromkeys(tag.lower() for tag in _HASHTAG_RE.findall(text)))


def extract_mentions(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_MENTION_RE.findall(text)))


def _norm_tags(tags: tuple[str, ...] | None, text: str) -> tuple[str, ...]:
    if tags is None:
        return extract_hashtags(text)
    return tuple(dict.fromkeys(t.lstrip("#").lower() for t in tags))


# --- the supported shapes ---------------------------------------------------------------


def _parse_v2(
    obj: dict[str, Any], includes: Any, *, max_text_chars: int, now: datetime | None
) -> Tweet:
    text = _text(obj.get("note_tweet", {}).get("text") if isinstance(obj.get("note_tweet"), dict)
                 else _require(obj, "text"), max_text_chars)
    author_id = _id(_require(obj, "author_id"), "author_id")
    username = ""
    if isinstance(includes, dict) and isinstance(includes.get("users"), list):
        for user in includes["users"]:
            if isinstance(user, dict) and str(user.get("id")) == author_id:
                username = str(user.get("username", ""))
    entities = obj.get("entities")
    ref_type, ref_id = "", ""
    refs = obj.get("referenced_tweets")
    if isinstance(refs, list) and refs and isinstance(refs[0], dict):
        ref_type = str(refs[0].get("type", ""))
        ref_id = _id(refs[0].get("id"), "referenced_tweets.id")
    elif refs is not None and not isinstance(refs, list):
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, "referenced_tweets must be a list")
    return Tweet(
        id=_id(_require(obj, "id"), "id"),
        text=text,
        created_at=parse_time(_require(obj, "created_at"), now=now),
        author_id=author_id,
        lang=_lang(obj.get("lang")),
        author_username=username or str(obj.get("author_username", "") or ""),
        hashtags=_norm_tags(_tags(entities, "hashtags", "tag"), text),
        mentions=_tags(entities, "mentions", "username") or extract_mentions(text),
        urls=_tags(entities, "urls", "expanded_url") or (),
        metrics=_metrics(obj.get("public_metrics")),
        referenced_type=ref_type,
        referenced_id=ref_id,
        conversation_id=str(obj.get("conversation_id", "") or ""),
        source=str(obj.get("source", "") or "x-v2"),
    )


def _parse_v1(obj: dict[str, Any], *, max_text_chars: int, now: datetime | None) -> Tweet:
    user = obj.get("user")
    if not isinstance(user, dict):
        raise InvalidRecord(DeadLetterReason.MISSING_FIELD, "user")
    ext = obj.get("extended_tweet")
    text_value = (
        ext.get("full_text") if isinstance(ext, dict) and "full_text" in ext
        else obj.get("full_text", obj.get("text"))
    )
    if text_value is None:
        raise InvalidRecord(DeadLetterReason.MISSING_FIELD, "text")
    text = _text(text_value, max_text_chars)
    entities = ext.get("entities") if isinstance(ext, dict) else obj.get("entities")
    ref_type, ref_id = "", ""
    if isinstance(obj.get("retweeted_status"), dict):
        ref_type, ref_id = "retweeted", _id(obj["retweeted_status"].get("id_str"), "retweeted_status")
    elif obj.get("quoted_status_id_str"):
        ref_type, ref_id = "quoted", _id(obj["quoted_status_id_str"], "quoted_status_id_str")
    elif obj.get("in_reply_to_status_id_str"):
        ref_type, ref_id = "replied_to", _id(obj["in_reply_to_status_id_str"], "in_reply_to")
    return Tweet(
        id=_id(obj.get("id_str", obj.get("id")) if obj.get("id_str", obj.get("id")) is not None
               else _require(obj, "id_str"), "id_str"),
        text=text,
        created_at=parse_time(_require(obj, "created_at"), now=now),
        author_id=_id(user.get("id_str", user.get("id")), "user.id_str"),
        lang=_lang(obj.get("lang")),
        author_username=str(user.get("screen_name", "") or ""),
        hashtags=_norm_tags(_tags(entities, "hashtags", "text"), text),
        mentions=_tags(entities, "user_mentions", "screen_name") or extract_mentions(text),
        urls=_tags(entities, "urls", "expanded_url") or (),
        metrics=_metrics({
            "like_count": obj.get("favorite_count"),
            "retweet_count": obj.get("retweet_count"),
            "reply_count": obj.get("reply_count"),
            "quote_count": obj.get("quote_count"),
        }),
        referenced_type=ref_type,
        referenced_id=ref_id,
        source="x-v1.1",
    )


def _parse_canonical(obj: dict[str, Any], *, max_text_chars: int, now: datetime | None) -> Tweet:
    text = _text(_require(obj, "text"), max_text_chars)
    hashtags = obj.get("hashtags")
    if hashtags is not None and not (isinstance(hashtags, list) and all(isinstance(h, str) for h in hashtags)):
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, "hashtags must be a list of strings")
    mentions = obj.get("mentions") or []
    urls = obj.get("urls") or []
    if not isinstance(mentions, list) or not isinstance(urls, list):
        raise InvalidRecord(DeadLetterReason.WRONG_TYPE, "mentions/urls must be lists")
    return Tweet(
        id=_id(_require(obj, "id"), "id"),
        text=text,
        created_at=parse_time(_require(obj, "created_at"), now=now),
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
    )


def _parse_engagement(obj: dict[str, Any], *, now: datetime | None) -> Engagement:
    etype = _require(obj, "type")
    if etype not in ENGAGEMENT_TYPES:
        raise InvalidRecord(DeadLetterReason.BAD_VALUE, f"engagement type {etype!r}")
    tweet_id = obj.get("tweet_id")
    target = obj.get("target_user_id")
    if etype == "follow":
        target = _id(_require(obj, "target_user_id"), "target_user_id")
    else:
        tweet_id = _id(_require(obj, "tweet_id"), "tweet_id")
    return Engagement(
        id=_id(_require(obj, "id"), "id"),
        type=etype,
        user_id=_id(_require(obj, "user_id"), "user_id"),
        created_at=parse_time(_require(obj, "created_at"), now=now),
        tweet_id=str(tweet_id or ""),
        target_user_id=str(target or ""),
        source=str(obj.get("source", "") or ""),
    )
