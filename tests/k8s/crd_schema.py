"""Operator CRDs (kept in the shared ``k8s-schemas`` folder) as JSON Schema validators.

A CRD's ``openAPIV3Schema`` is close to JSON Schema but not quite: ``nullable``, the
``x-kubernetes-*`` extensions and the API server's habit of *pruning* unknown fields instead
of rejecting them. The conversion below is deliberately stricter than the API server: an
unknown field is an error, because in our own templates it is always a typo that a cluster
would silently drop.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMAS_ENV = "TRENDSTREAM_K8S_SCHEMAS"
# The Spark operator's CRD is ~800 KB: use libyaml when present.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def find_schemas_dir(repo: Path) -> Path | None:
    """``$TRENDSTREAM_K8S_SCHEMAS``, else ``shared/k8s-schemas`` beside or inside the repo."""
    candidates = [Path(os.environ[SCHEMAS_ENV])] if os.environ.get(SCHEMAS_ENV) else []
    candidates += [repo.parent / "shared" / "k8s-schemas", repo / "shared" / "k8s-schemas"]
    return next((path for path in candidates if path.is_dir()), None)


def to_json_schema(node: Any) -> Any:
    """Convert one openAPIV3Schema node (recursively) to a Draft 7 JSON Schema."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: to_json_schema(value)
        for key, value in node.items()
        if not key.startswith("x-kubernetes-") and key not in {"nullable", "description"}
    }
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if node.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", True)
    elif "properties" in out:
        out.setdefault("additionalProperties", False)
    return out


def crd_validators(schemas_dir: Path) -> dict[tuple[str, str], jsonschema.Draft7Validator]:
    """``(apiVersion, kind)`` → validator, for every served version of every CRD file."""
    validators = {}
    for path in sorted(schemas_dir.glob("*.yaml")):
        for crd in yaml.load_all(path.read_text(), Loader=_LOADER):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                if not version.get("served"):
                    continue
                schema = to_json_schema(version["schema"]["openAPIV3Schema"])
                jsonschema.Draft7Validator.check_schema(schema)
                key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                validators[key] = jsonschema.Draft7Validator(schema)
    return validators
