"""What each web page shows, gathered from the domain services with visibility applied.

Views call one function here and render its result; every read goes through the
domain queries (``visible_people``, ``visible_relationships_of``, the reach services),
so a colleague's private contacts cannot reach a page by a side road.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
from django.core.paginator import Page, Paginator
from django.db.models import Max, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext

from geflecht import graph as engine
from geflecht.accounts.models import User
from geflecht.lib.remember import PENDING, Pending, remembered
from geflecht.lib.visibility import visible_q
from geflecht.network.models import (
    GraphState,
    Interaction,
    InteractionParticipant,
    Relationship,
)
from geflecht.network.params import strength_params
from geflecht.network.queries import (
    pair_histories,
    relationship_between,
    visible_relationships_of,
)
from geflecht.network.reach import (
    IntroPath,
    PathOptions,
    _own_company_people,
    introduction_paths,
    key_person_risks,
    render_paths,
)
from geflecht.network.snapshot import current_graph
from geflecht.network.strength import compute_strength
from geflecht.people.models import Organization, Person, Position
from geflecht.people.queries import (
    SearchHit,
    search,
    visible_interactions,
    visible_organizations,
    visible_people,
)

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


# ------------------------------------------------------------------------ person page
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
        histories = pair_histories(user.tenant_id, rels)
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
        .filter(_other_visible(user, person.pk))
        .order_by("-strength", "id")
    )
    paged = Paginator(rels, RELATIONSHIPS_PER_PAGE).get_page(page)
    return paged, explained_relationships(user, list(paged.object_list), person.pk, lang)


def _other_visible(user: User, person_id: int) -> Q:
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


def team_paths(user: User, target: Person, *, lang: str = "en", limit: int = 2) -> list[IntroPath]:
    """The strongest path to ``target`` from each of the best-placed colleagues.

    Walks only the user's view of the graph; a colleague's private tie appears as
    "ask <colleague>" (see :func:`render_paths`).
    """
    snap = current_graph(user.tenant_id)
    goal = snap.node(target.pk)
    if goal is None:
        return []
    colleagues = [p for p in _own_company_people(user.tenant_id) if p != user.person_id]
    out: list[engine.Path] = []
    banned: list[int] = []
    for _ in range(limit):
        sources = [n for n in snap.nodes(colleagues) if n not in banned and n != goal]
        if not sources:
            break
        found = engine.best_group_paths(
            snap.paths_view(user.pk), sources, [goal], max_hops=4, limit=1
        )
        if not found:
            break
        out.append(found[0])
        banned.append(found[0].source)
    return render_paths(user, snap, out, lang=lang)


def log_interaction(
    user: User, person: Person, *, kind: str, occurred_at: datetime, duration, subject: str
) -> tuple[Interaction, Relationship | None]:
    """Record a meeting or call between the user and ``person``; the new relationship."""
    from geflecht.network.actions import record_interaction

    interaction = record_interaction(
        tenant=user.tenant,
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


def _shown(user: User, prefix: str = "person") -> Q:
    """People (reached through ``prefix``) the user may see, as a join condition.

    The one rule of :func:`visible_q` on the joined person (team records too), instead of
    ``IN (visible_people)``, which would read every person of the tenant.
    """
    return visible_q(user, prefix)


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
        .filter(_shown(user))
        .select_related("person", "site")
        .order_by("site__name", "department", "person__last_name")
    )
    groups: dict[tuple[str, str], list[Position]] = defaultdict(list)
    for pos in positions:
        groups[(pos.site.name if pos.site else "", pos.department)].append(pos)
    staff_ids = [p.person_id for p in positions]
    coverage = _coverage(user, staff_ids, lang) if org.kind != Organization.Kind.OWN else []
    recent_ids = list(
        InteractionParticipant.objects.filter(person_id__in=staff_ids)
        .filter(visible_q(user, "interaction"))
        .order_by("-interaction__occurred_at")
        .values_list("interaction_id", flat=True)[:40]
    )
    recent = _entries(user, list(dict.fromkeys(recent_ids))[:10])
    return OrgPage(
        org,
        sites,
        [(site, dept, rows) for (site, dept), rows in groups.items()],
        coverage,
        None,
        recent,
        len(positions),
    )


def organisation_risk(user: User, org_id: int):
    """Key-person risk of one organisation, cached until the graph changes."""
    org = get_object_or_404(visible_organizations(user), pk=org_id)
    if org.kind == Organization.Kind.OWN:
        return None

    def compute():
        risks = key_person_risks(user, organizations=[org])
        return risks[0] if risks else None

    # One graph walk per colleague: seconds on a large network, so the first answer is
    # computed in the background while the page says so and asks again.
    risk = remembered(
        f"web:risk:{user.pk}:{org.pk}", _graph_version(user.tenant_id), compute, wait=False
    )
    if risk is PENDING or risk is None or not risk.lost:
        return risk
    # An answer from a moment ago may name someone who has become private since.
    seen = set(
        visible_people(user).filter(pk__in=[p.pk for p in risk.lost]).values_list("pk", flat=True)
    )
    return replace(risk, lost=tuple(p for p in risk.lost if p.pk in seen))


def _coverage(user: User, staff_ids: list[int], lang: str) -> list[dict]:
    """Direct ties between our own people and the staff, strongest first, per person."""
    ours = set(_own_company_people(user.tenant_id))
    if not staff_ids or not ours:
        return []
    staff = set(staff_ids)
    # The user's view of the graph holds exactly the ties they may see, with their
    # strengths; reading neighbours there avoids scanning the relationship table.
    snap = current_graph(user.tenant_id)
    view = snap.view_for(user.pk)
    our_nodes = set(snap.nodes(ours).tolist())
    ties: dict[tuple[int, int], float] = {}
    for node in snap.nodes(staff).tolist():
        theirs = snap.person(node)
        for other, st in zip(
            view.neighbors(node).tolist(), view.neighbor_strengths(node).tolist(), strict=True
        ):
            if other in our_nodes and snap.person(other) not in staff:
                ties[(theirs, snap.person(other))] = st
    people = Person.objects.in_bulk({p for pair in ties for p in pair})
    by_target: dict[int, list[tuple[Person, float]]] = defaultdict(list)
    for (theirs, mine), st in ties.items():
        by_target[theirs].append((people[mine], st))
    out = [
        {
            "person": people[t],
            "ours": sorted(v, key=lambda x: -x[1])[:4],
            "best": max(s for _, s in v),
        }
        for t, v in by_target.items()
    ]
    out.sort(key=lambda row: -row["best"])
    return out


def _entries(
    user: User, interaction_ids: list[int], *, leave_out: int | None = None
) -> list[TimelineEntry]:
    interactions = Interaction.objects.filter(pk__in=interaction_ids).order_by("-occurred_at")
    interactions = interactions.prefetch_related(
        Prefetch(
            "participations",
            queryset=InteractionParticipant.objects.filter(_shown(user))
            .exclude(person_id=leave_out)
            .select_related("person")
            .order_by("id"),
        )
    )
    return [TimelineEntry(i, [p.person for p in i.participations.all()][:8]) for i in interactions]


# --------------------------------------------------------------------------- dashboard
@dataclass
class Dashboard:
    recent: list[TimelineEntry]
    upcoming: list[TimelineEntry]


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
        _entries(user, recent, leave_out=user.person_id),
        _entries(user, upcoming, leave_out=user.person_id),
    )


def _graph_version(tenant_id: int) -> int:
    return (
        GraphState.objects.filter(tenant_id=tenant_id).values_list("version", flat=True).first()
        or 0
    )


def reconnect(user: User, *, limit: int = 10) -> list | Pending:
    """The user's reconnect list for the current graph version and day, or ``PENDING``
    while the first one is computed in the background (it reads every tie of the user
    and the coming events of their contacts: about a second at 100,000 people)."""
    from geflecht.network.queries import reconnect_list

    if user.person_id is None:
        return []
    items = remembered(
        f"web:reconnect:{user.pk}:{limit}",
        (_graph_version(user.tenant_id), timezone.localdate()),
        lambda: reconnect_list(user, limit=limit),
        wait=False,
    )
    if items is PENDING or not items:
        return items
    # An answer from a moment ago may name someone who has become private since.
    seen = set(
        visible_people(user)
        .filter(pk__in=[i.person.pk for i in items])
        .values_list("pk", flat=True)
    )
    return [i for i in items if i.person.pk in seen]


def new_ties(user: User, *, lang: str = "en", days: int = 30) -> list[RelationshipRow]:
    """The user's strongest ties whose first recorded contact lies in the last ``days``."""
    if user.person_id is None:
        return []
    since = timezone.now() - timedelta(days=days)
    active = list(
        visible_relationships_of(user, user.person_id)
        .filter(_other_visible(user, user.person_id))
        .filter(last_interaction_at__gte=since)
        .order_by("-strength")[:200]
    )
    histories = pair_histories(user.tenant_id, active)
    fresh = [
        r
        for r in active
        if histories[r.pk] and min(ev.occurred_at for ev in histories[r.pk]) >= since
    ][:8]
    return explained_relationships(user, fresh, user.person_id, lang, histories)


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


# ------------------------------------------------------------------------ network view
MAX_GRAPH_NODES = 2000
PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
]  # fmt: skip


@dataclass
class GraphData:
    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    legend: list[dict] = field(default_factory=list)
    truncated: bool = False

    def as_dict(self) -> dict:
        return {
            "nodes": self.nodes,
            "edges": self.edges,
            "legend": self.legend,
            "truncated": self.truncated,
        }


def network_graph(
    user: User,
    *,
    mode: str = "ego",
    org_id: int | None = None,
    community: int | None = None,
    min_strength: float = 0.0,
    color_by: str = "organization",
    limit: int = MAX_GRAPH_NODES,
) -> GraphData:
    """Nodes and edges for the network view, on the user's view of the graph only.

    ``mode``: "ego" (my network to two degrees), "organization" (an organisation's people
    and our ties into it) or "community" (one Louvain community). At most ``limit`` nodes,
    the strongest-connected first; positions are left to the browser's layout.
    """
    snap = current_graph(user.tenant_id)
    view = snap.view_for(user.pk)
    visible = snap.visible_nodes(user.pk)
    me = snap.node(user.person_id) if user.person_id else None
    chosen: np.ndarray
    truncated = False
    labels = None
    if mode == "organization" and org_id is not None:
        get_object_or_404(visible_organizations(user), pk=org_id)
        staff = Position.objects.filter(organization_id=org_id, end_date__isnull=True).values_list(
            "person_id", flat=True
        )
        ours = _own_company_people(user.tenant_id)
        staff_nodes = snap.nodes(staff)
        our_nodes = snap.nodes(ours)
        # Our people who have a direct tie into the organisation, and its people.
        inside = np.zeros(snap.n, dtype=bool)
        inside[staff_nodes] = True
        linked = [n for n in our_nodes if inside[view.neighbors(int(n))].any()]
        chosen = np.unique(np.concatenate([staff_nodes, np.array(linked, dtype=np.int64)]))
    elif mode == "community":
        labels = communities_of(snap)
        pick = community if community is not None else (int(labels[me]) if me is not None else 0)
        chosen = np.flatnonzero(labels == pick) if pick >= 0 else np.empty(0, dtype=np.int64)
    else:
        if me is None:
            return GraphData()
        layers = engine.ego_layers(view, me, radius=2, min_strength=min_strength, mask=visible)
        first, second = layers.layers[0], layers.layers[1]
        s2 = layers.strengths[1]
        room = max(0, limit - 1 - len(first))
        if len(second) > room:
            truncated = True
            second = second[np.argsort(-s2)[:room]]
        chosen = np.concatenate([np.array([me]), first[: limit - 1], second])
    chosen = chosen[visible[chosen]]
    if len(chosen) > limit:
        truncated = True
        degree = view.degrees()[chosen]
        chosen = chosen[np.argsort(-degree)[:limit]]
    member = np.zeros(snap.n, dtype=bool)
    member[chosen] = True
    # Only the chosen nodes' rows of the CSR arrays: 2,000 rows, not the whole graph.
    indptr, indices, strength, _w = view.csr()
    rows = np.sort(chosen)
    starts, ends = indptr[rows], indptr[rows + 1]
    lengths = ends - starts
    positions = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    u = np.repeat(rows, lengths)
    v = indices[positions].astype(np.int64)
    s = strength[positions]
    keep = (u < v) & member[v] & (s >= min_strength)
    u, v, s = u[keep], v[keep], s[keep]
    person_ids = [snap.person(int(n)) for n in chosen]
    names = {
        pid: " ".join(x for x in (first, last) if x)
        for pid, first, last in Person.objects.filter(pk__in=person_ids).values_list(
            "pk", "first_name", "last_name"
        )
    }
    employer = {}
    for pid, oid, oname in (
        Position.objects.filter(person_id__in=person_ids, end_date__isnull=True)
        .order_by("start_date")
        .values_list("person_id", "organization_id", "organization__name")
    ):
        employer[pid] = (oid, oname)
    if color_by == "community":
        if labels is None:
            labels = communities_of(snap)
        groups = {
            int(n): (int(labels[n]), gettext("community %(n)s") % {"n": int(labels[n])})
            for n in chosen
        }
    else:
        nowhere = (0, gettext("no organisation"))
        groups = {int(n): employer.get(snap.person(int(n)), nowhere) for n in chosen}
    counts = Counter(g for g in groups.values())
    top = [g for g, _ in counts.most_common(len(PALETTE) - 1)]
    colour = {g: PALETTE[i] for i, g in enumerate(top)}
    data = GraphData(truncated=truncated)
    for n in chosen:
        n = int(n)
        pid = snap.person(n)
        group = groups[n]
        data.nodes.append(
            {
                "id": str(pid),
                "label": names.get(pid, "?"),
                "group": group[1],
                "color": colour.get(group, "#b0b0b0"),
                "me": n == me,
                "url": f"/people/{pid}/",
            }
        )
    data.edges = [
        {"source": str(a), "target": str(b), "strength": st}
        for a, b, st in zip(
            snap.person_ids[u].tolist(),
            snap.person_ids[v].tolist(),
            np.round(s, 3).tolist(),
            strict=True,
        )
    ]
    data.legend = [{"label": g[1], "color": colour[g], "count": counts[g]} for g in top]
    if len(counts) > len(top):
        data.legend.append(
            {
                "label": "…",
                "color": "#b0b0b0",
                "count": sum(counts.values()) - sum(counts[g] for g in top),
            }
        )
    return data


def communities_of(snap) -> np.ndarray:
    """Louvain labels per node of the company's shared network (-1: not placed yet).

    Communities are the company's, the same for every user: Louvain on 100,000 people
    takes about a second, so they are computed once per tenant and graph version, in
    the background once a first answer exists. Labels travel with person ids, so a
    snapshot that grew since still lines up; people who joined since wait for the
    refresh. Callers show only the nodes the user may see.
    """

    def compute():
        return snap.person_ids.copy(), np.asarray(engine.louvain(snap.shared, seed=0).labels)

    person_ids, found = remembered(f"louvain:{snap.tenant_id}", snap.version, compute)
    labels = np.full(snap.n, -1, dtype=np.int64)
    if len(person_ids) and snap.n:
        pos = np.minimum(np.searchsorted(snap.person_ids, person_ids), snap.n - 1)
        same = snap.person_ids[pos] == person_ids
        labels[pos[same]] = found[same]
    return labels


def community_choices(user: User) -> list[tuple[int, int, str]]:
    """Louvain communities of the user's view: (label, size, names of top members)."""
    snap = current_graph(user.tenant_id)
    view = snap.view_for(user.pk)
    labels = communities_of(snap)
    visible = snap.visible_nodes(user.pk)
    degree = view.degrees()
    out = []
    for label in np.unique(labels[labels >= 0]):
        members = np.flatnonzero((labels == label) & visible & (degree > 0))
        if len(members) < 3:
            continue
        top = members[np.argsort(-degree[members])[:3]]
        out.append((int(label), len(members), [snap.person(int(n)) for n in top]))
    out.sort(key=lambda row: -row[1])
    out = out[:30]
    people = Person.objects.in_bulk([p for _, _, top in out for p in top])
    return [
        (label, size, ", ".join(people[p].full_name for p in top if p in people))
        for label, size, top in out
    ]


# ----------------------------------------------------------------------------- import
def imported_people(user: User, since: datetime, *, limit: int = 50) -> list[Person]:
    """People the user may see that were created at or after ``since`` (an import)."""
    return list(
        visible_people(user)
        .filter(created_at__gte=since)
        .order_by("last_name", "first_name")[:limit]
    )


@dataclass(frozen=True)
class DuplicatePair:
    keep: Person
    other: Person
    score: float
    level: str
    reasons: tuple[str, ...]


def duplicate_pairs(user: User, *, limit: int = 50) -> list[DuplicatePair] | Pending:
    """The review list: pairs of visible people who may be one, best first, or
    ``PENDING`` while the first comparison of everyone runs in the background."""
    from geflecht.importers.identity import find_duplicates

    # Comparing every person takes seconds at 100,000 people: keep the list until a
    # person is added (highest id) or merged (graph version), at most five minutes.
    newest = Person.objects.aggregate(m=Max("id"))["m"]
    found = remembered(
        f"web:dups:{user.pk}:{limit}",
        (newest, _graph_version(user.tenant_id), int(time.time() // 300)),
        lambda: find_duplicates(user, limit=limit),
        wait=False,
    )
    if found is PENDING:
        return PENDING
    people = visible_people(user).in_bulk(
        {c.survivor_id for c in found} | {c.person_id for c in found}
    )
    return [
        DuplicatePair(people[c.survivor_id], people[c.person_id], c.score, c.level, c.reasons)
        for c in found
        if c.survivor_id in people and c.person_id in people
    ]


def merge_duplicate(user: User, keep_id: int, other_id: int) -> Person:
    """Merge ``other_id`` into ``keep_id`` (both must be visible to ``user``)."""
    from geflecht.people.actions import merge_people

    seen = visible_people(user)
    keep = get_object_or_404(seen, pk=keep_id)
    other = get_object_or_404(seen, pk=other_id)
    return merge_people(keep, other, by=user)
