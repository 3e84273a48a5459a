"""Reads about events: who we know there, who can introduce us to our targets, and a
meeting plan per colleague.

Everything is computed on the user's view of the graph (shared ties plus the user's
own private ones), so a colleague's private contact neither appears nor counts. Paths
come from the graph engine and are rendered by :func:`geflecht.network.reach.render_paths`,
which shows a hidden stretch only as "ask <colleague>".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, F, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext as _

from geflecht import graph as engine
from geflecht.accounts.models import User
from geflecht.events.models import Attendance, AttendanceRole, Event, EventTarget
from geflecht.lib.errors import NotFound
from geflecht.lib.visibility import visible_q
from geflecht.network import queries as network_queries
from geflecht.network.queries import ReconnectItem
from geflecht.network.reach import IntroPath, own_company_people, render_paths
from geflecht.network.snapshot import TenantGraph, current_graph
from geflecht.people.models import Organization, Person, Position
from geflecht.people.queries import visible_organizations, visible_people

#: Meeting slots per fair day (local time) and their length.
SLOT_STARTS = (time(10), time(11), time(12), time(14), time(15), time(16))
SLOT_MINUTES = 45


# ---------------------------------------------------------------------------- lists
def seen_rows_q(user: User, prefix: str = "") -> Q:
    """Attendance and target rows the user may see: each person and organisation a row
    names must be visible (a colleague's private exhibitor is as absent as its booth)."""
    p = prefix + "__" if prefix else ""
    return (Q(**{f"{p}person__isnull": True}) | visible_q(user, f"{p}person")) & (
        Q(**{f"{p}organization__isnull": True}) | visible_q(user, f"{p}organization")
    )


def events(user: User, *, when: str = "all", today: date | None = None) -> QuerySet[Event]:
    """The tenant's events (``when``: all, upcoming, past), with visible attendee counts
    and ``seen_site_id``: the site, when the user may see its organisation."""
    today = today or timezone.localdate()
    rows = Event.objects.filter(tenant_id=user.tenant_pk)
    if when == "upcoming":
        rows = rows.filter(end_date__gte=today).order_by("start_date", "name", "id")
    elif when == "past":
        rows = rows.filter(end_date__lt=today).order_by("-start_date", "name", "id")
    else:
        rows = rows.order_by("-start_date", "name", "id")
    # Conditions on the joined rows (not a subquery over all visible people): the
    # database walks the event's rows only.
    visible = seen_rows_q(user, "attendances")
    # The site of a colleague's private firm is named as no site at all.
    site_seen = Q(site__isnull=False) & visible_q(user, "site__organization")
    return rows.annotate(
        attendee_count=Count("attendances", filter=visible, distinct=True),
        seen_site_id=Case(When(site_seen, then=F("site_id")), default=None),
    )


def event(user: User, pk: int) -> Event:
    found = events(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No event with id %(id)s.") % {"id": pk})
    return found


def attendances(user: User, ev: Event) -> QuerySet[Attendance]:
    """Attendance rows the user may see: visible people and exhibiting organisations."""
    return (
        Attendance.objects.filter(event=ev, tenant_id=user.tenant_pk)
        .filter(seen_rows_q(user))
        .select_related("person", "organization")
        .order_by("role", "person__last_name", "organization__name", "id")
    )


def targets(user: User, ev: Event) -> list[EventTarget]:
    rows = (
        EventTarget.objects.filter(event=ev, tenant_id=user.tenant_pk)
        .filter(seen_rows_q(user))
        .select_related("person", "organization", "chosen_by")
        .order_by("id")
    )
    return list(rows)


def _attendee_ids(user: User, ev: Event) -> list[int]:
    return list(
        Attendance.objects.filter(event=ev, person__isnull=False)
        .filter(seen_rows_q(user))
        .values_list("person_id", flat=True)
    )


def _our_staff(user: User, ev: Event) -> list[int]:
    """Our people at the fair: staff rows, and any attendee who works for us."""
    ours = set(own_company_people(user.tenant_pk))
    rows = (
        Attendance.objects.filter(event=ev, person__isnull=False)
        .filter(seen_rows_q(user))
        .values_list("person_id", "role")
    )
    return sorted(pid for pid, role in rows if pid in ours or role == AttendanceRole.STAFF)


class _Ties:
    """The ties ``user`` may see around single nodes: shared ties plus their own private
    ones (what ``TenantGraph.view_for`` holds, without copying the whole graph)."""

    def __init__(self, snap: TenantGraph, user_id: int) -> None:
        self.shared = snap.shared
        self.mine: dict[int, dict[int, float]] = defaultdict(dict)
        for (x, y), owners in snap.private.items():
            if user_id in owners:
                self.mine[x][y] = self.mine[y][x] = owners[user_id]

    def of(self, node: int) -> dict[int, float]:
        out = {
            int(n): float(s)
            for n, s in zip(
                self.shared.neighbors(node), self.shared.neighbor_strengths(node), strict=True
            )
        }
        for other, strength in self.mine.get(node, {}).items():
            out[other] = max(strength, out.get(other, 0.0))
        return out

    def between(self, u: int, v: int) -> float:
        strength = self.shared.edge_strength(u, v) if self.shared.has_edge(u, v) else 0.0
        return max(strength, self.mine.get(u, {}).get(v, 0.0))


# ---------------------------------------------------------------------- who we know
@dataclass(frozen=True)
class Knower:
    colleague: Person
    strength: float


@dataclass(frozen=True)
class KnownAttendee:
    attendance: Attendance
    person: Person
    strength: float  # the best tie of any of us
    knowers: tuple[Knower, ...]
    organization: str = ""


def who_we_know(user: User, ev: Event, *, limit: int = 200) -> list[KnownAttendee]:
    """Attendees one of us knows (any colleague's tie the user may see), strongest first."""
    snap = current_graph(user.tenant_pk)
    ties = _Ties(snap, user.pk)
    ours = set(own_company_people(user.tenant_pk))
    rows = [
        (a, a.person)
        for a in attendances(user, ev)
        if a.person is not None and a.person_id not in ours
    ]
    found: list[tuple[Attendance, Person, float, list[tuple[int, float]]]] = []
    for row, person in rows:
        node = snap.node(person.pk)
        if node is None:
            continue
        knowers = [(snap.person(n), s) for n, s in ties.of(node).items() if snap.person(n) in ours]
        if knowers:
            knowers.sort(key=lambda k: -k[1])
            found.append((row, person, knowers[0][1], knowers))
    found.sort(key=lambda f: (-f[2], f[1].last_name))
    found = found[:limit]
    people = Person.objects.in_bulk({pid for _r, _p, _s, ks in found for pid, _ in ks})
    employers = _employers([p.pk for _r, p, _s, _k in found])
    return [
        KnownAttendee(
            row,
            person,
            strength,
            tuple(Knower(people[pid], s) for pid, s in knowers[:5] if pid in people),
            employers.get(person.pk, ""),
        )
        for row, person, strength, knowers in found
    ]


def _employers(person_ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for pid, name in (
        Position.objects.filter(person_id__in=person_ids, end_date__isnull=True)
        .order_by("-start_date", "id")
        .values_list("person_id", "organization__name")
    ):
        out.setdefault(pid, name)
    return out


# -------------------------------------------------------------- targets and brokers
@dataclass(frozen=True)
class Broker:
    person: Person
    target: Person
    strength: float  # the broker's tie to the target


@dataclass(frozen=True)
class TargetRow:
    target: EventTarget
    label: str
    people: tuple[Person, ...]  # the target person, or the organisation's people
    brokers: tuple[Broker, ...]  # attendees with a tie to one of them
    path: IntroPath | None  # the best path from us to them through an attendee
    present: tuple[Person, ...]  # target people who attend themselves


def _target_people(user: User, target: EventTarget, limit: int = 50) -> list[Person]:
    if target.person is not None:
        return [target.person]
    if target.organization_id is None:
        return []
    return list(
        visible_people(user)
        .filter(positions__organization_id=target.organization_id, positions__end_date__isnull=True)
        .distinct()
        .order_by("last_name", "id")[:limit]
    )


def target_brokers(user: User, ev: Event, *, lang: str = "en") -> list[TargetRow]:
    """For each target, the attendees who can introduce us and the best path through one.

    Brokers are attendees with a tie (that the user may see) to a target person. The path
    is the strongest from the user whose first hop is an attendee at the fair (someone
    to speak to there), else from any of our staff at the fair.
    """
    snap = current_graph(user.tenant_pk)
    ties = _Ties(snap, user.pk)
    attendee_ids = set(_attendee_ids(user, ev))
    attendee_nodes = snap.nodes(attendee_ids)
    attendee_set = {int(n) for n in attendee_nodes}
    staff_nodes = snap.nodes(_our_staff(user, ev))
    me = snap.node(user.person_id) if user.person_id else None
    out = []
    for target in targets(user, ev):
        people = _target_people(user, target)
        goals = [int(n) for n in snap.nodes([p.pk for p in people])]
        by_pid = {p.pk: p for p in people}
        brokers: list[tuple[int, int, float]] = []
        for g in goals:
            for n, s in ties.of(g).items():
                if n in attendee_set and n not in goals:
                    brokers.append((snap.person(n), snap.person(g), s))
        brokers.sort(key=lambda b: -b[2])
        broker_people = Person.objects.in_bulk([b[0] for b in brokers[:10]])
        # Paths to the first ten people suffice: a search per person is the costly part.
        path = _best_path(user, snap, me, goals[:10], attendee_nodes, staff_nodes, lang)
        label = target.label
        out.append(
            TargetRow(
                target,
                label,
                tuple(people[:10]),
                tuple(
                    Broker(broker_people[b], by_pid[t], s)
                    for b, t, s in brokers[:10]
                    if b in broker_people
                ),
                path,
                tuple(p for p in people if p.pk in attendee_ids),
            )
        )
    return out


def _best_path(user, snap, me, goals, attendee_nodes, staff_nodes, lang) -> IntroPath | None:
    if not goals:
        return None
    found: list[engine.Path] = []
    # Searched at the strengths the user may see (a colleague's hidden row stays hidden).
    view = snap.paths_view(user.pk)
    if me is not None and len(attendee_nodes):
        first_hop = [n for n in attendee_nodes.tolist() if n != me]
        for g in goals:
            if g == me:
                continue
            try:
                found += engine.k_best_paths(view, me, g, k=1, max_hops=4, first_hop=first_hop)
            except engine.NoPath:
                continue
    if not found and len(staff_nodes):
        found = engine.best_group_paths(view, staff_nodes, goals, max_hops=4, limit=1)
    if not found:
        return None
    best = max(found, key=lambda p: p.strength)
    (rendered,) = render_paths(user, snap, [best], lang=lang)
    return rendered


# ------------------------------------------------------------------- meeting plan
@dataclass(frozen=True)
class Slot:
    starts: datetime
    person: Person
    reason: str
    strength: float


@dataclass
class ColleaguePlan:
    colleague: Person
    slots: list[Slot] = field(default_factory=list)


@dataclass(frozen=True)
class MeetingPlan:
    plans: tuple[ColleaguePlan, ...]
    unassigned: tuple[Person, ...]
    explanation: str


def meeting_plan(
    user: User,
    ev: Event,
    *,
    lang: str = "en",
    known: Sequence[KnownAttendee] | None = None,
    target_rows: Sequence[TargetRow] | None = None,
) -> MeetingPlan:
    """Whom each of our staff at the fair should meet, and when.

    Greedy: brokers to our targets first (strongest tie to the target first), then
    attendees from important accounts (A, B), then everyone we know by tie strength. Each
    goes to the colleague at the fair with the strongest tie to them who still has a free
    slot; slots run over the fair days (six a day).
    """
    staff = _our_staff(user, ev)
    if not staff:
        return MeetingPlan((), (), _("Nobody of us is listed for this event yet."))
    known = list(known) if known is not None else who_we_know(user, ev)
    target_rows = list(target_rows) if target_rows is not None else target_brokers(user, ev)
    snap = current_graph(user.tenant_pk)
    visible_ties = _Ties(snap, user.pk)
    staff_people = Person.objects.in_bulk(staff)
    tz = timezone.get_current_timezone()
    slots = [
        datetime.combine(ev.start_date + timedelta(days=d), t, tzinfo=tz)
        for d in range(ev.days)
        for t in SLOT_STARTS
    ]
    # (priority, -strength, person id, reason)
    wanted: dict[int, tuple[int, float, str]] = {}
    people: dict[int, Person] = {}
    for row in target_rows:
        for b in row.brokers:
            reason = _("can introduce us to %(t)s (tie %(s).2f)") % {
                "t": b.target.full_name,
                "s": b.strength,
            }
            wanted.setdefault(b.person.pk, (0, b.strength, reason))
            people[b.person.pk] = b.person
        for p in row.present:
            wanted.setdefault(p.pk, (0, 1.0, _("our target %(t)s is here") % {"t": row.label}))
            people[p.pk] = p
    for k in known:
        prio = 1 if k.person.importance in ("A", "B") else 2
        reason = (
            _("important contact (%(i)s)") % {"i": k.person.importance}
            if prio == 1
            else _("we know them (tie %(s).2f)") % {"s": k.strength}
        )
        wanted.setdefault(k.person.pk, (prio, k.strength, reason))
        people[k.person.pk] = k.person
    for pid in staff:
        wanted.pop(pid, None)
    order = sorted(wanted.items(), key=lambda w: (w[1][0], -w[1][1], w[0]))
    plans = {pid: ColleaguePlan(staff_people[pid]) for pid in staff if pid in staff_people}
    unassigned = []
    for pid, (_prio, _s, reason) in order:
        node = snap.node(pid)
        ties = []
        for colleague in plans:
            c = snap.node(colleague)
            strength = visible_ties.between(c, node) if c is not None and node is not None else 0.0
            ties.append((strength, -len(plans[colleague].slots), -colleague, colleague))
        ties.sort(reverse=True)
        chosen = next((t for t in ties if len(plans[t[3]].slots) < len(slots)), None)
        if chosen is None:
            unassigned.append(people[pid])
            continue
        strength, _load, _neg, colleague = chosen
        plan = plans[colleague]
        why = reason
        if strength > 0:
            why += "; " + _("%(name)s knows them best (%(s).2f)") % {
                "name": plan.colleague.first_name or plan.colleague.full_name,
                "s": strength,
            }
        else:
            why += "; " + _("nobody of us knows them directly: the least busy colleague")
        plan.slots.append(Slot(slots[len(plan.slots)], people[pid], why, strength))
    explanation = _(
        "Brokers to our targets first, then important contacts, then everyone we know, "
        "by tie strength; each goes to the colleague at the fair who knows them best, "
        "%(n)s slots of %(m)s minutes a day."
    ) % {"n": len(SLOT_STARTS), "m": SLOT_MINUTES}
    return MeetingPlan(tuple(p for p in plans.values()), tuple(unassigned[:50]), explanation)


# ------------------------------------------------------------------ reconnect advice
def upcoming_events_of(
    tenant_id: int, person_ids: Sequence[int], *, now: datetime
) -> dict[int, list[tuple[str, datetime]]]:
    """Events after ``now`` each person is listed for, as ``(name, first day 09:00)``."""
    if not person_ids:
        return {}
    tz = timezone.get_current_timezone()
    out: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    today = timezone.localtime(now, tz).date()
    ids = list(person_ids)
    for start in range(0, len(ids), 10_000):  # bounded statement size (SQLite)
        rows = Attendance.objects.filter(
            tenant_id=tenant_id,
            person_id__in=ids[start : start + 10_000],
            event__end_date__gte=today,
        ).values_list("person_id", "event__name", "event__start_date")
        for pid, name, first_day in rows:
            when = datetime.combine(first_day, time(9), tzinfo=tz)
            if when > now:
                out[pid].append((name, when))
    return dict(out)


def reconnect_list(
    user: User, *, now: datetime | None = None, limit: int = 50, lookback_days: int = 365
) -> list[ReconnectItem]:
    """The user's reconnect list (:func:`geflecht.network.queries.reconnect_list`) with
    the coming events each contact is listed for, so that the advice can say "meet at
    <fair>". The one entry point of the dashboard, the API and the CLI."""
    now = now or timezone.now()
    return network_queries.reconnect_list(
        user,
        now=now,
        limit=limit,
        lookback_days=lookback_days,
        upcoming_events=lambda ids: upcoming_events_of(user.tenant_pk, ids, now=now),
    )


def organizations_for_targets(user: User) -> QuerySet[Organization]:
    return visible_organizations(user).order_by("name")


def visible_event_person(user: User, pk: int) -> Person:
    person = Person.objects.filter(tenant_id=user.tenant_pk, pk=pk).filter(visible_q(user)).first()
    if person is None:
        raise NotFound(_("No person with id %(id)s.") % {"id": pk})
    return person
