"""Status from the snapshot sizes and the within-window curve: the later stage wins."""

from __future__ import annotations

from trendstream.trends.status import curve_status, size_status, trend_status


def test_size_status_follows_the_snapshot_history() -> None:
    assert size_status([10]) == "emerging"
    assert size_status([10, 30]) == "emerging"
    assert size_status([10, 30, 31]) == "peaking"
    assert size_status([10, 30, 27]) == "peaking"
    assert size_status([10, 30, 12]) == "fading"
    assert size_status([10, 30, 12, 40]) == "emerging"


def test_a_curve_that_fell_to_zero_at_the_end_is_fading_even_when_the_snapshot_grew() -> None:
    fell_off = [0, 2, 6, 9, 12, 10, 7, 3, 0, 0]
    assert size_status([10, 49]) == "emerging"
    assert curve_status(fell_off) == "fading"
    assert trend_status([10, 49], fell_off) == "fading"


def test_a_curve_still_climbing_keeps_a_growing_trend_emerging() -> None:
    climbing = [0, 0, 1, 2, 3, 5, 6, 8, 11, 14]
    assert curve_status(climbing) == "emerging"
    assert trend_status([10, 50], climbing) == "emerging"


def test_a_curve_off_its_peak_but_not_gone_is_peaking() -> None:
    off_peak = [2, 6, 10, 10, 9, 8, 7, 7, 6, 6]
    assert curve_status(off_peak) == "peaking"
    assert trend_status([5], off_peak) == "peaking"


def test_the_curve_never_revives_a_trend_the_sizes_call_fading() -> None:
    assert trend_status([40, 20], [0, 0, 0, 0, 0, 1, 3, 5, 6, 8]) == "fading"


def test_a_thin_curve_says_nothing_and_the_sizes_decide() -> None:
    assert curve_status([1, 0, 0, 0, 1, 0, 0, 0, 0, 0]) is None
    assert curve_status([]) is None
    assert trend_status([3, 9], [1, 1, 0, 0, 0, 0]) == "emerging"


def test_one_bucket_curves_compare_the_tail_with_itself() -> None:
    assert curve_status([9]) == "emerging"
