"""What must hold for each data set, as Great Expectations 1.x expectations.

Each suite is a function of its thresholds, so tests and DAGs build the same thing.
Design: docs/quality.md#suites
"""

from __future__ import annotations

from dataclasses import dataclass, field

import great_expectations.expectations as gxe
from great_expectations.expectations import Expectation


@dataclass
class SuiteSpec:
    """A named list of expectations; the runner binds it to a GE context when it validates."""

    name: str
    expectations: list[Expectation] = field(default_factory=list)

    def add_expectation(self, expectation: Expectation) -> None:
        self.expectations.append(expectation)


# The analytics hashtag-window table as the stream job writes it (see trendstream.stream.analytics).
_TIMESTAMP = ["Timestamp", "datetime64", "datetime64[ns]", "datetime64[us]", "datetime64[ms]"]
ANALYTICS_COLUMNS = {
    "window_start": _TIMESTAMP,
    "window_end": _TIMESTAMP,
    "hashtag": ["object", "str", "string"],
    "count": ["int32", "int64", "Int32", "Int64"],
}


def analytics_suite(max_age_s: float, max_null_rate: float = 0.0) -> SuiteSpec:
    """Hashtag windows: schema and types, no nulls, non-negative counts, sane windows, fresh."""
    suite = SuiteSpec(name="analytics")
    suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(min_value=1))
    for column, types in ANALYTICS_COLUMNS.items():
        suite.add_expectation(gxe.ExpectColumnToExist(column=column))
        suite.add_expectation(gxe.ExpectColumnValuesToBeInTypeList(column=column, type_list=types))
        suite.add_expectation(
            gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=1.0 - max_null_rate)
        )
    suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column="count", min_value=0))
    suite.add_expectation(
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="window_end", column_B="window_start")
    )
    # The freshest window must be recent: the stream is writing.
    suite.add_expectation(gxe.ExpectColumnMinToBeBetween(column="age_s", max_value=max_age_s))
    return suite


def vectors_suite(
    dimension: int, max_future_s: float = 300.0, tolerance: float = 1e-3
) -> SuiteSpec:
    """Milvus rows: right dimension, unit norm (cosine search assumes it), unique ids, sane
    times."""
    suite = SuiteSpec(name="vectors")
    suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(min_value=1))
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="id"))
    suite.add_expectation(gxe.ExpectColumnValuesToBeUnique(column="id"))
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="dimension", min_value=dimension, max_value=dimension
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="norm", min_value=1 - tolerance, max_value=1 + tolerance
        )
    )
    # created_at is neither in the future nor before Twitter existed (2006).
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(column="age_s", min_value=-max_future_s)
    )
    suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column="created_year", min_value=2006))
    return suite


def stream_suite(max_dead_letter_rate: float, max_lag: int) -> SuiteSpec:
    """Stream health figures (one row): dead-letter rate and consumer lag under thresholds."""
    suite = SuiteSpec(name="stream")
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="dead_letter_rate", min_value=0, max_value=max_dead_letter_rate
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(column="consumer_lag", min_value=0, max_value=max_lag)
    )
    return suite
