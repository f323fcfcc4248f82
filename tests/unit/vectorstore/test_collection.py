"""The declared collection: schema fields and the comparable index spec (no server needed)."""

from __future__ import annotations

from trendstream.core.settings import MilvusSettings
from trendstream.vectorstore.collection import (
    SCALAR_FIELDS,
    VECTOR_FIELD,
    collection_schema,
    index_spec,
)


def test_schema_declares_the_scalar_fields_and_a_vector_of_the_model_dimension() -> None:
    schema = collection_schema(24)
    fields = {f.name: f for f in schema.fields}
    assert set(fields) == {*SCALAR_FIELDS, VECTOR_FIELD}
    assert fields["id"].is_primary and not schema.auto_id
    assert fields[VECTOR_FIELD].params["dim"] == 24


def test_index_spec_compares_equal_whatever_the_case_or_key_order() -> None:
    a = MilvusSettings(index_type="hnsw", metric_type="cosine", index_params={"M": 16, "e": 2})
    b = MilvusSettings(index_type="HNSW", metric_type="COSINE", index_params={"e": 2, "M": 16})
    assert (
        index_spec(a)
        == index_spec(b)
        == {
            "index_type": "HNSW",
            "metric_type": "COSINE",
            "params": {"M": 16, "e": 2},
        }
    )
    assert index_spec(a) != index_spec(MilvusSettings(index_type="FLAT", index_params={}))
