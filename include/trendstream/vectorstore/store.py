"""``TweetStore``: the one owner of the Milvus tweet collection — a client and its settings.

Writes are upserts by tweet id, so a replayed Spark micro-batch duplicates nothing.
Design: docs/vectorstore.md#store
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from trendstream.core.settings import MilvusSettings, Settings
from trendstream.vectorstore import collection
from trendstream.vectorstore.collection import STRONG, VECTOR_FIELD
from trendstream.vectorstore.retry import with_retry

if TYPE_CHECKING:
    from types import TracebackType

    from pymilvus import MilvusClient

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_OUTPUT_FIELDS = ("id", "created_at", "author_id", "lang", "hashtags", "clean_text")
QUERY_PAGE = 5000  # rows per query_iterator page (server limit on one query is 16384)
_NOT_LOADED = 101  # Milvus ErrorCode CollectionNotLoaded


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


def time_range_filter(start_ms: int, end_ms: int) -> str:
    """The filter expression for ``start_ms <= created_at < end_ms``."""
    return f"created_at >= {int(start_ms)} and created_at < {int(end_ms)}"


class TweetStore:
    """The tweet collection named by ``settings.milvus``, reached through ``client``.

    Build one with :meth:`connect`; use it as a context manager (or :meth:`close` it) so the
    pooled gRPC connection is released.
    """

    def __init__(self, client: MilvusClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    @classmethod
    def connect(cls, settings: Settings) -> TweetStore:
        """A store on a new client for ``settings.milvus``; the connect is retried too."""
        from pymilvus import MilvusClient

        ms = settings.milvus
        # pymilvus logs a full traceback at ERROR for every failed RPC; with_retry already
        # logs each failure in one line and raises with the last error, so those are duplicates.
        logging.getLogger("pymilvus.decorators").setLevel(logging.CRITICAL)
        client = with_retry(ms, f"connect to {ms.uri}", lambda: MilvusClient(**client_kwargs(ms)))
        log.info("connected to Milvus at %s (db %s)", ms.uri, ms.db_name)
        return cls(client, settings)

    def with_settings(self, settings: Settings) -> TweetStore:
        """The same client, other settings (e.g. new index parameters to rebuild with)."""
        return TweetStore(self.client, settings)

    @property
    def milvus(self) -> MilvusSettings:
        return self.settings.milvus

    @property
    def collection(self) -> str:
        return self.settings.milvus.collection

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> TweetStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- calls -------------------------------------------------------------------------

    def retry(self, what: str, call: Callable[[], T]) -> T:
        """``call`` under this store's retry budget (see :func:`.retry.with_retry`)."""
        return with_retry(self.milvus, what, call)

    def read(self, what: str, call: Callable[[], T]) -> T:
        """A read (search/query/get) under the retry budget. A restarted Milvus server comes
        back with every collection released (writes still work, reads refuse): load it and
        read again, so readers recover on their own instead of failing until maintenance."""
        from pymilvus.exceptions import MilvusException

        try:
            return self.retry(what, call)
        except MilvusException as exc:
            if exc.code != _NOT_LOADED:
                raise
        name = self.collection
        log.warning("%s: collection %s is not loaded (Milvus restarted?); loading it", what, name)
        self.retry(f"load_collection {name}", lambda: self.client.load_collection(name))
        return self.retry(what, call)

    # --- the collection ----------------------------------------------------------------

    def exists(self) -> bool:
        return self.retry("has_collection", lambda: self.client.has_collection(self.collection))

    def ensure_collection(self) -> None:
        """Create (schema, index) if missing, check the dimension, load; see :mod:`.collection`."""
        collection.ensure_collection(self)

    def drop(self) -> None:
        """Drop the collection and its rows (tests and benchmarks start from nothing)."""
        self.retry("drop_collection", lambda: self.client.drop_collection(self.collection))

    # --- writes ------------------------------------------------------------------------

    def upsert(self, rows: Sequence[dict[str, Any]]) -> int:
        """Upsert ``rows`` in chunks (idempotent by tweet id); returns the number written."""
        ms = self.milvus
        written = 0
        for start in range(0, len(rows), ms.write_batch_size):
            chunk = list(rows[start : start + ms.write_batch_size])
            self.retry(
                f"upsert of {len(chunk)} rows into {ms.collection}",
                lambda chunk=chunk: self.client.upsert(
                    ms.collection, chunk, timeout=ms.rpc_timeout_s
                ),
            )
            written += len(chunk)
        log.info("upserted %d rows into %s", written, ms.collection)
        return written

    # --- reads -------------------------------------------------------------------------

    def search(
        self,
        vectors: np.ndarray | Sequence[Sequence[float]],
        k: int,
        filter_expr: str | None = None,
        output_fields: Sequence[str] = DEFAULT_OUTPUT_FIELDS,
        search_params: dict[str, Any] | None = None,
        consistency_level: str = STRONG,
    ) -> list[list[dict[str, Any]]]:
        """Top-``k`` neighbours per query vector: ``[{"id", "distance", **fields}, ...]`` each."""
        ms = self.milvus
        params = dict(ms.search_params if search_params is None else search_params)
        if "ef" in params:
            params["ef"] = max(int(params["ef"]), k)  # HNSW needs ef >= k
        data = np.asarray(vectors, dtype=np.float32)
        result = self.read(
            f"search in {ms.collection}",
            lambda: self.client.search(
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

    def query(
        self, filter_expr: str, output_fields: Sequence[str], limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Rows matching ``filter_expr``: at most ``limit``, and never more than the server's
        16384 per query (:meth:`iter_query` pages past that)."""
        ms = self.milvus
        return self.read(
            f"query of {ms.collection}",
            lambda: self.client.query(
                ms.collection,
                filter=filter_expr,
                output_fields=list(output_fields),
                consistency_level=STRONG,
                timeout=ms.rpc_timeout_s,
                **({"limit": limit} if limit is not None else {}),
            ),
        )

    def iter_query(
        self, filter_expr: str, output_fields: Sequence[str], page_size: int = QUERY_PAGE
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of rows matching ``filter_expr``, any number of rows (query_iterator)."""
        ms = self.milvus
        iterator = self.read(
            "query_iterator",
            lambda: self.client.query_iterator(
                ms.collection,
                batch_size=page_size,
                filter=filter_expr,
                output_fields=list(output_fields),
                consistency_level=STRONG,
                timeout=ms.rpc_timeout_s,
            ),
        )
        try:
            while page := self.retry("query_iterator.next", iterator.next):
                yield page
        finally:
            iterator.close()

    def time_range(
        self,
        start_ms: int,
        end_ms: int,
        output_fields: Sequence[str] = DEFAULT_OUTPUT_FIELDS,
        include_vectors: bool = False,
    ) -> list[dict[str, Any]]:
        """Every row with ``start_ms <= created_at < end_ms`` (paged, so 100k+ rows work).
        With ``include_vectors`` each row carries ``embedding`` as a float32 numpy array."""
        extra = [VECTOR_FIELD] if include_vectors else []
        fields = list(dict.fromkeys([*output_fields, *extra]))
        rows: list[dict[str, Any]] = []
        for page in self.iter_query(time_range_filter(start_ms, end_ms), fields):
            if include_vectors:
                for row in page:
                    row[VECTOR_FIELD] = np.asarray(row[VECTOR_FIELD], dtype=np.float32)
            rows.extend(page)
        log.info(
            "read %d rows from %s for created_at in [%d, %d)",
            len(rows),
            self.collection,
            start_ms,
            end_ms,
        )
        return rows

    def count(self, filter_expr: str = "") -> int:
        """Live rows (deleted and overwritten rows excluded), optionally filtered."""
        return int(self.query(filter_expr, ["count(*)"])[0]["count(*)"])

    def get_by_ids(
        self, ids: Sequence[str], output_fields: Sequence[str] = DEFAULT_OUTPUT_FIELDS
    ) -> list[dict[str, Any]]:
        """Rows for these tweet ids (missing ids are simply absent), in chunks."""
        ms = self.milvus
        rows: list[dict[str, Any]] = []
        for start in range(0, len(ids), QUERY_PAGE):
            chunk = [str(i) for i in ids[start : start + QUERY_PAGE]]
            rows.extend(
                self.read(
                    "get",
                    lambda chunk=chunk: self.client.get(
                        ms.collection,
                        ids=chunk,
                        output_fields=list(output_fields),
                        consistency_level=STRONG,
                        timeout=ms.rpc_timeout_s,
                    ),
                )
            )
        return rows
