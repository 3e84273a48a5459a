"""The shared-data guard: skip when the data is absent, fail when it is required."""

from __future__ import annotations

import pytest

from . import conftest


def test_missing_shared_data_skips(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "SHARED_DATA", tmp_path / "nowhere")
    monkeypatch.delenv("GEFLECHT_REQUIRE_SHARED_DATA", raising=False)
    with pytest.raises(pytest.skip.Exception, match="shared test data not found"):
        conftest.shared_path("vcards")


def test_missing_shared_data_fails_when_required(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "SHARED_DATA", tmp_path / "nowhere")
    monkeypatch.setenv("GEFLECHT_REQUIRE_SHARED_DATA", "1")
    with pytest.raises(pytest.fail.Exception, match="GEFLECHT_REQUIRE_SHARED_DATA=1"):
        conftest.shared_path("vcards")


def test_shared_data_is_looked_up_next_to_the_repository():
    root = conftest._repo_root()
    assert (root / "pyproject.toml").is_file()
    assert root.parent / "shared" / "data" == conftest.SHARED_DATA
