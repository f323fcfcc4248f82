"""Where the embed sink encodes, and how it splits a batch for the executors."""

from __future__ import annotations

from trendstream.core.settings import ModelSettings
from trendstream.stream.executor_encode import (
    encodes_on_executors,
    executor_chunk_size,
    executor_model_settings,
)


def test_only_a_cluster_master_moves_encoding_to_the_executors() -> None:
    assert not encodes_on_executors("local[2]")
    assert not encodes_on_executors("local[*]")
    assert encodes_on_executors("spark://127.0.0.1:7077")
    assert encodes_on_executors("k8s://https://api:6443")


def test_every_slot_gets_a_chunk_and_no_chunk_exceeds_the_setting() -> None:
    assert executor_chunk_size(180, 512, 2) == 90
    assert executor_chunk_size(181, 512, 2) == 91
    assert executor_chunk_size(5000, 512, 2) == 512
    assert executor_chunk_size(1, 512, 4) == 1
    assert executor_chunk_size(10, 512, 0) == 10


def test_an_executor_encoder_uses_its_own_cores_unless_threads_are_set() -> None:
    assert executor_model_settings(ModelSettings(), 1).threads == 1
    assert executor_model_settings(ModelSettings(threads=3), 1).threads == 3
