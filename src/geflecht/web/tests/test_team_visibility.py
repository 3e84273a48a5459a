"""Team records on the web: a colleague outside the owner's team never sees them.

Anna shares a team with Tom, not with Jana. Tessa is a team-visible contact of Anna's
who works at a customer, knows the shared Dr. Weber and met him: Tom sees her everywhere,
Jana nowhere (pages, timelines, the network JSON, search), as if she did not exist.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from geflecht.accounts.models import Team, User
from geflecht.network.actions import bump_graph_version
from geflecht.network.models import Interaction, InteractionParticipant, Relationship
from geflecht.people.models import Organization, Person, Position

SECRET = "Teamgeheim"


@pytest.fixture
def team_world(tenant, owner, colleague):
    tom_person = Person.objects.create(tenant=tenant, first_name="Tom", last_name="Keller")
    tom = User.objects.create_user("tom", tenant=tenant, person=tom_person)
    team = Team.objects.create(tenant=tenant, name="Vertrieb Süd")
    team.members.add(owner, tom)
    own = Organization.objects.create(tenant=tenant, name="Brenner", kind="own")
    acme = Organization.objects.create(tenant=tenant, name="ACME", kind="customer")
    for user in (owner, colleague, tom):
        Position.objects.create(tenant=tenant, person=user.person, organization=own)
    weber = Person.objects.create(tenant=tenant, first_name="Klaus", last_name="Weber")
    tessa = Person.objects.create(
        tenant=tenant, first_name="Tessa", last_name=SECRET, visibility="team", owner=owner
    )
    Position.objects.create(tenant=tenant, person=weber, organization=acme)
    Position.objects.create(tenant=tenant, person=tessa, organization=acme)
    rels = []
    for a, b in ((weber, tessa), (colleague.person, weber), (tom_person, weber)):
        x, y = sorted([a.pk, b.pk])
        rels.append(
            Relationship.objects.create(tenant=tenant, person_a_id=x, person_b_id=y, strength=0.6)
        )
    bump_graph_version(tenant.id, rels)
    meeting = Interaction.objects.create(
        tenant=tenant,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=3),
        subject="Jour fixe",
    )
    for person in (weber, tessa):
        InteractionParticipant.objects.create(interaction=meeting, person=person, role="attendee")
    return {"tom": tom, "acme": acme, "weber": weber, "tessa": tessa}


def _get(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _pages(w) -> list[str]:
    return [
        f"/organisations/{w['acme'].pk}/",
        f"/people/{w['weber'].pk}/",
        f"/people/{w['weber'].pk}/timeline/",
        f"/network/data.json?mode=organization&org={w['acme'].pk}",
        "/search/?q=Teamgehei",  # a prefix: the page may echo the query
    ]


def test_team_person_is_invisible_to_colleague_outside_the_team(team_world, colleague):
    leaks = []
    for url in _pages(team_world):
        body = _get(colleague, url)
        if SECRET in body or f"/people/{team_world['tessa'].pk}/" in body:
            leaks.append(url)
    assert leaks == []


def test_team_person_shows_to_the_owners_team_mate(team_world):
    tom = team_world["tom"]
    assert SECRET in _get(tom, f"/organisations/{team_world['acme'].pk}/")
    assert SECRET in _get(tom, f"/people/{team_world['weber'].pk}/")
    assert SECRET in _get(tom, f"/people/{team_world['weber'].pk}/timeline/")
