"""The trendstream package as one zip for cluster executors (``addPyFile``): built once per content.

Executors on a cluster import the package from this zip (Spark ships it from the driver), not
from the driver's checkout. Design: docs/stream.md#job-package
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

from trendstream.core.paths import package_parent

PACKAGE = "trendstream"
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


def package_files(root: Path) -> list[Path]:
    """The package's files under ``root`` (its parent dir), sorted, without bytecode caches."""
    found = []
    for folder, dirs, files in os.walk(root / PACKAGE):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        found += [Path(folder) / f for f in files if Path(f).suffix not in SKIP_SUFFIXES]
    return sorted(found)


def content_digest(root: Path, files: Iterable[Path]) -> str:
    """sha256 over each file's path (relative to ``root``) and bytes: a changed, added, removed
    or renamed file changes it; timestamps do not."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def package_zip(cache_dir: Path, root: Path | None = None) -> Path:
    """``<cache_dir>/trendstream-<digest>.zip`` of the package, built only when that content
    has no zip yet (written to a temp name, then renamed, so readers never see half a zip)."""
    root = root or package_parent()
    files = package_files(root)
    target = cache_dir / f"{PACKAGE}-{content_digest(root, files)[:16]}.zip"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            # A fixed timestamp: the same content makes the same bytes.
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    partial.replace(target)
    return target
