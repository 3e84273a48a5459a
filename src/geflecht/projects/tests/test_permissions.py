"""Who may change and delete a project (issue 14, finding 6).

Anyone who may see a project reads it; its owner, the colleagues on our team of the
project and the tenant's admins edit it and its members and documents; only its owner
and the tenant's admins delete it. Someone who sees the project but may not change it
gets a 403 with a message that says why.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from geflecht.accounts.actions import create_token
from geflecht.accounts.models import User
from geflecht.projects import actions, queries
from geflecht.projects.models import Project, ProjectMember


@pytest.fixture
def max_(world):
    """Max, a colleague (member) who sees the company project but is not on its team."""
    return User.objects.create_user("max", tenant=world.tenant, role="member")


@pytest.fixture
def boss(world):
    """Beate, a tenant admin, not on the project's team either."""
    return User.objects.create_user("beate", tenant=world.tenant, role="admin")


def _api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(user, 'tests')[1]}")


def _upload():
    return SimpleUploadedFile("offer.pdf", b"%PDF-1.4 offer")


def test_colleague_outside_the_team_reads_but_cannot_edit_the_project(world, project, max_):
    assert queries.visible_project(max_, project.pk) == project
    with pytest.raises(PermissionDenied, match="owner, our team on it or an admin"):
        actions.update_project(max_, project, expected_version=1, stage="won")
    with pytest.raises(PermissionDenied):
        actions.add_member(max_, project, world["bernd"], "sales")
    member = ProjectMember.objects.get(project=project, person=world["weber"])
    with pytest.raises(PermissionDenied):
        actions.remove_member(max_, member)
    with pytest.raises(PermissionDenied):
        actions.upload_document(max_, project, _upload(), title="Offer")
    with pytest.raises(PermissionDenied):
        actions.set_skills_needed(max_, project, [])
    project.refresh_from_db()
    assert project.stage == "proposal" and project.version == 1
    assert ProjectMember.objects.filter(pk=member.pk).exists()


def test_colleague_outside_the_team_cannot_delete_the_project(world, project, max_):
    with pytest.raises(PermissionDenied, match="Only the project's owner or an admin"):
        actions.delete_project(max_, project)
    assert Project.objects.filter(pk=project.pk).exists()


def test_our_team_on_the_project_edits_but_does_not_delete_it(world, project):
    # Jana is on our team (sales), Anna owns the project.
    actions.update_project(world.jana, project, expected_version=1, stage="negotiation")
    actions.add_member(world.jana, project, world["bernd"], "application_engineer")
    actions.upload_document(world.jana, project, _upload(), title="Offer")
    with pytest.raises(PermissionDenied, match="Only the project's owner or an admin"):
        actions.delete_project(world.jana, project)
    assert Project.objects.filter(pk=project.pk).exists()


def test_a_buying_centre_member_with_a_login_is_not_our_team(world, project):
    """Being on *their* side of a project gives no right to change it."""
    weber = User.objects.create_user("weber", tenant=world.tenant, person=world["weber"])
    with pytest.raises(PermissionDenied):
        actions.update_project(weber, project, expected_version=1, stage="won")


def test_tenant_admin_edits_and_deletes_any_project_they_see(world, project, boss):
    actions.update_project(boss, project, expected_version=1, stage="won")
    actions.delete_project(boss, project)
    assert not Project.objects.filter(pk=project.pk).exists()


def test_owner_deletes_their_project(world, project):
    actions.delete_project(world.anna, project)
    assert not Project.objects.filter(pk=project.pk).exists()


def test_api_delete_by_a_colleague_outside_the_team_is_403_with_a_message(world, project, max_):
    r = _api(max_).delete(f"/api/v1/projects/{project.pk}")
    assert r.status_code == 403, r.content
    assert r.json()["code"] == "forbidden"
    assert "Only the project's owner or an admin" in r.json()["message"]
    assert Project.objects.filter(pk=project.pk).exists()


def test_api_team_member_may_not_delete_but_may_remove_a_member(world, project):
    jana = _api(world.jana)
    assert jana.delete(f"/api/v1/projects/{project.pk}").status_code == 403
    member = ProjectMember.objects.get(project=project, person=world["lang"])
    r = jana.delete(f"/api/v1/projects/{project.pk}/members/{member.pk}")
    assert r.status_code == 204, r.content


def test_api_member_edits_by_a_colleague_outside_the_team_are_403(world, project, max_):
    api = _api(max_)
    member = ProjectMember.objects.get(project=project, person=world["lang"])
    assert api.delete(f"/api/v1/projects/{project.pk}/members/{member.pk}").status_code == 403
    r = api.post(
        f"/api/v1/projects/{project.pk}/members",
        {"person_id": world["bernd"].pk, "role": "sales"},
        content_type="application/json",
    )
    assert r.status_code == 403
    r = api.patch(
        f"/api/v1/projects/{project.pk}",
        {"version": 1, "stage": "won"},
        content_type="application/json",
    )
    assert r.status_code == 403
    # Reading stays open to everyone who sees the project.
    assert api.get(f"/api/v1/projects/{project.pk}/members").status_code == 200


def test_a_private_project_stays_404_for_a_colleague_not_403(world, max_):
    private = actions.create_project(world.anna, world.acme, name="Geheim", visibility="private")
    r = _api(max_).delete(f"/api/v1/projects/{private.pk}")
    assert r.status_code == 404


# ----------------------------------------------------------------- the project page
@pytest.fixture
def page_world(world, project, max_, boss):
    """The project with a document, and one user per way of standing to it."""
    version = actions.upload_document(world.anna, project, _upload(), title="Offer")
    reader = User.objects.create_user("rita", tenant=world.tenant, role="read_only")
    return {
        "owner": world.anna,
        "our_team": world.jana,
        "other_member": max_,
        "read_only": reader,
        "admin": boss,
        "document": version.document,
    }


def _controls(project, document) -> dict[str, str]:
    """The form actions of the page's controls that change the project."""
    member = ProjectMember.objects.filter(project=project).order_by("pk").first()
    assert member is not None
    return {
        "edit": reverse("project_edit", args=[project.pk]),
        "add_member": reverse("project_member_add", args=[project.pk]),
        "remove_member": reverse("project_member_remove", args=[project.pk, member.pk]),
        "skills": reverse("project_skills", args=[project.pk]),
        "upload": reverse("document_upload", args=[project.pk]),
        "send": reverse("document_send", args=[document.pk]),
    }


@pytest.mark.parametrize(
    ("who", "changes"),
    [
        ("owner", True),
        ("our_team", True),
        ("admin", True),
        ("other_member", False),
        ("read_only", False),
    ],
)
def test_the_project_page_shows_its_controls_only_to_who_may_use_them(
    world, project, page_world, who, changes
):
    client = Client()
    client.force_login(page_world[who])
    response = client.get(reverse("project", args=[project.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    shown = {name for name, url in _controls(project, page_world["document"]).items()
             if f'action="{url}"' in html}  # fmt: skip
    assert shown == (set(_controls(project, page_world["document"])) if changes else set())
    # Everyone who sees the project reads it, its documents included.
    assert reverse("document_download", args=[page_world["document"].pk, 1]) in html
    assert "Offer" in html and "Klaus Weber" in html


@pytest.mark.parametrize("who", ["other_member", "read_only"])
def test_posting_a_hidden_control_answers_403(world, project, page_world, who):
    client = Client()
    client.force_login(page_world[who])
    controls = _controls(project, page_world["document"])
    posts = {
        "edit": {"version": project.version, "stage": "won"},
        "add_member": {"person": world["bernd"].pk, "role": "sales"},
        "remove_member": {},
        "skills": {"skills": []},
        "upload": {"file": _upload(), "title": "Another offer"},
        "send": {"version": 1, "recipients": [world["weber"].pk]},
    }
    why = "read-only" if who == "read_only" else "our team on it or an admin may change"
    for name, url in controls.items():
        response = client.post(url, posts[name])
        assert response.status_code == 403, (name, response.status_code)
        assert why in response.content.decode(), name
    # Refused whatever the form holds (an empty one included), not sent back to fix it.
    assert client.post(controls["upload"], {}).status_code == 403
    assert client.post(controls["add_member"], {}).status_code == 403
    project.refresh_from_db()
    assert project.stage == "proposal" and project.version == 1
    assert project.members.count() == 5
    assert project.documents.count() == 1


def test_the_projects_list_offers_a_new_project_only_to_who_may_write(world, project, page_world):
    for who, offered in [("other_member", True), ("read_only", False)]:
        client = Client()
        client.force_login(page_world[who])
        html = client.get(reverse("projects")).content.decode()
        assert ('id="new-h"' in html) is offered, who
        assert project.name in html
    data = {"name": "X", "organization": world.acme.pk, "stage": "lead"}
    response = client.post(reverse("projects"), data)
    assert response.status_code == 403
    assert not Project.objects.filter(name="X").exists()
