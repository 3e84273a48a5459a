"""Relationship and interaction rules in the model layer and in the database."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from geflecht.network.models import Interaction, InteractionParticipant, Relationship
from geflecht.people.models import Person


def violates(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except IntegrityError:
        return True
    return False


@pytest.fixture
def pair(tenant):
    a = Person.objects.create(tenant=tenant, first_name="Klaus", last_name="Weber")
    b = Person.objects.create(tenant=tenant, first_name="Jürgen", last_name="Müller")
    return a, b


def test_clean_stores_the_pair_canonically(tenant, pair):
    a, b = pair
    rel = Relationship(tenant=tenant, person_a=b, person_b=a)
    rel.full_clean()
    assert (rel.person_a_id, rel.person_b_id) == (a.pk, b.pk)


def test_self_relationship_gets_a_field_message_and_is_refused_by_the_database(tenant, pair):
    a, _ = pair
    rel = Relationship(tenant=tenant, person_a=a, person_b=a)
    with pytest.raises(ValidationError) as exc:
        rel.full_clean()
    assert "person_b" in exc.value.message_dict
    assert violates(rel.save)


def test_database_refuses_a_non_canonical_pair(tenant, pair):
    a, b = pair
    assert violates(lambda: Relationship.objects.create(tenant=tenant, person_a=b, person_b=a))


@pytest.mark.parametrize("rating", [0, 6])
def test_rating_outside_1_to_5_is_refused(tenant, pair, rating):
    a, b = pair
    rel = Relationship(tenant=tenant, person_a=a, person_b=b, rating=rating)
    with pytest.raises(ValidationError) as exc:
        rel.full_clean()
    assert "rating" in exc.value.message_dict
    assert violates(rel.save)


@pytest.mark.parametrize("strength", [0.0, -0.2, 1.01])
def test_strength_must_lie_in_zero_one(tenant, pair, strength):
    a, b = pair
    rel = Relationship(tenant=tenant, person_a=a, person_b=b, strength=strength)
    with pytest.raises(ValidationError):
        rel.full_clean()
    assert violates(rel.save)


def test_one_shared_row_per_pair_but_private_rows_per_owner(tenant, pair, owner, colleague):
    a, b = pair
    Relationship.objects.create(tenant=tenant, person_a=a, person_b=b)
    assert violates(
        lambda: Relationship.objects.create(
            tenant=tenant, person_a=a, person_b=b, visibility="team"
        )
    )
    Relationship.objects.create(
        tenant=tenant, person_a=a, person_b=b, visibility="private", owner=owner
    )
    Relationship.objects.create(
        tenant=tenant, person_a=a, person_b=b, visibility="private", owner=colleague
    )
    assert violates(
        lambda: Relationship.objects.create(
            tenant=tenant, person_a=a, person_b=b, visibility="private", owner=owner
        )
    )
    assert Relationship.objects.filter(person_a=a, person_b=b).count() == 3


def test_private_relationship_needs_an_owner(tenant, pair):
    a, b = pair
    rel = Relationship(tenant=tenant, person_a=a, person_b=b, visibility="private")
    with pytest.raises(ValidationError) as exc:
        rel.full_clean()
    assert "owner" in exc.value.message_dict
    assert violates(rel.save)


def test_external_id_is_unique_per_source(tenant, pair):
    now = timezone.now()
    Interaction.objects.create(
        tenant=tenant, kind="email", occurred_at=now, source="mbox", external_id="<m1@acme.de>"
    )
    Interaction.objects.create(
        tenant=tenant, kind="email", occurred_at=now, source="eml", external_id="<m1@acme.de>"
    )
    Interaction.objects.create(tenant=tenant, kind="phone", occurred_at=now)
    Interaction.objects.create(tenant=tenant, kind="phone", occurred_at=now)
    assert violates(
        lambda: Interaction.objects.create(
            tenant=tenant, kind="email", occurred_at=now, source="mbox", external_id="<m1@acme.de>"
        )
    )


def test_a_person_takes_part_once_per_interaction(tenant, pair):
    a, _ = pair
    meeting = Interaction.objects.create(tenant=tenant, kind="meeting", occurred_at=timezone.now())
    InteractionParticipant.objects.create(interaction=meeting, person=a, role="organiser")
    assert violates(
        lambda: InteractionParticipant.objects.create(
            interaction=meeting, person=a, role="attendee"
        )
    )


def test_duration_must_be_positive(tenant):
    assert violates(
        lambda: Interaction.objects.create(
            tenant=tenant, kind="phone", occurred_at=timezone.now(), duration_minutes=0
        )
    )
