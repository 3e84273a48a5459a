"""Team records in the people domain: visible to the owner's team mates, to nobody else."""

from __future__ import annotations

import pytest

from geflecht.accounts.models import Team, User
from geflecht.people.models import Person
from geflecht.people.queries import forget_search_index, search


@pytest.fixture(autouse=True)
def _fresh_index():
    forget_search_index()
    yield
    forget_search_index()


@pytest.fixture
def tom(tenant, owner):
    """Tom shares a team with Anna (Jana does not)."""
    person = Person.objects.create(tenant=tenant, first_name="Tom", last_name="Keller")
    user = User.objects.create_user("tom", tenant=tenant, person=person)
    Team.objects.create(tenant=tenant, name="Vertrieb Süd").members.add(owner, user)
    return user


@pytest.fixture
def two_webers(tenant, owner):
    # The team contact comes first in the index, so it ranks first among equal scores.
    team = Person.objects.create(
        tenant=tenant, first_name="Klaus", last_name="Weber", visibility="team", owner=owner
    )
    shared = Person.objects.create(tenant=tenant, first_name="Klaus", last_name="Weber")
    return team, shared


def test_search_limit_is_not_used_up_by_team_contacts_the_user_may_not_see(two_webers, colleague):
    _team, shared = two_webers
    assert [h.id for h in search(colleague, "Klaus Weber", limit=1)] == [shared.pk]


def test_search_finds_a_team_contact_for_the_owners_team_mate(two_webers, tom):
    team, shared = two_webers
    assert {h.id for h in search(tom, "Klaus Weber")} == {team.pk, shared.pk}


@pytest.fixture
def team_records(tenant, owner):
    """One team-visible record of Anna's of each kind, with the records seen through them."""
    from datetime import timedelta

    from django.utils import timezone

    from geflecht.network.models import Interaction, Relationship
    from geflecht.people.models import Organization, Position, Site
    from geflecht.projects.models import Project

    firm = Organization.objects.create(
        tenant=tenant, name="Teamfirma", kind="customer", visibility="team", owner=owner
    )
    site = Site.objects.create(tenant=tenant, organization=firm, name="Werk", city="Ulm")
    person = Person.objects.create(
        tenant=tenant, first_name="Tessa", last_name="Teamgeheim", visibility="team", owner=owner
    )
    job = Position.objects.create(tenant=tenant, person=person, organization=firm, site=site)
    x, y = sorted([owner.person_id, person.pk])
    rel = Relationship.objects.create(
        tenant=tenant, person_a_id=x, person_b_id=y, visibility="team", owner=owner
    )
    meeting = Interaction.objects.create(
        tenant=tenant,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=1),
        visibility="team",
        owner=owner,
    )
    project = Project.objects.create(
        tenant=tenant, organization=firm, name="Teamprojekt", visibility="team", owner=owner
    )
    return {
        Organization: firm,
        Site: site,
        Person: person,
        Position: job,
        Relationship: rel,
        Interaction: meeting,
        Project: project,
    }


def test_visible_to_hides_team_records_from_colleague_outside_the_team(
    team_records, colleague, tom, owner, outsider
):
    for model, record in team_records.items():
        assert not model.objects.visible_to(colleague).filter(pk=record.pk).exists(), model
        assert not model.objects.visible_to(outsider).filter(pk=record.pk).exists(), model
        assert model.objects.visible_to(tom).filter(pk=record.pk).exists(), model
        assert model.objects.visible_to(owner).filter(pk=record.pk).exists(), model


def test_visible_queries_are_the_querysets_visible_to(team_records, colleague, tom):
    from geflecht.network import queries as network_queries
    from geflecht.people import queries
    from geflecht.projects.queries import visible_projects

    by_name = {model.__name__: model for model in team_records}
    pairs = {
        "Project": visible_projects,
        "Person": queries.visible_people,
        "Organization": queries.visible_organizations,
        "Site": queries.visible_sites,
        "Position": queries.visible_positions,
        "Relationship": network_queries.visible_relationships,
        "Interaction": network_queries.visible_interactions,
    }
    for user in (colleague, tom):
        for name, fn in pairs.items():
            expected = set(by_name[name].objects.visible_to(user).values_list("pk", flat=True))
            assert set(fn(user).values_list("pk", flat=True)) == expected, name
