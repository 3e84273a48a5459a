"""Reads of relationships and interactions: evidence histories, explanations, reconnect."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Case, Count, Prefetch, Q, QuerySet, When, prefetch_related_objects
from django.utils import timezone

from geflecht.accounts.models import User
from geflecht.lib.remember import rememberable, remembered
from geflecht.lib.visibility import audience_covers, can_see, visible_q
from geflecht.network.models import (
    Interaction,
    InteractionParticipant,
    Relationship,
    UpcomingMeeting,
    UpcomingParticipant,
)
from geflecht.network.params import strength_params
from geflecht.network.strength import (
    Evidence,
    ReconnectAdvice,
    StrengthResult,
    assess_reconnect,
    compute_strength,
)
from geflecht.people.models import Organization, Person
from geflecht.people.queries import Audience, index_signature

if TYPE_CHECKING:
    from geflecht.network.actions import _Rel

# Roles that start an exchange: who sent, called or organised it.
STARTERS = ("sender", "organiser")


def pair_histories(
    tenant_id: int, rels: Sequence[Relationship | _Rel]
) -> dict[int, list[Evidence]]:
    """The evidence of each relationship: the interactions both people took part in.

    Three queries per 5,000 pairs at most, and they read only interactions
    the pairs share (not every participation of a well-connected person). An interaction
    counts for a relationship row only if everyone who may see the row may see it
    (``audience_covers``): a private or team one only for rows of the same owner.
    """
    histories: dict[int, list[Evidence]] = {rel.pk: [] for rel in rels}
    if not rels:
        return histories
    pairs = sorted({(rel.person_a_id, rel.person_b_id) for rel in rels})
    table = InteractionParticipant._meta.db_table
    people = sorted({p for pair in pairs for p in pair})
    # Each pair is read from the side of its less active person, so a hub with 100,000
    # interactions (the importing user) is never scanned once per contact.
    activity = dict(
        InteractionParticipant.objects.filter(person_id__in=people)
        .values("person_id")
        .annotate(n=Count("id"))
        .values_list("person_id", "n")
    )
    shared: dict[tuple[int, int], list[tuple[int, str, str]]] = defaultdict(list)
    # The pairs go in as one list (a PostgreSQL array, a JSON array in SQLite) that the
    # query walks pair by pair through the participant indexes: one statement per 5,000
    # pairs instead of a UNION of one SELECT per pair, which PostgreSQL plans slowly.
    columns = "p1.interaction_id, p1.person_id, p1.role, p2.person_id, p2.role"
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT {columns} FROM unnest(%s::bigint[], %s::bigint[]) AS w(x, y) "
            f"JOIN {table} p1 ON p1.person_id = w.x "
            f"JOIN {table} p2 ON p2.interaction_id = p1.interaction_id AND p2.person_id = w.y"
        )
    else:
        sql = (
            f"SELECT {columns} FROM json_each(%s) w CROSS JOIN {table} p1 CROSS JOIN {table} p2 "
            "WHERE p1.person_id = json_extract(w.value, '$[0]') "
            "AND p2.interaction_id = p1.interaction_id "
            "AND p2.person_id = json_extract(w.value, '$[1]')"
        )
    for start in range(0, len(pairs), 5000):
        chunk = [
            (a, b) if activity.get(a, 0) <= activity.get(b, 0) else (b, a)
            for a, b in pairs[start : start + 5000]
        ]
        params: list
        if connection.vendor == "postgresql":
            params = [[x for x, _ in chunk], [y for _, y in chunk]]
        else:
            params = [json.dumps(chunk)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for iid, x, role_x, y, role_y in cursor.fetchall():
                if x < y:
                    shared[(x, y)].append((iid, role_x, role_y))
                else:
                    shared[(y, x)].append((iid, role_y, role_x))
    ids = {iid for rows in shared.values() for iid, _, _ in rows}
    meta = {
        row[0]: row
        for row in Interaction.objects.filter(id__in=ids, tenant_id=tenant_id).values_list(
            "id",
            "kind",
            "occurred_at",
            "duration_minutes",
            "participant_count",
            "visibility",
            "owner_id",
        )
    }
    for rel in rels:
        for iid, role_a, role_b in shared.get((rel.person_a_id, rel.person_b_id), ()):
            if iid not in meta:
                continue
            _, kind, when, duration, size, visibility, owner = meta[iid]
            if not audience_covers(visibility, owner, rel.visibility, rel.owner_id):
                continue
            initiator = "a" if role_a in STARTERS else "b" if role_b in STARTERS else None
            histories[rel.pk].append(
                Evidence(
                    occurred_at=when,
                    channel=kind,
                    group_size=max(size, 2),
                    duration_minutes=duration,
                    initiator=initiator,
                )
            )
    return histories


def explain_relationship(rel: Relationship, *, now: datetime | None = None) -> StrengthResult:
    """The strength of one relationship with its inputs and parameters."""
    history = pair_histories(rel.tenant_id, [rel])[rel.pk]
    return compute_strength(
        history,
        now=now or timezone.now(),
        rating=rel.rating,
        kind=rel.kind,
        params=strength_params(),
    )


def visible_relationships_of(user: User, person_id: int):
    """The relationships of a person that ``user`` may see."""
    return (
        Relationship.objects.filter(tenant_id=user.tenant_pk)
        .filter(Q(person_a_id=person_id) | Q(person_b_id=person_id))
        .filter(visible_q(user))
    )


def relationship_between(user: User, a: Person | None, b: Person) -> Relationship | None:
    """The relationship ``user`` sees between two people: their own row first (None when
    ``a`` is missing, as for a login without a person)."""
    if a is None:
        return None
    x, y = sorted([a.pk, b.pk])
    # The user's own restricted row, then a team mate's team row, then the company's.
    mine_first = Case(When(Q(owner_id=user.pk) & ~Q(visibility="company"), then=0), default=1)
    rels = (
        Relationship.objects.visible_to(user)
        .filter(person_a_id=x, person_b_id=y)
        .order_by(mine_first, "-visibility", "id")
    )
    return rels.first()


@dataclass(frozen=True)
class ReconnectItem:
    person: Person
    relationship: Relationship
    advice: ReconnectAdvice
    strength_then: float
    strength_now: float


#: Days ahead in which an upcoming meeting with a contact takes them off the reconnect list.
RECONNECT_MEETING_DAYS = 14

#: Upcoming events per person id, as ``(name, date)``: given, or asked for the contacts.
UpcomingEvents = Mapping[int, Sequence[tuple[str, datetime]]]


def reconnect_list(
    user: User,
    *,
    now: datetime | None = None,
    limit: int = 50,
    lookback_days: int = 365,
    upcoming_events: UpcomingEvents | Callable[[list[int]], UpcomingEvents] | None = None,
) -> list[ReconnectItem]:
    """Important relationships of ``user`` that have gone quiet or weakened.

    Important: the contact's importance is A or B, or the tie was strong
    ``lookback_days`` ago. Ranked by importance, then by how far the tie declined.
    Each item's advice names the last in-person meeting and a next step: meet at an
    upcoming event the person attends, meet, or call. ``upcoming_events`` maps person
    ids to ``(name, date)``, or is asked with the contacts' ids; without it no event is
    known. Planned attendance lives in the events domain, above this one: the doors ask
    ``geflecht.events.queries.reconnect_list``, which passes it in. Someone the user
    already meets in the coming :data:`RECONNECT_MEETING_DAYS` days (an upcoming meeting
    in their calendar) is not on the list: there is nothing to advise.
    """
    if user.person_id is None:
        return []
    now = now or timezone.now()
    then = now - timedelta(days=lookback_days)
    params = strength_params()
    rels = list(visible_relationships_of(user, user.person_id))
    histories = pair_histories(user.tenant_pk, rels)
    others = {
        p.pk: p
        for p in Person.objects.filter(
            pk__in=[
                r.person_b_id if r.person_a_id == user.person_id else r.person_a_id for r in rels
            ]
        )
    }
    # Nobody needs telling to reconnect with someone they meet next week.
    for pid in meeting_soon(user, others, days=RECONNECT_MEETING_DAYS, now=now):
        del others[pid]
    rels = [
        r
        for r in rels
        if (r.person_b_id if r.person_a_id == user.person_id else r.person_a_id) in others
    ]
    if upcoming_events is None:
        upcoming_events = {}
    elif callable(upcoming_events):
        upcoming_events = upcoming_events(list(others))
    items = []
    for rel in rels:
        other = others[rel.person_b_id if rel.person_a_id == user.person_id else rel.person_a_id]
        history = histories[rel.pk]
        past = [ev for ev in history if ev.occurred_at <= then]
        strength_then = compute_strength(
            past, now=then, rating=rel.rating, kind=rel.kind, params=params
        ).value
        strength_now = compute_strength(
            history, now=now, rating=rel.rating, kind=rel.kind, params=params
        ).value
        advice = assess_reconnect(
            history,
            strength_then=strength_then,
            strength_now=strength_now,
            importance=other.importance or None,
            now=now,
            params=params,
            upcoming_events=upcoming_events.get(other.pk, ()),
        )
        if advice:
            items.append(ReconnectItem(other, rel, advice, strength_then, strength_now))
    rank = {"A": 0, "B": 1}
    items.sort(
        key=lambda it: (
            rank.get(it.person.importance, 2),
            -(it.strength_then - it.strength_now),
        )
    )
    return items[:limit]


def visible_relationships(user: User) -> QuerySet[Relationship]:
    return Relationship.objects.visible_to(user)


def visible_interactions(user: User) -> QuerySet[Interaction]:
    return Interaction.objects.visible_to(user)


@dataclass(frozen=True)
class TenantOverview:
    people: int
    organizations: int
    relationships: int
    interactions: int
    organizations_by_kind: list[tuple[str, int]]


def tenant_overview(user: User) -> TenantOverview:
    """The tenant's counts as ``user`` sees them.

    Counting a 100,000-person network reads every row, so the rows are counted once per
    tenant by who may see them (visibility and owner) and kept while the network stands
    (at most a minute); each user's figures are then a sum over those groups.
    """
    from geflecht.network.snapshot import graph_version

    tenant_id = user.tenant_pk
    version = (
        graph_version(tenant_id),
        index_signature(tenant_id),
        int(time.time() // 60),
    )
    groups = remembered(_audience_counts, {"tenant_id": tenant_id}, version)

    def seen(table: str) -> list[tuple[str, int]]:
        return [
            (kind, n)
            for kind, visibility, owner, n in groups[table]
            if can_see(user, Audience(tenant_id, visibility, owner))
        ]

    by_kind: dict[str, int] = defaultdict(int)
    for kind, n in seen("organizations"):
        by_kind[kind] += n
    labels = dict(Organization.Kind.choices)
    return TenantOverview(
        people=sum(n for _, n in seen("people")),
        organizations=sum(by_kind.values()),
        relationships=sum(n for _, n in seen("relationships")),
        interactions=sum(n for _, n in seen("interactions")),
        organizations_by_kind=[(str(labels[k]), by_kind[k]) for k in labels if k in by_kind],
    )


@rememberable
def _audience_counts(tenant_id: int) -> dict[str, list[tuple[str, str, int | None, int]]]:
    """Rows per table as (kind, visibility, owner, count): one grouped scan per table."""
    out = {}
    for table, model, kind in (
        ("people", Person, None),
        ("relationships", Relationship, None),
        ("interactions", Interaction, None),
        ("organizations", Organization, "kind"),
    ):
        fields = [kind] if kind else []
        rows = (
            model.objects.filter(tenant_id=tenant_id)
            .values(*fields, "visibility", "owner_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        out[table] = [
            (r.get(kind, "") if kind else "", r["visibility"], r["owner_id"], r["n"]) for r in rows
        ]
    return out


def upcoming_meetings_of(
    user: User, *, days: int = 14, now: datetime | None = None, limit: int = 50
) -> list[UpcomingMeeting]:
    """The meetings ahead of ``user`` in the next ``days`` days that they may see and
    take part in, soonest first, with their participants (people the user may see)."""
    if user.person_id is None:
        return []
    now = now or timezone.now()
    meetings = list(
        UpcomingMeeting.objects.filter(
            tenant_id=user.tenant_pk,
            starts_at__gte=now,
            starts_at__lt=now + timedelta(days=days),
            participations__person_id=user.person_id,
        )
        .filter(visible_q(user))
        .order_by("starts_at", "pk")[:limit]
    )
    people = Person.objects.filter(visible_q(user)).order_by("last_name", "first_name")
    prefetch_related_objects(meetings, Prefetch("participants", queryset=people))
    return meetings


def meeting_soon(
    user: User, person_ids: Iterable[int], *, days: int = 14, now: datetime | None = None
) -> dict[int, datetime]:
    """When ``user`` next meets each of ``person_ids`` within ``days`` days (upcoming
    meetings the user may see and takes part in); people without one are left out."""
    if user.person_id is None:
        return {}
    now = now or timezone.now()
    mine = UpcomingMeeting.objects.filter(
        tenant_id=user.tenant_pk,
        starts_at__gte=now,
        starts_at__lt=now + timedelta(days=days),
        participations__person_id=user.person_id,
    ).filter(visible_q(user))
    found: dict[int, datetime] = {}
    for pid, at in (
        UpcomingParticipant.objects.filter(meeting__in=mine, person_id__in=list(person_ids))
        .order_by("meeting__starts_at")
        .values_list("person_id", "meeting__starts_at")
    ):
        found.setdefault(pid, at)
    return found
