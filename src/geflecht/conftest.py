"""Shared test fixtures: a tenant with a few personas, and the location of shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geflecht.accounts.models import Tenant, User
from geflecht.people.models import Organization, Person


def pytest_configure(config) -> None:
    """Tests hash passwords with a fast hasher: Argon2 costs a tenth of a second or more
    per password, and the suite sets thousands (accounts/tests/test_security checks that
    the installation itself hashes with Argon2)."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test process keeps remembered answers in its own memory: the installation's
    # shared file cache would carry one test's answers into another's (ids repeat).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Background jobs pass through the real queue, run by whoever queued them; each test
    # process has a queue of its own (the suite runs in several).
    settings.GEFLECHT_TASKS_AT_ONCE = True
    settings.GEFLECHT_QUEUE_NAME = "test-" + os.environ.get("PYTEST_XDIST_WORKER", "main")
    from geflecht.jobs import queue

    queue.reset()


def shared_data_dir() -> Path:
    """../shared/data next to the repository, or a skip (a failure in CI) when absent."""
    root = Path(__file__).resolve()
    while not (root / "pyproject.toml").exists():
        root = root.parent
    path = root.parent / "shared" / "data"
    if not path.is_dir():
        reason = f"the shared data sets are not at {path}"
        if os.environ.get("GEFLECHT_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(reason + " (GEFLECHT_REQUIRE_SHARED_DATA=1)")
        pytest.skip(reason)
    return path


def create_tenant() -> Tenant:
    return Tenant.objects.create(name="Brenner Messtechnik", slug="brenner")


def create_other_tenant() -> Tenant:
    return Tenant.objects.create(name="Konkurrenz AG", slug="konkurrenz")


def create_own_company(tenant: Tenant) -> Organization:
    return Organization.objects.create(tenant=tenant, name="Brenner Messtechnik GmbH", kind="own")


def create_owner(tenant: Tenant) -> User:
    """Anna, a sales engineer who keeps a private address book."""
    person = Person.objects.create(tenant=tenant, first_name="Anna", last_name="Schmidt")
    return User.objects.create_user(
        username="anna", password="x-Geflecht-2026", tenant=tenant, person=person
    )


def create_colleague(tenant: Tenant) -> User:
    """Jana, Anna's colleague in the same tenant."""
    person = Person.objects.create(tenant=tenant, first_name="Jana", last_name="Becker")
    return User.objects.create_user(
        username="jana", password="x-Geflecht-2026", tenant=tenant, person=person
    )


def create_outsider(other_tenant: Tenant) -> User:
    """Olaf, a user of another tenant on the same installation."""
    return User.objects.create_user(
        username="olaf", password="x-Geflecht-2026", tenant=other_tenant
    )


# The personas as fixtures; the create_* functions build them for module-scoped worlds.
@pytest.fixture
def tenant(db) -> Tenant:
    return create_tenant()


@pytest.fixture
def other_tenant(db) -> Tenant:
    return create_other_tenant()


@pytest.fixture
def own_company(tenant) -> Organization:
    return create_own_company(tenant)


@pytest.fixture
def owner(tenant) -> User:
    return create_owner(tenant)


@pytest.fixture
def colleague(tenant) -> User:
    return create_colleague(tenant)


@pytest.fixture
def outsider(other_tenant) -> User:
    return create_outsider(other_tenant)


@pytest.fixture(autouse=True)
def _audit_reads_at_once(settings):
    """Tests see whole-network answers for the current data and finished imports (no
    background work)."""
    settings.GEFLECHT_REFRESH_IN_BACKGROUND = False


@pytest.fixture(autouse=True)
def _documents_in_tmp(settings, tmp_path):
    """Uploaded project documents go to the test's own folder, not the data directory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }


@pytest.fixture(autouse=True)
def _snapshot_files_in_tmp(settings, tmp_path):
    """Graph snapshot files go to the test's own folder: a file written by one test is
    never found by another (ids and versions repeat across tests)."""
    settings.GEFLECHT_SNAPSHOT_DIR = tmp_path / "snapshots"


@pytest.fixture(autouse=True)
def _fresh_graph_cache():
    """Graph snapshots are per-process caches; each test starts without any."""
    from geflecht.accounts.actions import _forget_token
    from geflecht.network import snapshot

    snapshot.forget()
    _forget_token()
    yield
    snapshot.wait_for_rebuilds()
    snapshot.forget()
