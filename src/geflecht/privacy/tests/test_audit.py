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


def test_a_request_writes_its_reads_in_one_insert_before_its_response(
    world, colleague, client, django_assert_num_queries
):
    from geflecht.privacy.actions import collect_audit_reads

    # Within a request the reads wait for its end, then go in one INSERT together (the
    # other query is the check that nothing was written before).
    with django_assert_num_queries(2), collect_audit_reads():
        log_access(colleague, "read", [world.subject.pk], "GET /people/1/")
        log_access(colleague, "read", [world.weber.pk], "GET /people/2/")
        assert not AuditEntry.objects.exists()
    assert AuditEntry.objects.filter(action="read").count() == 2
    # A page view leaves nothing waiting in the process: once the page is out, the
    # entry is in the database, so a process that dies next loses no read.
    client.force_login(colleague)
    assert client.get(f"/people/{world.kuehn.pk}/").status_code == 200
    assert AuditEntry.objects.filter(person_id=world.kuehn.pk, action="read").exists()


def test_reads_outside_a_request_and_changes_are_written_at_once(world, colleague):
    from geflecht.privacy.actions import collect_audit_reads

    log_access(colleague, "read", [world.subject.pk])  # the CLI, a job
    assert AuditEntry.objects.filter(action="read").count() == 1
    with collect_audit_reads():
        log_access(colleague, "change", [world.weber.pk])
        assert AuditEntry.objects.filter(action="change").count() == 1


def test_the_trail_read_in_a_request_includes_that_requests_reads(world, admin):
    from geflecht.privacy.actions import collect_audit_reads

    with collect_audit_reads():
        log_access(admin, "read", [world.subject.pk])
        entries = audit_entries(admin, person_id=world.subject.pk)
        assert [e.action for e in entries] == ["read"]
    assert AuditEntry.objects.count() == 1  # not written twice


def test_a_refused_audit_write_fails_the_page_instead_of_showing_it_untraced(
    world, colleague, client, monkeypatch
):
    from django.db import OperationalError

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    client.force_login(colleague)
    client.raise_request_exception = False
    monkeypatch.setattr(AuditEntry.objects, "bulk_create", locked)
    response = client.get(f"/people/{world.subject.pk}/")
    assert response.status_code == 500
    assert b"Max" not in response.content
