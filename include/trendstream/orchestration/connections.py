"""Airflow connections → settings: what a DAG task runs with.

An undefined connection leaves settings as they are; Airflow is imported inside functions only.
Design: docs/orchestration.md#connections
"""

from __future__ import annotations

from typing import Any

from trendstream.core.settings import Settings

MILVUS_CONN_ID = "milvus_default"
KAFKA_CONN_ID = "kafka_default"
SPARK_CONN_ID = "spark_default"
# librdkafka keys of a Kafka connection we do not take: every consumer of ours names its
# own group (the stream's queries, lag and offset lookups); one group for all would mix them.
_KAFKA_KEYS_IGNORED = frozenset({"bootstrap.servers", "group.id"})


def task_settings() -> Settings:
    """The settings of a DAG task: Milvus, Kafka and Spark from their connections."""
    return with_spark_connection(with_kafka_connection(milvus_connection_settings()))


def milvus_connection_settings(conn_id: str = MILVUS_CONN_ID) -> Settings:
    """The settings with Milvus pointed at ``conn_id`` (the plugin's ``MilvusHook``)."""
    from airflow.sdk.exceptions import AirflowNotFoundException
    from hooks.milvus_hook import MilvusHook  # Airflow puts the plugins folder on sys.path

    from trendstream.core.settings import get_settings

    try:
        return MilvusHook(conn_id).settings()
    except AirflowNotFoundException:
        return get_settings()


def with_kafka_connection(settings: Settings, conn_id: str = KAFKA_CONN_ID) -> Settings:
    """``settings`` with bootstrap servers and librdkafka config from the Kafka provider's
    connection (its extra is the librdkafka config, ``bootstrap.servers`` included)."""
    from airflow.providers.apache.kafka.hooks.base import KafkaBaseHook

    extra = _extra(KafkaBaseHook, conn_id)
    if extra is None or not extra.get("bootstrap.servers"):
        return settings
    client_config = {
        **settings.kafka.client_config,
        **{k: str(v) for k, v in extra.items() if k not in _KAFKA_KEYS_IGNORED},
    }
    kafka = settings.kafka.model_copy(
        update={
            "bootstrap_servers": str(extra["bootstrap.servers"]),
            "client_config": client_config,
        }
    )
    return settings.model_copy(update={"kafka": kafka})


def with_spark_connection(settings: Settings, conn_id: str = SPARK_CONN_ID) -> Settings:
    """``settings`` with ``stream.master`` (the local spark-submit's ``--master``) from the
    Spark provider's connection, resolved as ``SparkSubmitOperator`` would resolve it."""
    from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook

    if _extra(SparkSubmitHook, conn_id) is None:
        return settings
    # The provider has no public accessor; its resolved connection is what it would submit to.
    master = SparkSubmitHook(conn_id=conn_id)._connection["master"]
    return settings.model_copy(
        update={"stream": settings.stream.model_copy(update={"master": master})}
    )


def _extra(hook: Any, conn_id: str) -> dict[str, Any] | None:
    """The connection's extra (``{}`` when it has none), or None when it is not defined."""
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return hook.get_connection(conn_id).extra_dejson
    except AirflowNotFoundException:
        return None
