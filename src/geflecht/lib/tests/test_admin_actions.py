"""The admin writes through the domain actions, as the acting user.

Anna is the tenant admin (staff, role admin, not a superuser); Jana a member and Rolf a
read-only user, both staff with Django model permissions (what other staff need to open
the admin). Each test says what saving or deleting in the admin does that the page's
own plain save did not: the version and the audit trail, the graph, who may, stale
edits, leaving users.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import MultiWidget
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from geflecht.accounts.actions import create_token
from geflecht.accounts.models import User
from geflecht.network import snapshot
from geflecht.network.actions import create_relationship
from geflecht.network.models import Relationship
from geflecht.people.actions import update_person
from geflecht.people.models import ContactEmail, Organization, Person, PrivateNote
from geflecht.privacy.models import AuditEntry
from geflecht.projects.actions import create_project
from geflecht.projects.models import Project


@pytest.fixture
def anna(owner):
    owner.role, owner.is_staff = "admin", True
    owner.save()
    return owner


def _staff(user, role: str, *codenames: str) -> User:
    user.role, user.is_staff = role, True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=user.pk)  # without cached permissions


@pytest.fixture
def weber(tenant):
    return Person.objects.create(tenant=tenant, first_name="Klaus", last_name="Weber")


@pytest.fixture
def acme(tenant):
    return Organization.objects.create(tenant=tenant, name="ACME Maschinenbau", kind="customer")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form_data(page) -> dict:
    """What the browser would post back unchanged: the page's form and its inlines."""
    assert page.status_code == 200, page.status_code
    forms = [page.context["adminform"].form]
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(n): management[n].value() for n in management.fields})
        forms += formset.forms
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None or field.disabled:
                continue
            key = form.add_prefix(name)
            if isinstance(field.widget, MultiWidget):  # date and time of a moment
                for n, part in enumerate(field.widget.decompress(value) or ()):
                    data[f"{key}_{n}"] = part
            else:
                data[key] = value
    return data


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _errors(response) -> str:
    form = response.context["adminform"].form
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def test_saving_a_person_raises_its_version_and_is_audited_as_the_apis_patch(tenant, anna, weber):
    kurz = Person.objects.create(tenant=tenant, first_name="Eva", last_name="Kurz")
    _token, secret = create_token(anna, "tests")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    patched = api.patch(
        f"/api/v1/persons/{kurz.pk}", {"version": 1, "notes": "per API"}, "application/json"
    )
    assert patched.status_code == 200
    client = _client(anna)
    url = reverse("admin:people_person_change", args=[weber.pk])
    data = _form_data(client.get(url))
    data["notes"] = "im Admin"
    assert client.post(url, data).status_code == 302
    weber.refresh_from_db()
    kurz.refresh_from_db()
    assert (weber.notes, weber.version) == ("im Admin", 2)
    assert kurz.version == 2

    def trail(person):
        return list(
            AuditEntry.objects.filter(person_id=person.pk).values_list("action", "user", "tenant")
        )

    assert trail(weber) == trail(kurz) == [("change", anna.pk, tenant.pk)]


def test_deleting_a_relationship_in_the_admin_makes_the_graph_forget_it(tenant, anna, weber):
    kurz = Person.objects.create(tenant=tenant, first_name="Eva", last_name="Kurz")
    lang = Person.objects.create(tenant=tenant, first_name="Otto", last_name="Lang")
    one = create_relationship(anna, weber, kurz, kind="business", rating=4)
    other = create_relationship(anna, kurz, lang, kind="business", rating=3)

    def edge(rel) -> bool:
        graph = snapshot.current_graph(tenant.id)
        x, y = graph.node(rel.person_a_id), graph.node(rel.person_b_id)
        return x is not None and y is not None and graph.graph.has_edge(x, y)

    assert edge(one) and edge(other)
    client = _client(anna)
    page = client.post(reverse("admin:network_relationship_delete", args=[one.pk]), {"post": "yes"})
    assert page.status_code == 302
    bulk = client.post(
        reverse("admin:network_relationship_changelist"),
        {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
    )
    assert bulk.status_code == 302
    assert not Relationship.objects.filter(pk__in=[one.pk, other.pk]).exists()
    assert not edge(one) and not edge(other)


def test_a_read_only_staff_user_cannot_save_in_the_admin(tenant, colleague, weber):
    rolf = _staff(colleague, "read_only", "view_person", "change_person")
    client = _client(rolf)
    url = reverse("admin:people_person_change", args=[weber.pk])
    data = _form_data(client.get(url))
    data["notes"] = "geändert"
    refused = client.post(url, data)
    assert refused.status_code == 200  # the form again, with the reason
    assert "Your account is read-only." in _errors(refused)
    weber.refresh_from_db()
    assert (weber.notes, weber.version) == ("", 1)


def test_a_member_who_may_not_delete_a_colleagues_project_cannot_in_the_admin_either(
    tenant, anna, colleague, acme
):
    project = create_project(anna, acme, name="Messzelle Ulm")
    jana = _staff(colleague, "member", "view_project", "delete_project")
    client = _client(jana)
    page = client.post(reverse("admin:projects_project_delete", args=[project.pk]), {"post": "yes"})
    assert page.status_code == 302
    assert any("Only the project's owner or an admin" in m for m in _messages(page))
    bulk = client.post(
        reverse("admin:projects_project_changelist"),
        {"action": "delete_selected", "_selected_action": [project.pk], "post": "yes"},
    )
    assert bulk.status_code == 302
    assert any(m.startswith("Nothing was deleted") for m in _messages(bulk))
    assert Project.objects.filter(pk=project.pk).exists()


def test_a_stale_edit_is_refused_with_a_message_and_writes_nothing(tenant, anna, colleague, weber):
    client = _client(anna)
    url = reverse("admin:people_person_change", args=[weber.pk])
    data = _form_data(client.get(url))  # Anna loads version 1 ...
    update_person(weber, by=colleague, notes="von Jana")  # ... Jana saves version 2 ...
    data.update(  # ... and Anna saves her edit of version 1, with a new address
        {"notes": "von Anna", "emails-TOTAL_FORMS": "1", "emails-0-email": "weber@acme.de"}
    )
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "was changed by someone else in the meantime" in _errors(refused)
    weber.refresh_from_db()
    assert (weber.notes, weber.version) == ("von Jana", 2)
    assert not ContactEmail.objects.filter(person=weber).exists()


def test_a_stale_project_edit_is_refused_too(tenant, anna, colleague, acme):
    project = create_project(anna, acme, name="Messzelle Ulm")
    client = _client(anna)
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = _form_data(client.get(url))
    Project.objects.filter(pk=project.pk).update(version=2, stage="proposal")  # saved meanwhile
    data["name"] = "Messzelle Ulm II"
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "was changed by someone else in the meantime" in _errors(refused)
    assert Project.objects.get(pk=project.pk).name == "Messzelle Ulm"


def test_deleting_a_user_with_private_records_goes_through_remove_user(
    tenant, anna, colleague, weber, django_capture_on_commit_callbacks
):
    jana = colleague
    secret = Person.objects.create(
        tenant=tenant, first_name="Gerlinde", last_name="Geheimnisvoll", visibility="private",
        owner=jana,
    )  # fmt: skip
    # Her notes go with her, that on her private contact too: the confirmation neither
    # names nor refuses what the deleting admin may not see.
    PrivateNote.objects.create(tenant=tenant, person=weber, owner=jana, text="mag Fußball")
    PrivateNote.objects.create(tenant=tenant, person=secret, owner=jana, text="Geburtstag")
    tie = create_relationship(jana, jana.person, secret, kind="friend", visibility="private")
    graph = snapshot.current_graph(tenant.id)
    assert graph.private.get((graph.node(tie.person_a_id), graph.node(tie.person_b_id)))
    client = _client(anna)
    url = reverse("admin:accounts_user_delete", args=[jana.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Geheimnisvoll" not in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # as after the commit
        assert client.post(url, {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=jana.pk).exists()
    assert not Person.objects.filter(pk=secret.pk).exists()  # erased with her
    assert AuditEntry.objects.filter(person_id=secret.pk, action="erase").exists()
    assert Person.objects.filter(pk=jana.person_id).exists()  # a former colleague
    graph = snapshot.current_graph(tenant.id)
    assert not graph.private  # the graph forgot her private tie


def test_a_refused_user_removal_is_a_message_not_an_error_page(tenant, anna):
    client = _client(anna)
    refused = client.post(reverse("admin:accounts_user_delete", args=[anna.pk]), {"post": "yes"})
    assert refused.status_code == 302
    assert any("You cannot remove yourself" in m for m in _messages(refused))
    assert User.objects.filter(pk=anna.pk).exists()


@pytest.fixture
def everything(tenant, anna, colleague, weber, acme):
    """One record of every admin page, made as the other doors make them."""
    from geflecht.events import actions as events
    from geflecht.network.actions import record_interaction
    from geflecht.partners import actions as partners
    from geflecht.people import actions as people
    from geflecht.projects import actions as projects
    from geflecht.skills import actions as skills

    kurz = Person.objects.create(tenant=tenant, first_name="Eva", last_name="Kurz")
    ulm = people.create_site(anna, acme, city="Ulm", name="Werk Ulm")
    job = people.add_position(anna, weber, acme, site=ulm, buying_role="decision_maker")
    meeting = record_interaction(
        tenant=tenant,
        recorded_by=anna,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=3),
        participants=[(weber.pk, "organiser"), (kurz.pk, "attendee")],
        subject="Werksbesuch",
    )
    tie = Relationship.objects.get(person_a_id=weber.pk, person_b_id=kurz.pk)
    project = projects.create_project(anna, acme, name="Messzelle", site=ulm)
    projects.add_member(anna, project, weber, "decision_maker")
    upload = SimpleUploadedFile("angebot.pdf", b"%PDF x")
    document = projects.upload_document(anna, project, upload, title="Angebot").document
    fair = events.create_event(anna, name="AMB", start_date=date(2027, 5, 4))
    visit = events.add_attendance(anna, fair, person=weber)
    target = events.add_target(anna, fair, person=kurz, note="Messestand")
    partner = people.create_organization(anna, name="Fräserei Vogel", kind="partner")
    joint = partners.create_joint_project(
        anna, partner_id=partner.pk, title="Fräse", start_date=date(2025, 1, 1)
    )
    partners.finish_joint_project(anna, joint, end_date=date(2025, 6, 1))
    rating = partners.rate_joint_project(anna, joint.pk, quality=4, on_time=4, communication=5)
    skill = skills.create_skill(anna, name_de="Fräsen", name_en="Milling")
    held = skills.declare_skill(anna, weber.pk, skill.pk, level=4)
    praise = skills.endorse(anna, weber.pk, skill.pk, comment="top")
    capability = skills.add_capability(anna, partner.pk, skill.pk, level=3)
    return [
        *(acme, ulm, weber, job, tie, meeting, project, document, fair, visit, target),
        *(joint, rating, skill, held, praise, capability, colleague, tenant),
    ]


def test_every_admin_change_page_saves_back_through_its_action(everything, anna):
    client = _client(anna)
    for obj in everything:
        opts = obj._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        saved = client.post(url, _form_data(client.get(url)))
        assert saved.status_code == 302, (opts.label, saved.status_code, _errors(saved))
    # Saved through the actions: each save of a versioned record counts.
    versions = [type(o).objects.get(pk=o.pk).version for o in everything if hasattr(o, "version")]
    assert versions == [2, 2]


def test_adding_a_tie_or_a_meeting_in_the_admin_tells_the_graph(tenant, anna, weber):
    kurz = Person.objects.create(tenant=tenant, first_name="Eva", last_name="Kurz")
    lang = Person.objects.create(tenant=tenant, first_name="Otto", last_name="Lang")
    snapshot.current_graph(tenant.id)  # a process holds the graph, as every one does
    client = _client(anna)
    url = reverse("admin:network_relationship_add")
    data = _form_data(client.get(url))
    # (The tenant, too, as the page's plain save needed it: the actions take the user's.)
    data.update({"tenant": tenant.pk, "person_a": kurz.pk, "person_b": weber.pk, "kind": "friend"})
    assert client.post(url, data).status_code == 302
    url = reverse("admin:network_interaction_add")
    data = _form_data(client.get(url))
    when = timezone.localtime() - timedelta(days=1)
    data.update(
        {
            "tenant": tenant.pk,
            "kind": "meeting",
            "occurred_at_0": when.date().isoformat(),
            "occurred_at_1": when.strftime("%H:%M:%S"),
            "subject": "Werksbesuch",
            "participations-TOTAL_FORMS": "2",
            "participations-0-person": weber.pk,
            "participations-0-role": "organiser",
            "participations-1-person": lang.pk,
            "participations-1-role": "attendee",
        }
    )
    saved = client.post(url, data)
    assert saved.status_code == 302, _errors(saved)
    graph = snapshot.current_graph(tenant.id)
    for a, b in ((weber, kurz), (weber, lang)):
        x, y = graph.node(a.pk), graph.node(b.pk)
        assert x is not None and y is not None and graph.graph.has_edge(x, y)
        rel = Relationship.objects.get(person_a_id=min(a.pk, b.pk), person_b_id=max(a.pk, b.pk))
        assert graph.graph.edge_strength(x, y) == pytest.approx(rel.strength)
        assert rel.owner_id == anna.pk  # who recorded it


def test_correcting_a_tie_or_deleting_its_meeting_in_the_admin_recomputes_its_strength(
    tenant, anna, weber
):
    from geflecht.network.actions import record_interaction

    kurz = Person.objects.create(tenant=tenant, first_name="Eva", last_name="Kurz")
    meeting = record_interaction(
        tenant=tenant,
        recorded_by=anna,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=2),
        participants=[(weber.pk, "organiser"), (kurz.pk, "attendee")],
    )
    tie = Relationship.objects.get(person_a_id=weber.pk, person_b_id=kurz.pk)
    met = tie.strength

    def seen() -> float:
        graph = snapshot.current_graph(tenant.id)
        a, b = graph.node(weber.pk), graph.node(kurz.pk)
        assert a is not None and b is not None
        return graph.graph.edge_strength(a, b)

    assert seen() == pytest.approx(met)
    client = _client(anna)
    url = reverse("admin:network_relationship_change", args=[tie.pk])
    data = _form_data(client.get(url))
    data["rating"] = "5"
    assert client.post(url, data).status_code == 302
    tie.refresh_from_db()
    assert tie.strength > met and seen() == pytest.approx(tie.strength)
    assert tie.last_interaction_at is not None
    rated = tie.strength
    url = reverse("admin:network_interaction_delete", args=[meeting.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    tie.refresh_from_db()  # the rating alone now
    assert tie.last_interaction_at is None
    assert tie.strength != rated and seen() == pytest.approx(tie.strength)


def test_a_tenant_admin_adds_logins_to_their_company_and_keeps_their_own_rights(tenant, anna):
    client = _client(anna)
    added = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "neu",
            "usable_password": "true",
            "password1": "x-Geflecht-2026!",
            "password2": "x-Geflecht-2026!",
        },
    )
    assert added.status_code == 302
    new = User.objects.get(username="neu")
    assert (new.tenant_id, new.role, new.check_password("x-Geflecht-2026!")) == (
        tenant.pk,
        "member",
        True,
    )
    url = reverse("admin:accounts_user_change", args=[anna.pk])
    data = _form_data(client.get(url))
    data["role"] = "member"
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "You cannot take your own rights away" in _errors(refused)
    assert User.objects.get(pk=anna.pk).role == "admin"


def test_every_admin_delete_asks_its_action_who_may(everything, tenant, anna, colleague):
    rolf = User.objects.create_user("rolf", tenant=tenant, role="read_only", is_staff=True)
    rolf.user_permissions.add(*Permission.objects.filter(codename__regex=r"^(view|delete)_"))
    person = everything[2]
    # People are erased (GDPR), tenants removed by the installation: neither here.
    doomed = [o for o in reversed(everything) if o not in (person, tenant, colleague)]
    doomed.append(colleague)

    def delete(client, obj):
        opts = obj._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
        return client.post(url, {"post": "yes"})

    reader = _client(User.objects.get(pk=rolf.pk))
    for obj in doomed:
        refused = delete(reader, obj)
        assert refused.status_code == 302, (obj._meta.label, refused.status_code)
        assert type(obj).objects.filter(pk=obj.pk).exists(), obj._meta.label
    admin = _client(anna)
    for obj in doomed:
        deleted = delete(admin, obj)
        assert deleted.status_code == 302, (obj._meta.label, deleted.status_code)
        assert not type(obj).objects.filter(pk=obj.pk).exists(), (
            obj._meta.label,
            _messages(deleted),
        )
