"""Voices: retweets and re-posts are not new voices, an author counts once, coordination."""

from __future__ import annotations

import numpy as np

from trendstream.trends.voices import (
    author_codes,
    count_authors,
    distinct_voices,
    post_voices,
    suspected_coordination,
    text_key,
)


def test_text_key_ignores_links_tags_mentions_case_and_order():
    assert text_key("RT @bob: Big SALE today https://x.co/1 #deal") == text_key(
        "today big sale!! https://x.co/2 #Deals @amy"
    )
    assert text_key("sale 50") != text_key("sale 70")


def test_author_codes_give_anonymous_posts_their_own_author():
    codes = author_codes(["a", "b", "a", "", ""])
    assert codes[0] == codes[2] and len(set(codes.tolist())) == 4
    assert count_authors(["a", "b", "a", "", ""]) == 4 and count_authors([]) == 0


def test_retweets_reposts_and_repeat_authors_add_no_voices():
    texts = ["storm hits", "RT @a: storm hits", "storm hits!", "storm hits", "other view", "x"]
    authors = ["a", "b", "c", "a", "a", "d"]
    retweets = np.array([t.startswith("RT @") for t in texts])
    voices = post_voices(texts, retweets, authors)
    assert voices.voice.tolist() == [True, False, False, False, True, True]
    rows = np.array([0, 1, 2, 3, 4, 5, 5])
    cols = np.array([0, 0, 0, 0, 0, 0, 1])
    # cluster 0: posts 0 and 4 are author a's (one voice), post 5 is d's; cluster 1: d
    assert distinct_voices(rows, cols, voices, 3).tolist() == [2, 1, 0]


def test_coordination_needs_duplicates_and_few_or_new_accounts():
    copies = ["buy moonx now"] * 8 + ["moonx to the moon"] * 2
    many = [f"u{i}" for i in range(10)]
    old = np.zeros(10, bool)
    new = np.ones(10, bool)
    assert suspected_coordination(copies, ["spammer"] * 10, old, 0.1)  # one account
    assert suspected_coordination(copies, many, new, 0.1)  # fresh accounts
    assert not suspected_coordination(copies, many, old, 0.1)  # real people repeating
    assert not suspected_coordination(copies, many, new, 0.9)  # early: everyone is new
    varied = [f"take number {i}" for i in range(10)]
    assert not suspected_coordination(varied, ["spammer"] * 10, new, 0.1)
    assert not suspected_coordination([], [], np.zeros(0, bool), 0.0)
