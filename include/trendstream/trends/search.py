"""Posts nearest in meaning to a free-text query: the query is cleaned and encoded the way
the stream encodes a post, then searched in Milvus (``trendstream search``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trendstream.core.settings import Settings

# What a hashtag filter accepts (the API and the CLI check it before anything reaches Milvus).
HASHTAG = re.compile(r"^#?\w{1,100}$")
OUTPUT_FIELDS = ("id", "created_at", "author_id", "hashtags", "text")


class NoPostsYet(LookupError):
    """The posts collection does not exist yet: nothing has been streamed into Milvus."""


@dataclass(frozen=True)
class Hit:
    id: str
    score: float  # the collection's metric (cosine: higher is nearer)
    created_at: int | None  # epoch milliseconds
    text: str
    author_id: str = ""
    hashtags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "created_at": self.created_at,
            "author_id": self.author_id,
            "hashtags": list(self.hashtags),
            "text": self.text,
        }


def search_filter(since: datetime | None = None, hashtag: str | None = None) -> str:
    """The Milvus filter for the time and hashtag limits. Posts store their hashtags
    lower-cased without ``#`` (core/schema.py); ``hashtag`` must be a word, so nothing but a
    word is ever spliced into the expression."""
    parts = []
    if since is not None:
        parts.append(f"created_at >= {int(since.timestamp() * 1000)}")
    if hashtag:
        tag = hashtag.lstrip("#").lower()
        if not HASHTAG.fullmatch(tag):
            raise ValueError(f"not a hashtag: {hashtag!r}")
        parts.append(f"array_contains(hashtags, {json.dumps(tag, ensure_ascii=False)})")
    return " and ".join(parts)


def search_posts(
    settings: Settings,
    query: str,
    k: int = 10,
    since: datetime | None = None,
    hashtag: str | None = None,
) -> list[Hit]:
    """The ``k`` posts nearest to ``query`` (created at or after ``since``, tagged ``hashtag``),
    nearest first. Milvus is reached before the model loads, so a dead server fails fast."""
    from trendstream.encode.model import encode_texts
    from trendstream.encode.text import clean_text
    from trendstream.vectorstore.store import TweetStore

    flt = search_filter(since, hashtag)
    with TweetStore.connect(settings) as store:
        if not store.exists():
            raise NoPostsYet(
                f"Milvus collection {store.collection!r} does not exist yet (nothing streamed)"
            )
        vector = encode_texts([clean_text(query) or query], settings.model)
        (hits,) = store.search(vector, k, flt, OUTPUT_FIELDS)
    return [
        Hit(
            str(h["id"]),
            h["distance"],
            h.get("created_at"),
            h.get("text", ""),
            str(h.get("author_id", "")),
            tuple(h.get("hashtags") or ()),
        )
        for h in hits
    ]
