"""The Milvus side of the write path and the trend engine's reads.

One collection holds one row per tweet, keyed by tweet id. Writes are always
``upsert`` — server Milvus happily stores a second row for an ``insert`` of an existing
primary key, and a replayed Spark micro-batch must not duplicate anything. Every call
goes through :func:`with_retry`: connection-type failures back off exponentially up to
``settings.milvus.retry_timeout_s`` and then raise :class:`MilvusUnavailable`, so a Spark
batch fails (and its offsets are not committed) instead of silently dropping rows.

Works against a Milvus Lite server, standalone or cluster: only the URI differs.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from trendstream.core.schema import parse_time
from trendstream.core.settings import MilvusSettings, Settings

if TYPE_CHECKING:
    from pymilvus import CollectionSchema, MilvusClient

log = logging.getLogger(__name__)
T = TypeVar("T")

VECTOR_FIELD = "embedding"
TEXT_MAX_BYTES = 4096
ID_MAX_BYTES = 32
LANG_MAX_BYTES = 16
HASHTAG_MAX_BYTES = 100
MAX_HASHTAGS = 32
ENGAGEMENT_FIELDS = ("like_count", "retweet_count", "reply_count", "quote_count")
SCALAR_FIELDS = (
    "id",
    "created_at",
    "author_id",
    "lang",
    "hashtags",
    *ENGAGEMENT_FIELDS,
    "text",
    "clean_text",
    "ingested_at",
)
DEFAULT_OUTPUT_FIELDS = ("id", "created_at", "author_id", "lang", "hashtags", "clean_text")
QUERY_PAGE = 5000  # rows per query_iterator page (server limit on one query is 16384)
STRONG = "Strong"  # read-your-writes: the stream writes, then tests and the engine read
_INDEX_SPEC_PROPERTY = "trendstream.index_spec"
_INDEX_INFO_KEYS = frozenset(
    {
        "index_type",
        "metric_type",
        "field_name",
        "index_name",
        "total_rows",
        "indexed_rows",
        "pending_index_rows",
        "state",
        "index_state_fail_reason",
    }
)
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


class CollectionMismatch(RuntimeError):
    """An existing collection does not match the configured schema (e.g. vector dimension)."""


# --- connection and retries -----------------------------------------------------------


def connect(milvus_settings: MilvusSettings) -> MilvusClient:
    """A client for ``uri``/``token``/``db_name``; retried like every other call."""
    from pymilvus import MilvusClient

    # pymilvus logs a full traceback at ERROR for every failed RPC; with_retry already logs
    # each failure in one line and raises with the last error, so those are duplicates.
    logging.getLogger("pymilvus.decorators").setLevel(logging.CRITICAL)
    client = with_retry(
        milvus_settings,
        f"connect to {milvus_settings.uri}",
        lambda: MilvusClient(**client_kwargs(milvus_settings)),
    )
    log.info("connected to Milvus at %s (db %s)", milvus_settings.uri, milvus_settings.db_name)
    return client


def client_kwargs(milvus_settings: MilvusSettings) -> dict[str, Any]:
    """``MilvusClient`` arguments for these settings (every client of ours is built from them)."""
    keepalive_ms = int(milvus_settings.keepalive_s * 1000)
    return {
        "uri": milvus_settings.uri,
        "token": milvus_settings.token,
        "db_name": "" if milvus_settings.db_name == "default" else milvus_settings.db_name,
        "timeout": milvus_settings.rpc_timeout_s,
        "grpc_options": {
            "grpc.keepalive_time_ms": keepalive_ms,
            "grpc.keepalive_permit_without_calls": False,
        },
    }


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
    delay, attempt = 0.25, 1
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
            delay, attempt = min(delay * 2, 5.0), attempt + 1


_NOT_LOADED = 101  # Milvus ErrorCode CollectionNotLoaded


def read_loaded(
    client: MilvusClient, milvus_settings: MilvusSettings, what: str, call: Callable[[], T]
) -> T:
    """A read (search/query/get) via :func:`with_retry`. A restarted Milvus server comes back
    with every collection released (writes still work, reads refuse): load it and read again,
    so readers recover on their own instead of failing until the maintenance DAG runs."""
    from pymilvus.exceptions import MilvusException

    try:
        return with_retry(milvus_settings, what, call)
    except MilvusException as exc:
        if exc.code != _NOT_LOADED:
            raise
    name = milvus_settings.collection
    log.warning("%s: collection %s is not loaded (Milvus restarted?); loading it", what, name)
    with_retry(milvus_settings, f"load_collection {name}", lambda: client.load_collection(name))
    return with_retry(milvus_settings, what, call)


# --- schema and index -----------------------------------------------------------------


def collection_schema(dimension: int) -> CollectionSchema:
    """The declared tweet schema. Hashtags are a real ARRAY (Milvus Lite 3.2 supports it)
    so ``array_contains(hashtags, "x")`` filters work on every deployment."""
    from pymilvus import DataType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, max_length=ID_MAX_BYTES, is_primary=True)
    schema.add_field(VECTOR_FIELD, DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_field("created_at", DataType.INT64, description="epoch ms")
    schema.add_field("author_id", DataType.VARCHAR, max_length=ID_MAX_BYTES)
    schema.add_field("lang", DataType.VARCHAR, max_length=LANG_MAX_BYTES)
    schema.add_field(
        "hashtags",
        DataType.ARRAY,
        element_type=DataType.VARCHAR,
        max_capacity=MAX_HASHTAGS,
        max_length=HASHTAG_MAX_BYTES,
    )
    for name in ENGAGEMENT_FIELDS:
        schema.add_field(name, DataType.INT64)
    schema.add_field("text", DataType.VARCHAR, max_length=TEXT_MAX_BYTES)
    schema.add_field("clean_text", DataType.VARCHAR, max_length=TEXT_MAX_BYTES)
    schema.add_field("ingested_at", DataType.INT64, description="epoch ms")
    return schema


def index_spec(milvus_settings: MilvusSettings) -> dict[str, Any]:
    """The vector index the settings ask for, in a comparable form."""
    return {
        "index_type": milvus_settings.index_type.upper(),
        "metric_type": milvus_settings.metric_type.upper(),
        "params": json.loads(json.dumps(milvus_settings.index_params, sort_keys=True)),
    }


def current_index_spec(client: MilvusClient, settings: Settings) -> dict[str, Any] | None:
    """The vector index the collection has (``None`` when it has none).

    Type and metric come from ``describe_index``. Build parameters come from the collection
    property we record at build time, or from ``describe_index`` where the server echoes
    them (Milvus standalone/cluster); Milvus Lite echoes none, so an index built by someone
    else there reports ``params: None`` (unknown).
    """
    ms = settings.milvus
    names = with_retry(
        ms, "list_indexes", lambda: client.list_indexes(ms.collection, field_name=VECTOR_FIELD)
    )
    if not names:
        return None
    info = with_retry(ms, "describe_index", lambda: client.describe_index(ms.collection, names[0]))
    spec: dict[str, Any] = {
        "index_type": str(info.get("index_type", "")).upper(),
        "metric_type": str(info.get("metric_type", "")).upper(),
        "params": None,
    }
    described = {k: _as_number(v) for k, v in info.items() if k not in _INDEX_INFO_KEYS}
    recorded = _recorded_index_spec(client, settings)
    if recorded and all(recorded.get(k) == spec[k] for k in ("index_type", "metric_type")):
        spec["params"] = recorded.get("params")
    elif described:
        spec["params"] = json.loads(json.dumps(described, sort_keys=True))
    return spec


def ensure_collection(client: MilvusClient, settings: Settings) -> None:
    """Create the collection and its index if missing, check the dimension, load it.

    Safe to call from many processes at once and after any partial failure.
    """
    ms, name, dim = settings.milvus, settings.milvus.collection, settings.model.dimension
    if not with_retry(ms, "has_collection", lambda: client.has_collection(name)):
        try:
            with_retry(
                ms,
                "create_collection",
                lambda: client.create_collection(
                    name, schema=collection_schema(dim), consistency_level=STRONG
                ),
            )
            log.info("created Milvus collection %s (%d-d vectors)", name, dim)
        except Exception as exc:
            if "already exist" not in str(exc).lower():
                raise
            log.info("collection %s was created concurrently", name)
    _check_dimension(client, settings)
    current = current_index_spec(client, settings)
    if current is None:
        create_index(client, settings)
    elif current != index_spec(ms):
        log.warning(
            "collection %s has index %s but settings ask for %s; run the milvus_maintenance "
            "rebuild to apply them",
            name,
            current,
            index_spec(ms),
        )
    with_retry(ms, "load_collection", lambda: client.load_collection(name))
    log.info("collection %s ready and loaded", name)


def create_index(client: MilvusClient, settings: Settings) -> None:
    """Build the configured vector index. "Already exists" is success when it is ours — the
    usual outcome of retrying after a gRPC connection dropped during a long build."""
    ms = settings.milvus
    wanted = index_spec(ms)
    params = client.prepare_index_params()
    params.add_index(
        field_name=VECTOR_FIELD,
        index_name=VECTOR_FIELD,
        index_type=ms.index_type,
        metric_type=ms.metric_type,
        params=dict(ms.index_params),
    )

    def attempt() -> None:
        try:
            client.create_index(ms.collection, params)
        except Exception as exc:
            if "already exist" not in str(exc).lower():
                raise
            current = current_index_spec(client, settings)
            same_kind = current is not None and all(
                current[k] == wanted[k] for k in ("index_type", "metric_type")
            )
            if not same_kind or current["params"] not in (None, wanted["params"]):
                raise CollectionMismatch(
                    f"collection {ms.collection} already has vector index {current}, not "
                    f"{wanted}; rebuild it (milvus_maintenance)"
                ) from exc
            log.info("index on %s already exists with these parameters", ms.collection)

    with_retry(ms, "create_index", attempt)
    _record_index_spec(client, settings)
    log.info("index on %s: %s", ms.collection, wanted)


def _as_number(value: Any) -> Any:
    if isinstance(value, str):
        for cast in (int, float):
            try:
                return cast(value)
            except ValueError:
                pass
    return value


def _recorded_index_spec(client: MilvusClient, settings: Settings) -> dict[str, Any] | None:
    ms = settings.milvus
    info = with_retry(ms, "describe_collection", lambda: client.describe_collection(ms.collection))
    raw = (info.get("properties") or {}).get(_INDEX_SPEC_PROPERTY)
    return json.loads(raw) if raw else None


def _record_index_spec(client: MilvusClient, settings: Settings) -> None:
    """Remember the build parameters on the collection (Lite cannot report them)."""
    ms = settings.milvus
    value = json.dumps(index_spec(ms), sort_keys=True)
    try:
        with_retry(
            ms,
            "record index spec",
            lambda: client.alter_collection_properties(
                ms.collection, properties={_INDEX_SPEC_PROPERTY: value}
            ),
        )
    except Exception as exc:  # older servers: describe_index still reports the params
        log.warning("could not record index parameters on %s: %s", ms.collection, exc)


def _check_dimension(client: MilvusClient, settings: Settings) -> None:
    ms = settings.milvus
    info = with_retry(ms, "describe_collection", lambda: client.describe_collection(ms.collection))
    for field in info.get("fields", []):
        if field.get("name") == VECTOR_FIELD:
            dim = int(field.get("params", {}).get("dim", 0))
            if dim != settings.model.dimension:
                raise CollectionMismatch(
                    f"collection {ms.collection} stores {dim}-d vectors but the model produces "
                    f"{settings.model.dimension}-d; use another collection "
                    "(TRENDSTREAM_MILVUS__COLLECTION) or drop this one"
                )
            return
    raise CollectionMismatch(f"collection {ms.collection} has no {VECTOR_FIELD!r} field")


# --- rows -----------------------------------------------------------------------------


def truncate_utf8(text: str, max_bytes: int) -> str:
    """At most ``max_bytes`` of UTF-8, never cutting a character in half."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def epoch_ms(value: Any) -> int:
    """datetime, ISO/v1.1 string or epoch-ms number → epoch milliseconds."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    return int(parse_time(value).timestamp() * 1000)


def rows_from_tweets(
    tweets: Sequence[dict[str, Any]],
    vectors: np.ndarray,
    *,
    ingested_at_ms: int | None = None,
) -> list[dict[str, Any]]:
    """Tweet dicts (``Tweet.to_dict()`` shape, or flat engagement counts) + their vectors →
    Milvus rows. ``clean_text`` is taken from the dict when present, else computed."""
    from trendstream.encode.text import clean_text

    if len(tweets) != len(vectors):
        raise ValueError(f"{len(tweets)} tweets but {len(vectors)} vectors")
    ingested = ingested_at_ms if ingested_at_ms is not None else int(time.time() * 1000)
    rows = []
    for tweet, vector in zip(tweets, np.asarray(vectors, dtype=np.float32), strict=False):
        metrics = tweet.get("metrics") or {}
        text = str(tweet.get("text", ""))
        cleaned = tweet.get("clean_text")
        rows.append(
            {
                "id": truncate_utf8(str(tweet["id"]), ID_MAX_BYTES),
                VECTOR_FIELD: vector.tolist(),
                "created_at": epoch_ms(tweet["created_at"]),
                "author_id": truncate_utf8(str(tweet.get("author_id", "")), ID_MAX_BYTES),
                "lang": truncate_utf8(str(tweet.get("lang") or "und"), LANG_MAX_BYTES),
                "hashtags": [
                    truncate_utf8(str(tag), HASHTAG_MAX_BYTES)
                    for tag in list(tweet.get("hashtags") or ())[:MAX_HASHTAGS]
                ],
                **{
                    name: int(tweet.get(name, metrics.get(name, 0)) or 0)
                    for name in ENGAGEMENT_FIELDS
                },
                "text": truncate_utf8(text, TEXT_MAX_BYTES),
                "clean_text": truncate_utf8(
                    cleaned if cleaned is not None else clean_text(text), TEXT_MAX_BYTES
                ),
                "ingested_at": ingested,
            }
        )
    return rows


# --- writes ---------------------------------------------------------------------------


def upsert_rows(client: MilvusClient, settings: Settings, rows: Sequence[dict[str, Any]]) -> int:
    """Upsert ``rows`` in chunks (idempotent by tweet id); returns the number written.

    Raises :class:`MilvusUnavailable` when Milvus stays unreachable past the retry budget.
    """
    ms = settings.milvus
    step = ms.write_batch_size
    written = 0
    for start in range(0, len(rows), step):
        chunk = list(rows[start : start + step])
        with_retry(
            ms,
            f"upsert of {len(chunk)} rows into {ms.collection}",
            lambda chunk=chunk: client.upsert(ms.collection, chunk, timeout=ms.rpc_timeout_s),
        )
        written += len(chunk)
    log.info("upserted %d rows into %s", written, ms.collection)
    return written


# --- reads ----------------------------------------------------------------------------


def search(
    client: MilvusClient,
    settings: Settings,
    vectors: np.ndarray | Sequence[Sequence[float]],
    k: int,
    filter_expr: str | None = None,
    output_fields: Sequence[str] = DEFAULT_OUTPUT_FIELDS,
    search_params: dict[str, Any] | None = None,
    consistency_level: str = STRONG,
) -> list[list[dict[str, Any]]]:
    """Top-``k`` neighbours per query vector: ``[{"id", "distance", **fields}, ...]`` each."""
    ms = settings.milvus
    params = dict(ms.search_params if search_params is None else search_params)
    if "ef" in params:
        params["ef"] = max(int(params["ef"]), k)  # HNSW needs ef >= k
    data = np.asarray(vectors, dtype=np.float32)
    result = read_loaded(
        client,
        ms,
        f"search in {ms.collection}",
        lambda: client.search(
            ms.collection,
            data=data.tolist(),
            limit=k,
            filter=filter_expr or "",
            output_fields=list(output_fields),
            search_params={"metric_type": ms.metric_type, "params": params},
            consistency_level=consistency_level,
            timeout=ms.rpc_timeout_s,
        ),
    )
    return [
        [
            {"id": hit["id"], "distance": float(hit["distance"]), **hit.get("entity", {})}
            for hit in hits
        ]
        for hits in result
    ]


def iter_query(
    client: MilvusClient,
    settings: Settings,
    filter_expr: str,
    output_fields: Sequence[str],
    page_size: int = QUERY_PAGE,
) -> Iterator[list[dict[str, Any]]]:
    """Pages of rows matching ``filter_expr``, any number of rows (query_iterator)."""
    ms = settings.milvus
    iterator = read_loaded(
        client,
        ms,
        "query_iterator",
        lambda: client.query_iterator(
            ms.collection,
            batch_size=page_size,
            filter=filter_expr,
            output_fields=list(output_fields),
            consistency_level=STRONG,
            timeout=ms.rpc_timeout_s,
        ),
    )
    try:
        while page := with_retry(ms, "query_iterator.next", iterator.next):
            yield page
    finally:
        iterator.close()


def query_time_range(
    client: MilvusClient,
    settings: Settings,
    start_ms: int,
    end_ms: int,
    output_fields: Sequence[str] = DEFAULT_OUTPUT_FIELDS,
    include_vectors: bool = False,
) -> list[dict[str, Any]]:
    """Every row with ``start_ms <= created_at < end_ms`` (paged, so 100k+ rows work).
    With ``include_vectors`` each row carries ``embedding`` as a float32 numpy array."""
    fields = list(dict.fromkeys([*output_fields, *([VECTOR_FIELD] if include_vectors else [])]))
    expr = time_range_filter(start_ms, end_ms)
    rows: list[dict[str, Any]] = []
    for page in iter_query(client, settings, expr, fields):
        if include_vectors:
            for row in page:
                row[VECTOR_FIELD] = np.asarray(row[VECTOR_FIELD], dtype=np.float32)
        rows.extend(page)
    log.info(
        "read %d rows from %s for created_at in [%d, %d)",
        len(rows),
        settings.milvus.collection,
        start_ms,
        end_ms,
    )
    return rows


def time_range_filter(start_ms: int, end_ms: int) -> str:
    """The filter expression for ``start_ms <= created_at < end_ms``."""
    return f"created_at >= {int(start_ms)} and created_at < {int(end_ms)}"


def count(client: MilvusClient, settings: Settings, filter_expr: str = "") -> int:
    """Live rows (deleted and overwritten rows excluded), optionally filtered."""
    ms = settings.milvus
    result = read_loaded(
        client,
        ms,
        "count",
        lambda: client.query(
            ms.collection,
            filter=filter_expr,
            output_fields=["count(*)"],
            consistency_level=STRONG,
            timeout=ms.rpc_timeout_s,
        ),
    )
    return int(result[0]["count(*)"])


def get_by_ids(
    client: MilvusClient,
    settings: Settings,
    ids: Sequence[str],
    output_fields: Sequence[str] = DEFAULT_OUTPUT_FIELDS,
) -> list[dict[str, Any]]:
    """Rows for these tweet ids (missing ids are simply absent), in chunks."""
    ms = settings.milvus
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), QUERY_PAGE):
        chunk = [str(i) for i in ids[start : start + QUERY_PAGE]]
        rows.extend(
            read_loaded(
                client,
                ms,
                "get",
                lambda chunk=chunk: client.get(
                    ms.collection,
                    ids=chunk,
                    output_fields=list(output_fields),
                    consistency_level=STRONG,
                    timeout=ms.rpc_timeout_s,
                ),
            )
        )
    return rows
