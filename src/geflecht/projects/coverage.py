"""Account-team analytics of a project: coverage matrix, gaps, team builder, key-person risk.

All graph work goes through the engine on the tenant's snapshot, and everything shown
passes the user's visibility:

- the matrix cells are the direct ties the user may see (the user's view of the graph),
  each explained by the strength model;
- the best channel per buying role is a path from our team over the whole graph,
  rendered by ``network.reach.render_paths``: a stretch over a colleague's private tie
  or contact shows only "ask <colleague>";
- channels, gaps and key-person risk are searched on the user's ``paths_view``, where a
  hop the user may not see counts at ``HIDDEN_STRETCH``: whether a role counts as
  reached, and by whom, follows from no hidden strength;
- buying-centre members the user may not see are not part of any answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from geflecht import graph as engine
from geflecht.accounts.models import User
from geflecht.network.reach import (
    AccountRisk,
    IntroPath,
    explain_hops,
    key_person_risks,
    own_company_people,
    render_paths,
)
from geflecht.network.snapshot import current_graph
from geflecht.people.models import BuyingRole, Organization, Person, Position
from geflecht.people.queries import visible_organizations, visible_people
from geflecht.projects import queries
from geflecht.projects.models import Project, ProjectMember, Side

#: A channel weaker than this does not count as access to a buying role (about the median
#: tie of the strength model: a few meetings or calls within the last months).
#: A tie from STRONG up is drawn as strong in the matrix.
DEFAULT_THRESHOLD = 0.15
STRONG = 0.4
#: Introductions longer than this are not a channel into a buying centre.
CHANNEL_HOPS = 3

__all__ = [
    "DEFAULT_THRESHOLD",
    "Cell",
    "Channel",
    "Coverage",
    "Gap",
    "ProjectRisk",
    "TeamSuggestion",
    "company_key_person_risk",
    "coverage",
    "project_key_person_risk",
    "team_builder",
]


@dataclass(frozen=True)
class Cell:
    """The direct tie between one of ours and one of theirs, as the user may see it."""

    strength: float | None
    explanation: str = ""

    @property
    def band(self) -> str:
        """A colour class for the matrix: none, weak, medium, strong."""
        s = self.strength
        if s is None:
            return "none"
        return "strong" if s >= STRONG else "medium" if s >= DEFAULT_THRESHOLD else "weak"


@dataclass(frozen=True)
class MatrixRow:
    member: ProjectMember  # one of ours
    cells: tuple[Cell, ...]  # aligned with Coverage.theirs


@dataclass(frozen=True)
class Channel:
    """Our best route into one buying role, and which of our team reach it well."""

    role: str
    label: str
    holders: tuple[Person, ...]
    #: The path's strength as the user may see it: 0.0 without a route, None when the
    #: route has a hidden stretch (its number would give the hidden tie's strength away).
    strength: float | None
    path: IntroPath | None
    reached_by: tuple[Person, ...]
    #: The colleagues whose own ties carry those routes out of our company (the last
    #: colleague on each route). One carrier means the role hangs on that person.
    carriers: tuple[Person, ...] = ()


@dataclass(frozen=True)
class Gap:
    """A buying role without a good channel, or reached through one colleague only.

    ``kind`` is ``no_channel`` or ``single_point``. The fix is either a route from one
    of us (``fix_path``) or a colleague who should join the team (``join``).
    """

    role: str
    label: str
    kind: str
    strength: float | None  # the channel's, see Channel.strength
    colleague: Person | None
    fix: str
    fix_path: IntroPath | None
    join: Person | None


@dataclass(frozen=True)
class Coverage:
    project: Project
    threshold: float
    ours: tuple[ProjectMember, ...]
    theirs: tuple[ProjectMember, ...]
    rows: tuple[MatrixRow, ...]
    channels: tuple[Channel, ...]
    gaps: tuple[Gap, ...]
    unnamed_roles: tuple[str, ...]

    def text(self) -> str:
        """A plain-text report (the CLI prints it)."""
        lines = [f"{self.project.name} ({self.project.organization.name})"]
        lines.append("Our team: " + (", ".join(_m(m) for m in self.ours) or "nobody yet"))
        lines.append("Buying centre: " + (", ".join(_m(m) for m in self.theirs) or "nobody yet"))
        if self.rows and self.theirs:
            lines.append("Direct ties (ours x theirs):")
            for row in self.rows:
                cells = [
                    f"{t.person.full_name} {c.strength:.2f}"
                    for t, c in zip(self.theirs, row.cells, strict=True)
                    if c.strength is not None
                ]
                lines.append(f"  {row.member.person.full_name}: " + (", ".join(cells) or "-"))
        lines.append("Best channel per buying role:")
        for ch in self.channels:
            route = ch.path.text() if ch.path else "no route"
            strength = "?" if ch.strength is None else f"{ch.strength:.2f}"
            lines.append(f"  {ch.label}: {strength} {route}")
        if self.gaps:
            lines.append(f"Gaps (threshold {self.threshold:.2f}):")
            for gap in self.gaps:
                lines.append(f"  {gap.label}: {gap.fix}")
        else:
            lines.append("No gaps.")
        if self.unnamed_roles:
            lines.append("Nobody named as: " + ", ".join(self.unnamed_roles))
        return "\n".join(lines)


def _strength(path: IntroPath) -> str:
    """A route's strength for a sentence: over a hidden stretch only its upper bound."""
    if path.strength is not None:
        return f"{path.strength:.2f}"
    return _("at most %(s)s") % {"s": f"{path.known_strength:.2f}"}


def _m(member: ProjectMember) -> str:
    return f"{member.person.full_name} ({member.get_role_display()})"


def _role_label(role: str) -> str:
    return str(BuyingRole(role).label) if role in BuyingRole.values else role


def coverage(
    user: User, project: Project, *, threshold: float = DEFAULT_THRESHOLD, lang: str = "en"
) -> Coverage:
    """The coverage matrix, the best channel per buying role and the gaps with their fixes."""
    if not 0 <= threshold <= 1:
        raise ValueError("threshold must lie between 0 and 1")
    team = queries.members(user, project)
    ours = tuple(m for m in team if m.side == Side.OURS)
    theirs = tuple(m for m in team if m.side == Side.THEIRS)
    snap = current_graph(user.tenant_pk)
    view = snap.view_for(user.pk)
    our_nodes = {m.pk: snap.node(m.person_id) for m in ours}
    their_nodes = {m.pk: snap.node(m.person_id) for m in theirs}

    # The matrix: direct ties the user may see, explained in a constant number of queries.
    hops = [
        (u, v)
        for u in our_nodes.values()
        if u is not None
        for v in their_nodes.values()
        if v is not None and u != v and view.has_edge(u, v)
    ]
    explained = explain_hops(user, snap, hops, lang)
    rows = []
    for m in ours:
        u = our_nodes[m.pk]
        cells = []
        for t in theirs:
            v = their_nodes[t.pk]
            if u is not None and v is not None and (u, v) in explained:
                cells.append(Cell(float(view.edge_strength(u, v)), explained[(u, v)]))
            else:
                cells.append(Cell(None))
        rows.append(MatrixRow(m, tuple(cells)))

    # Each of ours alone: the strongest route (<= CHANNEL_HOPS) to each of theirs.
    targets = [n for n in their_nodes.values() if n is not None]
    best: dict[tuple[int, int], engine.Path] = {}  # (our node, their node) -> path
    # Ranked at the strengths the user may see: a colleague's hidden stronger row on a
    # visible pair must not pick the channel or lift it over the threshold.
    paths_view = snap.paths_view(user.pk)
    for u in {n for n in our_nodes.values() if n is not None}:
        for p in engine.best_group_paths(paths_view, [u], targets, max_hops=CHANNEL_HOPS):
            best[(u, p.target)] = p
    holders: dict[str, list[ProjectMember]] = {}
    for t in theirs:
        holders.setdefault(t.role, []).append(t)
    channel_paths: dict[str, engine.Path] = {}
    reached_by: dict[str, list[Person]] = {}
    carried: dict[str, set[int]] = {}
    colleague_nodes = set(snap.nodes(own_company_people(user.tenant_pk)).tolist())
    for role, members in holders.items():
        nodes = {n for t in members if (n := their_nodes[t.pk]) is not None}
        for m in ours:
            u = our_nodes[m.pk]
            if u is None:
                continue
            found = [best[(u, v)] for v in nodes if (u, v) in best]
            if not found:
                continue
            top = max(found, key=lambda p: p.strength)
            if role not in channel_paths or top.strength > channel_paths[role].strength:
                channel_paths[role] = top
            if top.strength >= threshold:
                reached_by.setdefault(role, []).append(m.person)
                for p in found:
                    if p.strength >= threshold:
                        last = [x for x in p.nodes if x in colleague_nodes]
                        carried.setdefault(role, set()).add(last[-1] if last else u)
    rendered = dict(
        zip(
            channel_paths,
            render_paths(user, snap, channel_paths.values(), lang=lang),
            strict=True,
        )
    )
    order = {r: i for i, r in enumerate(BuyingRole.values)}
    carrier_people = Person.objects.in_bulk({snap.person(n) for c in carried.values() for n in c})
    channels = tuple(
        Channel(
            role,
            _role_label(role),
            tuple(t.person for t in holders[role]),
            rendered[role].strength if role in rendered else 0.0,
            rendered.get(role),
            tuple(dict.fromkeys(reached_by.get(role, []))),
            tuple(
                sorted(
                    (carrier_people[snap.person(n)] for n in carried.get(role, ())),
                    key=lambda p: (p.last_name, p.pk),
                )
            ),
        )
        for role in sorted(holders, key=lambda r: order.get(r, 99))
    )
    gaps = _gaps(user, snap, channels, their_nodes, holders, ours, threshold, lang)
    unnamed = tuple(str(r.label) for r in BuyingRole if r.value not in holders)
    return Coverage(project, threshold, ours, theirs, tuple(rows), channels, gaps, unnamed)


def _gaps(user, snap, channels, their_nodes, holders, ours, threshold, lang) -> tuple[Gap, ...]:
    """Roles below the threshold and roles reached through one colleague, each with the
    best way to close it: the strongest route from anyone of us (which names the colleague
    who should join, if they are not on the team yet)."""
    team_ids = {m.person_id for m in ours}
    colleagues = list(
        visible_people(user)
        .filter(pk__in=own_company_people(user.tenant_id))
        .values_list("pk", flat=True)
    )
    sources = snap.nodes(colleagues)
    out: list[Gap] = []
    wanted: list[tuple[Channel, str, Person | None]] = []
    for ch in channels:
        if not ch.reached_by:
            wanted.append((ch, "no_channel", None))
        elif len(ch.carriers) == 1:
            wanted.append((ch, "single_point", ch.carriers[0]))
    found: list[engine.Path | None] = []
    for ch, _kind, only in wanted:
        nodes = [their_nodes[t.pk] for t in holders[ch.role] if their_nodes[t.pk] is not None]
        # A second channel must not run through the one colleague it hangs on.
        avoid = [snap.node(only.pk)] if only is not None and snap.node(only.pk) is not None else []
        paths = engine.best_group_paths(
            snap.paths_view(user.pk), sources, nodes, max_hops=4, limit=1, avoid=avoid
        )
        found.append(paths[0] if paths else None)
    # One rendering for all gaps: the hop explanations cost a constant number of queries.
    shown = iter(render_paths(user, snap, [p for p in found if p is not None], lang=lang))
    for (ch, kind, only), raw in zip(wanted, found, strict=True):
        path = next(shown) if raw is not None else None
        starter = path.steps[0].person if path else None
        join = starter if starter is not None and starter.pk not in team_ids else None
        if kind == "no_channel":
            head = _("No channel of %(s)s or more into this role.") % {"s": f"{threshold:.2f}"}
        else:
            name = only.full_name if only is not None else ""
            head = _("Only %(name)s reaches this role.") % {"name": name}
        if path is None:
            fix = head + " " + _("Nobody of us reaches it: build a first contact, e.g. at a visit.")
        elif join is not None:
            fix = (
                head
                + " "
                + _("%(name)s should join the team (route strength %(s)s).")
                % {
                    "name": join.full_name,
                    "s": _strength(path),
                }
            )
        else:
            fix = head + " " + _("Best route from the team: %(route)s.") % {"route": path.text()}
        out.append(Gap(ch.role, ch.label, kind, ch.strength, only, fix, path, join))
    return tuple(out)


# ---------------------------------------------------------------------- team builder
@dataclass(frozen=True)
class TeamSuggestion:
    person: Person
    score: float
    tie_score: float
    skill_score: float | None
    reaches: tuple[tuple[Person, str, float, int], ...]  # (theirs, role label, strength, hops)
    reasons: tuple[str, ...]


#: How much the skill fit weighs against the ties when it is given.
SKILL_WEIGHT = 0.4


def team_builder(
    user: User,
    project: Project,
    *,
    skill_fit: Mapping[int, tuple[float, str]] | None = None,
    limit: int = 10,
) -> list[TeamSuggestion]:
    """Colleagues who should be on the team, best first, each with its reasons.

    The tie score is the mean, over the buying centre, of the colleague's best route
    (direct or over one intermediary), searched like paths on the user's ``paths_view``:
    a hop the user may not see (a colleague's private tie, or any tie of a colleague's
    private contact) counts at ``HIDDEN_STRETCH``, and a reason over it names nobody
    behind it, so no score, order or reason follows from a hidden strength. ``skill_fit`` maps
    person ids to ``(score in [0, 1], reason)`` and weighs ``SKILL_WEIGHT`` against the
    ties; by default it is how well each colleague covers the project's
    ``skills_needed`` (:func:`geflecht.skills.queries.skill_fit`).
    """
    team = queries.members(user, project)
    on_team = {m.person_id for m in team}
    needed = list(project.skills_needed.all())
    theirs = [m for m in team if m.side == Side.THEIRS]
    candidates = list(
        visible_people(user)
        .filter(pk__in=own_company_people(user.tenant_pk))
        .exclude(pk__in=on_team)
        .values_list("pk", flat=True)
    )
    snap = current_graph(user.tenant_pk)
    # Not view_for: it holds the company-visible ties of a colleague's private contact at
    # their real strength, and a route over that contact would lift the score by it.
    view = snap.paths_view(user.pk)
    cand_nodes = snap.nodes(candidates)
    # candidate node -> member pk -> (strength, hops, whether a hop is hidden)
    strengths: dict[int, dict[int, tuple[float, int, bool]]] = {}
    for t in theirs:
        node = snap.node(t.person_id)
        if node is None or not len(cand_nodes):
            continue
        for p in engine.best_group_paths(view, [node], cand_nodes, max_hops=2):
            hidden = any(
                snap.hidden_hop(user.pk, p.nodes[i], p.nodes[i + 1]) for i in range(p.hops)
            )
            strengths.setdefault(p.target, {})[t.pk] = (p.strength, p.hops, hidden)
    if skill_fit is None and needed:
        from geflecht.skills.queries import skill_fit as fit_of

        skill_fit = fit_of(user, candidates, needed)
    weights = dict(skill_fit or {})
    role_label = {t.pk: str(t.get_role_display()) for t in theirs}
    nodes = set(strengths) | {n for n in cand_nodes.tolist() if snap.person(n) in weights}
    people = Person.objects.in_bulk([snap.person(n) for n in nodes])
    out = []
    for n in nodes:
        pid = snap.person(n)
        reached = strengths.get(n, {})
        tie = sum(s for s, _h, _x in reached.values()) / len(theirs) if theirs else 0.0
        ranked = sorted(
            ((t.person, role_label[t.pk], *reached[t.pk]) for t in theirs if t.pk in reached),
            key=lambda r: -r[2],
        )
        reaches = tuple((person, role, st, hops) for person, role, st, hops, _x in ranked)
        reasons = [
            (_("reaches %(name)s (%(role)s) over a stretch a colleague keeps private, "
               "counted at %(s)s") if hidden else
             _("knows %(name)s (%(role)s) directly, %(s)s") if hops == 1 else
             _("reaches %(name)s (%(role)s) over one contact, %(s)s"))
            % {"name": person.full_name, "role": role, "s": f"{st:.2f}"}
            for person, role, st, hops, hidden in ranked[:4]
        ]  # fmt: skip
        skill = None
        score = tie
        if skill_fit is not None:
            skill, why = weights.get(pid, (0.0, ""))
            skill = max(0.0, min(1.0, float(skill)))
            score = (1 - SKILL_WEIGHT) * tie + SKILL_WEIGHT * skill
            if why:
                reasons.append(why)
        if score <= 0:
            continue
        out.append(TeamSuggestion(people[pid], score, tie, skill, reaches, tuple(reasons)))
    out.sort(key=lambda s: (-s.score, s.person.last_name, s.person.pk))
    return out[:limit]


# ------------------------------------------------------------------- key-person risk
@dataclass(frozen=True)
class ColleagueLoss:
    colleague: Person
    lost: tuple[Person, ...]
    reached_after: int


@dataclass(frozen=True)
class ProjectRisk:
    """If a colleague left, whom of the buying centre would we lose access to?"""

    people: int
    reached: int
    losses: tuple[ColleagueLoss, ...]
    account: AccountRisk | None


#: Warm access for key-person risk: a direct tie or one introduction, each tie at least
#: the channel threshold (a hop the user may not see counts at HIDDEN_STRETCH). (Over
#: three hops of any strength a dense network reaches everyone through anyone, and
#: nothing would ever seem to hang on one person.)
RISK_HOPS = 2


def _impacts(user, snap, groups: dict):
    colleagues = snap.nodes(own_company_people(user.tenant_id))
    # On paths_view, like the channels: a hop the user may not see counts at
    # HIDDEN_STRETCH against the threshold, so whether someone is reached (and whose
    # leaving cuts us off) gives no hidden strength away.
    return engine.key_person_risk(
        snap.paths_view(user.pk),
        colleagues,
        {g: snap.nodes(pids) for g, pids in groups.items()},
        max_hops=RISK_HOPS,
        min_strength=DEFAULT_THRESHOLD,
    )


def project_key_person_risk(user: User, project: Project) -> ProjectRisk:
    """Per colleague, the buying-centre members only they give us access to (over the
    graph the user's paths are searched on), and the account's risk as ``network.reach``
    reports it."""
    snap = current_graph(user.tenant_pk)
    theirs = [m.person_id for m in queries.members(user, project, Side.THEIRS)]
    access = _impacts(user, snap, {project.pk: theirs})[project.pk]
    people = Person.objects.in_bulk(
        {snap.person(n) for k in access.impacts for n in k.people_lost}
        | {snap.person(k.colleague) for k in access.impacts}
    )
    losses = tuple(
        ColleagueLoss(
            people[snap.person(k.colleague)],
            tuple(people[snap.person(n)] for n in k.people_lost),
            k.reached_after,
        )
        for k in access.impacts
        if k.people_lost
    )
    account = key_person_risks(user, organizations=[project.organization])
    return ProjectRisk(access.people, access.reached, losses, account[0] if account else None)


@dataclass(frozen=True)
class CompanyRisk:
    """Our relationships that hang on one person: per colleague, the accounts and the
    people there we would no longer reach if they left."""

    colleague: Person
    accounts: tuple[tuple[Organization, tuple[Person, ...]], ...]

    @property
    def lost(self) -> int:
        return sum(len(people) for _org, people in self.accounts)


def company_key_person_risk(user: User, *, limit: int = 50) -> list[CompanyRisk]:
    """For the whole company: which colleagues' departure would cut us off from whom,
    over all customers and prospects, worst first."""
    snap = current_graph(user.tenant_pk)
    orgs = {
        o.pk: o
        for o in visible_organizations(user).filter(
            kind__in=[Organization.Kind.CUSTOMER, Organization.Kind.PROSPECT],
        )
    }
    staff = (
        Position.objects.filter(organization_id__in=orgs, end_date__isnull=True)
        .filter(person__in=visible_people(user))
        .values_list("organization_id", "person_id")
    )
    groups: dict[int, list[int]] = {}
    for org_id, pid in staff:
        groups.setdefault(org_id, []).append(pid)
    access = _impacts(user, snap, groups)
    per: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
    for org_id, a in access.items():
        for k in a.impacts:
            if k.people_lost:
                per.setdefault(k.colleague, []).append((org_id, k.people_lost))
    ranked = sorted(per.items(), key=lambda kv: (-sum(len(x[1]) for x in kv[1]), kv[0]))[:limit]
    people = Person.objects.in_bulk(
        {snap.person(c) for c, _ in ranked}
        | {snap.person(n) for _, rows in ranked for _, lost in rows for n in lost}
    )
    out = []
    for c, rows in ranked:
        rows.sort(key=lambda r: (-len(r[1]), orgs[r[0]].name))
        out.append(
            CompanyRisk(
                people[snap.person(c)],
                tuple((orgs[o], tuple(people[snap.person(n)] for n in lost)) for o, lost in rows),
            )
        )
    return out
