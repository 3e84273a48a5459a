"""Settings helpers fail loudly on bad values and keep the secret key out of the repo."""

from __future__ import annotations

import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from geflecht.lib.env import env_bool, env_int, env_list, local_secret_key


def test_bad_boolean_is_refused(monkeypatch):
    monkeypatch.setenv("GEFLECHT_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="GEFLECHT_DEBUG"):
        env_bool("GEFLECHT_DEBUG", False)
    monkeypatch.setenv("GEFLECHT_DEBUG", "Yes")
    assert env_bool("GEFLECHT_DEBUG", False) is True


def test_bad_integer_is_refused(monkeypatch):
    monkeypatch.setenv("GEFLECHT_WORKERS", "two")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("GEFLECHT_WORKERS", 2)


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("GEFLECHT_ALLOWED_HOSTS", "crm.example.de, localhost,")
    assert env_list("GEFLECHT_ALLOWED_HOSTS", []) == ["crm.example.de", "localhost"]


def test_secret_key_is_generated_once_with_owner_only_permissions(tmp_path):
    path = tmp_path / "secret_key"
    key = local_secret_key(path)
    assert len(key) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local_secret_key(path) == key


def test_truncated_secret_key_is_refused(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text("short")
    with pytest.raises(ImproperlyConfigured, match="shorter"):
        local_secret_key(path)
