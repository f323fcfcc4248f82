"""``trendstream generate``: writes a seeded stream with its ground truth; refuses bad input."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import Invoke, fails_with, help_names

SMALL = ("--minutes", "0.5", "--rate", "2", "--trends", "1")


def test_help(cli: Invoke) -> None:
    help_names(
        cli("generate", "--help"), "--out", "--seed", "--minutes", "--rate", "--start", "--trends"
    )


def test_writes_the_stream_and_its_ground_truth(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "sample"
    result = cli("generate", "--out", str(out), "--seed", "3", *SMALL)
    assert result.exit_code == 0, result.output
    truth = json.loads((out / "ground_truth.json").read_text())
    tweets = (out / "tweets.jsonl").read_bytes().splitlines()
    engagements = (out / "engagements.jsonl").read_bytes().splitlines()
    assert len(tweets) == truth["stream"]["tweets"] > 0
    assert len(engagements) == truth["stream"]["engagements"]
    assert len(truth["trends"]) == 1
    assert f"wrote {len(tweets):,} posts to" in result.output


def test_the_same_seed_writes_the_same_bytes(cli: Invoke, tmp_path: Path) -> None:
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        result = cli("generate", "--out", str(tmp_path / name), "--seed", seed, *SMALL)
        assert result.exit_code == 0, result.output
    a, b, c = ((tmp_path / n / "tweets.jsonl").read_bytes() for n in "abc")
    assert a == b != c


def test_a_start_time_is_honoured_and_a_bad_one_refused(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "late"
    result = cli("generate", "--out", str(out), "--start", "2030-01-02T03:04:05", *SMALL)
    assert result.exit_code == 0, result.output
    first = json.loads((out / "tweets.jsonl").read_bytes().splitlines()[0])
    assert first["data"]["created_at"].startswith("2030-01-02T03:0")
    result = cli("generate", "--out", str(out), "--start", "yesterday")
    fails_with(result, 2, "Invalid value for --start", "not an ISO-8601 time: 'yesterday'")


def test_bad_values_are_refused_before_anything_is_written(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "never"
    fails_with(cli("generate", "--out", str(out), "--minutes", "0"), 2, "--minutes")
    fails_with(cli("generate", "--out", str(out), "--rate", "-1"), 2, "--rate")
    fails_with(cli("generate"), 2, "Missing option '--out'")
    assert not out.exists()
    a_file = tmp_path / "file"
    a_file.write_text("")
    fails_with(cli("generate", "--out", str(a_file)), 2, "is a file")
