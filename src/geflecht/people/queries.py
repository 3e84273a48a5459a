"""Reads of people and organisations, with the visibility rules applied once."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from geflecht.accounts.models import User
from geflecht.network.models import Interaction, Relationship
from geflecht.people.models import Organization, Person


def visible_people(user: User) -> QuerySet[Person]:
    """People of the user's tenant the user may see: shared ones and their own private ones."""
    return Person.objects.filter(tenant_id=user.tenant_id).filter(
        ~Q(visibility="private") | Q(owner=user)
    )


def visible_relationships(user: User) -> QuerySet[Relationship]:
    return Relationship.objects.filter(tenant_id=user.tenant_id).filter(
        ~Q(visibility="private") | Q(owner=user)
    )


def visible_interactions(user: User) -> QuerySet[Interaction]:
    return Interaction.objects.filter(tenant_id=user.tenant_id).filter(
        ~Q(visibility="private") | Q(owner=user)
    )


@dataclass(frozen=True)
class TenantOverview:
    people: int
    organizations: int
    relationships: int
    interactions: int
    organizations_by_kind: list[tuple[str, int]]


def tenant_overview(user: User) -> TenantOverview:
    by_kind = {
        row["kind"]: row["n"]
        for row in Organization.objects.filter(tenant_id=user.tenant_id)
        .values("kind")
        .annotate(n=Count("id"))
    }
    labels = dict(Organization.Kind.choices)
    return TenantOverview(
        people=visible_people(user).count(),
        organizations=sum(by_kind.values()),
        relationships=visible_relationships(user).count(),
        interactions=visible_interactions(user).count(),
        organizations_by_kind=[(str(labels[k]), by_kind[k]) for k in labels if k in by_kind],
    )


_TITLES = {"dr.", "prof.", "dipl.-ing.", "ing.", "mag.", "dr", "prof"}


def find_people(user: User, text: str, *, limit: int = 10) -> list[Person]:
    """People visible to ``user`` whose name matches ``text`` ("Dr. Klaus Weber", "Weber").

    Titles are ignored, case does not matter; the last word is the last name.
    """
    words = [w for w in text.split() if w.lower() not in _TITLES]
    if not words:
        return []
    query = visible_people(user).filter(last_name__iexact=words[-1])
    if len(words) > 1:
        query = query.filter(first_name__iexact=" ".join(words[:-1]))
    return list(query.order_by("id")[:limit])
