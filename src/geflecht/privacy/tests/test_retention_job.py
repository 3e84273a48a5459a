"""Retention runs daily as a job: the installation's superusers see its result or reason."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from geflecht.accounts.models import User
from geflecht.jobs import queue
from geflecht.jobs.models import Job
from geflecht.jobs.queries import visible_jobs
from geflecht.jobs.runner import reap_lost_jobs
from geflecht.network.models import Interaction
from geflecht.privacy.jobs import start_retention
from geflecht.privacy.tasks import retention_daily

from .conftest import NOW


@pytest.fixture(autouse=True)
def _empty_queue():
    queue.huey().flush()
    yield
    queue.huey().flush()


def test_the_daily_task_deletes_old_interactions_as_a_job_superusers_see(world, settings, admin):
    settings.GEFLECHT_RETENTION_DAYS = (timezone.now() - NOW).days + 45
    retention_daily()
    job = Job.objects.get(kind="retention")
    assert (job.status, job.tenant_id, job.error) == ("done", None, "")
    assert job.result["interactions"] == 2 and job.result["tenants"] == 1
    assert job.result["strengths_recomputed"] >= 4
    assert (job.done, job.total) == (1, 1)
    assert Interaction.objects.count() == 3
    root = User.objects.create_superuser("root", password="x-Geflecht-2026")
    assert job in visible_jobs(root)
    assert job not in visible_jobs(admin)  # installation-wide work, not the tenant's

    def due(hour: int, minute: int) -> set[str]:
        return {t.name for t in queue.huey().read_periodic(datetime(2026, 12, 6, hour, minute))}

    assert "geflecht.retention" in due(3, 15) and "geflecht.retention" not in due(15, 15)


def test_without_a_period_no_job_is_started(world, settings):
    settings.GEFLECHT_RETENTION_DAYS = 0
    retention_daily()
    assert not Job.objects.filter(kind="retention").exists()
    assert Interaction.objects.count() == 5


def test_a_bad_period_fails_the_job_with_the_variable_named(world, settings):
    settings.GEFLECHT_RETENTION_DAYS = -3
    job = start_retention()
    job.refresh_from_db()
    assert job.status == "failed" and "GEFLECHT_RETENTION_DAYS" in job.error
    assert Interaction.objects.count() == 5


def test_a_retention_run_whose_worker_died_runs_again_and_catches_strengths_up(
    world, settings, tenant
):
    settings.GEFLECHT_RETENTION_DAYS = 45
    settings.GEFLECHT_TASKS_AT_ONCE = False
    job = start_retention(now=NOW)
    Job.objects.filter(pk=job.pk).update(
        status="running",
        attempts=1,
        worker="gone:1",
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    settings.GEFLECHT_TASKS_AT_ONCE = True
    reap_lost_jobs()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result["interactions"]) == ("done", 2, 2)
    catch_up = Job.objects.get(kind="strengths", tenant=tenant)
    assert catch_up.status == "done"


def test_a_second_start_while_one_waits_returns_it(world, settings):
    settings.GEFLECHT_RETENTION_DAYS = 45
    settings.GEFLECHT_TASKS_AT_ONCE = False
    assert start_retention().pk == start_retention().pk
