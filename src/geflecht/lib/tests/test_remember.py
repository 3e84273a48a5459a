"""Whole-network answers: kept per version, refreshed in the background, never lost."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache

from geflecht.lib.remember import PENDING, remembered, wait_for_refreshes


@pytest.fixture
def background(settings):
    settings.GEFLECHT_REFRESH_IN_BACKGROUND = True
    cache.clear()
    yield
    wait_for_refreshes()
    cache.clear()


def test_an_answer_is_kept_for_its_version(background):
    calls = []
    assert remembered("k", 1, lambda: calls.append(1) or "one") == "one"
    assert remembered("k", 1, lambda: calls.append(1) or "other") == "one"
    assert len(calls) == 1


def test_a_moved_version_serves_the_last_answer_while_the_new_one_is_computed(background):
    remembered("k", 1, lambda: "old")
    release = threading.Event()

    def slow():
        release.wait(5)
        return "new"

    assert remembered("k", 2, slow) == "old"  # at once, not after the computation
    release.set()
    wait_for_refreshes()
    assert remembered("k", 2, lambda: "never asked") == "new"


def test_many_requests_start_one_refresh(background):
    remembered("k", 1, lambda: 0)
    started, release = [], threading.Event()

    def slow():
        started.append(1)
        release.wait(5)
        return 2

    for _ in range(20):
        assert remembered("k", 2, slow) == 0
    release.set()
    wait_for_refreshes()
    assert len(started) == 1


def test_without_waiting_the_first_answer_is_pending_then_arrives(background):
    assert remembered("k", 1, lambda: "answer", wait=False) is PENDING
    wait_for_refreshes()
    assert remembered("k", 1, lambda: "never asked", wait=False) == "answer"


def test_a_failed_refresh_keeps_the_last_answer(background):
    remembered("k", 1, lambda: "good")

    def broken():
        raise RuntimeError("database gone")

    assert remembered("k", 2, broken) == "good"
    wait_for_refreshes()
    assert remembered("k", 2, lambda: "recovered") == "good"  # a new refresh was started
    wait_for_refreshes()
    assert remembered("k", 2, lambda: "unused") == "recovered"


def test_with_background_refresh_off_a_moved_version_is_computed_at_once(settings):
    settings.GEFLECHT_REFRESH_IN_BACKGROUND = False
    cache.clear()
    remembered("k", 1, lambda: "old")
    assert remembered("k", 2, lambda: "new") == "new"
    assert remembered("k", 3, lambda: "pending?", wait=False) == "pending?"


# -- the shared cache -------------------------------------------------------------------


@pytest.fixture
def shared(settings, tmp_path):
    """The installation's default cache: files in the data directory, for every process."""
    from geflecht.lib.caches import cache_settings

    settings.CACHES = cache_settings("", tmp_path, prefix="geflecht")
    yield tmp_path / "cache"
    cache.clear()


def test_another_process_answers_from_what_one_computed(shared, tmp_path):
    import os
    import subprocess
    import sys

    assert remembered("louvain:7", 41, lambda: {"labels": [0, 0, 1]}) == {"labels": [0, 0, 1]}
    script = (
        "import django; django.setup()\n"
        "from geflecht.lib.remember import remembered\n"
        "def never(): raise SystemExit('computed again')\n"
        "print(remembered('louvain:7', 41, never))\n"
        # A moved graph version is not answered from the old entry (refresh at once: off).
        "print(remembered('louvain:7', 42, lambda: 'fresh'))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEFLECHT_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="geflecht.settings",
        GEFLECHT_DATA_DIR=str(tmp_path),
        GEFLECHT_REFRESH_IN_BACKGROUND="0",
        PYTHONPATH=os.pathsep.join(sys.path),
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["{'labels': [0, 0, 1]}", "fresh"]
    assert remembered("louvain:7", 42, lambda: "not again") == "fresh"


def test_a_refresh_another_process_runs_is_not_started_again(shared, settings):
    settings.GEFLECHT_REFRESH_IN_BACKGROUND = True
    remembered("overview:3", 1, lambda: "old")
    cache.add("overview:3:refreshing", True, 60)  # another process computes it
    asked = []
    assert remembered("overview:3", 2, lambda: asked.append(1) or "new") == "old"
    wait_for_refreshes()
    assert asked == []
    cache.delete("overview:3:refreshing")  # it ended (or died: the claim expires)
    assert remembered("overview:3", 2, lambda: "new") == "old"
    wait_for_refreshes()
    assert remembered("overview:3", 2, lambda: "unused") == "new"


def test_one_users_private_answer_is_never_anothers(shared, owner, colleague, tenant, monkeypatch):
    from geflecht.importers import duplicates
    from geflecht.people.models import Person

    Person.objects.create(tenant=tenant, first_name="Eva", last_name="Roth")
    Person.objects.create(
        tenant=tenant, first_name="Eva", last_name="Roth", visibility="private", owner=owner
    )
    computed_for = []
    real = duplicates.find_duplicates

    def counted(user, **kwargs):
        computed_for.append(user.username)
        return real(user, **kwargs)

    monkeypatch.setattr(duplicates, "find_duplicates", counted)
    assert len(duplicates.duplicate_pairs(owner, wait=True)) == 1  # her private Eva Roth
    # The colleague's answer is their own, computed for them, not Anna's from the cache.
    assert duplicates.duplicate_pairs(colleague, wait=True) == []
    assert duplicates.duplicate_pairs(owner, wait=True) != []
    assert computed_for == ["anna", "jana"]


def test_the_cache_is_chosen_by_url_and_a_wrong_one_is_refused(tmp_path, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from geflecht.lib import caches

    default = caches.cache_settings("", tmp_path, prefix="g")["default"]
    assert default["BACKEND"].endswith("FileBasedCache")
    assert default["LOCATION"] == str(tmp_path / "cache")
    with pytest.raises(ImproperlyConfigured, match="GEFLECHT_CACHE_URL: unknown cache 'memcached'"):
        caches.cache_settings("memcached://x", tmp_path, prefix="g")
    monkeypatch.setattr(caches.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImproperlyConfigured, match="pip install redis"):
        caches.cache_settings("redis://localhost:6379/0", tmp_path, prefix="g")


def test_an_entry_older_code_wrote_is_computed_anew(shared):
    remembered("k", 1, lambda: "old")
    (entry,) = shared.glob("*.djcache")
    entry.write_bytes(entry.read_bytes()[:20])  # no longer a pickle this code reads
    assert remembered("k", 1, lambda: "new") == "new"
