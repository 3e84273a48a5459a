"""create_person, update_person and merge_people."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q

from geflecht.accounts.models import User
from geflecht.network.actions import record_interaction
from geflecht.network.models import GraphState, InteractionParticipant, Relationship
from geflecht.people.actions import create_person, merge_people, update_person
from geflecht.people.models import ContactEmail, ContactPhone, Organization, Person, Position

WHEN = datetime(2025, 3, 4, 10, tzinfo=UTC)


def test_create_person_normalises_and_deduplicates(owner):
    p = create_person(
        owner,
        first_name="Jürgen",
        last_name="Müller",
        emails=["J.Mueller@Example.de ", "j.mueller@example.de"],
        phones=["0731 / 123 45-0"],
    )
    assert list(p.emails.values_list("email", "is_primary")) == [("j.mueller@example.de", True)]
    assert list(p.phones.values_list("number", flat=True)) == ["+49731123450"]


def test_create_person_refuses_bad_input_and_stores_nothing(owner):
    with pytest.raises(ValidationError):
        create_person(owner, last_name="")
    with pytest.raises(ValidationError):
        create_person(owner, last_name="X", phones=["kein Telefon"])
    assert not Person.objects.exclude(pk=owner.person_id).exists()


def test_update_person_raises_version_and_adds_contacts(owner):
    p = create_person(owner, last_name="Roth")
    p = update_person(p, first_name="Eva", emails=["eva@roth.example"])
    assert (p.first_name, p.version) == ("Eva", 2)
    assert p.emails.get().email == "eva@roth.example"


@pytest.fixture
def pair(tenant, owner):
    org = Organization.objects.create(tenant=tenant, name="Kunde AG", kind="customer")
    survivor = Person.objects.create(
        tenant=tenant, first_name="Eva", last_name="Roth", tags=["Kunde"], notes="alt"
    )
    other = Person.objects.create(
        tenant=tenant, title="Dr.", last_name="Roth", tags=["Messe"], notes="neu"
    )
    third = Person.objects.create(tenant=tenant, first_name="Tom", last_name="Dritt")
    fourth = Person.objects.create(tenant=tenant, first_name="Uwe", last_name="Viert")
    ContactEmail.objects.create(person=survivor, email="eva@roth.example", is_primary=True)
    ContactEmail.objects.create(person=other, email="eva@roth.example", is_primary=True)
    ContactEmail.objects.create(person=other, email="dr.roth@kunde.example", is_primary=False)
    ContactPhone.objects.create(person=other, number="+49731123450")
    Position.objects.create(tenant=tenant, person=other, organization=org, title="CTO")

    def rel(a, b, **kw):
        a_id, b_id = sorted((a.pk, b.pk))
        return Relationship.objects.create(tenant=tenant, person_a_id=a_id, person_b_id=b_id, **kw)

    rel(survivor, third, rating=2, kind="business")
    rel(other, third, rating=4, kind="friend")
    rel(other, fourth, kind="business")
    rel(survivor, other, kind="colleague")
    both = record_interaction(
        tenant=tenant,
        kind="meeting",
        occurred_at=WHEN,
        participants=[(survivor.pk, "organiser"), (other.pk, "attendee"), (third.pk, "attendee")],
        recorded_by=owner,
    )
    only_other = record_interaction(
        tenant=tenant,
        kind="phone",
        occurred_at=WHEN,
        participants=[(other.pk, "organiser"), (fourth.pk, "attendee")],
        recorded_by=owner,
    )
    user = User.objects.create_user(username="roth", tenant=tenant, person=other)
    return survivor, other, third, fourth, both, only_other, user


def test_merge_moves_everything_and_leaves_no_dangling_rows(pair, tenant):
    survivor, other, third, fourth, both, only_other, user = pair
    version = GraphState.objects.get(tenant=tenant).version
    kept = merge_people(survivor, other)
    assert not Person.objects.filter(pk=other.pk).exists()
    assert ContactEmail.objects.filter(person_id=other.pk).count() == 0
    assert not InteractionParticipant.objects.filter(person_id=other.pk).exists()
    assert not Relationship.objects.filter(Q(person_a_id=other.pk) | Q(person_b_id=other.pk))
    assert not Position.objects.filter(person_id=other.pk).exists()
    assert sorted(kept.emails.values_list("email", "is_primary")) == [
        ("dr.roth@kunde.example", False),
        ("eva@roth.example", True),
    ]
    assert list(kept.phones.values_list("number", flat=True)) == ["+49731123450"]
    assert kept.positions.get().title == "CTO"
    assert (kept.title, kept.first_name, kept.tags) == ("Dr.", "Eva", ["Kunde", "Messe"])
    assert kept.notes == "alt\n\nneu"
    user.refresh_from_db()
    assert user.person_id == kept.pk
    # One relationship to the third person: the higher rating (and its kind) won.
    (to_third,) = Relationship.objects.filter(
        Q(person_a=kept, person_b=third) | Q(person_a=third, person_b=kept)
    )
    assert (to_third.rating, to_third.kind) == (4, "friend")
    assert to_third.evidence  # recomputed from the moved interactions
    a, b = sorted((kept.pk, fourth.pk))
    assert Relationship.objects.filter(person_a_id=a, person_b_id=b).count() == 1
    assert all(r.person_a_id < r.person_b_id for r in Relationship.objects.all())
    both.refresh_from_db()
    assert both.participant_count == 2
    assert set(both.participations.values_list("person_id", flat=True)) == {kept.pk, third.pk}
    assert set(only_other.participations.values_list("person_id", flat=True)) == {
        kept.pk,
        fourth.pk,
    }
    assert GraphState.objects.get(tenant=tenant).version > version


def test_merge_of_two_users_is_refused(pair, tenant, owner):
    _survivor, other, *_ = pair
    with pytest.raises(ValidationError):
        merge_people(owner.person, other)
    assert Person.objects.filter(pk=other.pk).exists()


def test_merge_into_someone_the_user_cannot_see_is_refused(tenant, owner, colleague):
    hidden = Person.objects.create(
        tenant=tenant, last_name="Geheim", visibility="private", owner=owner
    )
    shared = Person.objects.create(tenant=tenant, last_name="Geheim")
    with pytest.raises(ValidationError, match="do not exist"):
        merge_people(shared, hidden, by=colleague)
    assert Person.objects.filter(pk=hidden.pk).exists()
    merge_people(shared, hidden, by=owner)
    assert not Person.objects.filter(pk=hidden.pk).exists()


def test_merge_with_oneself_is_refused(tenant):
    p = Person.objects.create(tenant=tenant, last_name="Einzel")
    with pytest.raises(ValidationError):
        merge_people(p, p)


def test_merge_runs_the_steps_apps_above_registered_before_the_duplicate_goes(
    pair, tenant, monkeypatch
):
    from geflecht.people import actions
    from geflecht.skills.actions import merge_person_skills

    # Skills registers its step when the app is ready: people never imports skills.
    assert merge_person_skills in actions._merge_steps
    survivor, other = pair[0], pair[1]
    seen = []

    def step(keep_id, gone_id):
        seen.append((keep_id, gone_id, Person.objects.filter(pk=gone_id).exists()))

    monkeypatch.setattr(actions, "_merge_steps", [])
    actions.register_merge_step(step)
    actions.register_merge_step(step)  # once only
    merge_people(survivor, other)
    assert seen == [(survivor.pk, other.pk, True)]


def test_create_person_asks_who_creates_it_and_refuses_a_reader(owner):
    from django.core.exceptions import PermissionDenied

    owner.role = User.Role.READ_ONLY
    owner.save()
    with pytest.raises(PermissionDenied):
        create_person(owner, last_name="Leser")
    assert not Person.objects.filter(last_name="Leser").exists()
