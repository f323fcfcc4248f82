"""The synthetic stream: determinism, valid records, and ground truth that matches the stream."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import orjson
import pytest

from trendstream.core.schema import Engagement, Tweet, parse_event
from trendstream.sources.generator import GeneratorConfig, generate_stream, write_stream

CONFIG = GeneratorConfig(seed=11, minutes=20, rate=6)


@pytest.fixture(scope="module")
def stream():
    return generate_stream(CONFIG)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path) -> None:
    a = write_stream(tmp_path / "a", CONFIG)
    b = write_stream(tmp_path / "b", CONFIG)
    c = write_stream(tmp_path / "c", GeneratorConfig(seed=12, minutes=20, rate=6))
    for name in ("tweets", "engagements", "ground_truth"):
        assert getattr(a, name).read_bytes() == getattr(b, name).read_bytes()
    assert a.tweets.read_bytes() != c.tweets.read_bytes()


def test_in_memory_and_written_streams_agree(tmp_path, stream) -> None:
    paths = write_stream(tmp_path, CONFIG)
    assert paths.tweets.read_bytes() == b"".join(line + b"\n" for line in stream.tweets)
    assert orjson.loads(paths.ground_truth.read_bytes()) == orjson.loads(
        orjson.dumps(stream.ground_truth)
    )


def test_every_record_is_valid_and_ordered(stream) -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    tweets = [parse_event(line, now=now) for line in stream.tweets]
    engagements = [parse_event(line, now=now) for line in stream.engagements]
    assert all(isinstance(t, Tweet) for t in tweets)
    assert all(isinstance(e, Engagement) for e in engagements)
    ids = [int(t.id) for t in tweets]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), "ids must increase, no repeats"
    assert [t.created_at for t in tweets] == sorted(t.created_at for t in tweets)
    assert [e.created_at for e in engagements] == sorted(e.created_at for e in engagements)
    assert len({e.id for e in engagements}) == len(engagements)
    known = {t.id for t in tweets}
    assert all(e.tweet_id in known for e in engagements if e.type != "follow")
    kinds = Counter(t.referenced_type for t in tweets)
    assert kinds["retweeted"] and kinds["replied_to"] and kinds["quoted"]
    assert len({t.lang for t in tweets}) >= 4, "chatter should span several languages"
    assert len({t.text for t in tweets}) > 0.5 * len(tweets), "chatter should be varied"


def test_ground_truth_members_exist_and_lie_within_their_trend(stream) -> None:
    truth = stream.ground_truth
    by_id = {}
    for line in stream.tweets:
        data = orjson.loads(line)["data"]
        by_id[data["id"]] = data
    assert truth["stream"]["tweets"] == len(stream.tweets)
    assert len(truth["trends"]) == CONFIG.trend_count == 2  # 6 per hour, at least 2
    assert {t["kind"] for t in truth["trends"]} == {"hashtag", "no_hashtag"}
    for trend in truth["trends"]:
        start, peak, end = (_time(trend[k]) for k in ("start", "peak", "end"))
        assert start < peak < end
        assert trend["size"] == len(trend["member_tweet_ids"]) > 50
        for tid in trend["member_tweet_ids"]:
            assert start <= _time(by_id[tid]["created_at"]) <= end
        texts = [
            by_id[tid]["text"]
            for tid in trend["member_tweet_ids"]
            if not by_id[tid]["text"].startswith("RT @")
        ]
        tagged = sum(f"#{trend['hashtag']}" in t.lower() for t in texts) if trend["hashtag"] else 0
        if trend["kind"] == "hashtag":
            assert tagged > 0.7 * len(texts)
        else:
            assert trend["hashtag"] is None
        assert len(set(texts)) > 0.8 * len(texts), "paraphrases, not copies"


def _per_minute(times: list[datetime], start: datetime, minutes: int) -> list[int]:
    counts = [0] * minutes
    for t in times:
        index = int((t - start).total_seconds() // 60)
        if 0 <= index < minutes:
            counts[index] += 1
    return counts


def test_trends_ramp_up_and_fade_while_decoys_stay_flat(stream) -> None:
    created = {}
    texts = {}
    for line in stream.tweets:
        data = orjson.loads(line)["data"]
        created[data["id"]] = _time(data["created_at"])
        texts[data["id"]] = data["text"].lower()
    for trend in stream.ground_truth["trends"]:
        start, peak, end = (_time(trend[k]) for k in ("start", "peak", "end"))
        minutes = int((end - start).total_seconds() // 60)
        counts = _per_minute([created[t] for t in trend["member_tweet_ids"]], start, minutes)
        peak_minute = int((peak - start).total_seconds() // 60)
        assert counts[0] * 3 < max(counts), counts
        assert counts[-1] * 3 < max(counts), counts
        assert abs(counts.index(max(counts)) - peak_minute) <= 2, counts
    stream_start = _time(stream.ground_truth["stream"]["start"])
    for decoy in stream.ground_truth["decoys"]:
        assert decoy["size"] > 0.8 * decoy["rate_per_minute"] * CONFIG.minutes
    good_morning = [created[i] for i, text in texts.items() if "#goodmorning" in text]
    counts = _per_minute(good_morning, stream_start, int(CONFIG.minutes))
    half = len(counts) // 2
    halves = sum(counts[:half]), sum(counts[half:])
    assert min(halves) > 0.75 * max(halves), "a decoy must not grow"


def test_engagements_follow_the_trends(stream) -> None:
    members = {tid for t in stream.ground_truth["trends"] for tid in t["member_tweet_ids"]}
    per_tweet = Counter(orjson.loads(line)["tweet_id"] for line in stream.engagements)
    trend_rate = sum(per_tweet[t] for t in members) / len(members)
    other = [
        t for t in (orjson.loads(line)["data"]["id"] for line in stream.tweets) if t not in members
    ]
    other_rate = sum(per_tweet[t] for t in other) / len(other)
    assert trend_rate > 2 * other_rate


def test_generation_is_fast() -> None:
    import time

    started = time.process_time()
    big = generate_stream(GeneratorConfig(seed=1, minutes=5, rate=40))
    rate = len(big.tweets) / (time.process_time() - started)
    assert rate > 10_000, f"{rate:.0f} posts/s of CPU"  # ~60k/s on an idle core; see benchmarks


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError):
        GeneratorConfig(minutes=0)
    with pytest.raises(ValueError):
        GeneratorConfig(trends=99)


def test_wild_profile_plants_its_cases_and_decoys() -> None:
    wild = generate_stream(GeneratorConfig(seed=5, minutes=20, rate=2, profile="wild"))
    truth = wild.ground_truth
    tweets = {t.id: t for t in (parse_event(line) for line in wild.tweets)}
    cases = {t["case"] for t in truth["trends"] if "case" in t}
    assert cases == {"slow_ramp", "close_story_a", "close_story_b", "hashtag_variants"}
    decoys = {d["case"]: d["member_tweet_ids"] for d in truth["decoys"] if "case" in d}
    assert set(decoys) == {"spam_burst", "retweet_storm", "bot_ring", "faded_burst"}
    assert {tweets[i].author_id for i in decoys["spam_burst"]} == {
        tweets[decoys["spam_burst"][0]].author_id
    }
    original, *storm = decoys["retweet_storm"]
    assert len(storm) == 200 and all(tweets[i].referenced_id == original for i in storm)
    ring = {tweets[i].author_id for i in decoys["bot_ring"]}
    others = {t.author_id for i, t in tweets.items() if i not in set(decoys["bot_ring"])}
    assert len(ring) == 80 and not ring & others  # fresh accounts, one post each
    variants = next(t for t in truth["trends"] if t.get("case") == "hashtag_variants")
    spellings = {h for i in variants["member_tweet_ids"] for h in _written_tags(tweets[i].text)}
    assert {"#WorldCup", "#worldcup", "#WorldCupFinal"} <= spellings
    chatter_rt = sum(t.text.startswith("RT @") for t in tweets.values()) / len(tweets)
    assert chatter_rt > 0.2  # retweet-heavy chatter (clean: ~0.1)
    with pytest.raises(ValueError):
        GeneratorConfig(profile="dirty")


def _written_tags(text: str) -> list[str]:
    return [w for w in text.split() if w.startswith("#")]
