"""The package zip for cluster executors: its content, its digest, and the cache by content."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from trendstream.stream.job_package import content_digest, package_files, package_zip


@pytest.fixture
def root(tmp_path: Path) -> Path:
    pkg = tmp_path / "src" / "trendstream"
    (pkg / "sub" / "__pycache__").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "mod.py").write_text("X = 1\n")
    (pkg / "sub" / "config.yaml").write_text("a: 1\n")
    (pkg / "sub" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    (pkg / "stale.pyc").write_bytes(b"\0")
    return tmp_path / "src"


def digest(root: Path) -> str:
    return content_digest(root, package_files(root))


def test_the_zip_holds_the_package_without_bytecode(root: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(package_zip(tmp_path / "cache", root)) as archive:
        assert sorted(archive.namelist()) == [
            "trendstream/__init__.py",
            "trendstream/sub/config.yaml",
            "trendstream/sub/mod.py",
        ]
        assert archive.read("trendstream/sub/mod.py") == b"X = 1\n"


def test_the_digest_follows_content_and_names_not_timestamps(root: Path) -> None:
    before = digest(root)
    module = root / "trendstream" / "sub" / "mod.py"
    module.touch()
    (root / "trendstream" / "sub" / "__pycache__" / "other.pyc").write_bytes(b"1")
    assert digest(root) == before
    module.write_text("X = 2\n")
    changed = digest(root)
    assert changed != before
    module.rename(module.with_name("renamed.py"))
    assert digest(root) not in (before, changed)


def test_the_zip_is_built_once_per_content(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = package_zip(cache, root)
    built_at = first.stat().st_mtime_ns
    assert package_zip(cache, root) == first and first.stat().st_mtime_ns == built_at
    (root / "trendstream" / "sub" / "mod.py").write_text("X = 3\n")
    second = package_zip(cache, root)
    assert second != first and second.name.startswith("trendstream-")
    assert sorted(p.name for p in cache.iterdir()) == sorted([first.name, second.name])
