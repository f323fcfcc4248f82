"""The benchmark runner's pure parts: medians, ratios, summaries, the table and the README."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_runner():
    """``benchmarks/`` is not an installed package: load the runner from the checkout."""
    spec = importlib.util.spec_from_file_location("bench_runner", REPO / "benchmarks" / "runner.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


runner = _load_runner()
Figure = runner.Figure


def test_median_uses_rounds_and_falls_back_to_the_summary():
    assert runner.median([3.0, 1.0, 2.0]) == 2.0
    assert runner.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert runner.median([], fallback=7.0) == 7.0
    assert runner.median(None) is None
    assert runner.median([None, 5.0]) == 5.0


def test_ratio_guards_missing_and_zero_baselines():
    assert runner.ratio(90.0, 100.0) == pytest.approx(0.9)
    assert runner.ratio(None, 100.0) is None
    assert runner.ratio(5.0, 0.0) is None
    assert Figure("x", "m", 50.0, "u", "b", 200.0).ratio == pytest.approx(0.25)
    assert Figure("x", "m", 50.0, "u", ratio_override=0.97).ratio == 0.97


def test_ingest_summary_recomputes_medians_from_the_rounds():
    data = {
        "raw_msgs_per_s": [100.0, 300.0, 200.0],
        "ingest_msgs_per_s": [190.0, 170.0, 180.0],
        "raw_median": 999.0,
        "ingest_median": 1.0,
    }  # stale summaries must not win
    (fig,) = runner.BENCHMARKS["ingest"].summary(data)
    assert fig.benchmark == "ingest"
    assert (fig.value, fig.baseline_value) == (180.0, 200.0)
    assert fig.ratio == pytest.approx(0.9)
    assert fig.met is True
    assert fig.rounds == (190.0, 170.0, 180.0)


def test_ingest_summary_adds_the_ratio_to_kafkas_producer_performance():
    data = {
        "raw_msgs_per_s": [200.0],
        "producer_perf_msgs_per_s": [400.0, 360.0, 380.0],
        "ingest_msgs_per_s": [190.0],
    }
    raw, perf = runner.summarize_ingest(data)
    assert raw.baseline.startswith("raw") and perf.baseline.startswith(
        "Kafka's ProducerPerformance"
    )
    assert perf.baseline_value == 380.0 and perf.ratio == pytest.approx(0.5)


def test_encode_summary_compares_every_path_with_the_fp32_baseline_at_its_bars():
    data = {
        "goal": "≥ 2.5× sentence-transformers fp32 at top-10 overlap ≥ 0.9",
        "baseline": "st_fp32",
        "decision": {"bars": {"speedup_vs_st_fp32": 2.5, "top10_overlap": 0.9}},
        "paths": {
            "st_fp32": {"sentences_per_s": 100.0, "rounds": [90.0, 110.0, 100.0]},
            "torch_int8": {
                "sentences_per_s": 250.0,
                "rounds": [240.0, 250.0, 260.0],
                "top10_overlap_vs_fp32": 0.85,
            },
            "onnx_fp32": {
                "sentences_per_s": 210.0,
                "rounds": [200.0, 210.0, 220.0],
                "top10_overlap_vs_fp32": 0.99,
            },
            "onnx_int8": {
                "sentences_per_s": 300.0,
                "rounds": [290.0, 300.0, 310.0],
                "top10_overlap_vs_fp32": 0.93,
            },
        },
    }
    figs = {f.metric.split("`")[1]: f for f in runner.summarize_encode(data)}
    assert set(figs) == {"torch_int8", "onnx_fp32", "onnx_int8"}
    assert figs["onnx_fp32"].ratio == pytest.approx(2.1)
    assert figs["onnx_fp32"].met is False  # 2.1× < 2.5×
    assert figs["torch_int8"].met is False  # fast enough, but overlap < 0.9
    assert figs["onnx_int8"].met is True
    assert figs["onnx_int8"].goal == data["goal"]


def test_analytics_summary_judges_rate_ratios_users_batch_and_latency():
    data = {
        "users_batch": 20_000,
        "spark": {
            "hashtags_events_per_s": [170_000.0, 90_000.0, 160_000.0],
            "engagement_events_per_s": [50_000.0],
            "users_batch_s": [2.0, 4.0, 3.5],
            "latency": {"p50_s": 0.8, "p99_s": 2.5, "events_per_s": 2000.0},
        },
        "quix": {
            "hashtags_events_per_s": [50_000.0, 55_000.0, 60_000.0],
            "latency": {"p50_s": 0.1, "p99_s": 0.3, "events_per_s": 2000.0},
        },
        "kstreams": {
            "hashtags_events_per_s": [400_000.0, 350_000.0, 300_000.0],
            "version": "4.4.0",
            "processing_guarantee": "exactly_once_v2",
            "runs": [{}, {}, {}],
        },
    }
    figs = runner.summarize_analytics(data)
    vs_quix, vs_kstreams = (f for f in figs if f.metric.startswith("Spark 5-s"))
    assert (vs_quix.value, vs_quix.baseline_value) == (160_000.0, 55_000.0)
    assert vs_quix.met is True  # ≥ 150k/s and ≥ 1× Quix
    assert vs_kstreams.baseline_value == 350_000.0 and vs_kstreams.ratio == pytest.approx(160 / 350)
    assert vs_kstreams.met is False  # < 0.5× Kafka Streams
    assert "exactly_once_v2" in vs_kstreams.baseline
    users = next(f for f in figs if f.metric.startswith("Spark users"))
    assert users.value == 3.5 and users.met is False  # > 3 s
    spark_p99 = next(f for f in figs if f.metric.startswith("Spark event"))
    assert spark_p99.value == 2.5 and spark_p99.met is False


def test_analytics_summary_reports_no_rate_for_an_engine_with_wrong_counts():
    data = {"spark": {"hashtags_events_per_s": []}, "quix": {"hashtags_events_per_s": [50_000.0]}}
    (rate,) = runner.summarize_analytics(data)
    assert rate.value is None and rate.met is None


def test_generic_summary_reads_a_figures_list():
    data = {
        "figures": [
            {
                "metric": "HNSW p99",
                "value": 19.0,
                "unit": "ms",
                "goal": "≤ 30 ms",
                "met": True,
                "rounds": [18.0, 19.0, 20.0],
                "ignored": 1,
            }
        ]
    }
    (fig,) = runner.summarize_generic("search")(data)
    assert (fig.benchmark, fig.metric, fig.value, fig.rounds) == (
        "search",
        "HNSW p99",
        19.0,
        (18.0, 19.0, 20.0),
    )


def test_table_lists_medians_baselines_ratios_and_misses():
    table = runner.figures_table(
        [
            Figure("ingest", "throughput", 180_000.0, "msgs/s", "raw", 200_000.0, "≥ 0.9×", True),
            Figure("analytics", "p99", 2.5, "s", goal="≤ 2 s", met=False),
        ]
    )
    lines = table.splitlines()
    assert lines[0].startswith("| benchmark |")
    assert (
        "| ingest | throughput | 180,000 msgs/s | raw | 200,000 msgs/s | 0.90× | ≥ 0.9× | yes |"
        in lines
    )
    assert "| analytics | p99 | 2.5 s | – | – | – | ≤ 2 s | **no** |" in lines


def test_readme_section_is_replaced_in_place_and_appended_once():
    machine = {
        "date": "2026-01-01 00:00 UTC",
        "cpu_model": "Test CPU",
        "nproc": 2,
        "cores": 2,
        "memory_gb": 24.0,
        "python": "3.11.9",
        "java": "openjdk version 17",
    }
    first = runner.readme_section([Figure("ingest", "a", 1.0, "u")], machine)
    text = runner.update_readme("# Benchmarks\n\nHow to run.\n", first)
    assert text.startswith("# Benchmarks\n\nHow to run.\n\n" + runner.START_MARK)
    assert "Test CPU (2 CPUs visible, benchmarks pinned to 2), 24.0 GB RAM" in text
    second = runner.readme_section(
        [Figure("ingest", "b", 2.0, "u")], machine, notes=["search: missing"]
    )
    again = runner.update_readme(text + "\nAfter.\n", second)
    assert again.count(runner.START_MARK) == 1 and again.count(runner.END_MARK) == 1
    assert "| ingest | b |" in again and "| ingest | a |" not in again
    assert "- search: missing" in again
    assert again.endswith("\nAfter.\n")


def test_merge_keeps_figures_of_benchmarks_not_run_now():
    old = [Figure("ingest", "old", 1.0, "u"), Figure("search", "kept", 2.0, "ms")]
    new = [Figure("ingest", "new", 3.0, "u")]
    merged = runner.merge_figures(old, new, ["ingest"])
    assert [f.metric for f in merged] == ["kept", "new"]


def test_figures_round_trip_through_the_results_dir(tmp_path):
    figs = [Figure("ingest", "t", 1.5, "u", "raw", 2.0, "g", True, (1.0, 2.0))]
    runner.save_figures(tmp_path, figs)
    assert runner.load_figures(tmp_path) == figs


def test_child_env_sizes_every_thread_pool(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    env = runner.child_env({"TRENDSTREAM_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1"}, cores=2)
    assert env["OMP_NUM_THREADS"] == env["TRENDSTREAM_MODEL__THREADS"] == "2"
    assert env["TRENDSTREAM_STREAM__MASTER"] == "local[2]"
    assert env["TRENDSTREAM_KAFKA__BOOTSTRAP_SERVERS"] == "127.0.0.1:1"
    assert env["PYTHONPATH"].split(":")[:3] == [str(REPO), str(REPO / "include"), "/elsewhere"]


def test_chart_is_written_as_png(tmp_path):
    path = runner.draw_chart(
        "ingest",
        [Figure("ingest", "t", 1.0, "msgs/s", "raw", 2.0, rounds=(1.0, 1.1))],
        tmp_path / "ingest.png",
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert runner.draw_chart("x", [Figure("x", "t", None, "u")], tmp_path / "none.png") is None


def test_quality_summary_scores_detectors_against_hashtag_counting():
    data = {
        "overall": {
            "semantic": {
                "precision": 0.9,
                "recall": 0.8,
                "f1": 0.85,
                "recall_by_kind": {"no_hashtag": 0.7},
            },
            "hashtag": {
                "precision": 0.9,
                "recall": 0.5,
                "f1": 0.6,
                "recall_by_kind": {"no_hashtag": 0.0},
            },
        }
    }
    (fig,) = runner.BENCHMARKS["quality"].summary(data)
    assert fig.benchmark == "quality" and fig.metric.startswith("semantic F1")
    assert fig.ratio == pytest.approx(0.85 / 0.6)
