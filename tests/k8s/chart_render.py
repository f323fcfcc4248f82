"""The chart rendered by real Helm (helm-python-sdk: Helm's Go SDK via ctypes), offline, for
the default and the production-like values; shared by the tests in this folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import helm_python
import yaml

from trendstream.core.settings import Settings

REPO = Path(__file__).resolve().parents[2]
CHART_DIR = REPO / "charts" / "trendstream"
RELEASE = "trendstream"
NAMESPACE = "trendstream"
# The Kubernetes API the manifests are validated against (Chart.yaml allows >=1.29).
KUBE_VERSION = "1.33.0"
VALUE_SETS = {
    "default": None,
    "production": CHART_DIR / "values-production.yaml",
}


@dataclass(frozen=True)
class Rendered:
    """One render of the chart: every manifest document, parsed."""

    name: str
    values: dict[str, Any]
    docs: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [doc for doc in self.docs if doc["kind"] == kind]

    def one(self, kind: str) -> dict[str, Any]:
        found = self.of_kind(kind)
        assert len(found) == 1, f"expected one {kind}, rendered {len(found)}"
        return found[0]

    def env(self) -> dict[str, str]:
        """The TRENDSTREAM_* variables a pod gets from the ConfigMap and the Secret."""
        config = self.one("ConfigMap")["data"]
        secrets = self.of_kind("Secret")
        return {**config, **(secrets[0]["stringData"] if secrets else {})}


def load_values(path: Path | None) -> dict[str, Any]:
    return yaml.safe_load(path.read_text()) if path else {}


def render(chart: helm_python.Chart, values: dict[str, Any]) -> list[dict[str, Any]]:
    manifests = chart.render(values=values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    docs = []
    for path, text in sorted(manifests.items()):
        if path.endswith(".yaml"):
            docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return docs


def settings_from_env(env: dict[str, str]) -> Settings:
    """Settings exactly as a pod with only this environment would build them."""
    with mock.patch.dict(os.environ, env, clear=True):
        return Settings()
