"""A small network around one person to export and erase, seen by the usual personas."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from geflecht.accounts.models import User
from geflecht.network.actions import record_interaction
from geflecht.people.actions import create_person
from geflecht.people.models import Organization, Person, Position

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def meet(tenant, kind, people, *, days_ago=10, by=None, visibility="company", subject=""):
    """Record one interaction among ``people`` (the first organises or sends)."""
    starter = "sender" if kind in ("email", "message") else "organiser"
    other = "recipient" if kind in ("email", "message") else "attendee"
    return record_interaction(
        tenant=tenant,
        recorded_by=by,
        kind=kind,
        occurred_at=NOW - timedelta(days=days_ago),
        participants=[(p.pk, starter if i == 0 else other) for i, p in enumerate(people)],
        visibility=visibility,
        subject=subject,
        now=NOW,
    )


@pytest.fixture
def admin(tenant) -> User:
    """Ines, the tenant's admin (also staff, so she can open the Django admin)."""
    person = Person.objects.create(tenant=tenant, first_name="Ines", last_name="Vogt")
    return User.objects.create_user(
        username="ines",
        password="x-Geflecht-2026",
        tenant=tenant,
        person=person,
        role=User.Role.ADMIN,
        is_staff=True,
    )


@dataclass
class World:
    subject: Person  # Max, a customer contact everyone in the company sees
    weber: Person  # another customer contact
    kuehn: Person  # a third one
    secret: Person  # Anna's private contact (a friend)


@pytest.fixture
def world(tenant, owner, colleague) -> World:
    acme = Organization.objects.create(tenant=tenant, name="ACME Maschinenbau", kind="customer")
    subject = create_person(
        owner,
        first_name="Maximilian",
        last_name="Zwölfhaus",
        emails=["max.zwoelfhaus@acme.example"],
        phones=["0731 98765-0"],
        notes="Prefers calls before 9; plays the tuba.",
        tags=["einkauf"],
    )
    Position.objects.create(
        tenant=tenant, person=subject, organization=acme, title="Leiter Einkauf"
    )
    weber = create_person(owner, first_name="Klaus", last_name="Weber")
    kuehn = create_person(owner, first_name="Ute", last_name="Kühn")
    secret = create_person(
        owner,
        first_name="Sebastian",
        last_name="Heimlich",
        owner=owner,
        visibility="private",
    )
    anna, jana = owner.person, colleague.person
    meet(tenant, "meeting", [anna, subject, weber], days_ago=30, subject="Jahresgespräch")
    meet(tenant, "meeting", [anna, subject, weber], days_ago=90)
    meet(tenant, "phone", [jana, subject], days_ago=5)
    meet(
        tenant,
        "meeting",
        [subject, kuehn, weber, jana],
        days_ago=60,
        subject="Werksbesuch bei Herrn Zwölfhaus (max.zwoelfhaus@acme.example)",
    )
    # Anna's private lunch with her friend and Max: Jana must never learn of it.
    meet(tenant, "meeting", [anna, secret, subject], days_ago=20, by=owner, visibility="private")
    return World(subject=subject, weber=weber, kuehn=kuehn, secret=secret)
