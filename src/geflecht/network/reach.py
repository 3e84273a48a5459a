"""Graph answers for users: introduction paths, team reach, neighbourhoods, analytics.

Every function maps people to the snapshot's nodes, asks the engine, and maps the
answer back with the user's visibility applied: a hop over a colleague's private
relationship, or through a person private to a colleague, is shown only as
"ask <colleague>", never naming the private person or the tie's evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.db.models import Q
from django.utils import timezone

from geflecht import graph as engine
from geflecht.accounts.models import User
from geflecht.lib.models import Visibility
from geflecht.lib.visibility import visible_q
from geflecht.network.models import Relationship
from geflecht.network.params import strength_params
from geflecht.network.queries import pair_histories
from geflecht.network.snapshot import TenantGraph, current_graph
from geflecht.network.strength import compute_strength
from geflecht.people.models import Organization, Person, Position
from geflecht.people.queries import visible_organizations, visible_people

DEFAULT_MAX_HOPS = 4


@dataclass(frozen=True)
class Step:
    """One person on a path as the user may see it.

    ``person`` is None for a hidden stretch; then ``ask`` names the colleague to ask.
    ``strength`` and ``evidence`` describe the hop that leads to this step.
    """

    person: Person | None
    strength: float | None = None
    evidence: str = ""
    ask: Person | None = None

    @property
    def label(self) -> str:
        if self.person is not None:
            return self.person.full_name
        return f"ask {self.ask.full_name}" if self.ask else "ask a colleague"


@dataclass(frozen=True)
class IntroPath:
    """A path as the user may see it.

    ``strength`` is the product of the hops' strengths, or None when a stretch is hidden
    ("ask <colleague>"): with the visible hops known, the overall product would give the
    hidden tie's strength away. ``known_strength`` is the product of the visible hops
    only (1.0 for none); for a path with a hidden stretch it is an upper bound.
    """

    steps: tuple[Step, ...]
    strength: float | None
    hops: int
    known_strength: float = 1.0

    @property
    def hidden(self) -> bool:
        """True when part of the path is a stretch the user may not see."""
        return self.strength is None

    def strength_text(self) -> str:
        """The overall strength in words: a number, or why there is none."""
        if self.strength is not None:
            return f"{self.strength:.3f}"
        return f"at most {self.known_strength:.3f} (a stretch is hidden)"

    def text(self) -> str:
        parts = [self.steps[0].label]
        for step in self.steps[1:]:
            link = f" —{step.strength:.2f}→ " if step.strength is not None else " → "
            parts.append(link + step.label)
        return "".join(parts)


@dataclass(frozen=True)
class PathOptions:
    k: int = 3
    max_hops: int | None = DEFAULT_MAX_HOPS
    min_strength: float = 0.0
    avoid: Sequence[int] = ()  # person ids
    colleague_first_hop: bool = False
    lang: str = "en"


def own_company_people(tenant_id: int) -> list[int]:
    """Ids of "us": the company-visible people with a current job at our own company.

    The starting points of team reach, team paths, radar, coverage and key-person risk.
    A colleague's private (or team) person with a job here is their contact, not one of
    us: as a starting point, a carrier or a key person they would be named to everyone.
    The same for every user of the tenant, so whole-network answers may be cached.
    """
    return list(
        Position.objects.filter(
            tenant_id=tenant_id,
            organization__kind=Organization.Kind.OWN,
            end_date__isnull=True,
            person__visibility=Visibility.COMPANY,
        ).values_list("person_id", flat=True)
    )


def introduction_paths(
    user: User, target: Person, options: PathOptions = PathOptions()
) -> list[IntroPath]:
    """The best loopless introduction paths from the user's person to ``target``.

    The one service for paths, behind the web page, the API and the CLI. An ``avoid`` id
    the user may not see is ignored exactly like an id that does not exist: avoiding a
    hidden person must not tell who stands behind an "ask <colleague>".
    """
    if user.person_id is None or target.tenant_id != user.tenant_id:
        return []
    if not visible_people(user).filter(pk=target.pk).exists():
        return []
    snap = current_graph(user.tenant_id)
    source, goal = snap.node(user.person_id), snap.node(target.pk)
    if source is None or goal is None or source == goal:
        return []
    first_hop = None
    if options.colleague_first_hop:
        first_hop = snap.nodes(own_company_people(user.tenant_id))
    try:
        paths = engine.k_best_paths(
            snap.paths_view(user.pk),
            source,
            goal,
            k=options.k,
            max_hops=options.max_hops,
            min_strength=options.min_strength,
            avoid=snap.nodes(_visible_ids(user, options.avoid)),
            first_hop=first_hop,
        )
    except engine.NoPath:
        return []
    return render_paths(user, snap, paths, lang=options.lang)


def _visible_ids(user: User, person_ids: Sequence[int]) -> list[int]:
    if not person_ids:
        return []
    return list(visible_people(user).filter(pk__in=person_ids).values_list("pk", flat=True))


def render_paths(
    user: User,
    snap: TenantGraph,
    paths: Iterable[engine.Path],
    *,
    lang: str = "en",
    explain: bool = True,
) -> list[IntroPath]:
    """Engine paths -> what the user may see, with each visible hop explained (unless
    ``explain`` is false: lists that show only names and strengths skip that work)."""
    paths = list(paths)
    node_ids = {n for p in paths for n in p.nodes}
    people = Person.objects.in_bulk([snap.person(n) for n in node_ids])
    hops = {(p.nodes[i], p.nodes[i + 1]) for p in paths for i in range(p.hops)}
    hidden_hop = {h: snap.hidden_hop(user.pk, *h) for h in hops}
    shown = [h for h, hidden in hidden_hop.items() if not hidden]
    explained = explain_hops(user, snap, shown, lang) if explain else dict.fromkeys(shown, "")
    # A caller may have searched from a person the user may not see (the first step is
    # checked like every other): their owner is asked in their place. (s, s) stands for
    # the lone node in the owners' lookup.
    hidden_sources = {p.source for p in paths if not _person_visible(user, snap, p.source)}
    owners = _owners_as_people(snap, hops | {(s, s) for s in hidden_sources}, people)
    out: list[IntroPath] = []
    for p in paths:
        steps: list[Step] = []
        hidden_by: Person | None = None
        if p.source in hidden_sources:
            hidden_by = owners.get((p.source, p.source))
        else:
            steps.append(Step(person=people[snap.person(p.source)]))
        known, complete = 1.0, True
        for i in range(p.hops):
            u, v = p.nodes[i], p.nodes[i + 1]
            person = people[snap.person(v)]
            if not hidden_hop[(u, v)]:
                if hidden_by is not None:
                    steps.append(Step(person=None, ask=hidden_by))
                    hidden_by = None
                # The strength of the rows the user may see, whichever graph the
                # caller searched (paths_view agrees; the full graph may hold more).
                seen = snap.seen_strength(user.pk, u, v)
                assert seen is not None  # a visible hop has a row the user sees
                known *= seen
                steps.append(Step(person=person, strength=seen, evidence=explained[(u, v)]))
            else:
                complete = False
                # Collapse a run of hidden hops into one "ask <colleague>" step; a
                # visible person at its end is shown, without the hidden tie's strength.
                hidden_by = hidden_by or owners.get((u, v)) or owners.get((v, u))
                if _person_visible(user, snap, v):
                    steps.append(Step(person=None, ask=hidden_by))
                    steps.append(Step(person=person))
                    hidden_by = None
        if not steps:  # nobody on it the user may see
            steps.append(Step(person=None, ask=hidden_by))
            complete = False
        # Over a hidden stretch no overall number: it and the visible hops would give
        # the hidden strength away.
        out.append(IntroPath(tuple(steps), known if complete else None, p.hops, known))
    return out


def _person_visible(user: User, snap: TenantGraph, node: int) -> bool:
    owner = int(snap.private_owner[node])
    return owner == 0 or owner == user.pk


def _owners_as_people(
    snap: TenantGraph, hops: set[tuple[int, int]], people: dict[int, Person]
) -> dict[tuple[int, int], Person]:
    """For hidden hops, the colleague (as a Person) who owns the private tie or person."""
    owner_users: dict[tuple[int, int], int] = {}
    for u, v in hops:
        x, y = min(u, v), max(u, v)
        owners = snap.private.get((x, y), {})
        if owners:
            owner_users[(u, v)] = min(owners)
        else:
            for node in (u, v):
                if snap.private_owner[node]:
                    owner_users[(u, v)] = int(snap.private_owner[node])
    persons = dict(
        User.objects.filter(pk__in=set(owner_users.values())).values_list("pk", "person_id")
    )
    by_id = Person.objects.in_bulk([p for p in persons.values() if p])
    return {
        hop: by_id[persons[uid]] for hop, uid in owner_users.items() if persons.get(uid) in by_id
    }


def explain_hops(
    user: User, snap: TenantGraph, hops: list[tuple[int, int]], lang: str
) -> dict[tuple[int, int], str]:
    """Evidence in words for each visible hop, in a constant number of queries."""
    if not hops:
        return {}
    pairs = {tuple(sorted((snap.person(u), snap.person(v)))) for u, v in hops}
    q = Q()
    for a, b in pairs:
        q |= Q(person_a_id=a, person_b_id=b)
    rels = list(Relationship.objects.filter(q, tenant_id=user.tenant_pk).filter(visible_q(user)))
    histories = pair_histories(user.tenant_pk, rels)
    now, params = timezone.now(), strength_params()
    best: dict[tuple[int, int], tuple[float, str]] = {}
    for rel in rels:
        result = compute_strength(
            histories[rel.pk], now=now, rating=rel.rating, kind=rel.kind, params=params
        )
        key = (rel.person_a_id, rel.person_b_id)
        if key not in best or result.value > best[key][0]:
            best[key] = (result.value, result.explain(lang))
    out = {}
    for u, v in hops:
        a, b = sorted((snap.person(u), snap.person(v)))
        out[(u, v)] = best.get((a, b), (0.0, ""))[1]
    return out


# ----------------------------------------------------------------------- team reach
@dataclass(frozen=True)
class ReachRow:
    target: Person
    path: IntroPath


def team_reach(
    user: User,
    organization: Organization,
    *,
    city: str | None = None,
    max_hops: int | None = DEFAULT_MAX_HOPS,
    min_strength: float = 0.0,
    limit: int = 50,
    lang: str = "en",
) -> list[ReachRow]:
    """Who of us reaches whom at ``organization`` (or its site in ``city``), ranked."""
    snap = current_graph(user.tenant_pk)
    positions = Position.objects.filter(organization=organization, end_date__isnull=True)
    if city:
        positions = positions.filter(site__city__iexact=city)
    target_ids = set(
        visible_people(user)
        .filter(pk__in=positions.values("person_id"))
        .values_list("pk", flat=True)
    )
    sources = snap.nodes(own_company_people(user.tenant_pk))
    targets = snap.nodes(target_ids)
    if not len(sources) or not len(targets):
        return []
    paths = engine.best_group_paths(
        snap.paths_view(user.pk),
        sources,
        targets,
        max_hops=max_hops,
        min_strength=min_strength,
        limit=limit,
    )
    rendered = render_paths(user, snap, paths, lang=lang)
    people = Person.objects.in_bulk([snap.person(p.target) for p in paths])
    return [
        ReachRow(people[snap.person(p.target)], r) for p, r in zip(paths, rendered, strict=True)
    ]


# -------------------------------------------------------------------- neighbourhood
@dataclass(frozen=True)
class Neighbourhood:
    counts: tuple[int, ...]
    people: tuple[tuple[Person, int, float], ...]  # (person, degree, best strength)
    filters: dict = field(default_factory=dict)


def neighbourhood(
    user: User,
    *,
    radius: int = 3,
    min_strength: float = 0.0,
    organization_id: int | None = None,
    industry: str | None = None,
    city: str | None = None,
    limit: int = 50,
) -> Neighbourhood:
    """My 1st, 2nd and 3rd degree network with counts, filtered by place or firm.

    Only the user's own view of the graph is walked (shared ties plus their private
    ones), so colleagues' private contacts neither appear nor count.
    """
    snap = current_graph(user.tenant_pk)
    me = snap.node(user.person_id) if user.person_id else None
    if me is None:
        return Neighbourhood((0,) * radius, ())
    mask = snap.visible_nodes(user.pk)
    include = mask.copy()
    filters = {"organization_id": organization_id, "industry": industry, "city": city}
    if any(filters.values()):
        positions = Position.objects.filter(tenant_id=user.tenant_pk, end_date__isnull=True)
        if organization_id:
            positions = positions.filter(organization_id=organization_id)
        if industry:
            positions = positions.filter(organization__industry=industry)
        if city:
            positions = positions.filter(site__city__iexact=city)
        chosen = np.zeros(snap.n, dtype=bool)
        chosen[snap.nodes(positions.values_list("person_id", flat=True))] = True
        include &= chosen
    layers = engine.ego_layers(
        snap.view_for(user.pk),
        me,
        radius=radius,
        min_strength=min_strength,
        mask=mask,
        include=include,
    )
    ranked = []
    for degree, (nodes, strengths) in enumerate(
        zip(layers.layers, layers.strengths, strict=True), start=1
    ):
        order = np.argsort(-strengths)[:limit]
        ranked += [(int(nodes[i]), degree, float(strengths[i])) for i in order]
    ranked.sort(key=lambda row: (row[1], -row[2]))
    ranked = ranked[:limit]
    people = Person.objects.in_bulk([snap.person(n) for n, _, _ in ranked])
    return Neighbourhood(
        tuple(int(c) for c in layers.counts),
        tuple((people[snap.person(n)], d, s) for n, d, s in ranked),
        {k: v for k, v in filters.items() if v},
    )


# ------------------------------------------------------------------ recommendations
@dataclass(frozen=True)
class Suggestion:
    person: Person
    score: float
    reasons: tuple[str, ...]


def recommendations(user: User, *, k: int = 10) -> list[Suggestion]:
    """People the user should get to know: shared contacts, boosted by same industry,
    region (city) and organisation kind, each with its reasons."""
    snap = current_graph(user.tenant_pk)
    me = snap.node(user.person_id) if user.person_id else None
    if me is None:
        return []
    view = snap.view_for(user.pk)
    hidden = np.flatnonzero(~snap.visible_nodes(user.pk))
    mine = Position.objects.filter(person_id=snap.person(me), end_date__isnull=True).values_list(
        "organization__industry", "site__city"
    )
    my_industries = {i for i, _ in mine}
    my_cities = {c for _, c in mine if c}
    raw = engine.recommend(view, me, k=k * 4, exclude=hidden)
    candidates = [snap.person(r.node) for r in raw]
    where = {
        pid: (industry, city, org)
        for pid, industry, city, org in Position.objects.filter(
            person_id__in=candidates, end_date__isnull=True
        ).values_list("person_id", "organization__industry", "site__city", "organization__name")
    }
    people = Person.objects.in_bulk(candidates)
    common_people = Person.objects.in_bulk([snap.person(c) for r in raw for c in r.common[:3]])
    out = []
    for r in raw:
        pid = snap.person(r.node)
        industry, city, org = where.get(pid, (None, None, None))
        bonus = 0.0
        reasons = [
            f"{r.common_neighbours} shared contacts ("
            + ", ".join(common_people[snap.person(c)].full_name for c in r.common[:3])
            + ")"
        ]
        if industry and industry in my_industries:
            bonus += 0.3
            reasons.append("same industry")
        if city and city in my_cities:
            bonus += 0.3
            reasons.append(f"also in {city}")
        if org:
            reasons.append(f"works at {org}")
        out.append(Suggestion(people[pid], r.score * (1 + bonus), tuple(reasons)))
    out.sort(key=lambda s: -s.score)
    return out[:k]


# ------------------------------------------------------------------------ analytics
@dataclass(frozen=True)
class Ranked:
    person: Person
    value: float


def brokers(user: User, *, k: int = 10, sample: int | None = None, seed: int = 0):
    """Top brokers by betweenness on the user's view; sampled above 5,000 people.

    Returns the ranked people and the stated standard error (0 when exact).
    """
    snap = current_graph(user.tenant_pk)
    view = snap.view_for(user.pk)
    if sample is None and view.n > 5000:
        sample = 500
    result = engine.betweenness(view, normalized=True, k=sample, seed=seed)
    return _ranked(user, snap, result.values, k), float(result.max_stderr)


def influence(user: User, *, k: int = 10):
    snap = current_graph(user.tenant_pk)
    return _ranked(user, snap, engine.pagerank(snap.view_for(user.pk)), k)


def structural_holes(user: User, *, k: int = 10):
    """People with the lowest Burt constraint (most non-redundant contacts)."""
    snap = current_graph(user.tenant_pk)
    view = snap.view_for(user.pk)
    c = engine.constraint(view)
    degree = view.degrees()
    score = np.where((degree >= 2) & np.isfinite(c), -c, -np.inf)
    return [(r.person, -r.value) for r in _ranked(user, snap, score, k)]


def _visible_mask(user: User, snap: TenantGraph) -> np.ndarray:
    return snap.visible_nodes(user.pk)


def _ranked(user: User, snap: TenantGraph, values: np.ndarray, k: int) -> list[Ranked]:
    values = np.where(_visible_mask(user, snap), values, -np.inf)
    order = np.argsort(-values)[:k]
    # Hidden (and excluded) people carry -inf: in a small network they would otherwise
    # fill up the top k and be named.
    order = order[np.isfinite(values[order])]
    people = Person.objects.in_bulk([snap.person(int(n)) for n in order])
    return [Ranked(people[snap.person(int(n))], float(values[n])) for n in order]


@dataclass(frozen=True)
class AccountRisk:
    organization: Organization
    people: int
    reached: int
    key_person: Person | None
    reached_without: int
    lost: tuple[Person, ...]

    def text(self) -> str:
        line = f"{self.organization.name}: we reach {self.reached} of {self.people}"
        if self.key_person is None or not self.lost:
            return line + "; no access hangs on a single colleague"
        if self.key_person is not None:
            line += (
                f"; if {self.key_person.full_name} leaves we reach {self.reached_without}"
                f" (lose {len(self.lost)})"
            )
        return line


def key_person_risks(
    user: User, *, organizations: Iterable[Organization] | None = None, as_of: date | None = None
) -> list[AccountRisk]:
    """Per customer (or the given organisations): how much access hangs on one colleague.

    Access is a route of up to three hops from one of us, over the graph the user's paths
    are searched on (:meth:`TenantGraph.paths_view`)."""
    snap = current_graph(user.tenant_pk)
    orgs = list(
        organizations
        if organizations is not None
        else visible_organizations(user).filter(kind=Organization.Kind.CUSTOMER)
    )
    staff = (
        Position.objects.filter(organization__in=orgs, end_date__isnull=True)
        .filter(person__in=visible_people(user))
        .values_list("organization_id", "person_id")
    )
    groups: dict[int, list[int]] = {}
    for org_id, pid in staff:
        groups.setdefault(org_id, []).append(pid)
    colleagues = snap.nodes(own_company_people(user.tenant_pk))
    # Searched like paths (paths_view): a route over a colleague's private tie or contact
    # is access that hangs on that colleague, and it counts at HIDDEN_STRETCH there, so
    # which colleague is the key person follows from no strength the user may not see.
    access = engine.key_person_risk(
        snap.paths_view(user.pk),
        colleagues,
        {org: snap.nodes(pids) for org, pids in groups.items()},
        max_hops=3,
    )
    by_id = {o.pk: o for o in orgs}
    lost_ids = {
        snap.person(n) for a in access.values() if a.key_person for n in a.key_person.people_lost
    }
    key_ids = {snap.person(a.key_person.colleague) for a in access.values() if a.key_person}
    people = Person.objects.in_bulk(lost_ids | key_ids)
    out = []
    for org_id, a in access.items():
        k = a.key_person
        out.append(
            AccountRisk(
                by_id[org_id],
                a.people,
                a.reached,
                people[snap.person(k.colleague)] if k else None,
                k.reached_after if k else a.reached,
                tuple(people[snap.person(n)] for n in k.people_lost) if k else (),
            )
        )
    out.sort(key=lambda r: -(r.reached - r.reached_without))
    return out
