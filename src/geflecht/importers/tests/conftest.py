"""Fixtures for the importer tests: our own small files and the shared real-world data.

The shared data (real exports from public projects, see its README.md) lives next to
the repository in ``../shared/data``. Without it the tests that need it are skipped,
unless ``GEFLECHT_REQUIRE_SHARED_DATA=1``: then they fail, so CI cannot pass by accident.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parent / "files"


def _repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    raise RuntimeError("pyproject.toml not found above the tests")


SHARED_DATA = _repo_root().parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """Path inside the shared data; skip (or fail, when required) if it is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        reason = f"shared test data not found: {path} (see /work/shared/data/README.md)"
        if os.environ.get("GEFLECHT_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(reason + "; GEFLECHT_REQUIRE_SHARED_DATA=1 requires it")
        pytest.skip(reason)
    return path


@pytest.fixture
def files() -> Path:
    return FILES


@pytest.fixture
def shared():
    return shared_path
