"""The GE suites pass on good data and name the broken expectation on bad data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trendstream.core.settings import Settings
from trendstream.quality import frames, suites
from trendstream.quality.data_docs import index_page
from trendstream.quality.runner import QualityCheckFailed, latest_results, validate

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path)


def hashtag_windows(n: int = 6, newest_age_s: float = 10) -> pd.DataFrame:
    end = pd.Timestamp(NOW) - pd.Timedelta(seconds=newest_age_s)
    ends = [end - pd.Timedelta(seconds=5 * i) for i in range(n)]
    return pd.DataFrame(
        {
            "window_start": [e - pd.Timedelta(seconds=5) for e in ends],
            "window_end": ends,
            "hashtag": [f"tag{i % 3}" for i in range(n)],
            "count": np.arange(1, n + 1, dtype=np.int64),
            "batch_id": np.arange(n, dtype=np.int64),
        }
    )


def unit_vectors(n: int, dim: int, seed: int = 0) -> list[np.ndarray]:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return list(v / np.linalg.norm(v, axis=1, keepdims=True))


def milvus_rows(n: int = 20, dim: int = 384) -> pd.DataFrame:
    created = int(NOW.timestamp() * 1000) - 60_000
    return pd.DataFrame(
        {
            "id": [str(1000 + i) for i in range(n)],
            "created_at": [created + i for i in range(n)],
            "embedding": unit_vectors(n, dim),
        }
    )


def check_analytics(settings: Settings, frame: pd.DataFrame):
    derived = frames.with_analytics_derived(frame, NOW)
    return validate(
        settings,
        suites.analytics_suite(max_age_s=60),
        derived,
        {"kind": "analytics", "files": ["f"]},
    )


def test_analytics_suite_passes_on_good_windows(settings: Settings) -> None:
    result = check_analytics(settings, hashtag_windows())
    assert result.success, result.failed
    assert result.quarantine_path is None
    assert json.loads(result.result_path.read_text())["success"] is True


@pytest.mark.parametrize(
    ("corrupt", "broken"),
    [
        (
            lambda f: f.assign(count=f["count"] * -1),
            "expect_column_values_to_be_between(column='count'",
        ),
        (
            lambda f: f.assign(hashtag=[None] + list(f["hashtag"][1:])),
            "expect_column_values_to_not_be_null(column='hashtag'",
        ),
        (lambda f: f.drop(columns=["hashtag"]), "expect_column_to_exist(column='hashtag'"),
        (
            lambda f: f.assign(count=f["count"].astype(str)),
            "expect_column_values_to_be_in_type_list(column='count'",
        ),
        (
            lambda f: f.assign(window_start=f["window_end"] + pd.Timedelta(seconds=1)),
            "expect_column_pair_values_a_to_be_greater_than_b",
        ),
        (
            lambda f: f.assign(
                window_end=f["window_end"] - pd.Timedelta(hours=1),
                window_start=f["window_start"] - pd.Timedelta(hours=1),
            ),
            "expect_column_min_to_be_between(column='age_s'",
        ),
        (lambda f: f.iloc[0:0], "expect_table_row_count_to_be_between"),
    ],
    ids=[
        "negative-count",
        "null-hashtag",
        "missing-column",
        "wrong-type",
        "inverted-window",
        "stale",
        "empty",
    ],
)
def test_analytics_suite_names_the_broken_expectation(settings: Settings, corrupt, broken) -> None:
    result = check_analytics(settings, corrupt(hashtag_windows()))
    assert not result.success
    assert any(f.startswith(broken) for f in result.failed), result.failed
    with pytest.raises(
        QualityCheckFailed, match=r"suite 'analytics' failed: .*" + broken.split("(")[0]
    ):
        result.raise_for_failure()
    quarantine = json.loads(result.quarantine_path.read_text())
    assert (
        quarantine["batch"] == {"kind": "analytics", "files": ["f"]}
        and quarantine["failed"] == result.failed
    )
    assert latest_results(settings)["analytics"]["success"] is False


def test_every_run_lands_in_the_data_docs_site(settings: Settings) -> None:
    """Data Docs (HTML) are the user's view: one page per validation run, listed by the index."""
    check_analytics(settings, hashtag_windows())
    check_analytics(settings, hashtag_windows(newest_age_s=3600))  # stale: fails
    index = index_page(settings)
    assert index.parent == settings.paths.data_docs_dir
    pages = sorted((settings.paths.data_docs_dir / "validations" / "analytics").rglob("*.html"))
    assert len(pages) == 2, pages
    html = index.read_text()
    assert all(p.relative_to(index.parent).as_posix() in html for p in pages), html[:500]
    assert "passed" in html and "failed" in html and "<script" not in html  # works offline
    assert "age_s" in pages[-1].read_text()  # GE's page names the broken expectation


def check_vectors(settings: Settings, frame: pd.DataFrame):
    derived = frames.with_vector_derived(frame, NOW).drop(columns=["embedding"])
    return validate(settings, suites.vectors_suite(dimension=384), derived, {"kind": "vectors"})


def test_vectors_suite_passes_on_unit_vectors(settings: Settings) -> None:
    result = check_vectors(settings, milvus_rows())
    assert result.success, result.failed


@pytest.mark.parametrize(
    ("corrupt", "broken"),
    [
        (
            lambda f: f.assign(embedding=[v * 2 for v in f["embedding"]]),
            "expect_column_values_to_be_between(column='norm'",
        ),
        (
            lambda f: f.assign(embedding=[v[:100] for v in f["embedding"]]),
            "expect_column_values_to_be_between(column='dimension'",
        ),
        (lambda f: f.assign(id=["same"] * len(f)), "expect_column_values_to_be_unique(column='id'"),
        (
            lambda f: f.assign(created_at=f["created_at"] + 86_400_000),
            "expect_column_values_to_be_between(column='age_s'",
        ),
        (
            lambda f: f.assign(created_at=0),
            "expect_column_values_to_be_between(column='created_year'",
        ),
    ],
    ids=["not-unit-norm", "wrong-dimension", "duplicate-ids", "future", "ancient"],
)
def test_vectors_suite_names_the_broken_expectation(settings: Settings, corrupt, broken) -> None:
    result = check_vectors(settings, corrupt(milvus_rows()))
    assert not result.success
    assert any(f.startswith(broken) for f in result.failed), result.failed


def test_stream_suite_thresholds(settings: Settings) -> None:
    suite = suites.stream_suite(max_dead_letter_rate=0.05, max_lag=100)
    ok = validate(
        settings,
        suite,
        pd.DataFrame([{"dead_letter_rate": 0.01, "consumer_lag": 5}]),
        {"kind": "stream"},
    )
    assert ok.success, ok.failed
    bad = validate(
        settings,
        suite,
        pd.DataFrame([{"dead_letter_rate": 0.5, "consumer_lag": 500}]),
        {"kind": "stream"},
    )
    assert [f.split("(")[1].split(",")[0] for f in bad.failed] == [
        "column='dead_letter_rate'",
        "column='consumer_lag'",
    ]
