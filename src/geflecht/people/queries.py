"""Reads of people and organisations, with the visibility rules applied once."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.lib.errors import NotFound
from geflecht.lib.visibility import visible_q
from geflecht.network.models import Interaction, Relationship
from geflecht.people.models import Organization, Person, Position, Site


def visible_people(user: User) -> QuerySet[Person]:
    """People of the user's tenant the user may see: shared ones and their own private ones."""
    return Person.objects.filter(tenant_id=user.tenant_id).filter(visible_q(user))


def visible_relationships(user: User) -> QuerySet[Relationship]:
    return Relationship.objects.filter(tenant_id=user.tenant_id).filter(visible_q(user))


def visible_interactions(user: User) -> QuerySet[Interaction]:
    return Interaction.objects.filter(tenant_id=user.tenant_id).filter(visible_q(user))


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


def visible_person(user: User, pk: int) -> Person:
    """One person the user may see, or ``NotFound`` (the same for missing and hidden)."""
    person = visible_people(user).filter(pk=pk).first()
    if person is None:
        raise NotFound(_("No person with id %(id)s.") % {"id": pk})
    return person


def tenant_organizations(user: User) -> QuerySet[Organization]:
    """Organisations are shared within the tenant."""
    return Organization.objects.filter(tenant_id=user.tenant_id)


def tenant_organization(user: User, pk: int) -> Organization:
    org = tenant_organizations(user).filter(pk=pk).first()
    if org is None:
        raise NotFound(_("No organisation with id %(id)s.") % {"id": pk})
    return org


def tenant_sites(user: User) -> QuerySet[Site]:
    return Site.objects.filter(tenant_id=user.tenant_id).select_related("organization")


def tenant_site(user: User, pk: int) -> Site:
    site = tenant_sites(user).filter(pk=pk).first()
    if site is None:
        raise NotFound(_("No site with id %(id)s.") % {"id": pk})
    return site


def visible_positions(user: User) -> QuerySet[Position]:
    """Jobs of the people the user may see."""
    return Position.objects.filter(
        tenant_id=user.tenant_id, person__in=visible_people(user)
    ).select_related("organization", "site")


def visible_position(user: User, pk: int) -> Position:
    position = visible_positions(user).select_related("person").filter(pk=pk).first()
    if position is None:
        raise NotFound(_("No position with id %(id)s.") % {"id": pk})
    return position
