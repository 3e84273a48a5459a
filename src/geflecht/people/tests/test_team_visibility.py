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
