"""What each web page shows, gathered from the domain services with visibility applied.

Views call one function here and render its result; every read goes through the
domain queries (``visible_people``, ``visible_relationships_of``, the reach services),
so a colleague's private contacts cannot reach a page by a side road.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone

from geflecht.accounts.models import User
from geflecht.lib.remember import Pending, rememberable, remembered
from geflecht.lib.visibility import visible_q
from geflecht.network.models import (
    Interaction,
    InteractionParticipant,
    Relationship,
)
from geflecht.network.person_rows import (
    TimelineEntry,
    timeline_entries,
)
from geflecht.network.queries import (
    relationship_between,
    upcoming_meetings_of,
    visible_interactions,
)
from geflecht.network.reach import (
    IntroPath,
    PathOptions,
    introduction_paths,
    key_person_risks,
)
from geflecht.network.snapshot import graph_version
from geflecht.network.team_paths import direct_coverage, team_paths
from geflecht.people.models import Organization, Person, Position
from geflecht.people.queries import (
    SearchHit,
    search,
    visible_organizations,
    visible_people,
)


def _lang(lang: str) -> str:
    return "de" if lang.startswith("de") else "en"


@dataclass(frozen=True)
class Reach:
    mine: list[IntroPath]
    team: list[IntroPath]
    direct: Relationship | None


def reach_person(user: User, target: Person, *, lang: str = "en") -> Reach:
    """How ``user`` reaches ``target``: their own best paths and the team's best path."""
    options = PathOptions(k=3, lang=_lang(lang))
    mine = introduction_paths(user, target, options)
    team = team_paths(user, target, lang=_lang(lang))
    direct = None
    if user.person_id and user.person_id != target.pk:
        direct = relationship_between(user, user.person, target)
    return Reach(mine, team, direct)


def log_interaction(
    user: User, person: Person, *, kind: str, occurred_at: datetime, duration, subject: str
) -> tuple[Interaction, Relationship | None]:
    """Record a meeting or call between the user and ``person``; the new relationship."""
    from geflecht.network.actions import record_interaction

    interaction = record_interaction(
        tenant=user.company,
        recorded_by=user,
        kind=kind,
        occurred_at=occurred_at,
        duration_minutes=duration,
        subject=subject,
        participants=[(user.person_id, "organiser"), (person.pk, "attendee")],
    )
    return interaction, relationship_between(user, user.person, person)


# ------------------------------------------------------------------ organisation page
@dataclass
class OrgPage:
    organization: Organization
    sites: list
    groups: list[tuple[str, str, list[Position]]]  # (site, department, positions)
    coverage: list[dict]
    risk: object | None
    recent: list[TimelineEntry]
    people_count: int = 0


def global_search(user: User, text: str, *, limit: int = 20) -> list[SearchHit]:
    """The top bar's search: people, organisations and sites (people.queries.search) and
    skills of the taxonomy, read as the expert search reads them (typos, umlauts,
    synonyms, German or English); a skill hit leads to the experts for it."""
    from geflecht.skills import matching

    hits = search(user, text, limit=limit)
    if user.tenant_id is None or not text.strip():
        return hits
    tax = matching.taxonomy(user.tenant_id)
    reading = matching.interpret(tax, text)
    # A skill hit only when the whole query names skills (no leftover words): "Weber Ulm"
    # stays a people search, "Spritzguss" and "injection moulding" find the skill.
    if reading.further:
        return hits
    for m in reading.matches:
        entry = tax.skills[m.skill_id]
        hits.append(
            SearchHit("skill", m.skill_id, entry.name_de, entry.name_en, 100.0 * m.score + 5)
        )
    hits.sort(key=lambda h: -h.score)
    return hits[:limit]


def organisation_page(user: User, org_id: int, *, lang: str = "en") -> OrgPage:
    """An organisation with its sites, its people by site and department, who of us
    knows whom there and how well, and its recent interactions. The key-person risk
    comes separately (:func:`organisation_risk`): it walks the graph once per colleague."""
    org = get_object_or_404(visible_organizations(user), pk=org_id)
    sites = list(org.sites.all().order_by("name"))
    positions = list(
        Position.objects.filter(organization=org, end_date__isnull=True)
        .filter(visible_q(user, "person"))
        .select_related("person", "site")
        .order_by("site__name", "department", "person__last_name")
    )
    groups: dict[tuple[str, str], list[Position]] = defaultdict(list)
    for pos in positions:
        groups[(pos.site.name if pos.site else "", pos.department)].append(pos)
    staff_ids = [p.person_id for p in positions]
    coverage = direct_coverage(user, staff_ids) if org.kind != Organization.Kind.OWN else []
    recent_ids = list(
        InteractionParticipant.objects.filter(person_id__in=staff_ids)
        .filter(visible_q(user, "interaction"))
        .order_by("-interaction__occurred_at")
        .values_list("interaction_id", flat=True)[:40]
    )
    recent = timeline_entries(user, list(dict.fromkeys(recent_ids))[:10])
    return OrgPage(
        org,
        sites,
        [(site, dept, rows) for (site, dept), rows in groups.items()],
        coverage,
        None,
        recent,
        len(positions),
    )


@rememberable
def _risk_of(user_id: int, org_id: int):
    """The key-person risk of one organisation as this user sees it (None: no risk)."""
    user = User.objects.get(pk=user_id)
    org = visible_organizations(user).filter(pk=org_id).first()
    if org is None:  # gone, or no longer visible to them
        return None
    risks = key_person_risks(user, organizations=[org])
    return risks[0] if risks else None


def organisation_risk(user: User, org_id: int):
    """Key-person risk of one organisation, cached until the graph changes."""
    org = get_object_or_404(visible_organizations(user), pk=org_id)
    if org.kind == Organization.Kind.OWN:
        return None

    # One graph walk per colleague: seconds on a large network, so the first answer is
    # computed in the background while the page says so and asks again.
    risk = remembered(
        _risk_of, {"user_id": user.pk, "org_id": org.pk}, graph_version(user.tenant_pk), wait=False
    )
    if isinstance(risk, Pending) or risk is None or not risk.lost:
        return risk
    # An answer from a moment ago may name someone who has become private since.
    seen = set(
        visible_people(user).filter(pk__in=[p.pk for p in risk.lost]).values_list("pk", flat=True)
    )
    return replace(risk, lost=tuple(p for p in risk.lost if p.pk in seen))


# --------------------------------------------------------------------------- dashboard
@dataclass
class Dashboard:
    recent: list[TimelineEntry]
    upcoming: list[TimelineEntry]
    #: Meetings in my calendar in the next two weeks (from calendar imports and syncs).
    meetings: list = field(default_factory=list)


def dashboard(user: User) -> Dashboard:
    """My recent and upcoming interactions (the cheap part of "Mein Netzwerk")."""
    if user.person_id is None:
        return Dashboard([], [])
    now = timezone.now()
    mine = visible_interactions(user).filter(participations__person_id=user.person_id)
    recent = list(
        mine.filter(occurred_at__lte=now).order_by("-occurred_at").values_list("id", flat=True)[:10]
    )
    upcoming = list(
        mine.filter(occurred_at__gt=now).order_by("occurred_at").values_list("id", flat=True)[:5]
    )
    return Dashboard(
        timeline_entries(user, recent, leave_out=user.person_id),
        timeline_entries(user, upcoming, leave_out=user.person_id),
        upcoming_meetings_of(user, days=14, now=now, limit=10),
    )


@rememberable
def _reconnect_of(user_id: int, limit: int) -> list:
    """The reconnect list as this user sees it."""
    from geflecht.events.queries import reconnect_list

    return reconnect_list(User.objects.get(pk=user_id), limit=limit)


def reconnect(user: User, *, limit: int = 10) -> list | Pending:
    """The user's reconnect list for the current graph version and day, or ``PENDING``
    while the first one is computed in the background (it reads every tie of the user
    and the coming events of their contacts: about a second at 100,000 people)."""
    if user.person_id is None:
        return []
    items = remembered(
        _reconnect_of,
        {"user_id": user.pk, "limit": limit},
        (graph_version(user.tenant_pk), timezone.localdate()),
        wait=False,
    )
    if isinstance(items, Pending) or not items:
        return items
    # An answer from a moment ago may name someone who has become private since.
    seen = set(
        visible_people(user)
        .filter(pk__in=[i.person.pk for i in items])
        .values_list("pk", flat=True)
    )
    return [i for i in items if i.person.pk in seen]


# ------------------------------------------------------------------------- path finder
def find_paths(
    user: User,
    target: Person,
    *,
    max_hops: int,
    min_strength: float,
    avoid: list[int],
    lang: str = "en",
) -> list[IntroPath]:
    """The path finder page's question; ``introduction_paths`` filters ``avoid`` through
    visibility, as for the API and the CLI."""
    return introduction_paths(
        user,
        target,
        PathOptions(
            k=5, max_hops=max_hops, min_strength=min_strength, avoid=tuple(avoid), lang=_lang(lang)
        ),
    )


# ----------------------------------------------------------------------------- import
def imported_people(user: User, since: datetime, *, limit: int = 50) -> list[Person]:
    """People the user may see that were created at or after ``since`` (an import)."""
    return list(
        visible_people(user)
        .filter(created_at__gte=since)
        .order_by("last_name", "first_name")[:limit]
    )
