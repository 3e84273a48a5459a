"""Jobs on the queue: claimed once, ended with a message, never left "running"."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from geflecht.accounts.models import User
from geflecht.jobs import queue
from geflecht.jobs.models import Job
from geflecht.jobs.queries import job_of, visible_jobs
from geflecht.jobs.runner import execute_job, handler, reap_lost_jobs, start_job
from geflecht.lib.errors import NotFound

RUNS: list[int] = []
TIDIED: list[int] = []


@handler("test-count")
def _count(job, progress):
    progress(1, 2, "halfway")
    RUNS.append(job.args["n"])
    return {"n": job.args["n"] * 2}


@handler("test-broken", on_failed=lambda job: TIDIED.append(job.pk))
def _broken(job, progress):
    raise OSError("the disk is full")


@pytest.fixture(autouse=True)
def _clean():
    RUNS.clear()
    TIDIED.clear()
    queue.huey().flush()
    yield
    queue.huey().flush()


def test_a_job_runs_once_through_the_queue_after_its_transaction_commits(
    owner, settings, django_capture_on_commit_callbacks
):
    settings.GEFLECHT_TASKS_AT_ONCE = False
    with django_capture_on_commit_callbacks(execute=True):
        job = start_job("test-count", tenant_id=owner.tenant_id, owner_id=owner.pk, args={"n": 21})
        assert queue.huey().pending_count() == 0  # not before the row is committed
    assert queue.huey().pending_count() == 1
    assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED
    assert queue.drain() == 1
    job.refresh_from_db()
    assert (job.status, job.result, job.attempts, RUNS) == ("done", {"n": 42}, 1, [21])
    assert job.finished_at is not None and job.worker.endswith(f":{os.getpid()}")


def test_a_second_message_for_the_same_job_runs_nothing(owner):
    job = start_job("test-count", tenant_id=owner.tenant_id, args={"n": 1})
    execute_job(job.pk)  # as if the queue delivered it twice
    assert RUNS == [1]
    assert Job.objects.get(pk=job.pk).attempts == 1


def test_a_failing_job_says_why_and_is_tidied(owner):
    job = start_job("test-broken", tenant_id=owner.tenant_id)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "the disk is full" in job.error and "OSError" in job.error
    assert [job.pk] == TIDIED


def test_unique_work_is_not_queued_twice_while_it_waits(owner, settings):
    settings.GEFLECHT_TASKS_AT_ONCE = False
    first = start_job("test-count", tenant_id=owner.tenant_id, args={"n": 1}, unique=True)
    again = start_job("test-count", tenant_id=owner.tenant_id, args={"n": 1}, unique=True)
    other = start_job("test-count", tenant_id=owner.tenant_id, args={"n": 2}, unique=True)
    assert again.pk == first.pk and other.pk != first.pk


def _lost(job: Job, *, attempts: int, worker: str = "elsewhere:1", minutes: int = 5) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        attempts=attempts,
        worker=worker,
        heartbeat_at=timezone.now() - timedelta(minutes=minutes),
    )


def test_a_job_whose_worker_stopped_beating_is_run_again(owner, settings):
    settings.GEFLECHT_TASKS_AT_ONCE = False
    job = start_job("test-count", tenant_id=owner.tenant_id, args={"n": 5})
    _lost(job, attempts=1)
    settings.GEFLECHT_TASKS_AT_ONCE = True
    (again,) = reap_lost_jobs()
    assert again.pk == job.pk and "attempt 2 of 2" in again.message
    job.refresh_from_db()
    assert (job.status, job.attempts, RUNS) == ("done", 2, [5])


def test_a_job_lost_on_its_last_attempt_fails_with_a_message(owner):
    job = start_job("test-broken", tenant_id=owner.tenant_id)
    TIDIED.clear()
    _lost(job, attempts=2)
    reap_lost_jobs()
    job.refresh_from_db()
    assert job.status == "failed" and "killed" in job.error
    assert [job.pk] == TIDIED


def test_a_running_job_with_a_fresh_heartbeat_is_left_alone(owner):
    job = start_job("test-count", tenant_id=owner.tenant_id, args={"n": 5})
    _lost(job, attempts=1, minutes=0)
    assert reap_lost_jobs() == []
    assert Job.objects.get(pk=job.pk).status == "running"


def test_a_job_of_a_dead_process_on_this_host_is_lost_at_once(owner):
    import socket
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    job = start_job("test-count", tenant_id=owner.tenant_id, args={"n": 7})
    _lost(job, attempts=1, worker=f"{socket.gethostname()}:{gone.pid}", minutes=0)
    assert [j.pk for j in reap_lost_jobs()] == [job.pk]
    assert Job.objects.get(pk=job.pk).status == "done"


def test_each_user_sees_their_own_jobs_and_an_admin_all_of_the_tenant(owner, colleague, outsider):
    mine = start_job("test-count", tenant_id=owner.tenant_id, owner_id=owner.pk, args={"n": 1})
    scheduled = start_job("test-count", tenant_id=owner.tenant_id, args={"n": 2})
    system = start_job("test-count", tenant_id=None, args={"n": 3})
    assert set(visible_jobs(owner)) == {mine}
    assert set(visible_jobs(colleague)) == set()
    assert set(visible_jobs(outsider)) == set()
    colleague.role = User.Role.ADMIN
    assert set(visible_jobs(colleague)) == {mine, scheduled}
    with pytest.raises(NotFound):
        job_of(outsider, mine.pk)
    root = User.objects.create_superuser("root", password="x-Geflecht-2026")
    assert system in set(visible_jobs(root))
