"""Who is talking: a trend is weighed in people, not posts.

Retweets and exact re-posts are engagement on an original, not new voices; an author counts
once per cluster and window; near-duplicate bursts carried by a handful of accounts, or by
accounts with no history in the baseline, are suspected coordination.
Design: docs/trends.md#voices
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Suspected coordination: most posts are near-duplicates of each other ...
DUPLICATE_SHARE = 0.5
# ... and either this few distinct accounts carry them ...
FEW_AUTHORS = 5
# ... or their share of accounts unseen in the baseline is at least NEW_SHARE and
# NEW_MARGIN above the window's own share (early on, every account is new to a short baseline).
NEW_SHARE = 0.8
NEW_MARGIN = 0.15

_KEY_DROP = re.compile(r"^\s*rt\s+@\w+\s*:?|https?://\S+|www\.\S+|[@#]\w+|[^\w\s]+")


@dataclass(frozen=True)
class Voices:
    """Per post: whether it is a voice (an original, first of its text) and its author code."""

    voice: np.ndarray  # bool
    group: np.ndarray  # int64: author code
    keys: list[str]  # near-duplicate keys


def text_key(text: str) -> str:
    """The near-duplicate key of a post: its words, lower-case, sorted and deduplicated, with
    the retweet prefix, links, mentions, hashtags and punctuation dropped (so a copy re-posted
    with a new link, tag or emoji has the same key)."""
    return " ".join(sorted(set(_KEY_DROP.sub(" ", text.lower()).split())))


def author_codes(author_ids: Sequence[str]) -> np.ndarray:
    """Dense integer codes per author; a post without an author is its own author."""
    codes: dict[str, int] = {}
    out = np.empty(len(author_ids), np.int64)
    for i, author in enumerate(author_ids):
        out[i] = codes.setdefault(author or f"\0{i}", len(codes))
    return out


def count_authors(author_ids: Sequence[str]) -> int:
    """Distinct authors (a post without an author counts as its own)."""
    return int(author_codes(author_ids).max(initial=-1)) + 1


def post_voices(texts: Sequence[str], retweets: np.ndarray, author_ids: Sequence[str]) -> Voices:
    """Which of a window's posts count as voices, and their authors for distinct counting.

    A post is a voice unless it is a retweet (``retweets``) or repeats the near-duplicate key
    of an earlier post (posts are taken in the order given: time order).
    """
    voice = ~np.asarray(retweets, bool)
    keys = [text_key(t) for t in texts]
    seen: set[str] = set()
    for i in np.flatnonzero(voice):
        if keys[i] in seen:
            voice[i] = False
        else:
            seen.add(keys[i])
    return Voices(voice=voice, group=author_codes(author_ids), keys=keys)


def distinct_voices(rows: np.ndarray, cols: np.ndarray, voices: Voices, count: int) -> np.ndarray:
    """Per cluster ``0..count-1``: distinct authors among the voice posts of its ball, given
    the ball's (post row, cluster col) hit pairs."""
    keep = voices.voice[rows]
    rows, cols = rows[keep], cols[keep]
    if rows.size == 0:
        return np.zeros(count, np.int64)
    span = int(voices.group.max()) + 1
    unique = np.unique(cols.astype(np.int64) * span + voices.group[rows])
    return np.bincount(unique // span, minlength=count)


def suspected_coordination(
    keys: Sequence[str], authors: Sequence[str], new: np.ndarray, window_new_share: float
) -> bool:
    """Near-duplicate texts (one key repeated by most posts) carried by a handful of
    accounts, or by accounts mostly unseen in the baseline (well above the window's share).
    ``keys``/``authors``/``new`` describe the cluster's original (non-retweet) posts."""
    if not keys:
        return False
    duplicate_share = 1.0 - len(set(keys)) / len(keys)
    if duplicate_share < DUPLICATE_SHARE:
        return False
    if count_authors(authors) <= FEW_AUTHORS:
        return True
    new_share = float(np.mean(new)) if len(new) else 0.0
    return new_share >= max(NEW_SHARE, window_new_share + NEW_MARGIN)
