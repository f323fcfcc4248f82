"""Synthetic embedded posts for scale tests and benchmarks (no model, no services).

Topic members are drawn around a random unit centre at a chosen cosine
(``v = s·c + √(1−s²)·u``, ``u`` a random unit vector: in hundreds of dimensions two such
members sit at cosine ≈ ``s²``), background posts uniformly on the sphere. Real
embeddings are lumpier than this, so it measures speed, not quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trendstream.trends.posts import Posts


@dataclass(frozen=True)
class Topic:
    name: str
    count: int
    similarity: float = 0.85
    hashtag: str = ""


def unit(rng: np.random.Generator, rows: int, dimension: int) -> np.ndarray:
    vectors = rng.standard_normal((rows, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def around(
    rng: np.random.Generator, centre: np.ndarray, count: int, similarity: float
) -> np.ndarray:
    noise = unit(rng, count, centre.shape[0])
    vectors = similarity * centre + np.sqrt(1.0 - similarity**2) * noise
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def synthetic_posts(
    rng: np.random.Generator,
    *,
    start_ms: int,
    end_ms: int,
    background: int,
    topics: list[Topic],
    centres: dict[str, np.ndarray],
    dimension: int = 384,
    id_prefix: str = "",
) -> Posts:
    """``background`` random posts plus each topic's members, timestamps uniform in the span.

    ``centres`` maps topic name → centre and is filled for new names, so the same topic
    can be drawn again in another span (baseline vs window) around the same centre.
    """
    parts = [unit(rng, background, dimension)]
    texts = [f"background post {i}" for i in range(background)]
    tags: list[tuple[str, ...]] = [()] * background
    for topic in topics:
        centre = centres.setdefault(topic.name, unit(rng, 1, dimension)[0])
        parts.append(around(rng, centre, topic.count, topic.similarity))
        texts += [f"{topic.name} update {i}" for i in range(topic.count)]
        tags += [(topic.hashtag,) if topic.hashtag else ()] * topic.count
    vectors = np.concatenate(parts)
    n = vectors.shape[0]
    return Posts(
        ids=[f"{id_prefix}{i}" for i in range(n)],
        vectors=vectors,
        created_ms=np.sort(rng.integers(start_ms, end_ms, size=n)),
        texts=texts,
        hashtags=tags,
    )
