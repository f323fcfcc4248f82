"""The tweet collection's declared shape: schema, vector index, and making a collection match.

Design: docs/vectorstore.md#collection
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from trendstream.core.settings import MilvusSettings

if TYPE_CHECKING:
    from pymilvus import CollectionSchema

    from trendstream.vectorstore.store import TweetStore

log = logging.getLogger(__name__)

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


class CollectionMismatch(RuntimeError):
    """An existing collection does not match the configured schema (e.g. vector dimension)."""


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


def vector_index_names(store: TweetStore) -> list[str]:
    """The names of the indexes on the vector field (one, or none before the first build)."""
    return store.retry(
        "list_indexes",
        lambda: store.client.list_indexes(store.collection, field_name=VECTOR_FIELD),
    )


def current_index_spec(store: TweetStore) -> dict[str, Any] | None:
    """The vector index the collection has (``None`` when it has none).

    Type and metric come from ``describe_index``. Build parameters come from the collection
    property we record at build time, or from ``describe_index`` where the server echoes
    them (Milvus standalone/cluster); Milvus Lite echoes none, so an index built by someone
    else there reports ``params: None`` (unknown).
    """
    names = vector_index_names(store)
    if not names:
        return None
    info = store.retry(
        "describe_index", lambda: store.client.describe_index(store.collection, names[0])
    )
    spec: dict[str, Any] = {
        "index_type": str(info.get("index_type", "")).upper(),
        "metric_type": str(info.get("metric_type", "")).upper(),
        "params": None,
    }
    described = {k: _as_number(v) for k, v in info.items() if k not in _INDEX_INFO_KEYS}
    recorded = _recorded_index_spec(store)
    if recorded and all(recorded.get(k) == spec[k] for k in ("index_type", "metric_type")):
        spec["params"] = recorded.get("params")
    elif described:
        spec["params"] = json.loads(json.dumps(described, sort_keys=True))
    return spec


def ensure_collection(store: TweetStore) -> None:
    """Create the collection and its index if missing, check the dimension, load it.

    Safe to call from many processes at once and after any partial failure.
    """
    client, name, dim = store.client, store.collection, store.settings.model.dimension
    if not store.exists():
        try:
            store.retry(
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
    check_dimension(store)
    current, wanted = current_index_spec(store), index_spec(store.milvus)
    if current is None:
        create_index(store)
    elif current != wanted:
        log.warning(
            "collection %s has index %s but settings ask for %s; run the milvus_maintenance "
            "rebuild to apply them",
            name,
            current,
            wanted,
        )
    store.retry("load_collection", lambda: client.load_collection(name))
    log.info("collection %s ready and loaded", name)


def create_index(store: TweetStore) -> None:
    """Build the configured vector index. "Already exists" is success when it is ours — the
    usual outcome of retrying after a gRPC connection dropped during a long build."""
    ms = store.milvus
    wanted = index_spec(ms)
    params = store.client.prepare_index_params()
    params.add_index(
        field_name=VECTOR_FIELD,
        index_name=VECTOR_FIELD,
        index_type=ms.index_type,
        metric_type=ms.metric_type,
        params=dict(ms.index_params),
    )

    def attempt() -> None:
        try:
            store.client.create_index(ms.collection, params)
        except Exception as exc:
            if "already exist" not in str(exc).lower():
                raise
            current = current_index_spec(store)
            same_kind = current is not None and all(
                current[k] == wanted[k] for k in ("index_type", "metric_type")
            )
            if not same_kind or current["params"] not in (None, wanted["params"]):
                raise CollectionMismatch(
                    f"collection {ms.collection} already has vector index {current}, not "
                    f"{wanted}; rebuild it (milvus_maintenance)"
                ) from exc
            log.info("index on %s already exists with these parameters", ms.collection)

    store.retry("create_index", attempt)
    _record_index_spec(store)
    log.info("index on %s: %s", ms.collection, wanted)


def check_dimension(store: TweetStore) -> None:
    """Raise :class:`CollectionMismatch` unless the stored vectors have the model's dimension."""
    wanted = store.settings.model.dimension
    for field in _describe(store).get("fields", []):
        if field.get("name") == VECTOR_FIELD:
            dim = int(field.get("params", {}).get("dim", 0))
            if dim != wanted:
                raise CollectionMismatch(
                    f"collection {store.collection} stores {dim}-d vectors but the model "
                    f"produces {wanted}-d; use another collection "
                    "(TRENDSTREAM_MILVUS__COLLECTION) or drop this one"
                )
            return
    raise CollectionMismatch(f"collection {store.collection} has no {VECTOR_FIELD!r} field")


def _describe(store: TweetStore) -> dict[str, Any]:
    return store.retry(
        "describe_collection", lambda: store.client.describe_collection(store.collection)
    )


def _as_number(value: Any) -> Any:
    if isinstance(value, str):
        for cast in (int, float):
            try:
                return cast(value)
            except ValueError:
                pass
    return value


def _recorded_index_spec(store: TweetStore) -> dict[str, Any] | None:
    raw = (_describe(store).get("properties") or {}).get(_INDEX_SPEC_PROPERTY)
    return json.loads(raw) if raw else None


def _record_index_spec(store: TweetStore) -> None:
    """Remember the build parameters on the collection (Lite cannot report them)."""
    value = json.dumps(index_spec(store.milvus), sort_keys=True)
    try:
        store.retry(
            "record index spec",
            lambda: store.client.alter_collection_properties(
                store.collection, properties={_INDEX_SPEC_PROPERTY: value}
            ),
        )
    except Exception as exc:  # older servers: describe_index still reports the params
        log.warning("could not record index parameters on %s: %s", store.collection, exc)
