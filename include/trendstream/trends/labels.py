"""Human labels for a cluster: c-TF-IDF keywords, its hashtags, representative posts.

Design: docs/trends.md#labels
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from trendstream.encode.text import clean_text, tokenize

KEYWORDS = 6
REPRESENTATIVES = 3
HASHTAG_SHARE = 0.1
MAX_HASHTAGS = 5
REST_SAMPLE = 5000
NAME_KEYWORDS = 3


def display_name(hashtags: Sequence[str], keywords: Sequence[str], fallback: str) -> str:
    """A name people read: the top hashtag, else a short key phrase; ``fallback`` (the trend
    id) only when the cluster has neither."""
    tags = [str(h).lstrip("#") for h in hashtags if str(h).strip("#")]
    if tags:
        return "#" + tags[0]
    words = [str(k) for k in keywords if str(k).strip()]
    if words:
        return " ".join(words[:NAME_KEYWORDS])
    return fallback


@dataclass(frozen=True)
class Representative:
    tweet_id: str
    text: str
    similarity: float


def ctfidf_keywords(
    cluster_texts: Sequence[Sequence[str]],
    rest_texts: Sequence[str] = (),
    *,
    top: int = KEYWORDS,
    tokenizer: Callable[[str], list[str]] = tokenize,
    rest_weight: float = 1.0,
) -> list[list[str]]:
    """Top ``top`` c-TF-IDF terms of each cluster; ``rest_texts`` is the background class
    (``rest_weight`` scales its counts when only a sample of the rest is passed)."""
    classes = [Counter(tok for text in texts for tok in tokenizer(text)) for texts in cluster_texts]
    rest = Counter(tok for text in rest_texts for tok in tokenizer(text))
    totals: Counter[str] = Counter()
    for counts in classes:
        totals.update(counts)
    for term, count in rest.items():
        totals[term] += count * rest_weight
    class_words = [sum(c.values()) for c in classes] + [sum(rest.values()) * rest_weight]
    average = sum(class_words) / max(1, sum(1 for words in class_words if words))
    out: list[list[str]] = []
    for counts, words in zip(classes, class_words, strict=False):
        weights = {
            term: (count / words) * math.log(1.0 + average / totals[term])
            for term, count in counts.items()
        }
        out.append([t for t, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top]])
    return out


def top_hashtags(
    hashtags: Sequence[Sequence[str]], *, share: float = HASHTAG_SHARE, top: int = MAX_HASHTAGS
) -> list[str]:
    """Hashtags carried by at least ``share`` of the cluster's posts, most used first."""
    counts = Counter(tag.lower() for tags in hashtags for tag in set(tags))
    floor = max(2, math.ceil(share * len(hashtags)))
    return [tag for tag, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= floor][
        :top
    ]


def representatives(
    ids: Sequence[str],
    texts: Sequence[str],
    vectors: np.ndarray,
    centroid: np.ndarray,
    *,
    top: int = REPRESENTATIVES,
) -> list[Representative]:
    """The posts nearest the centroid, skipping repeats of the same text (retweets, copies)."""
    sims = vectors @ centroid
    seen: set[str] = set()
    out: list[Representative] = []
    for row in np.argsort(-sims, kind="stable"):
        key = clean_text(texts[row]).lower()  # drops "RT @x:" and reply mentions too
        if key in seen:
            continue
        seen.add(key)
        out.append(Representative(tweet_id=ids[row], text=texts[row], similarity=float(sims[row])))
        if len(out) == top:
            break
    return out
