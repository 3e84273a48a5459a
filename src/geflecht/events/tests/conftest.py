"""A small network around a coming trade fair, with Jana's private contact in it.

anna ─ weber ─ tanja        (all shared)
anna ─ jana ─ bruno ─ tanja (shared)
jana ─ paul ─ otto          (Paul and both of his ties are Jana's private ones)
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from geflecht.events import actions as event_actions
from geflecht.network.actions import create_relationship
from geflecht.people.models import Organization, Person, Position


@pytest.fixture
def fair_world(tenant, own_company, owner, colleague):
    acme = Organization.objects.create(
        tenant=tenant, name="ACME Maschinenbau GmbH", kind="customer"
    )
    ziel = Organization.objects.create(tenant=tenant, name="Zielwerk AG", kind="prospect")
    partner = Organization.objects.create(tenant=tenant, name="Makler & Partner", kind="partner")

    def person(first, last, org, **kw):
        p = Person.objects.create(tenant=tenant, first_name=first, last_name=last, **kw)
        if org is not None:
            Position.objects.create(tenant=tenant, person=p, organization=org)
        return p

    for user in (owner, colleague):
        Position.objects.create(tenant=tenant, person=user.person, organization=own_company)
    weber = person("Klaus", "Weber", acme, importance="A")
    tanja = person("Tanja", "Ziel", ziel)
    bruno = person("Bruno", "Makler", partner)
    otto = person("Otto", "Oberziel", ziel)
    paul = person("Paul", "Privat", None, visibility="private", owner=colleague)
    create_relationship(owner, owner.person, weber, rating=4)
    create_relationship(owner, weber, tanja, rating=3)
    create_relationship(owner, owner.person, colleague.person, kind="colleague", rating=4)
    create_relationship(colleague, colleague.person, bruno, rating=4)
    create_relationship(colleague, bruno, tanja, rating=4)
    create_relationship(
        colleague, colleague.person, paul, kind="friend", rating=5, visibility="private"
    )
    create_relationship(colleague, paul, otto, kind="friend", rating=5, visibility="private")
    today = timezone.localdate()
    fair = event_actions.create_event(
        owner,
        name="AMB Stuttgart",
        start_date=today + timedelta(days=20),
        end_date=today + timedelta(days=22),
        city="Stuttgart",
        venue="Messe Stuttgart",
    )
    for who, role in (
        (owner.person, "staff"),
        (colleague.person, "staff"),
        (weber, "visitor"),
        (bruno, "exhibitor"),
    ):
        event_actions.add_attendance(owner, fair, person=who, role=role)
    past = event_actions.create_event(
        owner,
        name="EMO Hannover",
        start_date=today - timedelta(days=10),
        end_date=today - timedelta(days=8),
        city="Hannover",
    )
    return {
        "acme": acme,
        "ziel": ziel,
        "weber": weber,
        "tanja": tanja,
        "bruno": bruno,
        "otto": otto,
        "paul": paul,
        "fair": fair,
        "past": past,
    }


@pytest.fixture
def anna(owner):
    from geflecht.api.tests.conftest import Api

    return Api(owner)


@pytest.fixture
def jana(colleague):
    from geflecht.api.tests.conftest import Api

    return Api(colleague)


@pytest.fixture
def olaf(outsider):
    from geflecht.api.tests.conftest import Api

    return Api(outsider)
