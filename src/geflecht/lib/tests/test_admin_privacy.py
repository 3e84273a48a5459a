"""The Django admin is one more door: a tenant admin sees their tenant, and of it only
what they may see.

Anna is the tenant admin (staff, not a superuser). Her colleague Jana keeps a private
contact and a private firm; around them are the records every admin page could show:
the contact's legal basis with its source, a job at the firm, a skill, a tie, a shared
meeting the contact attended, the firm's capability, a joint project with it, a booth
and fair targets. Another tenant has its own user and people.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from geflecht.accounts.models import User
from geflecht.events.models import Attendance, Event, EventTarget
from geflecht.lib.admin import TenantScoped
from geflecht.network.actions import create_relationship, record_interaction
from geflecht.partners.models import JointProject
from geflecht.people.models import Organization, Person, Position, Site
from geflecht.privacy.models import PersonPrivacy
from geflecht.skills.models import OrganizationCapability, PersonSkill, Skill

MISSING = 987_654_321
SECRETS = (
    "Geheimnisvoll",
    "Gerlinde",
    "Verborgene Werkstatt",
    "Geheimweiler",
    "Privates Abendessen",
    "Visitenkarte Geheimtreffen",
    "Geheimprojekt",
    "Halle 3, Stand 7",
    # the other tenant
    "olaf",
    "Fremdling",
    "Konkurrenz",
)


@pytest.fixture
def admin_world(tenant, other_tenant, own_company, owner, colleague, outsider):
    owner.role, owner.is_staff = "admin", True
    owner.save()
    jana = colleague
    acme = Organization.objects.create(tenant=tenant, name="ACME Maschinenbau", kind="customer")
    weber = Person.objects.create(tenant=tenant, first_name="Klaus", last_name="Weber")
    Position.objects.create(tenant=tenant, person=weber, organization=acme)
    secret = Person.objects.create(
        tenant=tenant,
        first_name="Gerlinde",
        last_name="Geheimnisvoll",
        visibility="private",
        owner=jana,
    )
    firm = Organization.objects.create(
        tenant=tenant,
        name="Verborgene Werkstatt GmbH",
        kind="partner",
        visibility="private",
        owner=jana,
    )
    site = Site.objects.create(
        tenant=tenant, organization=firm, name="Werk Geheimweiler", city="Geheimweiler"
    )
    job = Position.objects.create(
        tenant=tenant, person=secret, organization=firm, site=site, title="Chefin"
    )
    privacy = PersonPrivacy.objects.create(
        tenant=tenant, person=secret, legal_basis="consent", source="Visitenkarte Geheimtreffen"
    )
    skill = Skill.objects.create(tenant=tenant, key="fraesen", name_de="Fräsen", name_en="Milling")
    person_skill = PersonSkill.objects.create(tenant=tenant, person=secret, skill=skill, level=4)
    capability = OrganizationCapability.objects.create(
        tenant=tenant, organization=firm, skill=skill, level=5
    )
    tie = create_relationship(jana, jana.person, secret, kind="friend", visibility="private")
    now = timezone.now()
    shared = record_interaction(
        tenant=tenant,
        recorded_by=jana,
        kind="meeting",
        occurred_at=now - timedelta(days=2),
        participants=[(jana.person_id, "organiser"), (weber.pk, "attendee"), (secret.pk, "cc")],
        subject="Werksbesuch",
    )
    dinner = record_interaction(
        tenant=tenant,
        recorded_by=jana,
        kind="meeting",
        visibility="private",
        occurred_at=now - timedelta(days=1),
        participants=[(jana.person_id, "organiser"), (secret.pk, "attendee")],
        subject="Privates Abendessen",
    )
    hidden_project = JointProject.objects.create(
        tenant=tenant, partner=firm, title="Geheimprojekt Fräse", start_date=date(2025, 1, 1)
    )
    visible_project = JointProject.objects.create(
        tenant=tenant, partner=acme, title="Sichtbares Projekt", start_date=date(2025, 2, 1)
    )
    visible_project.their_people.set([weber, secret])
    fair = Event.objects.create(
        tenant=tenant,
        name="AMB Stuttgart",
        start_date=date(2027, 5, 4),
        end_date=date(2027, 5, 6),
    )
    visitor = Attendance.objects.create(tenant=tenant, event=fair, person=secret)
    booth = Attendance.objects.create(
        tenant=tenant, event=fair, organization=firm, role="exhibitor", booth="Halle 3, Stand 7"
    )
    person_target = EventTarget.objects.create(tenant=tenant, event=fair, person=secret)
    firm_target = EventTarget.objects.create(tenant=tenant, event=fair, organization=firm)
    stranger = Person.objects.create(tenant=other_tenant, first_name="Otto", last_name="Fremdling")
    Organization.objects.create(tenant=other_tenant, name="Konkurrenz Fremdfirma", kind="own")
    return {
        "admin": owner,
        "weber": weber,
        "shared": shared,
        "visible_project": visible_project,
        "fair": fair,
        "secret": secret,
        "hidden": [
            secret,
            firm,
            site,
            job,
            privacy,
            person_skill,
            capability,
            tie,
            dinner,
            hidden_project,
            visitor,
            booth,
            person_target,
            firm_target,
            stranger,
            outsider,
            other_tenant,
        ],
    }


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _assert_clean(response, where: str) -> None:
    assert response.status_code < 500, (where, response.status_code)
    body = response.content.decode()
    for secret in SECRETS:
        assert secret not in body, f"{where} shows {secret!r}"


def _page(response, asked_id: int) -> str:
    """A page without what differs between two requests (the CSRF token, the id asked)."""
    body = re.sub(r'value="[A-Za-z0-9]{64}"', "", response.content.decode())
    return body.replace(f'value="{asked_id}"', 'value="ID"')


def _project_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model.__module__.startswith("geflecht.")
    ]


def test_every_admin_page_and_inline_of_the_project_is_scoped_by_the_shared_base(admin_world):
    for model, model_admin in _project_admins():
        assert isinstance(model_admin, TenantScoped), model
        for inline in model_admin.inlines:
            assert issubclass(inline, TenantScoped), (model, inline)
    # Pages of other apps (groups, login attempts) stay closed to a tenant admin.
    request = RequestFactory().get("/admin/")
    request.user = admin_world["admin"]
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith("geflecht."):
            assert not model_admin.has_module_permission(request), model


def test_a_tenant_admin_opens_the_admin_without_being_a_superuser(admin_world):
    client = _client(admin_world["admin"])
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "/admin/people/person/" in index.content.decode()
    assert not admin_world["admin"].is_superuser


def test_no_admin_list_or_form_shows_a_tenant_admin_what_they_may_not_see(admin_world):
    client = _client(admin_world["admin"])
    walked = 0
    for model, _model_admin in _project_admins():
        info = model._meta.app_label, model._meta.model_name
        listing = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert listing.status_code == 200, info
        _assert_clean(listing, f"{info} list")
        _assert_clean(client.get(reverse("admin:{}_{}_add".format(*info))), f"{info} add")
        walked += 1
    assert walked >= 20
    for page in (
        reverse("admin:network_interaction_change", args=[admin_world["shared"].pk]),
        reverse("admin:partners_jointproject_change", args=[admin_world["visible_project"].pk]),
        reverse("admin:events_event_change", args=[admin_world["fair"].pk]),
        reverse("admin:people_person_change", args=[admin_world["weber"].pk]),
    ):
        response = client.get(page)
        assert response.status_code == 200, page
        _assert_clean(response, page)


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_a_hidden_records_admin_page_answers_like_a_missing_one(admin_world, view):
    client = _client(admin_world["admin"])
    for obj in admin_world["hidden"]:
        info = obj._meta.app_label, obj._meta.model_name
        name = "admin:{}_{}_{}".format(*info, view)
        seen = client.get(reverse(name, args=[obj.pk]))
        absent = client.get(reverse(name, args=[MISSING]))
        assert absent.status_code in (302, 403), name  # 403: nobody deletes it here
        assert (seen.status_code, seen.get("Location")) == (
            absent.status_code,
            absent.get("Location"),
        )


def test_a_shared_joint_project_keeps_its_hidden_contact_without_showing_it(admin_world):
    project, secret, weber = (
        admin_world["visible_project"],
        admin_world["secret"],
        admin_world["weber"],
    )
    client = _client(admin_world["admin"])
    url = reverse("admin:partners_jointproject_change", args=[project.pk])
    page = client.get(url).content.decode()
    shown = re.search(r'name="their_people" value="([^"]*)"', page)
    assert shown is not None and shown.group(1) == str(weber.pk)
    response = client.post(
        url,
        {
            "tenant": project.tenant_id,
            "partner": project.partner_id,
            "title": "Sichtbares Projekt (neu)",
            "start_date": "2025-02-01",
            "status": "running",
            "our_people": "",
            "their_people": str(weber.pk),
            "notes": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    project.refresh_from_db()
    assert project.title == "Sichtbares Projekt (neu)"
    assert set(project.their_people.values_list("pk", flat=True)) == {weber.pk, secret.pk}


def test_related_fields_neither_offer_nor_accept_a_hidden_record(admin_world):
    client = _client(admin_world["admin"])
    secret, fair = admin_world["secret"], admin_world["fair"]
    found = client.get(
        "/admin/autocomplete/",
        {"app_label": "people", "model_name": "position", "field_name": "person", "term": "Geh"},
    )
    assert found.status_code == 200 and found.json()["results"] == []

    def add_attendance(person_id):
        return client.post(
            reverse("admin:events_attendance_add"),
            {
                "tenant": fair.tenant_id,
                "event": fair.pk,
                "person": person_id,
                "role": "visitor",
                "status": "planned",
                "booth": "",
                "source": "manual",
            },
        )

    before = Attendance.objects.count()
    seen, absent = add_attendance(secret.pk), add_attendance(MISSING)
    assert seen.status_code == absent.status_code == 200
    _assert_clean(seen, "attendance add with a hidden person")
    assert _page(seen, secret.pk) == _page(absent, MISSING)
    assert Attendance.objects.count() == before


def test_a_tenant_admin_sees_only_their_tenants_users_and_cannot_make_anyone_superuser(
    admin_world,
):
    admin_user = admin_world["admin"]
    root = User.objects.create_superuser(
        "wurzel", password="x-Geflecht-2026", tenant=admin_user.tenant
    )
    client = _client(admin_user)
    users = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "jana" in users and "olaf" not in users and "wurzel" not in users
    for url in ("admin:accounts_user_change", "admin:auth_user_password_change"):
        seen = client.get(reverse(url, args=[root.pk]))
        absent = client.get(reverse(url, args=[MISSING]))
        assert (seen.status_code, seen.get("Location")) == (
            absent.status_code,
            absent.get("Location"),
        ), url
    page = client.get(reverse("admin:accounts_user_change", args=[admin_user.pk]))
    assert page.status_code == 200
    form = page.content.decode()
    for field in ("is_superuser", "user_permissions", "groups"):
        assert f'name="{field}"' not in form, field
    tenants = client.get(reverse("admin:accounts_tenant_changelist")).content.decode()
    assert "Brenner" in tenants and "Konkurrenz" not in tenants


def test_interactions_and_ties_of_a_hidden_person_stay_out_of_the_admin(admin_world):
    client = _client(admin_world["admin"])
    shared = client.get(
        reverse("admin:network_interaction_change", args=[admin_world["shared"].pk])
    )
    body = shared.content.decode()
    assert "Werksbesuch" in body and "Weber" in body and "Geheimnisvoll" not in body


def test_deleting_a_record_would_not_take_hidden_ones_with_it_nor_name_them(admin_world):
    fair = admin_world["fair"]  # the secret contact's visit and the private booth hang on it
    client = _client(admin_world["admin"])
    url = reverse("admin:events_event_delete", args=[fair.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    _assert_clean(confirm, "event delete confirmation")
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Event.objects.filter(pk=fair.pk).exists()
    assert Attendance.objects.filter(event=fair).count() == 2
