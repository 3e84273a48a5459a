"""A person's relationships and timeline as a user sees them.

The rows of the person page (and of the dashboard's new ties and the organisation
page's recent interactions). The API's ``relationships?person_id=`` and
``interactions?person_id=`` answer the same questions in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q
from django.utils import timezone

from geflecht.accounts.models import User
from geflecht.lib.visibility import visible_q
from geflecht.network.models import Interaction, InteractionParticipant, Relationship
from geflecht.network.params import strength_params
from geflecht.network.queries import pair_histories, visible_interactions, visible_relationships_of
from geflecht.network.strength import compute_strength
from geflecht.people.models import Person, Position

__all__ = [
    "RELATIONSHIPS_PER_PAGE",
    "TIMELINE_PER_PAGE",
    "RelationshipRow",
    "TimelineEntry",
    "current_jobs",
    "explained_relationships",
    "new_ties",
    "other_visible",
    "person_relationships",
    "timeline",
    "timeline_entries",
]

RELATIONSHIPS_PER_PAGE = 15
TIMELINE_PER_PAGE = 20


def _lang(lang: str) -> str:
    return "de" if lang.startswith("de") else "en"


def current_jobs(person_ids) -> dict[int, list[Position]]:
    """Current positions of many people in one query."""
    out: dict[int, list[Position]] = defaultdict(list)
    for pos in Position.objects.filter(
        person_id__in=list(person_ids), end_date__isnull=True
    ).select_related("organization", "site"):
        out[pos.person_id].append(pos)
    return out


@dataclass(frozen=True)
class RelationshipRow:
    other: Person
    relationship: Relationship
    strength: float
    label: str
    explanation: str
    jobs: list[Position]


@dataclass(frozen=True)
class TimelineEntry:
    interaction: Interaction
    participants: list[Person]


def explained_relationships(
    user: User, rels: list[Relationship], of_person: int, lang: str, histories=None
) -> list[RelationshipRow]:
    """Each relationship with the other person, its strength and its explanation."""
    others = Person.objects.in_bulk(
        [r.person_b_id if r.person_a_id == of_person else r.person_a_id for r in rels]
    )
    jobs = current_jobs(others)
    if histories is None:
        histories = pair_histories(user.tenant_pk, rels)
    now, params = timezone.now(), strength_params()
    rows = []
    for rel in rels:
        result = compute_strength(
            histories[rel.pk], now=now, rating=rel.rating, kind=rel.kind, params=params
        )
        other_id = rel.person_b_id if rel.person_a_id == of_person else rel.person_a_id
        rows.append(
            RelationshipRow(
                others[other_id],
                rel,
                result.value,
                result.label,
                result.explain(_lang(lang)),
                jobs.get(other_id, []),
            )
        )
    return rows


def person_relationships(
    user: User, person: Person, *, page: int = 1, lang: str = "en"
) -> tuple[Page, list[RelationshipRow]]:
    """The person's relationships ``user`` may see, strongest first, one page of them."""
    rels = (
        visible_relationships_of(user, person.pk)
        .filter(other_visible(user, person.pk))
        .order_by("-strength", "id")
    )
    paged = Paginator(rels, RELATIONSHIPS_PER_PAGE).get_page(page)
    return paged, explained_relationships(user, list(paged.object_list), person.pk, lang)


def other_visible(user: User, person_id: int) -> Q:
    """Relationships whose two people ``user`` may see (joins, not a scan of everyone)."""
    return _shown(user, "person_a") & _shown(user, "person_b")


def timeline(user: User, person: Person, *, page: int = 1) -> tuple[Page, list[TimelineEntry]]:
    """Interactions of ``person`` that ``user`` may see, newest first, with the other
    visible participants (a colleague's private contact is left out of the list)."""
    interactions = (
        visible_interactions(user)
        .filter(participations__person_id=person.pk)
        .order_by("-occurred_at", "-id")
    )
    paged = Paginator(interactions, TIMELINE_PER_PAGE).get_page(page)
    ids = [i.pk for i in paged.object_list]
    people_of: dict[int, list[Person]] = defaultdict(list)
    for part in (
        InteractionParticipant.objects.filter(interaction_id__in=ids)
        .filter(_shown(user))
        .exclude(person_id=person.pk)
        .select_related("person")
        .order_by("id")
    ):
        people_of[part.interaction_id].append(part.person)
    return paged, [TimelineEntry(i, people_of[i.pk][:8]) for i in paged.object_list]


def _shown(user: User, prefix: str = "person") -> Q:
    """People (reached through ``prefix``) the user may see, as a join condition.

    The one rule of :func:`visible_q` on the joined person (team records too), instead of
    ``IN (visible_people)``, which would read every person of the tenant.
    """
    return visible_q(user, prefix)


def timeline_entries(
    user: User, interaction_ids: list[int], *, leave_out: int | None = None
) -> list[TimelineEntry]:
    interactions = Interaction.objects.filter(pk__in=interaction_ids).order_by("-occurred_at")
    shown = InteractionParticipant.objects.filter(_shown(user))
    if leave_out is not None:
        shown = shown.exclude(person_id=leave_out)
    interactions = interactions.prefetch_related(
        Prefetch("participations", queryset=shown.select_related("person").order_by("id"))
    )
    return [TimelineEntry(i, [p.person for p in i.participations.all()][:8]) for i in interactions]


def new_ties(user: User, *, lang: str = "en", days: int = 30) -> list[RelationshipRow]:
    """The user's strongest ties whose first recorded contact lies in the last ``days``."""
    if user.person_id is None:
        return []
    since = timezone.now() - timedelta(days=days)
    active = list(
        visible_relationships_of(user, user.person_id)
        .filter(other_visible(user, user.person_id))
        .filter(last_interaction_at__gte=since)
        .order_by("-strength")[:200]
    )
    histories = pair_histories(user.tenant_pk, active)
    fresh = [
        r
        for r in active
        if histories[r.pk] and min(ev.occurred_at for ev in histories[r.pk]) >= since
    ][:8]
    return explained_relationships(user, fresh, user.person_id, lang, histories)
