"""Team records in the network domain: only the owner's team mates may see them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from geflecht.network.actions import record_interaction
from geflecht.people.models import Person


def test_an_interaction_recorded_by_nobody_cannot_name_a_team_contact(tenant, owner):
    shared = Person.objects.create(tenant=tenant, first_name="Klaus", last_name="Weber")
    team = Person.objects.create(
        tenant=tenant, first_name="Tessa", last_name="Teamgeheim", visibility="team", owner=owner
    )
    # A company-visible interaction without a recorder would show the team contact to all.
    with pytest.raises(ValidationError, match="Unknown people"):
        record_interaction(
            tenant=tenant,
            kind="meeting",
            occurred_at=timezone.now() - timedelta(days=1),
            participants=[(shared.pk, "organiser"), (team.pk, "attendee")],
        )


def test_relationship_between_prefers_the_users_own_row_over_a_team_mates_team_row(tenant, owner):
    from geflecht.accounts.models import Team, User
    from geflecht.network.models import Relationship
    from geflecht.network.queries import relationship_between

    tom = User.objects.create_user("tom", tenant=tenant)
    Team.objects.create(tenant=tenant, name="Vertrieb Süd").members.add(owner, tom)
    a = Person.objects.create(tenant=tenant, last_name="Weber")
    b = Person.objects.create(tenant=tenant, last_name="Kurz")
    Relationship.objects.create(
        tenant=tenant, person_a=a, person_b=b, visibility="team", owner=owner, strength=0.3
    )
    mine = Relationship.objects.create(
        tenant=tenant, person_a=a, person_b=b, visibility="private", owner=tom, strength=0.8
    )
    assert relationship_between(tom, a, b) == mine


def test_a_team_meeting_is_no_evidence_of_a_tie_a_colleague_outside_the_team_sees(
    tenant, owner, colleague
):
    from geflecht.network.actions import recompute_all_strengths
    from geflecht.network.queries import pair_histories, visible_relationships

    weber = Person.objects.create(tenant=tenant, first_name="Klaus", last_name="Weber")
    record_interaction(
        tenant=tenant,
        recorded_by=owner,
        kind="meeting",
        visibility="team",
        occurred_at=timezone.now() - timedelta(days=1),
        participants=[(owner.person_id, "organiser"), (weber.pk, "attendee")],
        subject="Vertraulich im Team",
    )
    for _ in range(2):  # as recorded, and after a full recomputation
        seen = list(visible_relationships(colleague))
        assert all(h == [] for h in pair_histories(tenant.id, seen).values())
        assert all(r.last_interaction_at is None for r in seen)
        recompute_all_strengths(tenant.id)
    # Anna's own view of the tie keeps the meeting as evidence.
    mine = list(visible_relationships(owner))
    assert any(pair_histories(tenant.id, mine).values())
