"""Recomputing all strengths is a job: progress, a result or a reason, never left running."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from geflecht.jobs import queue
from geflecht.jobs.models import Job
from geflecht.jobs.runner import reap_lost_jobs
from geflecht.network import jobs as strength_jobs
from geflecht.network.jobs import start_strength_recomputation, strength_recomputation
from geflecht.network.models import Relationship
from geflecht.network.tasks import recompute_strengths_nightly
from geflecht.network.tests.test_actions import NOW, people, record  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("_empty_queue")


@pytest.fixture
def _empty_queue():
    queue.huey().flush()
    yield
    queue.huey().flush()


@pytest.fixture
def stale(tenant, people):  # noqa: F811 - the fixture imported above
    """Three ties whose strengths were overwritten: a recomputation must restore them."""
    klaus, juergen, petra = people[:3]
    record(tenant, "meeting", [klaus, juergen, petra], days_ago=30)
    record(tenant, "phone", [klaus, juergen], days_ago=3)
    expected = dict(Relationship.objects.values_list("id", "strength"))
    Relationship.objects.update(strength=0.5)
    return expected


def test_a_recomputation_is_a_job_with_progress_and_its_result(tenant, stale, owner):
    job = start_strength_recomputation(tenant.id, owner_id=owner.pk, now=NOW)
    job.refresh_from_db()
    assert (job.kind, job.status, job.error) == ("strengths", "done", "")
    assert (job.done, job.total, job.result) == (2, 2, {"relationships": 3})
    assert job.percent == 100 and "2 of 2 interactions read" in job.message
    assert strength_recomputation(tenant.id) == job
    got = dict(Relationship.objects.values_list("id", "strength"))
    assert got == pytest.approx(stale, rel=1e-9)


def test_a_second_start_while_one_waits_returns_the_waiting_job(
    tenant, other_tenant, stale, settings
):
    settings.GEFLECHT_TASKS_AT_ONCE = False
    first = start_strength_recomputation(tenant.id)
    assert start_strength_recomputation(tenant.id).pk == first.pk
    assert start_strength_recomputation(other_tenant.id).pk != first.pk
    assert Job.objects.filter(tenant=tenant, kind="strengths").count() == 1


def test_a_failed_recomputation_says_why_and_keeps_the_old_strengths(tenant, stale, monkeypatch):
    def broken(*args, **kwargs):
        raise MemoryError("no room for 3 relationships")

    monkeypatch.setattr(strength_jobs, "recompute_all_strengths", broken)
    job = start_strength_recomputation(tenant.id)
    job.refresh_from_db()
    assert job.status == "failed" and "no room for 3 relationships" in job.error
    assert set(Relationship.objects.values_list("strength", flat=True)) == {0.5}


def test_a_recomputation_whose_worker_died_runs_again_and_ends(tenant, stale, settings):
    settings.GEFLECHT_TASKS_AT_ONCE = False
    job = start_strength_recomputation(tenant.id, now=NOW)
    Job.objects.filter(pk=job.pk).update(
        status="running",
        attempts=1,
        worker="gone:1",
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    settings.GEFLECHT_TASKS_AT_ONCE = True
    reap_lost_jobs()
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result) == ("done", 2, {"relationships": 3})


def test_the_nightly_task_recomputes_every_tenant(tenant, other_tenant, stale):
    recompute_strengths_nightly()
    jobs = Job.objects.filter(kind="strengths").order_by("tenant_id")
    assert [(j.tenant_id, j.status, j.owner_id) for j in jobs] == [
        (tenant.id, "done", None),
        (other_tenant.id, "done", None),
    ]
    assert jobs[0].result == {"relationships": 3}

    def due(hour: int, minute: int) -> set[str]:
        at = datetime(2026, 12, 6, hour, minute)  # huey's schedule reads naive UTC
        return {task.name for task in queue.huey().read_periodic(at)}

    assert "geflecht.recompute_strengths" in due(2, 15)
    assert "geflecht.recompute_strengths" not in due(14, 15)


def test_the_command_waits_for_the_job_or_only_queues_it(tenant, stale, settings):
    out = StringIO()
    call_command("strengths", "--tenant", "brenner", stdout=out, verbosity=0)
    assert out.getvalue().startswith("brenner: 3 strengths in")
    assert strength_recomputation(tenant.id).status == "done"

    settings.GEFLECHT_TASKS_AT_ONCE = False
    out = StringIO()
    call_command("strengths", "--background", stdout=out, verbosity=0)
    waiting = strength_recomputation(tenant.id)
    assert waiting.status == "queued"
    assert f"brenner: queued as job #{waiting.pk}" in out.getvalue()
    # Without --background the command runs the waiting job itself (no worker needed).
    out = StringIO()
    call_command("strengths", "--tenant", "brenner", stdout=out, verbosity=0)
    waiting.refresh_from_db()
    assert waiting.status == "done" and out.getvalue().startswith("brenner: 3 strengths")


def test_the_command_says_why_a_recomputation_failed(tenant, stale, monkeypatch):
    monkeypatch.setattr(strength_jobs, "recompute_all_strengths", lambda *a, **k: 1 / 0)
    with pytest.raises(CommandError, match=r"brenner: .*ZeroDivisionError"):
        call_command("strengths", "--tenant", "brenner", stdout=StringIO(), verbosity=0)
    assert strength_recomputation(tenant.id).status == "failed"
