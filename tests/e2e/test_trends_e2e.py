"""End to end on a small generated stream: two planted trends (one without a hashtag)
are found through Milvus and ``run_snapshot``, and no flat decoy is ever reported.

Path: generator → the one validator (``parse_event``) → offline model embeddings of
``clean_text`` → Milvus rows via the vectorstore's own schema/upsert → ``run_snapshot``
(reads the window and baseline back from Milvus, tracks, writes JSON + HTML). Kafka and
Spark are left out here on purpose: the stream job's own tests cover that leg, and
running it would put this test far over its time budget on 2 cores.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

import pytest

from trendstream.core.schema import Tweet, parse_event
from trendstream.encode.model import encode_texts
from trendstream.encode.text import clean_text
from trendstream.sources.generator import GeneratorConfig, generate_stream
from trendstream.trends.snapshot import run_snapshot
from trendstream.vectorstore.rows import rows_from_tweets
from trendstream.vectorstore.store import TweetStore

pytestmark = pytest.mark.integration


def _load_stream_into_milvus(settings):
    # Sparse but long enough for a baseline; strong trends and frequent decoys, so the
    # decoys form clusters as large as the trends' and must be rejected by their flatness.
    stream = generate_stream(
        GeneratorConfig(
            seed=11,
            minutes=40,
            rate=0.5,
            trends=2,
            decoys=3,
            trend_peak_share=0.6,
            decoy_share=0.15,
        )
    )
    tweets = [e for e in (parse_event(line) for line in stream.tweets) if isinstance(e, Tweet)]
    texts = [clean_text(t.text) for t in tweets]
    unique = list(dict.fromkeys(texts))  # templated chatter repeats: encode each text once
    row_of = {text: row for row, text in enumerate(unique)}
    vectors = encode_texts(unique, settings.model)[[row_of[text] for text in texts]]
    rows = rows_from_tweets([t.to_dict() for t in tweets], vectors)
    with TweetStore.connect(settings) as store:
        store.ensure_collection()
        for start in range(0, len(rows), 2000):
            store.upsert(rows[start : start + 2000])
    return stream.ground_truth


def test_planted_trends_found_through_milvus_and_no_decoy_reported(settings):
    truth = _load_stream_into_milvus(settings)
    planted = {t["trend_id"]: t for t in truth["trends"]}
    assert {t["kind"] for t in planted.values()} == {"hashtag", "no_hashtag"}
    owner = {tid: t["trend_id"] for t in truth["trends"] for tid in t["member_tweet_ids"]}
    start = datetime.fromisoformat(truth["stream"]["start"].replace("Z", "+00:00"))

    found: dict[str, set[str]] = {}
    for minute in range(15, 41, 5):
        result = run_snapshot(
            settings, at=start + timedelta(minutes=minute), window=timedelta(minutes=5)
        )
        payload = json.loads(result.paths.json.read_text())
        assert payload["window"]["end"] == payload["snapshot_at"]
        for trend in payload["trends"]:
            votes = Counter(owner.get(tid) for tid in trend["tweet_ids"])
            best, count = votes.most_common(1)[0]
            # Every reported trend is mostly one planted trend: no decoy, no chatter.
            assert best is not None and count >= 0.5 * len(trend["tweet_ids"]), (
                minute,
                trend["keywords"],
            )
            found.setdefault(best, set()).add(trend["trend_id"])
            if planted[best]["kind"] == "no_hashtag":
                assert not trend["hashtags"]
    assert set(found) == set(planted)  # both, including the one without a hashtag
    assert all(len(ids) == 1 for ids in found.values()), found  # one id per trend across snapshots
    index = (settings.paths.reports_dir / "index.html").read_text()
    assert index.count('href="snapshot-') == 6
