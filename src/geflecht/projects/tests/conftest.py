"""A small firm around one project: Brenner (us) and ACME (the customer).

Ours: Anna and Jana (users), Bernd and Clara (colleagues without login).
ACME's buying centre: Weber (decision maker), Kurz (technical buyer), Lang (user).
Anna keeps Gerlinde Geheimnisvoll private; Gerlinde knows Lang well.
"""

from __future__ import annotations

import pytest

from geflecht.accounts.models import User
from geflecht.network.actions import bump_graph_version
from geflecht.network.models import Relationship
from geflecht.people.models import Organization, Person, Position, Site
from geflecht.projects import actions


class World:
    def __init__(self, tenant):
        self.tenant = tenant
        self.own = Organization.objects.create(tenant=tenant, name="Brenner GmbH", kind="own")
        self.acme = Organization.objects.create(
            tenant=tenant, name="ACME Maschinenbau GmbH", kind="customer"
        )
        self.ulm = Site.objects.create(
            tenant=tenant, organization=self.acme, name="Werk Ulm", city="Ulm"
        )
        self.p = {}
        for key, first, last, org, role in [
            ("anna", "Anna", "Schmidt", self.own, ""),
            ("jana", "Jana", "Becker", self.own, ""),
            ("bernd", "Bernd", "Vogel", self.own, ""),
            ("clara", "Clara", "Roth", self.own, ""),
            ("weber", "Klaus", "Weber", self.acme, "decision_maker"),
            ("kurz", "Eva", "Kurz", self.acme, "technical_buyer"),
            ("lang", "Otto", "Lang", self.acme, "user"),
        ]:
            person = Person.objects.create(tenant=tenant, first_name=first, last_name=last)
            Position.objects.create(
                tenant=tenant,
                person=person,
                organization=org,
                site=self.ulm if org == self.acme else None,
                buying_role=role,
            )
            self.p[key] = person
        self.anna = User.objects.create_user("anna", tenant=tenant, person=self.p["anna"])
        self.jana = User.objects.create_user("jana", tenant=tenant, person=self.p["jana"])
        self.p["secret"] = Person.objects.create(
            tenant=tenant,
            first_name="Gerlinde",
            last_name="Geheimnisvoll",
            visibility="private",
            owner=self.anna,
        )

    def __getitem__(self, key):
        return self.p[key]

    def tie(self, a, b, strength, *, owner=None):
        x, y = sorted([self.p[a].pk, self.p[b].pk])
        rel = Relationship.objects.create(
            tenant=self.tenant,
            person_a_id=x,
            person_b_id=y,
            strength=strength,
            visibility="private" if owner else "company",
            owner=owner,
        )
        bump_graph_version(self.tenant.id, [rel])
        return rel


@pytest.fixture
def world(tenant):
    w = World(tenant)
    w.tie("anna", "jana", 0.9)
    w.tie("anna", "weber", 0.7)
    w.tie("jana", "kurz", 0.1)
    w.tie("bernd", "kurz", 0.8)
    w.tie("clara", "bernd", 0.6)
    w.tie("anna", "secret", 0.9, owner=w.anna)
    w.tie("secret", "lang", 0.8, owner=w.anna)
    return w


@pytest.fixture
def project(world):
    pr = actions.create_project(
        world.anna, world.acme, name="Messzelle Werk Ulm", site=world.ulm, stage="proposal"
    )
    actions.add_member(world.anna, pr, world["anna"], "account_owner")
    actions.add_member(world.anna, pr, world["jana"], "sales")
    actions.add_member(world.anna, pr, world["weber"], "decision_maker")
    actions.add_member(world.anna, pr, world["kurz"], "technical_buyer")
    actions.add_member(world.anna, pr, world["lang"], "user")
    return pr
