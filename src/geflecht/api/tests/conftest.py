"""API personas: Anna (owner of a private address book), Jana (colleague), Olaf (outsider)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from geflecht.accounts.actions import create_token
from geflecht.network.actions import record_interaction
from geflecht.people.models import Organization, Person, Position, Site


class Api:
    """A client that speaks JSON with a personal token."""

    def __init__(self, user):
        self.user = user
        _, secret = create_token(user, "tests")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def _call(self, method, path, data=None, **headers):
        kwargs = {"content_type": "application/json"} if data is not None else {}
        call = getattr(self.client, method)
        return (
            call(path, data=data, headers=headers, **kwargs)
            if data is not None
            else call(path, headers=headers)
        )

    def get(self, path, **headers):
        return self._call("get", path, **headers)

    def post(self, path, data, **headers):
        return self._call("post", path, data, **headers)

    def patch(self, path, data, **headers):
        return self._call("patch", path, data, **headers)

    def put(self, path, data, **headers):
        return self._call("put", path, data, **headers)

    def delete(self, path, **headers):
        return self._call("delete", path, **headers)


@pytest.fixture
def world(tenant, own_company, owner, colleague, outsider):
    return build_world(tenant, own_company, owner, colleague)


def build_world(tenant, own_company, owner, colleague) -> dict:
    """A customer with a site and a buyer, Anna's private contact, and some interactions."""
    acme = Organization.objects.create(
        tenant=tenant, name="ACME Maschinenbau GmbH", kind="customer"
    )
    ulm = Site.objects.create(tenant=tenant, organization=acme, name="Werk Ulm", city="Ulm")
    weber = Person.objects.create(tenant=tenant, title="Dr.", first_name="Klaus", last_name="Weber")
    Position.objects.create(
        tenant=tenant,
        person=weber,
        organization=acme,
        site=ulm,
        title="Einkaufsleiter",
        buying_role="economic_buyer",
    )
    for user in (owner, colleague):
        Position.objects.create(tenant=tenant, person=user.person, organization=own_company)
    secret = Person.objects.create(
        tenant=tenant,
        first_name="Gerlinde",
        last_name="Geheimnisvoll",
        visibility="private",
        owner=owner,
    )
    now = timezone.now()
    record_interaction(
        tenant=tenant,
        recorded_by=owner,
        kind="meeting",
        occurred_at=now - timedelta(days=10),
        participants=[(owner.person_id, "organiser"), (weber.pk, "attendee")],
        subject="Angebot Messmaschine",
    )
    record_interaction(
        tenant=tenant,
        recorded_by=owner,
        kind="meeting",
        visibility="private",
        occurred_at=now - timedelta(days=3),
        participants=[(owner.person_id, "organiser"), (secret.pk, "attendee")],
        subject="Privates Abendessen",
    )
    record_interaction(
        tenant=tenant,
        recorded_by=owner,
        kind="phone",
        visibility="private",
        occurred_at=now - timedelta(days=2),
        participants=[(secret.pk, "organiser"), (weber.pk, "attendee")],
        subject="Geheimnisvoll ruft Weber an",
    )
    return {"acme": acme, "ulm": ulm, "weber": weber, "secret": secret}


@pytest.fixture
def anna(owner):
    return Api(owner)


@pytest.fixture
def jana(colleague):
    return Api(colleague)


@pytest.fixture
def olaf(outsider):
    return Api(outsider)
