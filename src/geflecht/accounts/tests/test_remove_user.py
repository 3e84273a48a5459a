"""Removing a user (leaving the company) is one action (issue 14, finding 7).

Their private records are erased or handed over, by choice; their company records stay;
the graph forgets their private ties; deleting them in the admin no longer fails on the
"private needs an owner" constraint.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client

from geflecht.accounts.models import User
from geflecht.network.models import GraphState, Interaction, Relationship
from geflecht.people.models import Organization, Person
from geflecht.privacy.leaving import remove_user
from geflecht.projects.models import Project


@pytest.fixture
def admin(tenant):
    return User.objects.create_user(
        "beate", password="x-Geflecht-2026", tenant=tenant, role="admin", is_staff=True
    )


@pytest.fixture
def leaver(tenant, owner, colleague):
    """Anna's private address book: a contact, a firm, a tie, a meeting, a project."""
    anna = owner
    firm = Organization.objects.create(
        tenant=tenant, name="Geheim GmbH", kind="customer", visibility="private", owner=anna
    )
    secret = Person.objects.create(
        tenant=tenant, first_name="Gerlinde", last_name="Geheim", visibility="private", owner=anna
    )
    shared = Person.objects.create(tenant=tenant, first_name="Klaus", last_name="Weber")
    a, b = sorted([anna.person_id, secret.pk])
    Relationship.objects.create(
        tenant=tenant, person_a_id=a, person_b_id=b, strength=0.8, visibility="private", owner=anna
    )
    a, b = sorted([colleague.person_id, shared.pk])
    Relationship.objects.create(
        tenant=tenant, person_a_id=a, person_b_id=b, strength=0.5, visibility="private", owner=anna
    )
    company_tie = Relationship.objects.create(
        tenant=tenant,
        person_a_id=min(anna.person_id, shared.pk),
        person_b_id=max(anna.person_id, shared.pk),
        strength=0.4,
        owner=anna,
    )
    Interaction.objects.create(
        tenant=tenant,
        kind="phone",
        occurred_at="2026-11-02T10:00:00Z",
        visibility="private",
        owner=anna,
    )
    Project.objects.create(
        tenant=tenant, organization=firm, name="Geheimprojekt", visibility="private", owner=anna
    )
    return {"anna": anna, "secret": secret, "shared": shared, "company_tie": company_tie}


def _private_of(user_id):
    return sum(
        model.objects.filter(owner_id=user_id, visibility="private").count()
        for model in (Person, Organization, Relationship, Interaction, Project)
    )


def test_removing_a_user_erases_their_private_records(tenant, admin, leaver):
    anna = leaver["anna"]
    before = GraphState.objects.filter(tenant=tenant).values_list("version", flat=True).first()
    report = remove_user(admin, anna, private_records="erase")
    assert not User.objects.filter(pk=anna.pk).exists()
    assert not Person.objects.filter(pk=leaver["secret"].pk).exists()
    assert not Organization.objects.filter(name="Geheim GmbH").exists()
    assert not Project.objects.filter(name="Geheimprojekt").exists()
    assert not Relationship.objects.filter(visibility="private").exists()
    assert not Interaction.objects.filter(visibility="private").exists()
    # Company records stay (without an owner); their own person stays a former colleague.
    assert Relationship.objects.filter(pk=leaver["company_tie"].pk).exists()
    assert Person.objects.filter(pk=anna.person_id).exists()
    assert report.people == 1 and report.relationships >= 2
    assert GraphState.objects.get(tenant=tenant).version > (before or 0)


def test_removing_a_user_hands_their_private_records_over(tenant, admin, colleague, leaver):
    anna = leaver["anna"]
    count = _private_of(anna.pk)
    remove_user(admin, anna, private_records="hand_over", to=colleague)
    assert _private_of(colleague.pk) == count
    assert Person.objects.get(pk=leaver["secret"].pk).owner_id == colleague.pk
    assert not User.objects.filter(pk=anna.pk).exists()


def test_hand_over_merges_a_tie_both_kept_privately(tenant, admin, colleague, leaver):
    a, b = sorted([colleague.person_id, leaver["shared"].pk])
    Relationship.objects.create(
        tenant=tenant,
        person_a_id=a,
        person_b_id=b,
        strength=0.3,
        visibility="private",
        owner=colleague,
    )
    remove_user(admin, leaver["anna"], private_records="hand_over", to=colleague)
    assert Relationship.objects.filter(person_a_id=a, person_b_id=b, owner=colleague).count() == 1


def test_hand_over_needs_a_user_of_the_same_company(tenant, admin, outsider, leaver):
    with pytest.raises(ValidationError, match="same company"):
        remove_user(admin, leaver["anna"], private_records="hand_over", to=outsider)
    with pytest.raises(ValidationError, match="whom to hand"):
        remove_user(admin, leaver["anna"], private_records="hand_over")
    assert User.objects.filter(pk=leaver["anna"].pk).exists()


def test_unknown_choice_is_refused_with_the_choices(admin, leaver):
    with pytest.raises(ValidationError, match="erase or hand_over"):
        remove_user(admin, leaver["anna"], private_records="keep")


def test_only_an_admin_of_their_company_removes_a_user(colleague, leaver):
    with pytest.raises(PermissionDenied):
        remove_user(colleague, leaver["anna"], private_records="erase")
    assert User.objects.filter(pk=leaver["anna"].pk).exists()


def test_deleting_a_user_with_private_records_in_the_admin_works(tenant, admin, leaver):
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(admin)
    anna = leaver["anna"]
    r = client.post(f"/admin/accounts/user/{anna.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302, r.content[:500]
    assert not User.objects.filter(pk=anna.pk).exists()
    assert not Person.objects.filter(pk=leaver["secret"].pk).exists()


def test_cli_user_remove_hands_over(tenant, admin, colleague, leaver, capsys):
    call_command("user", "remove", "anna", "--hand-over-to", "jana", "--by", "beate")
    assert not User.objects.filter(username="anna").exists()
    assert Person.objects.get(pk=leaver["secret"].pk).owner_id == colleague.pk
    assert "handed over to jana" in capsys.readouterr().out


def test_hand_over_moves_their_team_records_too(tenant, admin, colleague, leaver):
    team_contact = Person.objects.create(
        tenant=tenant, first_name="Tina", last_name="Team", visibility="team", owner=leaver["anna"]
    )
    remove_user(admin, leaver["anna"], private_records="hand_over", to=colleague)
    assert Person.objects.get(pk=team_contact.pk).owner_id == colleague.pk
