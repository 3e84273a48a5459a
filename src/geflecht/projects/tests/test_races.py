"""Writes that race a project's deletion answer 409 or succeed, never a database error
(a 500 through the API) (issue 14, finding 10b)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from geflecht.accounts.actions import create_token
from geflecht.lib.errors import Conflict
from geflecht.projects import actions, queries
from geflecht.projects.models import Project, ProjectMember


def _api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(user, 'tests')[1]}")


def _deleted_meanwhile(project):
    """The other request (deleting the project) commits between our lookup and our write."""
    Project.objects.filter(pk=project.pk).delete()


def test_removing_a_member_while_the_project_is_deleted_succeeds(world, project, monkeypatch):
    member = ProjectMember.objects.get(project=project, person=world["lang"])
    real = queries.visible_member

    def racing(user, pr, pk):
        found = real(user, pr, pk)
        _deleted_meanwhile(pr)
        return found

    monkeypatch.setattr(queries, "visible_member", racing)
    r = _api(world.anna).delete(f"/api/v1/projects/{project.pk}/members/{member.pk}")
    assert r.status_code in (204, 409), r.content
    assert not ProjectMember.objects.filter(pk=member.pk).exists()


def test_deleting_a_project_while_a_member_is_removed_succeeds(world, project, monkeypatch):
    real = queries.visible_project

    def racing(user, pk):
        found = real(user, pk)
        ProjectMember.objects.filter(project_id=pk, person=world["lang"]).delete()
        return found

    monkeypatch.setattr(queries, "visible_project", racing)
    r = _api(world.anna).delete(f"/api/v1/projects/{project.pk}")
    assert r.status_code == 204, r.content
    assert not Project.objects.filter(pk=project.pk).exists()


def test_deleting_a_project_deleted_meanwhile_succeeds(world, project):
    _deleted_meanwhile(project)
    actions.delete_project(world.anna, project)
    assert not Project.objects.filter(pk=project.pk).exists()


def test_adding_a_member_to_a_project_deleted_meanwhile_is_a_conflict(world, project):
    _deleted_meanwhile(project)
    with pytest.raises(Conflict, match="deleted in the meantime"):
        actions.add_member(world.anna, project, world["bernd"], "sales")
    assert not ProjectMember.objects.filter(person=world["bernd"]).exists()


def test_removing_a_member_of_a_project_deleted_meanwhile_succeeds(world, project):
    member = ProjectMember.objects.get(project=project, person=world["lang"])
    _deleted_meanwhile(project)
    actions.remove_member(world.anna, member)
    assert not ProjectMember.objects.filter(pk=member.pk).exists()


def test_editing_a_project_deleted_meanwhile_is_a_conflict(world, project):
    _deleted_meanwhile(project)
    with pytest.raises(Conflict, match="deleted in the meantime"):
        actions.update_project(world.anna, project, expected_version=1, stage="won")


def test_uploading_to_a_project_deleted_meanwhile_is_a_conflict(world, project):
    _deleted_meanwhile(project)
    upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 offer")
    with pytest.raises(Conflict, match="deleted in the meantime"):
        actions.upload_document(world.anna, project, upload, title="Offer")


def test_api_add_member_racing_the_delete_answers_409(world, project, monkeypatch):
    real = queries.visible_project
    calls = []

    def racing(user, pk):
        found = real(user, pk)
        calls.append(pk)
        _deleted_meanwhile(found)
        return found

    monkeypatch.setattr(queries, "visible_project", racing)
    r = _api(world.anna).post(
        f"/api/v1/projects/{project.pk}/members",
        {"person_id": world["bernd"].pk, "role": "sales"},
        content_type="application/json",
    )
    assert r.status_code == 409, r.content
    assert r.json()["code"] == "conflict"


def test_web_upload_racing_the_delete_shows_a_message(world, project, client, monkeypatch):
    real = queries.visible_project

    def racing(user, pk):
        found = real(user, pk)
        _deleted_meanwhile(found)
        return found

    monkeypatch.setattr(queries, "visible_project", racing)
    client.force_login(world.anna)
    upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 offer")
    r = client.post(f"/projects/{project.pk}/documents/", {"file": upload, "title": "Offer"})
    assert r.status_code == 302
