"""The audit log: who read or changed which person's data; visible to admins only."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from geflecht.privacy.actions import log_access
from geflecht.privacy.models import AuditEntry
from geflecht.privacy.queries import audit_entries


def test_a_page_of_people_is_logged_in_one_query(world, colleague, django_assert_num_queries):
    ids = [world.subject.pk, world.weber.pk, world.kuehn.pk, world.subject.pk]
    with django_assert_num_queries(1):
        log_access(colleague, "read", ids, "GET /api/v1/persons")
    rows = AuditEntry.objects.order_by("person_id")
    assert sorted(rows.values_list("person_id", flat=True)) == sorted(set(ids))
    assert {(r.username, r.action, r.detail) for r in rows} == {
        ("jana", "read", "GET /api/v1/persons")
    }


def test_unknown_actions_are_refused(world, colleague):
    with pytest.raises(ValidationError, match="Unknown audit action"):
        log_access(colleague, "peek", [world.subject.pk])
    assert not AuditEntry.objects.exists()


def test_only_admins_read_the_log_and_only_their_tenants(
    world, admin, colleague, outsider, other_tenant
):
    log_access(colleague, "read", [world.subject.pk])
    log_access(outsider, "read", [123])
    assert [e.username for e in audit_entries(admin)] == ["jana"]
    assert list(audit_entries(admin, person_id=world.weber.pk)) == []
    with pytest.raises(PermissionDenied):
        audit_entries(colleague)


def test_the_trail_survives_the_user_account(world, colleague):
    log_access(colleague, "change", [world.subject.pk])
    colleague.delete()
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.username) == (None, "jana")


def test_admin_list_view_is_read_only_and_for_admins(world, admin, colleague, client):
    log_access(colleague, "read", [world.subject.pk], "GET /people/1")
    url = reverse("admin:privacy_auditentry_changelist")
    client.force_login(admin)
    page = client.get(url)
    assert page.status_code == 200
    assert "GET /people/1" in page.content.decode()
    entry = AuditEntry.objects.get()
    assert client.post(reverse("admin:privacy_auditentry_add")).status_code == 403
    detail = client.get(reverse("admin:privacy_auditentry_change", args=[entry.pk]))
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    delete = client.post(reverse("admin:privacy_auditentry_delete", args=[entry.pk]))
    assert delete.status_code == 403
    assert AuditEntry.objects.count() == 1
    # A staff member who is not an admin of the tenant does not see the log.
    colleague.is_staff = True
    colleague.save()
    client.force_login(colleague)
    assert client.get(url).status_code == 403


def test_opening_a_person_page_is_audited(world, colleague, client):
    client.force_login(colleague)
    assert client.get(f"/people/{world.subject.pk}/").status_code == 200
    entry = AuditEntry.objects.get(person_id=world.subject.pk, action="read")
    assert entry.username == "jana" and "/people/" in entry.detail


def test_buffered_reads_reach_the_trail_on_flush(world, colleague, settings, monkeypatch):
    from geflecht.privacy import actions
    from geflecht.privacy.actions import flush_audit_reads

    # The flushing thread would use its own connection, outside the test's transaction.
    monkeypatch.setattr(actions, "_read_buffer", actions._ReadBuffer(autostart=False))
    settings.GEFLECHT_AUDIT_READ_BUFFER_SECONDS = 1
    log_access(colleague, "read", [world.subject.pk, world.weber.pk])
    log_access(colleague, "change", [world.weber.pk])  # changes are never buffered
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["change"]
    assert flush_audit_reads() == 2
    reads = AuditEntry.objects.filter(action="read").values_list("person_id", flat=True)
    assert sorted(reads) == sorted([world.subject.pk, world.weber.pk])


def test_buffered_reads_survive_a_refused_write(world, colleague, settings, monkeypatch):
    from django.db import OperationalError

    from geflecht.privacy import actions
    from geflecht.privacy.actions import flush_audit_reads

    monkeypatch.setattr(actions, "_read_buffer", actions._ReadBuffer(autostart=False))
    settings.GEFLECHT_AUDIT_READ_BUFFER_SECONDS = 1
    log_access(colleague, "read", [world.subject.pk])
    real = AuditEntry.objects.bulk_create

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(AuditEntry.objects, "bulk_create", locked)
    with pytest.raises(OperationalError):
        flush_audit_reads()
    assert not AuditEntry.objects.exists()
    log_access(colleague, "read", [world.weber.pk])  # a later read queues behind it
    monkeypatch.setattr(AuditEntry.objects, "bulk_create", real)
    assert flush_audit_reads() == 2
    assert list(AuditEntry.objects.order_by("id").values_list("person_id", flat=True)) == [
        world.subject.pk,
        world.weber.pk,
    ]
