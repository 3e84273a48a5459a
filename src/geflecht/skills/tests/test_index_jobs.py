"""A large tenant's expert index is rebuilt by a worker; searches answer meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from geflecht.jobs import queue
from geflecht.jobs.models import Job
from geflecht.skills import actions, queries
from geflecht.skills.models import PersonSkill
from geflecht.skills.tasks import check_expert_indexes


@pytest.fixture(autouse=True)
def _large(monkeypatch, tmp_path, net):
    """Every tenant counts as large (rebuilt on the queue), its index stored in tmp."""
    monkeypatch.setattr(queries, "SYNC_REBUILD_ROWS", 0)
    monkeypatch.setattr(queries, "_index_folder", lambda: tmp_path / "skills")
    queue.huey().flush()
    net.has("bernd", "5-achs-fraesen", level=4)
    yield
    queue.huey().flush()
    queries.forget_index()


def in_another_process():
    """What a second web process sees: nothing in memory, only the stored index."""
    queries.forget_index()


def test_a_new_skill_is_found_once_the_worker_rebuilt_the_index(
    net, settings, django_capture_on_commit_callbacks
):
    assert queries.find_experts(net.anna, "Fräsen").total == 1  # built and stored
    settings.GEFLECHT_TASKS_AT_ONCE = False
    actions.declare_skill(net.anna, net["weber"].pk, net.skill("robotik").pk, level=2)
    # The request does not wait: it queues the rebuild and answers from the index it has.
    with django_capture_on_commit_callbacks(execute=True):
        assert queries.find_experts(net.anna, "robotics").total == 0
    job = Job.objects.get(kind="skills-index")
    assert (job.status, job.tenant_id) == ("queued", net.tenant.pk)
    assert queries.find_experts(net.anna, "robotics").total == 0
    assert Job.objects.filter(kind="skills-index").count() == 1  # asked once
    assert queue.drain() == 1  # the worker
    job.refresh_from_db()
    assert job.status == "done" and job.result == {"person_skills": 2, "people": 2}
    assert queries.find_experts(net.anna, "robotics").total == 1
    in_another_process()
    assert queries.find_experts(net.anna, "robotics").total == 1


def test_the_periodic_check_rebuilds_after_an_edit_and_leaves_a_fresh_index_alone(net):
    assert queries.find_experts(net.anna, "Fräsen").total == 1
    check_expert_indexes()
    assert not Job.objects.filter(kind="skills-index").exists()
    # A deleted row leaves no higher id behind: only the full check sees it.
    PersonSkill.objects.filter(person=net["bernd"]).delete()
    PersonSkill.objects.create(
        tenant=net.tenant, person=net["kurz"], skill=net.skill("robotik"), level=1
    )
    PersonSkill.objects.filter(person=net["kurz"]).delete()
    check_expert_indexes()
    job = Job.objects.get(kind="skills-index")
    assert job.status == "done" and job.result["person_skills"] == 0
    in_another_process()
    assert queries.find_experts(net.anna, "Fräsen").total == 0
    names = {t.name for t in queue.huey().read_periodic(datetime.now(UTC).replace(tzinfo=None))}
    assert "geflecht.check_expert_indexes" in names


def test_a_failed_rebuild_says_why_and_searches_keep_the_old_index(net, monkeypatch):
    assert queries.find_experts(net.anna, "Fräsen").total == 1

    def broken(tenant_id, signature):
        raise OSError("no space left on device")

    monkeypatch.setattr(queries, "_build_index", broken)
    actions.declare_skill(net.anna, net["weber"].pk, net.skill("robotik").pk, level=2)
    assert queries.find_experts(net.anna, "Fräsen").total == 1
    job = Job.objects.get(kind="skills-index")
    assert job.status == "failed" and "no space left on device" in job.error


def test_an_unreadable_stored_index_is_built_again(net, tmp_path):
    assert queries.find_experts(net.anna, "Fräsen").total == 1
    (tmp_path / "skills" / f"index-{net.tenant.pk}.pickle").write_bytes(b"not an index")
    in_another_process()
    assert queries.find_experts(net.anna, "Fräsen").total == 1
