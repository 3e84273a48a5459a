"""The one visibility rule, in its ORM and its SQL form, gives the same answer."""

from __future__ import annotations

import pytest
from django.db import connection

from geflecht.accounts.actions import add_to_team
from geflecht.accounts.models import User
from geflecht.lib.visibility import can_see, visible_q, visible_sql
from geflecht.people.models import Person


@pytest.fixture
def people(tenant, owner, colleague):
    """One person for every (visibility, owner) combination that matters."""
    other = User.objects.create_user(username="otto", password="x-Geflecht-2026", tenant=tenant)
    add_to_team(owner, "Vertrieb")
    add_to_team(colleague, "Vertrieb")
    made = {}
    for visibility in ("company", "team", "private"):
        for who in (owner, colleague, other):
            made[(visibility, who.username)] = Person.objects.create(
                tenant=tenant,
                last_name=f"{visibility}-{who.username}",
                visibility=visibility,
                owner=who,
            )
    return made


def test_orm_sql_and_object_rules_agree(people, owner, colleague):
    for user in (owner, colleague):
        fresh = User.objects.get(pk=user.pk)  # no cached teammates: the subquery path
        by_orm = set(
            Person.objects.filter(tenant_id=user.tenant_id)
            .filter(visible_q(fresh))
            .values_list("pk", flat=True)
        )
        condition, params = visible_sql(fresh, "p")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT p.id FROM people_person p WHERE p.tenant_id = %s AND {condition}",
                [user.tenant_id, *params],
            )
            by_sql = {row[0] for row in cursor.fetchall()}
        by_object = {p.pk for p in Person.objects.all() if can_see(fresh, p)}
        assert by_orm == by_sql == by_object
        expected = {
            ("company", "anna"),
            ("company", "jana"),
            ("company", "otto"),
            ("team", "anna"),
            ("team", "jana"),
            ("private", user.username),
        }
        assert by_orm >= {people[k].pk for k in expected}
        assert people[("team", "otto")].pk not in by_orm  # Otto is in no team with them
        other = "jana" if user.username == "anna" else "anna"
        assert people[("private", other)].pk not in by_orm
