"""Scenario 4: garbage written straight to the tweets topic (ingest bypassed), and secrets.

Every kind from the bad-record corpus (``tests/data/make_bad_records.py``) plus raw bytes no
file reader would produce (invalid UTF-8, NUL bytes, a 1 MB post, truncated JSON, an empty
value, a tombstone) is interleaved with good tweets. One ``--available-now`` run of the job
(all four queries) must exit 0 with no query failing because of the input, dead-letter each bad
record once with its reason (stage "stream"), and upsert every good tweet.

The same run carries sentinel secrets (an X bearer token and a Milvus token, set through the
environment as users do): afterwards no file under the run's state dir may contain them.

The hypothesis properties cover the embed query's batch transform (``parse_tweets``); the
ingest-side ``parse_event`` property lives in ``tests/unit/test_schema.py``, and the
analytics queries' JVM parse is held to ``parse_event`` record by record in
``tests/integration/test_native_parse.py``.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections import Counter
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.support.job_run import run_job_to_completion
from tests.support.reliability_harness import (
    dead_letters,
    heartbeat,
    input_caused_failures,
    job_log,
    milvus_rows,
    produce,
)
from tests.support.sandbox import isolated_settings
from trendstream.core.schema import DeadLetterReason, Tweet, parse_event
from trendstream.core.settings import Limits
from trendstream.kafka.dead_letter import MAX_RAW_BYTES, dead_letter_record, parse_dead_letter
from trendstream.sources.generator import GeneratorConfig, generate_stream
from trendstream.stream.transforms import Position, parse_tweets

DATA = Path(__file__).parents[1] / "data"
SENTINELS = {
    "TRENDSTREAM_SOURCES__X_BEARER_TOKEN": f"xbearer-SENTINEL-{uuid.uuid4().hex}",
    "TRENDSTREAM_MILVUS__TOKEN": f"root:milvus-SENTINEL-{uuid.uuid4().hex}",
}


def _corpus_cases() -> list[tuple[str, bytes, str]]:
    spec = importlib.util.spec_from_file_location("make_bad_records", DATA / "make_bad_records.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module.CASES


def stream_expectation(kind: str, raw: bytes, ingest_outcome: str) -> str:
    """What the *stream* stage must do with a corpus record (the corpus states ingest's view):
    a repeated id is not an error downstream (the later copy wins the upsert), and a valid
    engagement is misplaced on the tweets topic."""
    if ingest_outcome == "duplicate":
        return "accepted"
    if ingest_outcome == "accepted" and orjson.loads(raw).get("kind") == "engagement":
        return DeadLetterReason.UNKNOWN_FORMAT.value
    return ingest_outcome


def raw_kinds() -> list[tuple[str, bytes | None, str]]:
    """Records no archive reader would hand over: only a direct producer writes these."""
    big = orjson.dumps(
        {
            "id": "1900000000000000001",
            "author_id": "42",
            "text": "m" * (1 << 20),
            "created_at": "2025-06-01T12:00:00Z",
        }
    )
    return [
        ("raw invalid UTF-8", b"\xff\xfe\xfa\x80", "invalid_utf8"),
        (
            "raw latin-1 text",
            '{"id": "1900000000000000002", "text": "caf\xe9"}'.encode("latin-1"),
            "invalid_utf8",
        ),
        ("raw NUL bytes", b"\x00\x00\x00\x00", "invalid_json"),
        ("NUL inside JSON", b'{"id": "1900000000000000003",\x00 "text": "x"}', "invalid_json"),
        ("1 MB post", big, "oversized_record"),
        ("truncated JSON", b'{"data": {"id": "19000000000', "invalid_json"),
        ("empty value", b"", "invalid_json"),
        ("tombstone (no value)", None, "missing_field"),
        (
            "UTF-8 BOM prefix",
            b"\xef\xbb\xbf" + orjson.dumps({"id": "1900000000000000004"}),
            "invalid_json",
        ),
        ("JSON null", b"null", "not_an_object"),
        ("whitespace only", b" \t\r\n ", "invalid_json"),
        (
            "400-digit id",
            b'{"id": 1' + b"0" * 400 + b', "text": "x", "author_id": "1", '
            b'"created_at": "2025-06-01T12:00:00Z"}',
            "bad_id",
        ),
    ]


@pytest.fixture(scope="module")
def garbage_run(platform, tmp_path_factory, monkeypatch_module):
    for name, value in SENTINELS.items():
        monkeypatch_module.setenv(name, value)
    settings = isolated_settings(
        platform,
        tmp_path_factory.mktemp("garbage-state"),
        milvus={"token": SENTINELS["TRENDSTREAM_MILVUS__TOKEN"]},
        stream={"max_offsets_per_trigger": 40},
    )
    good = generate_stream(
        GeneratorConfig(seed=4, minutes=0.5, rate=2.0, users=40, trends=2, decoys=0)
    ).tweets
    bad = [
        (kind, raw, stream_expectation(kind, raw, outcome))
        for kind, raw, outcome in _corpus_cases()
    ]
    bad += raw_kinds()
    records: list[tuple[bytes | None, str | None]] = []
    for i, line in enumerate(good):  # a bad record between every two good ones, then the rest
        records.append((line, json.loads(line)["data"]["id"]))
        if i < len(bad):
            records.append((bad[i][1], None))
    records += [(raw, None) for _, raw, _ in bad[len(good) :]]
    produce(settings, records, **{"message.max.bytes": 8 << 20})
    rc = run_job_to_completion(settings)
    return {"settings": settings, "good": good, "bad": bad, "rc": rc}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.integration
def test_garbage_on_the_topic_is_dead_lettered_and_the_job_never_crashes(garbage_run, counts):
    settings, good, bad = garbage_run["settings"], garbage_run["good"], garbage_run["bad"]
    assert garbage_run["rc"] == 0, job_log(settings)
    beat = heartbeat(settings)
    assert beat["status"] == "stopped", (beat, job_log(settings))
    caused = input_caused_failures(settings)
    assert not caused, caused

    dead = dead_letters(settings)
    total, ids = milvus_rows(settings)
    want_dead = [(kind, raw, reason) for kind, raw, reason in bad if reason != "accepted"]
    # (kept raw bytes, reason, stage) per record; a tombstone and an empty value both keep b""
    want = Counter(((raw or b"")[:MAX_RAW_BYTES], reason, "stream") for _, raw, reason in want_dead)
    got = Counter((e["raw_bytes"], e["reason"], e["stage"]) for e in dead)
    kinds = {((raw or b"")[:MAX_RAW_BYTES], reason): kind for kind, raw, reason in want_dead}
    wrong = [
        (kinds.get(key[:2], "unexpected"), key[1], key[2], n) for key, n in (want - got).items()
    ]
    wrong += [("unexpected dead letter", key[1], key[2], n) for key, n in (got - want).items()]
    accepted_ids = {parse_event(raw).id for _, raw, reason in bad if reason == "accepted"}
    good_ids = {json.loads(line)["data"]["id"] for line in good} | accepted_ids
    lost = good_ids - set(ids)
    counts(
        produced=len(good) + len(bad),
        good=len(good_ids),
        bad_kinds=len(want_dead),
        in_milvus=total,
        in_dlq=len(dead),
        lost=len(lost),
        duplicated=total - len(set(ids)),
        misrouted=len(wrong),
        query_restarts=beat["restarts"],
        input_caused_failures=caused,
    )
    assert len(want_dead) >= 20
    assert not wrong, wrong
    assert len(dead) == len(want_dead)
    assert not lost and total == len(set(ids)) == len(good_ids)
    assert all(e["position"].startswith(settings.kafka.tweets_topic + ":") for e in dead)


@pytest.mark.integration
def test_secrets_never_reach_logs_heartbeat_or_reports(garbage_run, counts):
    """Scenario 6 (secrets): the sentinel tokens were in the job's environment for the whole run."""
    state = garbage_run["settings"].state_dir
    files = [p for p in state.rglob("*") if p.is_file()]
    leaks = [
        (str(p.relative_to(state)), name)
        for p in files
        for name, secret in SENTINELS.items()
        if secret.encode() in p.read_bytes()
    ]
    counts(files_scanned=len(files), leaks=leaks)
    assert heartbeat(garbage_run["settings"]) and any(p.name.endswith(".log") for p in files)
    assert not leaks, leaks


# --- the stream-side transform, property-based -----------------------------------------------

_text = st.text(st.characters(codec="utf-8"), max_size=300)
_clean_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=300
).filter(str.strip)
_valid_tweet = st.builds(
    lambda n, text, tags, author: orjson.dumps(
        {
            "id": str(1_800_000_000_000_000_000 + n),
            "text": text + "".join(f" #{t}" for t in tags),
            "author_id": str(author),
            "created_at": "2025-06-01T12:00:00.000Z",
        }
    ),
    st.integers(0, 10**9),
    _clean_text,
    st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True), max_size=3),
    st.integers(1, 10**6),
)
_garbage = st.one_of(
    st.none(),
    st.binary(max_size=400),
    _text.map(lambda t: t.encode("utf-8")),
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats() | _text,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
        max_leaves=12,
    ).map(lambda v: orjson.dumps(v, option=orjson.OPT_NON_STR_KEYS)),
)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), _valid_tweet, _garbage), max_size=30))
def test_batch_transform_accounts_for_every_record(rows):
    """Any mix of good tweets and garbage: nothing raises, every record is exactly one of
    tweet / dead row, every good tweet survives with its id, and every dead row can be
    written to the dead-letter topic and read back byte-exact."""
    values = [tweet if good else junk for good, tweet, junk in rows]
    positions = [Position("t", i % 4, i) for i in range(len(values))]
    parsed = parse_tweets(values, positions, Limits())
    seen = sorted([p.offset for _, p in parsed.tweets] + [d.position.offset for d in parsed.dead])
    assert seen == list(range(len(values)))
    tweets = {p.offset: tweet for tweet, p in parsed.tweets}
    for i, (good, tweet, _) in enumerate(rows):
        if good:
            assert isinstance(tweets.get(i), Tweet), (tweet, parsed.dead)
            assert tweets[i].id == orjson.loads(tweet)["id"]
    for row in parsed.dead:
        assert isinstance(row.reason, DeadLetterReason) and row.detail
        _, value, _ = dead_letter_record(
            row.raw,
            reason=row.reason,
            detail=row.detail,
            source="t",
            position=str(row.position),
            stage="stream",
        )
        assert parse_dead_letter(value)["raw_bytes"] == row.raw[:MAX_RAW_BYTES]
