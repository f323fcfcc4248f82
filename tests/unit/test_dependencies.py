"""pyproject.toml declares exactly what the code imports: every third-party import resolves to a
declared distribution, and every declared distribution is imported (or named below with the
reason it is used without an import). A package that arrives only through another one's
dependencies breaks the day that one drops it."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

# hooks: plugins/hooks, importable as ``hooks`` where Airflow puts plugins/ on sys.path.
FIRST_PARTY = {"trendstream", "tests", "benchmarks", "hooks"}
# Run by another interpreter: benchmarks/.venv-quix (quixstreams pins an older confluent-kafka).
OWN_VENV = {"benchmarks/quix_app.py"}
# Declared, used, never imported: the reason is the proof.
USED_WITHOUT_IMPORT = {
    "milvus-lite": "the milvus-lite server program platform/milvus.py starts",
    "pytest-timeout": "pytest plugin: [tool.pytest.ini_options] timeout",
    "ruff": "the linter scripts/test.sh runs",
    "py-spy": "the sampling profiler the benchmarks run",
}
# Import names of bench-only packages, which the dev environment does not install.
UNINSTALLED_IMPORT_NAMES = {"umap": "umap-learn"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(requirements: Iterable[str]) -> set[str]:
    return {_norm(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", r)[0]) for r in requirements}


RUNTIME = _names(PROJECT["dependencies"])
DEV = _names(PROJECT["optional-dependencies"]["dev"])
BENCH = _names(PROJECT["optional-dependencies"]["bench"])
# Which declared set each folder may import from.
ROOTS = {
    "include": RUNTIME,
    "dags": RUNTIME,
    "plugins": RUNTIME,
    "spark_jobs": RUNTIME,
    "tests": RUNTIME | DEV,
    "benchmarks": RUNTIME | DEV | BENCH,
}


@cache
def imported_modules(root: Path, repo: Path = REPO) -> dict[str, set[str]]:
    """Absolute third-party module names imported under ``root`` → the files importing them."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(repo).as_posix()
        if rel in OWN_VENV or any(part.startswith(".venv") for part in path.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(), rel)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
                    found.setdefault(module, set()).add(rel)
    return found


@cache
def _top_level_owners() -> dict[str, list[str]]:
    return md.packages_distributions()


@cache
def _files(dist: str) -> tuple[str, ...]:
    return tuple(str(f) for f in md.distribution(dist).files or ())


def providers_of(module: str) -> set[str]:
    """Installed distributions that ship ``module``; for a namespace shared by several (airflow,
    pyspark) the ones that ship its longest importable prefix."""
    dists = _top_level_owners().get(module.partition(".")[0], [])
    if len(set(map(_norm, dists))) <= 1:
        return set(map(_norm, dists))
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        stem = "/".join(parts[:n])
        owners = {
            _norm(d)
            for d in dists
            if any(f == stem + ".py" or f.startswith(stem + "/") for f in _files(d))
        }
        if owners:
            return owners
    return set(map(_norm, dists))


@cache
def declared_closure(declared: frozenset[str]) -> frozenset[str]:
    """Declared names plus what a declared meta-distribution (no modules of its own, such as
    apache-airflow) pins with ``==``: it stands for exactly those."""
    out = set(declared)
    for name in declared:
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        if not any(str(f).endswith(".py") for f in dist.files or ()):
            pinned = [r for r in dist.requires or () if "==" in r and "extra ==" not in r]
            out |= _names(pinned)
    return frozenset(out)


def _provider_names(module: str) -> set[str]:
    owners = providers_of(module)
    top = module.partition(".")[0]
    return owners or {_norm(UNINSTALLED_IMPORT_NAMES.get(top, top))}


def test_every_imported_package_is_declared() -> None:
    undeclared = []
    for root, allowed in ROOTS.items():
        closure = declared_closure(frozenset(allowed))
        for module, files in imported_modules(REPO / root).items():
            owners = _provider_names(module)
            if not owners & closure:
                undeclared.append(f"{module} ({'/'.join(sorted(owners))}) in {sorted(files)[0]}")
    assert not undeclared, "imported but not declared in pyproject.toml:\n" + "\n".join(undeclared)


def test_every_declared_package_is_used() -> None:
    used: dict[str, set[str]] = {}
    for root in ROOTS:
        for module in imported_modules(REPO / root):
            for owner in _provider_names(module):
                used.setdefault(owner, set()).add(root)
    runtime_roots = {"include", "dags", "plugins", "spark_jobs"}
    unused = []
    for declared, roots in (
        (RUNTIME, runtime_roots),
        (DEV, {"tests"}),
        (BENCH, {"benchmarks"}),
    ):
        for name in sorted(declared):
            via_meta = declared_closure(frozenset({name})) - {name}
            users = used.get(name, set()).union(*(used.get(m, set()) for m in via_meta))
            if not users & roots and name not in USED_WITHOUT_IMPORT:
                unused.append(name)
    assert not unused, f"declared in pyproject.toml but never imported: {unused}"


def test_the_check_sees_a_missing_declaration(tmp_path: Path) -> None:
    """The scan itself: a file importing a package nobody declared is caught."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(
        "import json\nimport yaml.loader\nfrom trendstream import x\n"
    )
    assert imported_modules(tmp_path / "pkg", tmp_path) == {"yaml.loader": {"pkg/m.py"}}
    assert _provider_names("yaml.loader") == {"pyyaml"}
    assert not _provider_names("yaml.loader") & declared_closure(frozenset(DEV))
    assert providers_of("airflow.sdk") == {"apache-airflow-task-sdk"}
    assert "apache-airflow-task-sdk" in declared_closure(frozenset({"apache-airflow"}))
