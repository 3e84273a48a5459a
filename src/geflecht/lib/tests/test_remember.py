"""Whole-network answers: kept per version, refreshed by a job on the queue, never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from geflecht.jobs import queue
from geflecht.jobs.models import Job
from geflecht.jobs.runner import reap_lost_jobs
from geflecht.lib.remember import PENDING, key_of, rememberable, remembered

#: What the computations below answer and how often they ran (they are module-level
#: functions, as a queue can carry only their names).
answers: dict[str, object] = {}
calls: list[dict] = []


@rememberable
def answer(tenant_id: int) -> object:
    calls.append({"tenant_id": tenant_id})
    value = answers["next"]
    if isinstance(value, Exception):
        raise value
    return value


def ask(version, *, wait: bool = True):
    return remembered(answer, {"tenant_id": 7}, version, wait=wait)


def refreshes() -> list[Job]:
    return list(Job.objects.filter(kind="remember.refresh").order_by("pk"))


@pytest.fixture
def background(settings, db, tenant):
    """Refreshes in the background; the computations' tenant is a real one (jobs are
    the tenant's)."""
    settings.GEFLECHT_REFRESH_IN_BACKGROUND = True
    cache.clear()
    answers.clear()
    calls.clear()
    yield tenant.pk
    cache.clear()


def test_an_answer_is_kept_for_its_version(background):
    t = background
    answers["next"] = "one"
    assert remembered(answer, {"tenant_id": t}, 1) == "one"
    answers["next"] = "other"
    assert remembered(answer, {"tenant_id": t}, 1) == "one"
    assert len(calls) == 1
    assert refreshes() == []


def test_a_moved_version_serves_the_last_answer_and_queues_one_refresh_job(
    background, settings, django_capture_on_commit_callbacks
):
    t = background
    answers["next"] = "old"
    remembered(answer, {"tenant_id": t}, 1)
    answers["next"] = "new"
    settings.GEFLECHT_TASKS_AT_ONCE = False
    with django_capture_on_commit_callbacks(execute=True):
        # However many requests ask, the last answer comes at once and one job is queued.
        for _ in range(20):
            assert remembered(answer, {"tenant_id": t}, 2) == "old"
    (job,) = refreshes()
    assert job.status == Job.Status.QUEUED
    assert job.label == key_of(f"{__name__}.answer", {"tenant_id": t})
    assert job.tenant_id == t and job.owner_id is None
    assert job.args["params"] == {"tenant_id": t}
    assert len(calls) == 1  # only the first answer so far
    queue.drain()  # a worker takes it
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error
    assert len(calls) == 2
    answers["next"] = "never asked"
    assert remembered(answer, {"tenant_id": t}, 2) == "new"
    assert len(refreshes()) == 1


def test_a_version_with_a_date_finds_its_answer_again(background):
    t = background
    version = (3, timezone.localdate())
    answers["next"] = "today"
    assert remembered(answer, {"tenant_id": t}, version) == "today"
    answers["next"] = "again"
    assert remembered(answer, {"tenant_id": t}, version) == "today"
    assert refreshes() == []


def test_without_waiting_the_first_answer_is_pending_then_arrives(background):
    t = background
    answers["next"] = "answer"
    # The job runs at once here (GEFLECHT_TASKS_AT_ONCE), through the real queue.
    assert remembered(answer, {"tenant_id": t}, 1, wait=False) is PENDING
    (job,) = refreshes()
    assert job.status == Job.Status.DONE
    answers["next"] = "never asked"
    assert remembered(answer, {"tenant_id": t}, 1, wait=False) == "answer"


def test_a_failed_refresh_fails_its_job_keeps_the_last_answer_and_is_tried_again(background):
    t = background
    answers["next"] = "good"
    remembered(answer, {"tenant_id": t}, 1)
    answers["next"] = RuntimeError("database gone")
    assert remembered(answer, {"tenant_id": t}, 2) == "good"
    (failed,) = refreshes()
    assert failed.status == Job.Status.FAILED
    assert "database gone" in failed.error
    answers["next"] = "recovered"
    assert remembered(answer, {"tenant_id": t}, 2) == "good"  # a new refresh ran
    failed_again, done = refreshes()
    assert (failed_again.pk, done.status) == (failed.pk, Job.Status.DONE)
    assert remembered(answer, {"tenant_id": t}, 2) == "recovered"


def test_a_key_keeps_only_its_latest_ended_refresh_job(background):
    t = background
    for version in range(1, 6):
        answers["next"] = version
        remembered(answer, {"tenant_id": t}, version, wait=False)
    assert remembered(answer, {"tenant_id": t}, 5) == 5
    # The jobs of versions 4 (ended before the 5th started) and 5 remain, not one per move.
    assert [j.status for j in refreshes()] == [Job.Status.DONE, Job.Status.DONE]
    assert refreshes()[-1].args["version"] == 5


def test_a_refresh_whose_worker_died_is_reaped_and_the_next_request_starts_one(
    background, settings, django_capture_on_commit_callbacks
):
    t = background
    answers["next"] = "old"
    remembered(answer, {"tenant_id": t}, 1)
    settings.GEFLECHT_TASKS_AT_ONCE = False
    with django_capture_on_commit_callbacks(execute=True):
        remembered(answer, {"tenant_id": t}, 2)
    (job,) = refreshes()
    # A worker took it and was killed: the job stays running, its heartbeat stops.
    long_ago = timezone.now() - timedelta(minutes=5)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, attempts=job.max_attempts, heartbeat_at=long_ago
    )
    answers["next"] = "new"
    assert remembered(answer, {"tenant_id": t}, 2) == "old"  # under way: not a second job
    assert len(refreshes()) == 1
    reap_lost_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error
    settings.GEFLECHT_TASKS_AT_ONCE = True
    assert remembered(answer, {"tenant_id": t}, 2) == "old"
    assert [j.status for j in refreshes()] == [Job.Status.FAILED, Job.Status.DONE]
    assert remembered(answer, {"tenant_id": t}, 2) == "new"


def test_with_background_refresh_off_a_moved_version_is_computed_at_once(settings, db):
    settings.GEFLECHT_REFRESH_IN_BACKGROUND = False
    cache.clear()
    answers["next"] = "old"
    ask(1)
    answers["next"] = "new"
    assert ask(2) == "new"
    answers["next"] = "pending?"
    assert ask(3, wait=False) == "pending?"
    assert refreshes() == []


def test_only_a_registered_module_level_function_is_remembered():
    with pytest.raises(TypeError, match="rememberable"):
        remembered(lambda tenant_id: 1, {"tenant_id": 1}, 1)
    with pytest.raises(TypeError, match="module-level"):
        rememberable(lambda: 1)
    with pytest.raises(TypeError, match="not plain data"):
        remembered(answer, {"tenant_id": object()}, 1)


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

    answers["next"] = {"labels": [0, 0, 1]}
    assert ask(41) == {"labels": [0, 0, 1]}
    script = (
        "import django; django.setup()\n"
        "from geflecht.lib.remember import remembered\n"
        f"from {__name__} import answer, answers\n"
        "answers['next'] = SystemExit('computed again')\n"
        "print(remembered(answer, {'tenant_id': 7}, 41))\n"
        # A moved graph version is not answered from the old entry (refresh at once: off).
        "answers['next'] = 'fresh'\n"
        "print(remembered(answer, {'tenant_id': 7}, 42))\n"
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
    answers["next"] = "not again"
    assert ask(42) == "fresh"


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


def test_each_users_refresh_job_computes_as_that_user(
    shared, settings, owner, colleague, tenant, monkeypatch
):
    from geflecht.importers import duplicates
    from geflecht.people.models import Person

    Person.objects.create(tenant=tenant, first_name="Eva", last_name="Roth")
    Person.objects.create(
        tenant=tenant, first_name="Eva", last_name="Roth", visibility="private", owner=owner
    )
    settings.GEFLECHT_REFRESH_IN_BACKGROUND = True
    computed_for = []
    real = duplicates.find_duplicates

    def counted(user, **kwargs):
        computed_for.append(user.username)
        return real(user, **kwargs)

    monkeypatch.setattr(duplicates, "find_duplicates", counted)
    # The first answers are computed by jobs (run at once here), each as its user.
    assert duplicates.duplicate_pairs(owner) is PENDING
    assert duplicates.duplicate_pairs(colleague) is PENDING
    jobs = refreshes()
    assert [(j.owner_id, j.args["params"]["user_id"]) for j in jobs] == [
        (owner.pk, owner.pk),
        (colleague.pk, colleague.pk),
    ]
    assert {j.tenant_id for j in jobs} == {tenant.pk}
    assert computed_for == ["anna", "jana"]
    assert len(duplicates.duplicate_pairs(owner)) == 1  # her private Eva Roth
    assert duplicates.duplicate_pairs(colleague) == []


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
    answers["next"] = "old"
    ask(1)
    (entry,) = shared.glob("*.djcache")
    entry.write_bytes(entry.read_bytes()[:20])  # no longer a pickle this code reads
    answers["next"] = "new"
    assert ask(1) == "new"


def test_no_refresh_is_queued_for_a_user_who_is_gone(db):
    from geflecht.jobs.refresh import start_refresh
    from geflecht.lib.remember import Refresh

    name = f"{__name__}.answer"
    params = {"user_id": 987654}
    assert start_refresh(Refresh(name, params, key_of(name, params), 1, 60)) is None
    assert refreshes() == []
