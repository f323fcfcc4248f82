"""Encoding on the executors: a micro-batch's text chunks run as Spark tasks on a cluster.

On a cluster the executors have cores the driver lacks, so the model runs there (each
executor's Python worker loads it once and keeps it); in local mode it stays on the driver.
Design: docs/stream.md#sink
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from trendstream.core.settings import ModelSettings


def encodes_on_executors(master: str) -> bool:
    """``local[...]``: the driver shares the executors' cores, so encoding stays there."""
    return not master.startswith("local")


def executor_chunk_size(texts: int, chunk: int, slots: int) -> int:
    """At most ``chunk`` texts per task, and small enough that every executor slot gets one."""
    return max(1, min(chunk, math.ceil(texts / max(1, slots))))


def executor_model_settings(model: ModelSettings, executor_cores: int) -> ModelSettings:
    """An executor's encoder uses the cores Spark gave it (``threads = 0`` would take all the
    machine's, fighting the other executors on a shared box)."""
    if model.threads:
        return model
    return model.model_copy(update={"threads": executor_cores})


def encode_on_executors(
    spark: Any, chunks: list[list[str]], model: ModelSettings
) -> list[np.ndarray]:
    """One Spark task per chunk; the vectors of each chunk, in ``chunks`` order."""
    import numpy as np

    if not chunks:
        return []
    cores = int(spark.conf.get("spark.executor.cores", "1"))
    settings = executor_model_settings(model, cores)

    def encode(texts: list[str]) -> bytes:
        from trendstream.encode.model import encode_texts  # from the shipped package zip

        return encode_texts(texts, settings).astype("float32").tobytes()

    blobs = spark.sparkContext.parallelize(chunks, len(chunks)).map(encode).collect()
    return [
        np.frombuffer(blob, dtype=np.float32).reshape(len(texts), settings.dimension)
        for blob, texts in zip(blobs, chunks, strict=True)
    ]
