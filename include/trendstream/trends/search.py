"""Posts nearest in meaning to a free-text query: the query is cleaned and encoded the way
the stream encodes a post, then searched in Milvus (``trendstream search``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trendstream.core.settings import Settings

OUTPUT_FIELDS = ("id", "created_at", "text")


class NoPostsYet(LookupError):
    """The posts collection does not exist yet: nothing has been streamed into Milvus."""


@dataclass(frozen=True)
class Hit:
    id: str
    score: float  # the collection's metric (cosine: higher is nearer)
    created_at: int | None  # epoch milliseconds
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "created_at": self.created_at,
            "text": self.text,
        }


def search_posts(
    settings: Settings, query: str, k: int = 10, since: datetime | None = None
) -> list[Hit]:
    """The ``k`` posts nearest to ``query`` (created at or after ``since``), nearest first.
    Milvus is reached before the model loads, so a dead server fails fast."""
    from trendstream.encode.model import encode_texts
    from trendstream.encode.text import clean_text
    from trendstream.vectorstore.store import TweetStore

    flt = f"created_at >= {int(since.timestamp() * 1000)}" if since else ""
    with TweetStore.connect(settings) as store:
        if not store.exists():
            raise NoPostsYet(
                f"Milvus collection {store.collection!r} does not exist yet (nothing streamed)"
            )
        vector = encode_texts([clean_text(query) or query], settings.model)
        (hits,) = store.search(vector, k, flt, OUTPUT_FIELDS)
    return [Hit(str(h["id"]), h["distance"], h.get("created_at"), h.get("text", "")) for h in hits]
