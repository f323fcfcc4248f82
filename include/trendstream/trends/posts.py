"""The engine's input: a block of posts as parallel arrays (no service types).

So Milvus rows, an archive encoded in-process or synthetic vectors all drive the engine alike.
Design: docs/trends.md#posts
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from trendstream.encode.text import is_retweet


@dataclass(frozen=True)
class Posts:
    """``n`` posts: L2-normalised ``vectors`` (n × d float32) plus per-post metadata."""

    ids: list[str]
    vectors: np.ndarray
    created_ms: np.ndarray
    texts: list[str] = field(default_factory=list)
    hashtags: list[tuple[str, ...]] = field(default_factory=list)
    engagement: np.ndarray | None = None
    author_ids: list[str] = field(default_factory=list)
    likes: np.ndarray | None = None
    quotes: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.ids)
        if self.vectors.shape[0] != n or self.created_ms.shape[0] != n:
            raise ValueError(
                f"Posts arrays disagree: {n} ids, {self.vectors.shape[0]} vectors, "
                f"{self.created_ms.shape[0]} timestamps"
            )
        if not self.texts:
            object.__setattr__(self, "texts", [""] * n)
        if not self.hashtags:
            object.__setattr__(self, "hashtags", [()] * n)
        if not self.author_ids:
            object.__setattr__(self, "author_ids", [""] * n)
        for name in ("engagement", "likes", "quotes"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, np.zeros(n, dtype=np.float64))

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def retweets(self) -> np.ndarray:
        """Which posts are retweets (computed once: voices, viral and labels all ask)."""
        return np.fromiter((is_retweet(t) for t in self.texts), bool, count=len(self))

    @property
    def dimension(self) -> int:
        return int(self.vectors.shape[1]) if self.vectors.ndim == 2 else 0

    def take(self, rows: np.ndarray | Sequence[int]) -> Posts:
        rows = np.asarray(rows, dtype=np.int64)
        return Posts(
            ids=[self.ids[i] for i in rows],
            vectors=self.vectors[rows],
            created_ms=self.created_ms[rows],
            texts=[self.texts[i] for i in rows],
            hashtags=[self.hashtags[i] for i in rows],
            engagement=self.engagement[rows],
            author_ids=[self.author_ids[i] for i in rows],
            likes=self.likes[rows],
            quotes=self.quotes[rows],
        )

    def between(self, start_ms: int, end_ms: int) -> Posts:
        """Posts with ``start_ms <= created_ms < end_ms``."""
        rows = np.flatnonzero((self.created_ms >= start_ms) & (self.created_ms < end_ms))
        return self.take(rows)


def empty_posts(dimension: int) -> Posts:
    return Posts(
        ids=[], vectors=np.empty((0, dimension), np.float32), created_ms=np.empty(0, np.int64)
    )


def posts_from_rows(rows: Iterable[dict[str, Any]], dimension: int) -> Posts:
    """Build :class:`Posts` from Milvus-style rows (``id``, ``embedding``, ``created_at`` …)."""
    rows = list(rows)
    if not rows:
        return empty_posts(dimension)
    vectors = np.asarray([row["embedding"] for row in rows], dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors /= np.maximum(norms, 1e-12)
    return Posts(
        ids=[str(row["id"]) for row in rows],
        vectors=vectors,
        created_ms=np.asarray([int(row["created_at"]) for row in rows], dtype=np.int64),
        texts=[str(row.get("text") or "") for row in rows],
        hashtags=[_hashtag_tuple(row.get("hashtags")) for row in rows],
        engagement=np.asarray([_engagement(row) for row in rows], dtype=np.float64),
        author_ids=[str(row.get("author_id") or "") for row in rows],
        likes=np.asarray([float(row.get("like_count") or 0) for row in rows]),
        quotes=np.asarray([float(row.get("quote_count") or 0) for row in rows]),
    )


def _hashtag_tuple(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return tuple(str(tag).lower().lstrip("#") for tag in value if str(tag).strip())


def _engagement(row: dict[str, Any]) -> float:
    return float(
        sum(
            int(row.get(name) or 0)
            for name in ("like_count", "retweet_count", "reply_count", "quote_count")
        )
    )
