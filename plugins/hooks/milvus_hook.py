"""A Milvus hook: credentials from an Airflow connection (type ``milvus``), client from pymilvus.

Define the connection without the UI by env var, e.g.
``AIRFLOW_CONN_MILVUS_DEFAULT='milvus://:TOKEN@127.0.0.1:19530/default'`` (password = token,
schema = database; ``extra.secure=true`` for https). The connection wins over
``TRENDSTREAM_MILVUS__*`` so secrets can live in Airflow's secrets backend instead of env.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk.bases.hook import BaseHook

if TYPE_CHECKING:
    from pymilvus import MilvusClient

    from trendstream.core.settings import Settings
    from trendstream.vectorstore.store import TweetStore


class MilvusHook(BaseHook):
    conn_name_attr = "milvus_conn_id"
    default_conn_name = "milvus_default"
    conn_type = "milvus"
    hook_name = "Milvus"

    def __init__(self, milvus_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.milvus_conn_id = milvus_conn_id

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["extra"],
            "relabeling": {"schema": "Database", "password": "Token (or password)"},
            "placeholders": {"host": "127.0.0.1", "port": "19530", "schema": "default"},
        }

    def connection_params(self) -> dict[str, str]:
        """``uri``, ``token`` and ``db_name`` as ``MilvusClient`` takes them."""
        conn = self.get_connection(self.milvus_conn_id)
        scheme = "https" if str(conn.extra_dejson.get("secure", "")).lower() == "true" else "http"
        token = conn.password or ""
        if conn.login:
            token = f"{conn.login}:{conn.password or ''}"
        return {
            "uri": f"{scheme}://{conn.host or '127.0.0.1'}:{conn.port or 19530}",
            "token": token,
            "db_name": conn.schema or "default",
        }

    def settings(self) -> Settings:
        """The platform settings with Milvus pointed at this connection."""
        from trendstream.core.settings import get_settings

        base = get_settings()
        params = self.connection_params()
        return base.model_copy(update={"milvus": base.milvus.model_copy(update=params)})

    def get_store(self) -> TweetStore:
        """The tweet collection through this connection (close it, or use it as a context)."""
        from trendstream.vectorstore.store import TweetStore

        return TweetStore.connect(self.settings())

    def get_conn(self) -> MilvusClient:
        """The store's pymilvus client, for calls ``TweetStore`` does not wrap."""
        return self.get_store().client

    def test_connection(self) -> tuple[bool, str]:
        try:
            with self.get_store() as store:
                names = store.retry("list_collections", store.client.list_collections)
        except Exception as exc:
            return False, str(exc)
        return True, f"connected; collections: {names}"
