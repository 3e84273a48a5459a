"""Art. 17: one call erases a person; nothing of them remains, in the database or the graph."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core import serializers
from django.core.exceptions import PermissionDenied
from django.db import models

from geflecht.accounts.models import User
from geflecht.network import snapshot
from geflecht.network.models import (
    GraphChange,
    GraphState,
    Interaction,
    InteractionParticipant,
    Relationship,
)
from geflecht.network.queries import explain_relationship
from geflecht.people.models import Person
from geflecht.privacy.actions import erase_person, set_legal_basis
from geflecht.privacy.models import AuditEntry, PersonPrivacy
from geflecht.privacy.queries import preview_erasure

from .conftest import NOW, meet


def person_references(pid: int) -> dict[str, int]:
    """Rows in any table that point at person ``pid`` through a foreign key."""
    found = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (
                isinstance(field, models.ForeignKey | models.OneToOneField)
                and field.related_model is Person
                and field.concrete
            ):
                n = model._default_manager.filter(**{field.attname: pid}).count()
                if n:
                    found[f"{model._meta.label}.{field.name}"] = n
    return found


def everything_as_text() -> str:
    """Every row of every table, serialised: the haystack for the person's data."""
    return "\n".join(
        serializers.serialize("json", model._default_manager.all()) for model in apps.get_models()
    )


def pair(rel_a, rel_b):
    a, b = sorted([rel_a.pk, rel_b.pk])
    return Relationship.objects.get(person_a_id=a, person_b_id=b, visibility="company")


def test_nothing_of_the_person_remains(world, admin, owner):
    subject = world.subject
    pid = subject.pk
    set_legal_basis(admin, subject, "consent", source="Visitenkarte EMO", now=NOW)
    assert person_references(pid)  # the network really is about them
    traces = ("Zwölfhaus", "Zw\\u00f6lfhaus", "zwoelfhaus", "+49731987650", "tuba")
    haystack = everything_as_text()
    assert all(t in haystack for t in ("zwoelfhaus", "+49731987650", "tuba"))
    report = erase_person(admin, subject, now=NOW)
    assert report.person_id == pid
    assert (report.emails, report.phones, report.positions) == (1, 1, 1)
    assert report.relationships == 6  # four shared ties and two private ones of Anna's
    assert person_references(pid) == {}
    assert not Person.objects.filter(pk=pid).exists()
    assert not PersonPrivacy.objects.filter(person_id=pid).exists()
    haystack = everything_as_text()
    for trace in traces:
        assert trace not in haystack
    # The bare id stays only where it must: the audit trail and the graph's removal log.
    assert list(GraphChange.objects.filter(person_a_id=pid).values_list("strength", flat=True))
    assert not GraphChange.objects.filter(person_a_id=pid, strength__isnull=False).exists()
    assert not GraphChange.objects.filter(person_b_id=pid, strength__isnull=False).exists()
    assert AuditEntry.objects.filter(person_id=pid, action="erase", username="ines").exists()


def test_interactions_keep_the_others_and_strengths_follow(world, admin, owner, colleague):
    subject, weber = world.subject, world.weber
    anna = owner.person
    before = pair(anna, weber).strength
    report = erase_person(admin, subject, now=NOW)
    # The two Anna-Max-Weber meetings become two-person meetings: the tie grows.
    meetings = Interaction.objects.filter(participations__person=anna).filter(
        participations__person=weber
    )
    assert sorted(meetings.values_list("participant_count", flat=True)) == [2, 2]
    for i in meetings:
        assert i.participations.count() == 2
    after = pair(anna, weber).strength
    assert after > before
    assert after == pytest.approx(explain_relationship(pair(anna, weber), now=NOW).value)
    # Jana's call with Max had only the two of them: it is gone. Anna's private lunch
    # keeps Anna and her friend.
    assert report.interactions_deleted == 1
    assert report.interactions_left == 4
    assert not Interaction.objects.filter(kind="phone").exists()
    four = Interaction.objects.get(participations__person=world.kuehn)
    assert four.participant_count == 3
    assert four.subject == "Werksbesuch bei Herrn [erased] ([erased])"
    assert report.strengths_recomputed >= 3


def test_graph_forgets_the_person_at_once(world, admin, owner, django_capture_on_commit_callbacks):
    tenant_id, pid = world.subject.tenant_id, world.subject.pk
    before = snapshot.current_graph(tenant_id)
    node = before.node(pid)
    assert node is not None and before.graph.degree(node) > 0
    version = GraphState.objects.get(tenant_id=tenant_id).version
    with django_capture_on_commit_callbacks(execute=True):
        erase_person(admin, world.subject, now=NOW)
    assert GraphState.objects.get(tenant_id=tenant_id).version > version
    now = snapshot.current_graph(tenant_id)
    assert now.node(pid) is None
    # Another process with an older snapshot catches up from the log: no tie is left.
    changes = list(
        GraphChange.objects.filter(tenant_id=tenant_id, version__gt=before.version)
        .order_by("version", "id")
        .values_list("version", "person_a_id", "person_b_id", "strength", "owner_id", "full")
    )
    caught_up = snapshot.apply_changes(before, changes, now.version)
    assert caught_up.graph.degree(node) == 0
    assert caught_up.shared.degree(node) == 0
    assert caught_up.graph.m == now.graph.m


def test_linked_user_account_loses_its_person(world, admin, colleague):
    jana = colleague.person
    erase_person(admin, jana, now=NOW)
    colleague.refresh_from_db()
    assert colleague.person is None
    assert User.objects.filter(username="jana").exists()


def test_colleague_cannot_erase_the_owners_private_contact(world, colleague):
    with pytest.raises(Person.DoesNotExist):
        erase_person(colleague, world.secret)
    with pytest.raises(Person.DoesNotExist):
        preview_erasure(colleague, world.secret)
    assert Person.objects.filter(pk=world.secret.pk).exists()


def test_members_cannot_erase_shared_people(world, colleague, owner):
    for user in (colleague, owner):
        with pytest.raises(PermissionDenied):
            erase_person(user, world.subject)
    assert Person.objects.filter(pk=world.subject.pk).exists()
    assert not AuditEntry.objects.filter(action="erase").exists()


def test_owner_erases_their_own_private_contact(world, owner):
    secret = world.secret
    erase_person(owner, secret, now=NOW)
    assert person_references(secret.pk) == {}
    assert "Heimlich" not in everything_as_text()


def test_read_only_owner_cannot_erase_nor_set_a_legal_basis(world, owner):
    owner.role = User.Role.READ_ONLY
    owner.save(update_fields=["role"])
    with pytest.raises(PermissionDenied):
        erase_person(owner, world.secret, now=NOW)
    with pytest.raises(PermissionDenied):
        set_legal_basis(owner, world.secret, "consent")
    assert Person.objects.filter(pk=world.secret.pk).exists()
    assert not PersonPrivacy.objects.filter(person=world.secret, legal_basis="consent").exists()


def test_other_tenant_cannot_erase(world, outsider):
    with pytest.raises(Person.DoesNotExist):
        erase_person(outsider, world.subject)


def test_preview_counts_what_erasure_does(world, admin):
    plan = preview_erasure(admin, world.subject)
    report = erase_person(admin, world.subject, now=NOW)
    assert (plan.emails, plan.phones, plan.positions, plan.relationships) == (
        report.emails,
        report.phones,
        report.positions,
        report.relationships,
    )
    assert (plan.interactions_left, plan.interactions_deleted) == (
        report.interactions_left,
        report.interactions_deleted,
    )


def test_erasing_someone_in_a_large_event_keeps_the_event(tenant, admin):
    crowd = [Person.objects.create(tenant=tenant, last_name=f"Gast {i}") for i in range(30)]
    meet(tenant, "event", crowd, days_ago=3)
    erase_person(admin, crowd[0], now=NOW)
    event = Interaction.objects.get()
    assert event.participant_count == 29
    assert InteractionParticipant.objects.filter(interaction=event).count() == 29


def ties(tg: snapshot.TenantGraph, which: str = "graph") -> dict[tuple[int, int], float]:
    """A snapshot's edges by person ids, so snapshots with other node ids compare."""
    a, b, s = getattr(tg, which).edges()
    return {
        (min(tg.person(int(x)), tg.person(int(y))), max(tg.person(int(x)), tg.person(int(y)))): (
            round(float(st), 9)
        )
        for x, y, st in zip(a, b, s, strict=True)
    }


def test_a_snapshot_from_before_the_person_existed_catches_up_exactly(tenant, owner, admin):
    """Replaying the log (with the erased person's older rows pruned) gives the same ties
    as a fresh build from the database."""
    old = snapshot.build_graph(tenant.id)
    weber = Person.objects.create(tenant=tenant, last_name="Weber")
    gone = Person.objects.create(tenant=tenant, last_name="Gehtweg")
    meet(tenant, "meeting", [owner.person, gone, weber], days_ago=4)
    meet(tenant, "phone", [owner.person, weber], days_ago=2)
    erase_person(admin, gone, now=NOW)
    changes = list(
        GraphChange.objects.filter(tenant_id=tenant.id, version__gt=old.version)
        .order_by("version", "id")
        .values_list("version", "person_a_id", "person_b_id", "strength", "owner_id", "full")
    )
    fresh = snapshot.build_graph(tenant.id)
    caught_up = snapshot.apply_changes(old, changes, fresh.version)
    assert ties(caught_up) == ties(fresh)
    assert ties(caught_up, "shared") == ties(fresh, "shared")
    assert ties(fresh) and all(gone.pk not in pair for pair in ties(caught_up))


def test_the_admin_site_erases_through_the_gdpr_action_only(world, admin, client):
    from django.urls import reverse

    admin.is_staff = admin.is_superuser = True  # every model permission, still a tenant user
    admin.save()
    client.force_login(admin)
    changelist = reverse("admin:people_person_changelist")
    client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [world.subject.pk], "post": "yes"},
    )
    assert Person.objects.filter(pk=world.subject.pk).exists()  # no plain delete
    client.post(changelist, {"action": "erase_selected", "_selected_action": [world.subject.pk]})
    assert not Person.objects.filter(pk=world.subject.pk).exists()
    assert AuditEntry.objects.filter(person_id=world.subject.pk, action="erase").exists()
