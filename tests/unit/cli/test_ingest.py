"""``trendstream ingest``: options, and the input it refuses before reaching Kafka."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import Invoke, fails_with, help_names


def test_help(cli: Invoke) -> None:
    help_names(
        cli("ingest", "--help"),
        "--file",
        "--rate",
        "--as-fast-as-possible",
        "--source",
        "--workers",
        "--transaction-records",
        "--transaction-mb",
        "--json",
        "kafka.transaction_records",
    )


def test_a_file_is_required_and_must_exist(cli: Invoke, tmp_path: Path) -> None:
    fails_with(cli("ingest"), 2, "Missing option '--file'")
    missing = tmp_path / "missing.jsonl"
    fails_with(cli("ingest", "--file", str(missing)), 2, "does not exist")
    fails_with(cli("ingest", "--file", str(tmp_path)), 2, "is a directory")


def test_contradicting_or_out_of_range_options_are_refused(cli: Invoke, tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    posts.write_text("")
    both = cli("ingest", "--file", str(posts), "--rate", "5", "--as-fast-as-possible")
    fails_with(both, 2, "give either --rate or --as-fast-as-possible, not both")
    fails_with(cli("ingest", "--file", str(posts), "--workers", "0"), 2, "--workers")
    fails_with(cli("ingest", "--file", str(posts), "--rate", "0"), 2, "--rate")
    fails_with(cli("ingest", "--file", str(posts), "--transaction-records", "0"), 2)
