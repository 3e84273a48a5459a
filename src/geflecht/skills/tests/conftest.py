"""A small firm with skills: Brenner (own, Ulm) and a customer in Stuttgart."""

from __future__ import annotations

import pytest

from geflecht.accounts.models import User
from geflecht.network.actions import bump_graph_version
from geflecht.network.models import Relationship
from geflecht.people.models import Organization, Person, Position, Site
from geflecht.skills import matching, queries
from geflecht.skills.actions import load_starter_taxonomy
from geflecht.skills.models import PersonSkill, Skill


class SkillNet:
    """Anna (admin) and Jana (member) at Brenner in Ulm with Bernd; Weber and Kurz at
    ACME in Stuttgart; Mayr is Jana's private contact in Stuttgart."""

    def __init__(self, tenant):
        self.tenant = tenant
        load_starter_taxonomy(tenant)
        self.own = Organization.objects.create(tenant=tenant, name="Brenner", kind="own")
        self.acme = Organization.objects.create(tenant=tenant, name="ACME", kind="customer")
        self.ulm = Site.objects.create(
            tenant=tenant, organization=self.own, name="Werk Ulm", city="Ulm",
            latitude=48.398, longitude=9.992,
        )  # fmt: skip
        self.stuttgart = Site.objects.create(
            tenant=tenant, organization=self.acme, name="Zentrale", city="Stuttgart",
            latitude=48.776, longitude=9.183,
        )  # fmt: skip
        self.people = {}
        for key, first, last, org, site in [
            ("anna", "Anna", "Schmidt", self.own, self.ulm),
            ("jana", "Jana", "Becker", self.own, self.ulm),
            ("bernd", "Bernd", "Vogel", self.own, self.ulm),
            ("weber", "Klaus", "Weber", self.acme, self.stuttgart),
            ("kurz", "Eva", "Kurz", self.acme, self.stuttgart),
        ]:
            person = Person.objects.create(tenant=tenant, first_name=first, last_name=last)
            Position.objects.create(
                tenant=tenant, person=person, organization=org, site=site, title="Ingenieur"
            )
            self.people[key] = person
        self.anna = User.objects.create_user(
            "anna", tenant=tenant, person=self.people["anna"], role=User.Role.ADMIN
        )
        self.jana = User.objects.create_user("jana", tenant=tenant, person=self.people["jana"])
        mayr = Person.objects.create(
            tenant=tenant, first_name="Otto", last_name="Mayr", visibility="private",
            owner=self.jana,
        )  # fmt: skip
        Position.objects.create(
            tenant=tenant, person=mayr, organization=self.acme, site=self.stuttgart
        )
        self.people["mayr"] = mayr
        matching.forget()
        queries.forget_index()

    def __getitem__(self, key):
        return self.people[key]

    def skill(self, key: str) -> Skill:
        return Skill.objects.get(tenant=self.tenant, key=key)

    def has(self, person: str, key: str, level: int = 3, note: str = "", declared=True):
        return PersonSkill.objects.create(
            tenant=self.tenant, person=self.people[person], skill=self.skill(key),
            level=level, note=note, self_declared=declared,
        )  # fmt: skip

    def tie(self, a, b, strength, *, owner=None):
        x, y = sorted([self.people[a].pk, self.people[b].pk])
        rel = Relationship.objects.create(
            tenant=self.tenant, person_a_id=x, person_b_id=y, strength=strength,
            visibility="private" if owner else "company", owner=owner,
        )  # fmt: skip
        bump_graph_version(self.tenant.id, [rel])
        return rel


@pytest.fixture
def net(tenant):
    n = SkillNet(tenant)
    yield n
    matching.forget()
    queries.forget_index()
