"""Fixtures for the Kubernetes checks (helpers live in ``chart_render``)."""

from __future__ import annotations

from collections.abc import Iterator

import helm_python
import pytest

from tests.k8s.chart_render import CHART_DIR, VALUE_SETS, Rendered, load_values, render


@pytest.fixture(scope="session")
def chart() -> Iterator[helm_python.Chart]:
    with helm_python.Chart.load(CHART_DIR) as loaded:
        yield loaded


@pytest.fixture(scope="session")
def renders(chart: helm_python.Chart) -> dict[str, Rendered]:
    out = {}
    for name, path in VALUE_SETS.items():
        values = load_values(path)
        out[name] = Rendered(name, values, render(chart, values))
    return out


@pytest.fixture(params=sorted(VALUE_SETS))
def rendered(request: pytest.FixtureRequest, renders: dict[str, Rendered]) -> Rendered:
    return renders[request.param]
