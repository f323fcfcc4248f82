"""Kafka ``value`` bytes → typed events inside the JVM: :func:`parse_event`'s verdicts as
Spark expressions, so the analytics queries never move a record into Python.

``from_json`` reads every record against one explicit schema: every field any supported
shape reads (X API v2 envelope ``{"data": …}`` and bare v2, v1.1 ``id_str``/``user``/
``full_text``, our canonical ``kind: tweet`` and engagement records) is typed ``VARIANT``,
so a value keeps its JSON type and "absent" stays apart from ``null`` — the validator's
rules (dispatch on which keys are present, ``wrong_type`` vs ``bad_id``, the order of the
checks) are then written out here rule by rule, giving the same :class:`DeadLetterReason`.

**Doubtful rows.** A few judgements the JVM cannot make exactly: a record ``from_json``
refuses (invalid JSON, a non-object, a non-object ``data``, duplicate keys in a nested
object — the reason differs between those), a lone ``\\udXXX`` surrogate escape (Jackson
turns it into ``?``), brackets that do not balance or a closing bracket followed by more
JSON (possible trailing content, which Jackson ignores and Python refuses), a float
written as ``10.0`` where an integer is expected, timestamps that are neither
``YYYY-MM-DDTHH:MM:SS[.fff|.ffffff][Z|±HH:MM]``, v1.1's ``Wed Oct 10 20:19:24 +0000 2018``
nor integer epoch milliseconds (``fromisoformat``/``strptime`` accept more), and text that
may change under NFC normalisation where that matters (it has a ``#`` or is long). Such
rows get ``reason = "?"``; :func:`resolve_doubtful` sends only their bytes to
:func:`parse_event` (a pandas UDF that is handed ``NULL`` for every other row) and takes
its verdict and fields. Measured on generated streams (200k records, v2 envelopes and
engagements): **0 doubtful rows**; on the bad-record corpus 14 of 44 records are doubtful
(the invalid-JSON and non-object kinds, the surrogate and the non-NFC text).

Known differences left: ``{…},{…}`` (an object, a comma, more JSON) is read as its first
object where Python says ``invalid_json``; "now + 1 day" for future timestamps is the
micro-batch's time; case mapping of hashtags uses Java's (Unicode 13+) tables.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any, Iterator

from trendstream.core.schema import (
    EARLIEST_TIME,
    ENGAGEMENT_TYPES,
    FUTURE_SLACK,
    MAX_RECORD_BYTES,
    MAX_TEXT_CHARS,
    REFERENCE_TYPES,
    DeadLetterReason as R,
    Engagement,
    InvalidRecord,
    Tweet,
    parse_event,
)
from trendstream.kafka.dead_letter import MAX_RAW_BYTES

DOUBT = "?"  # reason of a row the native rules cannot judge exactly (see module docstring)
V2_FIELDS = ("id", "text", "author_id", "created_at", "note_tweet", "entities",
             "referenced_tweets", "lang", "public_metrics")
TOP_FIELDS = (*V2_FIELDS, "kind", "type", "user_id", "tweet_id", "target_user_id", "id_str", "user",
              "full_text", "extended_tweet", "retweeted_status", "quoted_status_id_str",
              "in_reply_to_status_id_str", "favorite_count", "retweet_count", "reply_count",
              "quote_count", "hashtags", "mentions", "urls", "metrics")
JSON_OPTIONS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt",
                "allowNonNumericNumbers": "false", "allowSingleQuotes": "false"}
METRICS = ("like_count", "retweet_count", "reply_count", "quote_count", "favorite_count")
PARSED = ("reason string, detail string, kind string, id string, author_id string, "
          "created_at timestamp, text string, hashtags array<string>, user_id string, "
          "tweet_id string, type string")
PARSED_TYPES = dict(field.split(" ", 1) for field in PARSED.split(", "))
_WS = "[ \\t\\n\\r]"  # JSON whitespace
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Timestamps judged natively (others are doubtful): ISO with 3 or 6 fraction digits and an
# offset Spark parses (< 18 h), and v1.1's format.
ISO_RE = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3}|\.[0-9]{6})?"
          r"(Z|[+-](0[0-9]|1[0-7]):[0-5][0-9])?$")
ISO_PATTERN = "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]XXX"
V1_RE = (r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (" + "|".join(_MONTHS) + r") [0-9]{2} "
         r"[0-9]{2}:[0-9]{2}:[0-9]{2} [+-](0[0-9]|1[0-7])[0-5][0-9] [0-9]{4}$")
V1_PATTERN = "MMM dd HH:mm:ss Z yyyy"  # after the weekday, which Python does not check either
LONE_SURROGATE_RE = (r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                     r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")


# --- Python's character classes, as Java regex classes ------------------------------------------


def _java_class(pred) -> str:
    """``[...]`` of every code point where ``pred`` holds (ranges, ``\\x{…}`` escapes)."""
    ranges, start, prev = [], None, None
    for cp in (c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and pred(chr(c))):
        if start is None:
            start = prev = cp
        elif cp == prev + 1:
            prev = cp
        else:
            ranges.append((start, prev))
            start = prev = cp
    if start is not None:
        ranges.append((start, prev))
    return "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)


@functools.cache
def _classes() -> dict[str, str]:
    """Python's ``\\w`` and ``str.isspace``, and the characters NFC may change: those that
    change alone, combining marks (reordered), the second halves of canonical pairs (which
    compose with the character before) and Hangul vowels/finals. Computed once from this
    interpreter's tables."""
    word = re.compile(r"\w")
    seconds = set()
    for cp in range(0x110000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    return {
        "word": _java_class(lambda c: word.match(c) is not None),
        "space": _java_class(str.isspace),
        "nfc_unstable": _java_class(
            lambda c: unicodedata.combining(c) != 0 or c in seconds or unicodedata.normalize("NFC", c) != c
            or "\u1161" <= c <= "\u1175" or "\u11a8" <= c <= "\u11c2"),
    }


# --- column helpers ------------------------------------------------------------------------------


def _F():
    from pyspark.sql import functions as F
    return F


class Field:
    """A variant with its JSON type and string value, computed once per row when the
    field is materialised as columns (see :func:`_materialise`), else inline."""

    def __init__(self, v, t=None, s=None) -> None:
        F = _F()
        self.v = v
        self.t = t if t is not None else F.call_function("schema_of_variant", v)
        self.s = s if s is not None else F.call_function("variant_get", v, F.lit("$"), F.lit("string"))


def _field(x) -> Field:
    return x if isinstance(x, Field) else Field(x)


def _vt(x):
    """The JSON type (``STRING``, ``BIGINT``, ``OBJECT<…>``…; NULL when absent)."""
    return _field(x).t


def _vstr(x):
    return _field(x).s


def _present(x):
    """The key is there (a JSON ``null`` counts: Python's ``key in obj``)."""
    return _field(x).v.isNotNull()


def _given(x):
    """Present and not ``null`` (what ``_require`` accepts)."""
    v = _field(x).v
    return v.isNotNull() & ~_F().call_function("is_variant_null", v)


def _materialise(df, variants: dict[str, Any]):
    """``df`` with each variant, then its type and string value, as columns: the checks
    read them many times, and Spark keeps a projected column computed once."""
    F = _F()
    df = df.select("*", *[v.alias(n) for n, v in variants.items()])
    fields = {n: Field(F.col(n)) for n in variants}
    df = df.select("*", *[c for n, f in fields.items() for c in (f.t.alias(f"{n}__t"), f.s.alias(f"{n}__s"))])
    return df, {n: Field(F.col(n), F.col(f"{n}__t"), F.col(f"{n}__s")) for n in variants}


def _is(t, prefix: str):
    """The type ``t`` starts with ``prefix`` (False, not NULL, for an absent value)."""
    return _F().coalesce(t.startswith(prefix), _F().lit(False))


def _type(t, *names: str):
    return _F().coalesce(t.isin(*names), _F().lit(False))


def _is_int(t):
    """A JSON integer for sure (DECIMAL(p,0) may also be a float such as ``10.0``)."""
    return _type(t, "BIGINT", "INT", "SMALLINT", "TINYINT")


def _maybe_int(t):
    return _F().coalesce(t.rlike(r"^DECIMAL\([0-9]+,0\)$"), _F().lit(False))


def _truthy(v):
    """Python's truth value of a JSON value (``null``, ``false``, 0, "", [] and {} are false)."""
    F = _F()
    v = _field(v)
    t, s = v.t, v.s
    zero = F.call_function("try_variant_get", v.v, F.lit("$"), F.lit("double")) == 0
    falsy = (F.call_function("is_variant_null", v.v) | (_type(t, "STRING") & (s == ""))
             | (_type(t, "BOOLEAN") & (s == "false")) | (_is(t, "ARRAY") & (s == "[]"))
             | (_is(t, "OBJECT") & (s == "{}"))
             | ((_is_int(t) | _is(t, "DECIMAL") | _type(t, "DOUBLE")) & F.coalesce(zero, F.lit(False))))
    return v.v.isNotNull() & ~F.coalesce(falsy, F.lit(False))


def _get(x, path: str):
    F = _F()
    return F.call_function("variant_get", _field(x).v, F.lit(path))


class Checks:
    """An ordered list of checks; the first one that fails gives the verdict (like the
    validator's first ``raise``), ``DOUBT`` where the native rules cannot decide."""

    def __init__(self) -> None:
        self.steps: list[tuple[Any, str, Any]] = []

    def fail(self, cond, reason: R | str, detail) -> "Checks":
        F = _F()
        self.steps.append((cond, reason.value if isinstance(reason, R) else reason,
                           F.lit(detail) if isinstance(detail, str) else detail))
        return self

    def doubt(self, cond) -> "Checks":
        return self.fail(cond, DOUBT, "judged by parse_event")

    def extend(self, other: "Checks") -> "Checks":
        self.steps += other.steps
        return self

    def verdict(self):
        """struct<reason, detail>; NULL reason when every check passes."""
        F = _F()
        out = None
        for cond, reason, detail in self.steps:
            value = F.struct(F.lit(reason).alias("reason"), detail.cast("string").alias("detail"))
            out = F.when(cond, value) if out is None else out.when(cond, value)
        empty = F.struct(F.lit(None).cast("string").alias("reason"),
                         F.lit(None).cast("string").alias("detail"))
        return empty if out is None else out.otherwise(empty)


def _id_checks(v, name: str) -> Checks:
    """``_id``: a string or an integer of 1-19 ASCII digits, not all zeros."""
    t, s = _vt(v), _vstr(v)
    return (Checks()
            .doubt(_maybe_int(t))
            .fail(~_type(t, "STRING") & ~_is_int(t), R.WRONG_TYPE, f"{name} must be a string id")
            .fail(~s.rlike("^[0-9]{1,19}$") | ~s.rlike("[1-9]"), R.BAD_ID,
                  _F().concat(_F().lit(f"{name}="), _F().substring(s, 1, 40))))


def _required_id(v, name: str) -> Checks:
    return Checks().fail(~_given(v), R.MISSING_FIELD, name).extend(_id_checks(v, name))


def time_value(x):
    """``parse_time``'s UTC result where it is judged natively (NULL otherwise)."""
    F = _F()
    t, s = _vt(x), _vstr(x)
    millis = F.call_function("try_variant_get", _field(x).v, F.lit("$"), F.lit("bigint"))
    with_zone = F.when(s.rlike("(Z|[0-9]{2}:[0-9]{2})$"), s).otherwise(F.concat(s, F.lit("Z")))
    return (F.when(_type(t, "STRING") & s.rlike(ISO_RE),
                   F.call_function("try_to_timestamp", with_zone, F.lit(ISO_PATTERN)))
            .when(_type(t, "STRING") & s.rlike(V1_RE),
                  F.call_function("try_to_timestamp", F.substring(s, 5, 100), F.lit(V1_PATTERN)))
            .when(_is_int(t), F.call_function("timestamp_micros",
                                              F.call_function("try_multiply", millis, F.lit(1000)))))


def _time(x, ts, name: str = "created_at") -> Checks:
    """``parse_time`` on a required field whose :func:`time_value` is ``ts``."""
    F = _F()
    t, s = _vt(x), _vstr(x)
    latest = F.current_timestamp() + F.expr(f"INTERVAL {int(FUTURE_SLACK.total_seconds())} SECONDS")
    native_string = s.rlike(ISO_RE) | s.rlike(V1_RE)
    return (Checks()
            .fail(~_given(x), R.MISSING_FIELD, name)
            .doubt(_is(t, "DECIMAL") | _type(t, "DOUBLE"))
            .doubt(_type(t, "STRING") & ~native_string
                   & (s.rlike("^[0-9]") | s.rlike("^[^\\x00-\\x7f]") | s.rlike("(?i)^[mtwfs]")))
            .fail(ts.isNull(), R.BAD_TIMESTAMP, F.concat(F.lit(f"{name}="), F.substring(s, 1, 40)))
            .fail((ts < F.lit(EARLIEST_TIME)) | (ts > latest), R.BAD_TIMESTAMP,
                  F.concat(F.lit("out of range: "), F.substring(s, 1, 40))))


def _text(v, max_chars: int, *, required: bool):
    """``_text`` (a required ``text`` is ``_require``-d first): (checks, text)."""
    F = _F()
    t, s = _vt(v), _vstr(v)
    classes = _classes()
    non_ascii = F.octet_length(s) != F.char_length(s)
    checks = Checks()
    if required:
        checks.fail(~_given(v), R.MISSING_FIELD, "text")
    checks.fail(~_type(t, "STRING"), R.WRONG_TYPE, "text must be a string")
    checks.fail(F.instr(s, "\u0000") > 0, R.CONTROL_CHARACTERS, "NUL in text")
    checks.doubt(non_ascii & ((F.instr(s, "#") > 0) | (F.char_length(s) * 3 > max_chars))
                 & s.rlike(f"[{classes['nfc_unstable']}]"))
    checks.fail(s.rlike(f"^[{classes['space']}]*$"), R.EMPTY_TEXT, "text is empty")
    checks.fail(F.char_length(s) > max_chars, R.OVERSIZED_TEXT,
                F.concat(F.char_length(s).cast("string"), F.lit(f" chars > {max_chars}")))
    return checks, s


def text_hashtags(text):
    """``extract_hashtags``: ``#tag`` not after a word character or ``&``, lower-cased,
    first occurrences in order (Python's ``\\w``; an ASCII text takes the short class)."""
    F = _F()
    word = _classes()["word"]
    ascii_tags = F.regexp_extract_all(text, F.lit(r"(?<![A-Za-z0-9_&])#([A-Za-z0-9_]{1,100})"), F.lit(1))
    unicode_tags = F.regexp_extract_all(text, F.lit(f"(?<![{word}&])#([{word}]{{1,100}})"), F.lit(1))
    tags = F.when(F.octet_length(text) == F.char_length(text), ascii_tags).otherwise(unicode_tags)
    return F.when(F.instr(text, "#") > 0, F.array_distinct(F.transform(tags, F.lower))).otherwise(
        F.array().cast("array<string>"))


def _norm_tags(tags):
    """``_norm_tags`` of given tags: ``#`` stripped from the left, lower-cased, de-duplicated."""
    F = _F()
    return F.array_distinct(F.transform(tags, lambda x: F.lower(F.regexp_replace(x, "^#+", ""))))


def _entity_tags(entities_obj, items: Field, key: str, field: str):
    """``_tags`` on ``entities[key]`` (``items``): (checks, tags or NULL where ``_tags`` gives None)."""
    F = _F()
    listed = F.call_function("try_variant_get", items.v, F.lit("$"), F.lit("array<variant>"))

    def value(item):
        inner = _get(item, f"$.{field}")
        return (F.when(inner.isNotNull(), F.when(_type(_vt(inner), "STRING"), _vstr(inner)))
                .when(_type(_vt(item), "STRING"), _vstr(item)))

    tags = F.filter(F.transform(listed, value), lambda x: x.isNotNull() & (x != ""))
    there = entities_obj & _present(items)
    checks = Checks().fail(there & ~_is(items.t, "ARRAY"), R.WRONG_TYPE, f"entities.{key} must be a list")
    return checks, F.when(there, tags)


def _count_checks(v, name: str) -> Checks:
    t = _vt(v)
    F = _F()
    return (Checks()
            .doubt(_given(v) & _maybe_int(t))
            .fail(_given(v) & ~_is_int(t), R.WRONG_TYPE, f"{name} must be an integer")
            .fail(_given(v) & (F.call_function("try_variant_get", _field(v).v, F.lit("$"),
                                               F.lit("decimal(38,0)")) < 0),
                  R.BAD_VALUE, f"{name} is negative"))


def _metrics_checks(like: Field, retweet: Field, reply: Field, quote: Field, favorite: Field) -> Checks:
    """``_metrics`` on the four counts (``like_count`` falls back to ``favorite_count``)."""
    F = _F()
    like_or_fav = Field(F.when(_given(like), like.v).otherwise(favorite.v))
    return (Checks().extend(_count_checks(like_or_fav, "like_count"))
            .extend(_count_checks(retweet, "retweet_count"))
            .extend(_count_checks(reply, "reply_count"))
            .extend(_count_checks(quote, "quote_count")))


def _lang(v) -> Checks:
    F = _F()
    return Checks().fail(_given(v) & (~_type(_vt(v), "STRING") | (F.char_length(_vstr(v)) > 16)),
                         R.WRONG_TYPE, "lang must be a short string")


# --- the shapes ----------------------------------------------------------------------------------


def _engagement(r: dict[str, Field], ts):
    F = _F()
    etype = r["type"]
    follow = _type(etype.t, "STRING") & (etype.s == "follow")
    checks = (Checks()
              .fail(~_given(etype), R.MISSING_FIELD, "type")
              .fail(~_type(etype.t, "STRING") | ~etype.s.isin(*ENGAGEMENT_TYPES), R.BAD_VALUE,
                    F.concat(F.lit("engagement type "), F.coalesce(F.substring(etype.s, 1, 40), F.lit("?"))))
              .extend(_guarded(follow, _required_id(r["target_user_id"], "target_user_id")))
              .extend(_guarded(~follow, _required_id(r["tweet_id"], "tweet_id")))
              .extend(_required_id(r["id"], "id"))
              .extend(_required_id(r["user_id"], "user_id"))
              .extend(_time(r["created_at"], ts)))
    tweet_id = F.when(~follow, r["tweet_id"].s).when(_type(r["tweet_id"].t, "STRING"), r["tweet_id"].s)
    return checks, {"kind": F.lit("engagement"), "id": r["id"].s, "created_at": ts,
                    "user_id": r["user_id"].s, "tweet_id": F.coalesce(tweet_id, F.lit("")), "type": etype.s}


def _guarded(cond, checks: Checks) -> Checks:
    out = Checks()
    out.steps = [(cond & c, reason, detail) for c, reason, detail in checks.steps]
    return out


def _v2(f: dict[str, Field], ts, max_chars: int):
    """``_parse_v2`` on the fields ``f`` (of ``data`` in an envelope, else top-level)."""
    F = _F()
    note_obj = _is(f["note_tweet"].t, "OBJECT")
    text_checks, text = _text(f["text_value"], max_chars, required=False)
    entities_obj = _is(f["entities"].t, "OBJECT")
    tag_checks, given_tags = _entity_tags(entities_obj, f["entities_hashtags"], "hashtags", "tag")
    refs, ref_type = f["referenced_tweets"], f["ref_type"]
    ref_first_obj = _is(refs.t, "ARRAY") & _is(f["ref_first"].t, "OBJECT")
    metrics = f["public_metrics"]
    checks = (Checks()
              .fail(~note_obj & ~_given(f["text"]), R.MISSING_FIELD, "text")
              .extend(text_checks)
              .extend(_required_id(f["author_id"], "author_id"))
              .extend(tag_checks)
              .extend(_entity_tags(entities_obj, f["entities_mentions"], "mentions", "username")[0])
              .extend(_entity_tags(entities_obj, f["entities_urls"], "urls", "expanded_url")[0])
              .fail(ref_first_obj & (~_type(ref_type.t, "STRING") | ~ref_type.s.isin(*REFERENCE_TYPES)),
                    R.BAD_VALUE, "referenced_tweets.type")
              .extend(_guarded(ref_first_obj, _id_checks_nullable(f["ref_id"], "referenced_tweets.id")))
              .fail(_given(refs) & ~_is(refs.t, "ARRAY"), R.WRONG_TYPE, "referenced_tweets must be a list")
              .extend(_required_id(f["id"], "id"))
              .extend(_time(f["created_at"], ts))
              .extend(_lang(f["lang"]))
              .fail(_given(metrics) & ~_is(metrics.t, "OBJECT"), R.WRONG_TYPE, "public_metrics must be an object")
              .extend(_metrics_checks(*(f[f"metrics_{k}"] for k in METRICS))))
    hashtags = F.coalesce(_norm_tags(given_tags), text_hashtags(text))
    return checks, {"kind": F.lit("tweet"), "id": f["id"].s, "author_id": f["author_id"].s,
                    "created_at": ts, "text": text, "hashtags": hashtags}


def _id_checks_nullable(v, name: str) -> Checks:
    """``_id`` on a value that may be missing (``None`` is a wrong type, not a missing field)."""
    return Checks().fail(~_given(v), R.WRONG_TYPE, f"{name} must be a string id").extend(_id_checks(v, name))


def _canonical(r: dict[str, Field], ts, max_chars: int):
    F = _F()
    text_checks, text = _text(r["text"], max_chars, required=True)
    tags, mentions, urls, metrics = r["hashtags"], r["mentions"], r["urls"], r["metrics"]
    tag_list = F.call_function("try_variant_get", tags.v, F.lit("$"), F.lit("array<variant>"))
    all_str = F.forall(tag_list, lambda x: _type(_vt(x), "STRING"))
    checks = (Checks()
              .extend(text_checks)
              .fail(_given(tags) & ~(_is(tags.t, "ARRAY") & all_str), R.WRONG_TYPE,
                    "hashtags must be a list of strings")
              .fail((_truthy(mentions) & ~_is(mentions.t, "ARRAY"))
                    | (_truthy(urls) & ~_is(urls.t, "ARRAY")), R.WRONG_TYPE, "mentions/urls must be lists")
              .extend(_required_id(r["id"], "id"))
              .extend(_time(r["created_at"], ts))
              .extend(_required_id(r["author_id"], "author_id"))
              .extend(_lang(r["lang"]))
              .fail(_given(metrics) & ~_is(metrics.t, "OBJECT"), R.WRONG_TYPE, "public_metrics must be an object")
              .extend(_metrics_checks(*(Field(_get(metrics, f"$.{k}")) for k in METRICS))))
    hashtags = F.when(_given(tags), _norm_tags(F.transform(tag_list, _vstr))).otherwise(text_hashtags(text))
    return checks, {"kind": F.lit("tweet"), "id": r["id"].s, "author_id": r["author_id"].s,
                    "created_at": ts, "text": text, "hashtags": hashtags}


def _v1(r: dict[str, Field], ts, max_chars: int):
    """``_parse_v1`` (archives; its nested fields are read inline, not materialised)."""
    F = _F()
    user, ext = r["user"], r["extended_tweet"]
    ext_obj = _is(ext.t, "OBJECT")
    ext_text = _get(ext, "$.full_text")
    text_v = Field(F.when(ext_obj & ext_text.isNotNull(), ext_text)
                   .when(_present(r["full_text"]), r["full_text"].v).otherwise(r["text"].v))
    text_checks, text = _text(text_v, max_chars, required=False)
    entities = Field(F.when(ext_obj, _get(ext, "$.entities")).otherwise(r["entities"].v))
    entities_obj = _is(entities.t, "OBJECT")

    def items(key: str) -> Field:
        return Field(_get(entities, f"$.{key}"))

    tag_checks, given_tags = _entity_tags(entities_obj, items("hashtags"), "hashtags", "text")
    retweeted, quoted, replied = r["retweeted_status"], r["quoted_status_id_str"], r["in_reply_to_status_id_str"]
    ident = Field(F.when(_present(r["id_str"]), r["id_str"].v).otherwise(r["id"].v))
    author = _get(user, "$.id_str")
    author = Field(F.when(author.isNotNull(), author).otherwise(_get(user, "$.id")))
    rt_obj = _is(retweeted.t, "OBJECT")
    checks = (Checks()
              .fail(~_is(user.t, "OBJECT"), R.MISSING_FIELD, "user")
              .fail(~_given(text_v), R.MISSING_FIELD, "text")
              .extend(text_checks)
              .extend(_guarded(rt_obj, _id_checks_nullable(Field(_get(retweeted, "$.id_str")), "retweeted_status")))
              .extend(_guarded(~rt_obj & _truthy(quoted), _id_checks(quoted, "quoted_status_id_str")))
              .extend(_guarded(~rt_obj & ~_truthy(quoted) & _truthy(replied), _id_checks(replied, "in_reply_to")))
              .fail(~_given(ident), R.MISSING_FIELD, "id_str")
              .extend(_id_checks(ident, "id_str"))
              .extend(_time(r["created_at"], ts))
              .extend(_id_checks_nullable(author, "user.id_str"))
              .extend(_lang(r["lang"]))
              .extend(tag_checks)
              .extend(_entity_tags(entities_obj, items("user_mentions"), "user_mentions", "screen_name")[0])
              .extend(_entity_tags(entities_obj, items("urls"), "urls", "expanded_url")[0])
              .extend(_metrics_checks(r["favorite_count"], r["retweet_count"], r["reply_count"],
                                      r["quote_count"], Field(F.lit(None).cast("variant")))))
    hashtags = F.coalesce(_norm_tags(given_tags), text_hashtags(text))
    return checks, {"kind": F.lit("tweet"), "id": ident.s, "author_id": author.s,
                    "created_at": ts, "text": text, "hashtags": hashtags}


# --- the whole record ------------------------------------------------------------------------------


def record_schema():
    """The explicit ``from_json`` schema: every field a shape reads, as VARIANT."""
    from pyspark.sql.types import StringType, StructField, StructType, VariantType

    data = StructType([StructField(n, VariantType()) for n in V2_FIELDS])
    return StructType([StructField(n, VariantType()) for n in TOP_FIELDS]
                      + [StructField("data", data), StructField("_corrupt", StringType())])


def _count(s, char: str):
    F = _F()
    return F.char_length(s) - F.char_length(F.replace(s, F.lit(char), F.lit("")))


def _raw_columns(raw_df):
    """Stage 1: ``from_json`` plus what is judged on the bytes themselves."""
    F = _F()
    value = F.col("value")
    text = value.cast("string")
    return raw_df.select(
        "*", F.from_json(text, record_schema(), JSON_OPTIONS).alias("_j"),
        F.octet_length(value).alias("_size"),
        F.call_function("is_valid_utf8", value).alias("_utf8"),
        (~text.rlike(f"}}{_WS}*$")).alias("_trailing"),
        ((_count(text, "{") != _count(text, "}")) | (_count(text, "[") != _count(text, "]"))
         | text.rlike(f"[}}\\]]{_WS}*[^ \\t\\n\\r,\\]}}]")
         | ((F.instr(text, "\\u") > 0) & text.rlike(LONE_SURROGATE_RE))).alias("_odd"))


def _fields(df):
    """Stages 2-3: the top-level and v2 fields (``data``'s in an envelope), then the
    nested ones the v2 and canonical rules read, each with type and string value."""
    F = _F()
    j = F.col("_j")
    envelope = j["data"].isNotNull()
    level1 = {f"top_{n}": j[n] for n in TOP_FIELDS}
    level1.update({f"v2_{n}": F.when(envelope, j["data"][n]).otherwise(j[n]) for n in V2_FIELDS})
    df, one = _materialise(df, level1)
    note, entities = one["v2_note_tweet"], one["v2_entities"]
    level2 = {
        "v2_text_value": F.when(_is(note.t, "OBJECT"), _get(note, "$.text")).otherwise(one["v2_text"].v),
        "v2_ref_first": _get(one["v2_referenced_tweets"], "$[0]"),
        "v2_ref_type": _get(one["v2_referenced_tweets"], "$[0].type"),
        "v2_ref_id": _get(one["v2_referenced_tweets"], "$[0].id"),
        **{f"v2_entities_{k}": _get(entities, f"$.{k}") for k in ("hashtags", "mentions", "urls")},
        **{f"v2_metrics_{k}": _get(one["v2_public_metrics"], f"$.{k}") for k in METRICS},
    }
    df, two = _materialise(df, level2)
    df = df.select("*", time_value(one["v2_created_at"]).alias("_ts_v2"),
                   time_value(one["top_created_at"]).alias("_ts_top"))
    v2 = {n[3:]: f for n, f in {**one, **two}.items() if n.startswith("v2_")}
    top = {n[4:]: f for n, f in one.items() if n.startswith("top_")}
    return df, top, v2, envelope


def parse_records(raw_df, *, max_bytes: int = MAX_RECORD_BYTES, max_text_chars: int = MAX_TEXT_CHARS):
    """``raw_df`` (a Kafka frame with ``value``) plus the :data:`PARSED` columns: ``reason``
    (NULL when valid, ``"?"`` when doubtful), ``detail``, ``kind`` (tweet / engagement) and
    the event's fields. Pure JVM; see :func:`resolve_doubtful` for the doubtful rows."""
    F = _F()
    df, top, v2, envelope = _fields(_raw_columns(raw_df))
    j, value = F.col("_j"), F.col("value")
    shapes = {
        "engagement": (_type(top["kind"].t, "STRING") & (top["kind"].s == "engagement"))
        | (_present(top["type"]) & _present(top["user_id"]) & ~_present(top["text"])),
        "v2": envelope,
        "canonical": _type(top["kind"].t, "STRING") & (top["kind"].s == "tweet"),
        "v1": _present(top["id_str"]) | _present(top["user"]) | _present(top["full_text"]),
        "v2bare": _present(top["text"]) | _present(top["author_id"]),
    }
    shape = F.lit("unknown")
    for name in reversed(shapes):
        shape = F.when(shapes[name], F.lit(name)).otherwise(shape)
    df = df.withColumn("_shape", shape)
    ts_v2, ts_top = F.col("_ts_v2"), F.col("_ts_top")
    built = {"engagement": _engagement(top, ts_top), "v2": _v2(v2, ts_v2, max_text_chars),
             "canonical": _canonical(top, ts_top, max_text_chars), "v1": _v1(top, ts_top, max_text_chars)}
    in_shape = {"engagement": F.col("_shape") == "engagement", "v2": F.col("_shape").isin("v2", "v2bare"),
                "canonical": F.col("_shape") == "canonical", "v1": F.col("_shape") == "v1"}
    checks = (Checks()
              .fail(value.isNull(), R.MISSING_FIELD, "record has no value")
              .fail(F.col("_size") > max_bytes, R.OVERSIZED_RECORD,
                    F.concat(F.col("_size").cast("string"), F.lit(f" bytes > limit {max_bytes}")))
              .fail(~F.col("_utf8"), R.INVALID_UTF8, "not UTF-8")
              .fail(j.isNull(), R.INVALID_JSON, "empty record")
              .doubt(j["_corrupt"].isNotNull())
              .fail(F.col("_trailing"), R.INVALID_JSON, "extra data after the object")
              .doubt(F.col("_odd")))
    for name, (shape_checks, _) in built.items():
        checks.extend(_guarded(in_shape[name], shape_checks))
    checks.fail(F.col("_shape") == "unknown", R.UNKNOWN_FORMAT, "no known shape")
    verdict = checks.verdict()
    columns = {"reason": verdict["reason"], "detail": verdict["detail"]}
    for column in PARSED_TYPES:
        for name, (_, fields) in built.items():
            if column in fields:
                prior = columns.get(column)
                columns[column] = (F.when(in_shape[name], fields[column]) if prior is None
                                   else prior.when(in_shape[name], fields[column]))
    return df.select(*raw_df.columns, *[columns[c].cast(t).alias(c) for c, t in PARSED_TYPES.items()])


def _python_verdicts(max_bytes: int, max_text_chars: int):
    """pandas UDF body: :func:`parse_event` on the non-NULL values (the doubtful rows)."""

    def judge(values):
        import pandas as pd

        rows = [_python_row(v, max_bytes, max_text_chars) if v is not None else {} for v in values]
        frame = pd.DataFrame({c: pd.Series([row.get(c) for row in rows], dtype=object) for c in PARSED_TYPES})
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
        return frame

    return judge


def _python_row(raw: bytes, max_bytes: int, max_text_chars: int) -> dict[str, Any]:
    """One record's :data:`PARSED` fields as :func:`parse_event` gives them."""
    try:
        event = parse_event(bytes(raw), max_bytes=max_bytes, max_text_chars=max_text_chars)
    except InvalidRecord as exc:
        return {"reason": exc.reason.value, "detail": _utf8(exc.detail)}
    except (ValueError, RecursionError) as exc:  # e.g. an int of > 4300 digits: still not JSON for us
        return {"reason": R.INVALID_JSON.value, "detail": _utf8(str(exc)[:200])}
    if isinstance(event, Tweet):
        return {"kind": "tweet", "id": event.id, "author_id": event.author_id,
                "created_at": event.created_at, "text": _utf8(event.text),
                "hashtags": [_utf8(t) for t in event.hashtags]}
    assert isinstance(event, Engagement)
    return {"kind": "engagement", "id": event.id, "created_at": event.created_at,
            "user_id": event.user_id, "tweet_id": _utf8(event.tweet_id), "type": event.type}


def _utf8(text: str) -> str:
    """Strings Arrow can carry (a lone surrogate from the input becomes U+FFFD)."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


def resolve_doubtful(parsed, *, max_bytes: int = MAX_RECORD_BYTES, max_text_chars: int = MAX_TEXT_CHARS):
    """``parsed`` with the doubtful rows' verdicts and fields from :func:`parse_event`. The
    UDF receives the bytes of doubtful rows only (NULL for the rest)."""
    from pyspark.sql.functions import pandas_udf

    F = _F()
    judge = pandas_udf(_python_verdicts(max_bytes, max_text_chars), PARSED)
    doubtful = F.col("reason") == DOUBT
    names = list(PARSED_TYPES)
    judged = parsed.withColumn("_python", judge(F.when(doubtful, F.col("value"))))
    return judged.select(*[F.when(doubtful, F.col(f"_python.{c}")).otherwise(F.col(c)).alias(c)
                           if c in names else F.col(c) for c in parsed.columns])


def parse_stream(raw_df, settings):
    """Every record of ``raw_df`` judged (native rules, :func:`parse_event` for doubtful rows)."""
    limits = {"max_bytes": settings.max_record_bytes, "max_text_chars": settings.stream.max_text_chars}
    return resolve_doubtful(parse_records(raw_df, **limits), **limits)


# --- dead letters ------------------------------------------------------------------------------------


def dead_letter_rows(parsed, expected_kind: str | None = "tweet"):
    """The refused records of ``parsed`` (:func:`parse_stream` output with ``topic``,
    ``partition`` and ``offset``) as Kafka rows ``key, value, headers`` in the format of
    :func:`trendstream.kafka.dead_letter.dead_letter_record` (stage ``stream``). A valid
    record of another kind than ``expected_kind`` is refused as ``unknown_format``, as the
    embed query does with an engagement on the tweets topic."""
    F = _F()
    reason, detail = F.col("reason"), F.col("detail")
    if expected_kind is not None:
        wrong = reason.isNull() & (F.col("kind") != expected_kind)
        detail = F.when(wrong, F.concat(F.col("kind"), F.lit(f" record on the {expected_kind}s topic"))
                        ).otherwise(detail)
        reason = F.when(wrong, F.lit(R.UNKNOWN_FORMAT.value)).otherwise(reason)
    data = F.coalesce(F.col("value"), F.lit(b""))
    size = F.octet_length(data)
    kept = F.substring(data, 1, MAX_RAW_BYTES)
    # A cut through a character at the end is trimmed, as dead_letter_record does.
    text = F.when(size <= MAX_RAW_BYTES, F.call_function("try_validate_utf8", data)).otherwise(F.coalesce(
        *[F.call_function("try_validate_utf8", F.substring(data, 1, MAX_RAW_BYTES - k)) for k in range(4)]))
    source = F.col("topic")
    position = F.concat_ws(":", source, F.col("partition").cast("string"), F.col("offset").cast("string"))
    received = F.date_format(F.to_utc_timestamp(F.current_timestamp(), F.current_timezone()),
                             "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
    envelope = F.struct(
        reason.alias("reason"), F.substring(detail, 1, 1000).alias("detail"), source.alias("source"),
        position.alias("position"), F.lit("stream").alias("stage"), received.alias("received_at"),
        F.coalesce(text, F.regexp_replace(F.base64(kept), "[\r\n]", "")).alias("raw"),
        F.when(text.isNotNull(), F.lit("utf-8")).otherwise(F.lit("base64")).alias("raw_encoding"),
        size.alias("raw_size"), (size > MAX_RAW_BYTES).alias("raw_truncated"))
    headers = F.array(*[F.struct(F.lit(k).alias("key"), v.cast("binary").alias("value")) for k, v in
                        (("reason", reason), ("source", source), ("position", position),
                         ("stage", F.lit("stream")))])
    return parsed.where(reason.isNotNull()).select(
        F.concat_ws(":", source, position).cast("binary").alias("key"),
        F.to_json(envelope).cast("binary").alias("value"), headers.alias("headers"))
