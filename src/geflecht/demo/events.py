"""Demo data for trade fairs and introduction requests, written through the real services.

* every past fair of the demo (its ``event`` interaction) becomes an Event with its
  attendees; the most recent one gets the meetings our staff logged after it;
* the next EMO or AMB is an upcoming Event whose exhibitor and visitor list is imported
  from a CSV file (as a user would), with targets, so the meeting plan has work to do;
* a customer day in three weeks that important contacts attend, so reconnect advice can
  say "meet at ...";
* introduction requests in every state, one of them through a colleague's private contact.

Deterministic from the seed; the bulk parts use bulk inserts, so 100,000 people stay fast.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q

from geflecht.accounts.models import Tenant, User
from geflecht.demo import data
from geflecht.events import actions
from geflecht.events.models import Attendance, AttendanceRole, AttendanceStatus, Event, EventKind
from geflecht.intros import actions as intros
from geflecht.lib.errors import Conflict
from geflecht.lib.spreadsheet import safe_row
from geflecht.network.models import Interaction, InteractionParticipant, Relationship
from geflecht.network.reach import PathOptions, introduction_paths
from geflecht.people.models import ContactEmail, Organization, Person, Position
from geflecht.privacy.actions import record_missing_legal_bases

FAIR_DAYS = 4
#: How many known people the upcoming fair's list names (plus new ones and exhibitors).
LIST_KNOWN, LIST_NEW, LIST_EXHIBITORS = 140, 25, 8


def add_events_and_intros(tenant: Tenant, org_ids, *, seed: int, now: datetime) -> dict:
    """Everything above for the demo tenant; returns counts for the demo's summary."""
    rng = random.Random(seed * 7919 + 17)
    users = list(User.objects.filter(tenant=tenant, person__isnull=False).order_by("id"))
    if not users:
        return {}
    anna = users[0]
    jana = users[1] if len(users) > 1 else None
    own_id, anchor_id = int(org_ids[0]), int(org_ids[1]) if len(org_ids) > 1 else None
    own = set(
        Position.objects.filter(
            tenant=tenant, organization_id=own_id, end_date__isnull=True
        ).values_list("person_id", flat=True)
    )
    counts = {"events": 0, "attendances": 0}
    past = _past_fairs(tenant, anna, own, counts)
    if past is not None:
        _meetings_after(anna, jana, past, own, rng, now, counts)
    fair = _upcoming_fair(tenant, anna, jana, own, org_ids, anchor_id, rng, now, counts)
    _customer_day(tenant, anna, jana, now, counts)
    counts["intro_requests"] = _intro_requests(tenant, anna, jana, fair, anchor_id, now)
    # The people the fair list brought in need their legal basis like everyone else.
    record_missing_legal_bases(tenant, source="Demo", now=now)
    return counts


def _fair_place(name: str) -> tuple[str, float, float]:
    for fair, city, lat, lon, _month, _parity in data.FAIRS:
        if fair == name:
            return city, lat, lon
    return "", 0.0, 0.0


def _past_fairs(tenant: Tenant, anna: User, own: set[int], counts: dict) -> Event | None:
    """One Event per recorded fair interaction, its participants as attendees."""
    fairs = list(
        Interaction.objects.filter(tenant=tenant, kind="event", external_id__startswith="fair:")
        .order_by("occurred_at", "id")
        .values_list("id", "external_id", "occurred_at")
    )
    latest = None
    for iid, external_id, when in fairs:
        _prefix, name, year = external_id.split(":", 2)
        city, lat, lon = _fair_place(name)
        start = when.astimezone(UTC).date()
        event = Event.objects.create(
            tenant=tenant,
            name=f"{name} {year}",
            kind=EventKind.TRADE_FAIR,
            start_date=start,
            end_date=start + timedelta(days=FAIR_DAYS - 1),
            city=city,
            venue=f"Messe {city}",
            latitude=lat,
            longitude=lon,
            created_by=anna,
        )
        people = InteractionParticipant.objects.filter(interaction_id=iid).values_list(
            "person_id", flat=True
        )
        rows = [
            Attendance(
                tenant=tenant,
                event=event,
                person_id=pid,
                role=AttendanceRole.STAFF if pid in own else AttendanceRole.VISITOR,
                status=AttendanceStatus.ATTENDED,
                source="demo",
            )
            for pid in people
        ]
        Attendance.objects.bulk_create(rows, batch_size=2000)
        counts["events"] += 1
        counts["attendances"] += len(rows)
        latest = event
    return latest


def _meetings_after(anna, jana, fair: Event, own, rng, now, counts) -> None:
    """The meetings anna and jana logged in one go after the latest fair."""
    ours = [u.person_id for u in (anna, jana) if u is not None]
    for pid in ours:
        Attendance.objects.update_or_create(
            event=fair,
            person_id=pid,
            defaults={"tenant_id": fair.tenant_id, "role": "staff", "status": "attended"},
        )
    met = sorted(
        Attendance.objects.filter(event=fair, person__visibility="company")
        .exclude(person_id__in=own)
        .values_list("person_id", flat=True)
    )
    if not met:
        return
    chosen = rng.sample(met, min(8, len(met)))
    start = datetime.combine(fair.start_date, time(9), tzinfo=UTC)
    rows = [
        actions.MeetingRow(
            ours[i % len(ours)],
            pid,
            start + timedelta(hours=1 + i % 7),
            rng.choice(("Standgespräch", "Kaffee am Stand", "Vorstellung Neuheiten")),
        )
        for i, pid in enumerate(chosen)
    ]
    log = actions.log_meetings(anna, fair, rows, now=now)
    counts["fair_meetings"] = len(log.logged)


def _next_fair(now: datetime) -> tuple[str, str, float, float, date]:
    """The next EMO or AMB after ``now``."""
    for year in range(now.year, now.year + 3):
        for name, city, lat, lon, month, parity in data.FAIRS:
            if not name.startswith(("EMO", "AMB")):
                continue
            if (parity == "odd" and year % 2 == 0) or (parity == "even" and year % 2 == 1):
                continue
            start = date(year, month, 14)
            if start > now.date() + timedelta(days=7):
                return name, city, lat, lon, start
    return "AMB Stuttgart", "Stuttgart", 48.694, 9.191, now.date() + timedelta(days=60)


def _upcoming_fair(tenant, anna, jana, own, org_ids, anchor_id, rng, now, counts) -> Event:
    name, city, lat, lon, start = _next_fair(now)
    event = actions.create_event(
        anna,
        name=f"{name} {start.year}",
        kind=EventKind.TRADE_FAIR,
        start_date=start,
        end_date=start + timedelta(days=FAIR_DAYS + 1),
        city=city,
        venue=f"Messe {city}",
        latitude=lat,
        longitude=lon,
        website="https://www.messe.example/" + name.split()[0].lower(),
    )
    counts["events"] += 1
    # The list as an organiser would send it: people we know, new faces, exhibitors only.
    anna_ties = Relationship.objects.filter(
        Q(person_a_id=anna.person_id) | Q(person_b_id=anna.person_id), tenant=tenant
    ).exclude(visibility="private")
    known_ids = sorted(
        ({r.person_a_id for r in anna_ties} | {r.person_b_id for r in anna_ties}) - own
    )
    pool = sorted(
        Person.objects.filter(tenant=tenant, visibility="company")
        .exclude(pk__in=own)
        .values_list("pk", flat=True)[:5000]
    )
    picked = rng.sample(known_ids, min(len(known_ids), LIST_KNOWN // 2))
    rest = sorted(set(pool) - set(picked))
    picked += rng.sample(rest, min(len(rest), LIST_KNOWN - len(picked)))
    people = Person.objects.in_bulk(picked)
    employer = dict(
        Position.objects.filter(person_id__in=picked, end_date__isnull=True)
        .order_by("person_id", "-start_date")
        .values_list("person_id", "organization__name")
    )
    mails = dict(
        ContactEmail.objects.filter(person_id__in=picked)
        .order_by("person_id", "id")
        .values_list("person_id", "email")
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Name", "Firma", "Ort", "E-Mail", "Rolle", "Halle", "Stand"])
    for i, pid in enumerate(picked):
        p = people[pid]
        role = "Aussteller" if i % 5 == 0 else "Besucher"
        hall, stand = (
            (str(1 + i % 9), f"{'ABCDEF'[i % 6]}{10 + i}") if role == "Aussteller" else ("", "")
        )
        writer.writerow(
            safe_row(
                [p.full_name, employer.get(pid, ""), "", mails.get(pid, ""), role, hall, stand]
            )
        )
    firsts = ("Lena", "Jonas", "Miriam", "Stefan", "Ayse", "Tobias", "Katrin", "Marco")
    lasts = ("Brandt", "Yilmaz", "Kessler", "Vogt", "Lorenz", "Haas", "Seidel", "Kraus")
    for i in range(LIST_NEW):
        first, last = firsts[i % len(firsts)], lasts[(i * 3 + 1) % len(lasts)]
        firm = ("Schwäbische Präzision GmbH", "Rheinmetall Testtechnik", "Alpen Sensorik AG")[i % 3]
        writer.writerow(
            [
                f"{first} {last}",
                firm,
                "",
                f"{first}.{last}{i}@messe-neu.example".lower(),
                "Besucher",
                "",
                "",
            ]
        )
    orgs = list(
        Organization.objects.filter(tenant=tenant, kind__in=("partner", "supplier", "competitor"))
        .order_by("id")
        .values_list("name", flat=True)[:LIST_EXHIBITORS]
    )
    for i, org in enumerate(orgs):
        writer.writerow(["", org, "", "", "Aussteller", str(1 + i % 9), f"G{20 + i}"])
    # Jana organises the fair trip: she imports the list the organiser sent.
    report = actions.import_attendees(
        jana or anna, event, io.BytesIO(out.getvalue().encode("utf-8"))
    )
    for user in (anna, jana):
        if user is not None:
            actions.add_attendance(anna, event, person=user.person, role=AttendanceRole.STAFF)
    for pid in sorted(own)[2:5]:
        actions.add_attendance(anna, event, person=Person.objects.get(pk=pid), role="staff")
    counts["attendances"] += report.added + 5
    # Targets: the anchor customer, one prospect, and one decision maker.
    if anchor_id:
        actions.add_target(
            anna,
            event,
            organization=Organization.objects.get(pk=anchor_id),
            note="Rahmenvertrag 2027",
        )
    prospect = Organization.objects.filter(tenant=tenant, kind="prospect").order_by("id").first()
    if prospect is not None:
        actions.add_target(jana or anna, event, organization=prospect, note="Erstkontakt")
    boss = (
        Person.objects.filter(
            tenant=tenant,
            visibility="company",
            positions__department="Geschäftsführung",
            positions__end_date=None,
        )
        .exclude(pk__in=own)
        .order_by("id")
        .first()
    )
    if boss is not None:
        actions.add_target(anna, event, person=boss, note="Vorstellung Geschäftsführung")
    return event


def _customer_day(tenant, anna, jana, now, counts) -> None:
    """Our customer day in three weeks, with anna's important contacts invited."""
    day = (now + timedelta(days=21)).date()
    event = actions.create_event(
        anna,
        name=f"Brenner Kundentag {day.year}",
        kind=EventKind.CUSTOMER_EVENT,
        start_date=day,
        city="Ulm",
        venue="Brenner Technikum",
    )
    ties = Relationship.objects.filter(
        Q(person_a_id=anna.person_id) | Q(person_b_id=anna.person_id), tenant=tenant
    ).exclude(visibility="private")
    others = {r.person_a_id for r in ties} | {r.person_b_id for r in ties}
    invited = sorted(
        Person.objects.filter(pk__in=others, importance__in=("A", "B"), visibility="company")
        .exclude(pk=anna.person_id)
        .values_list("pk", flat=True)
    )[:40]
    staff = [u.person_id for u in (anna, jana) if u is not None]
    Attendance.objects.bulk_create(
        [
            Attendance(
                tenant=tenant,
                event=event,
                person_id=pid,
                role=AttendanceRole.STAFF if pid in staff else AttendanceRole.VISITOR,
                source="demo",
            )
            for pid in [*staff, *invited]
        ]
    )
    counts["events"] += 1
    counts["attendances"] += len(staff) + len(invited)


def _intro_requests(tenant, anna, jana, fair, anchor_id, now) -> int:
    """Requests in every state; returns how many were made."""
    made = 0

    def ask(user, target, message, **kw):
        nonlocal made
        try:
            req = intros.ask_for_introduction(user, target, message=message, **kw)
        except (ValidationError, Conflict):
            return None
        made += 1
        return req

    if jana is None:
        return 0
    # 1. Through jana's private friend to a managing director: anna sees "ask Jana".
    private_ties = Relationship.objects.filter(tenant=tenant, visibility="private", owner=jana)
    friends = set(
        Person.objects.filter(owner=jana, visibility="private").values_list("pk", flat=True)
    )
    bosses = sorted(
        ({r.person_a_id for r in private_ties} | {r.person_b_id for r in private_ties})
        - friends
        - {jana.person_id}
    )
    for boss in Person.objects.filter(pk__in=bosses, visibility="company").order_by("id"):
        paths = introduction_paths(anna, boss, PathOptions(k=3))
        hidden = next(
            (i for i, p in enumerate(paths) if any(s.person is None for s in p.steps)), None
        )
        if hidden is not None:
            ask(
                anna,
                boss,
                "Wir möchten unser neues Messsystem vorstellen. "
                "Könntest du den Kontakt herstellen?",
                path_index=hidden,
                event=fair,
            )
            break
    # 2.-4. Requests between the two colleagues in other states.
    anchor_people = list(
        Person.objects.filter(
            tenant=tenant,
            visibility="company",
            positions__organization_id=anchor_id,
            positions__end_date=None,
        ).order_by("id")[:30]
    )
    plan = [
        (anna, jana, "accept"),
        (jana, anna, None),
        (anna, jana, "introduced"),
        (jana, anna, "decline"),
    ]
    used: set[int] = set()
    for who, broker_user, state in plan:
        for target in anchor_people:
            if target.pk in used:
                continue
            paths = introduction_paths(who, target, PathOptions(k=3))
            on_path = next(
                (
                    i
                    for i, p in enumerate(paths)
                    if any(s.person and s.person.pk == broker_user.person_id for s in p.steps[1:-1])
                ),
                None,
            )
            if on_path is None:
                continue
            req = ask(
                who,
                target,
                f"Kannst du mich mit {target.full_name} bekannt machen? "
                "Es geht um die Nachrüstung der Messzellen.",
                broker=broker_user.person,
                path_index=on_path,
            )
            if req is None:
                continue
            used.add(target.pk)
            if state == "accept":
                intros.accept(broker_user, req.pk, note="Gern, ich rufe morgen an.")
            elif state == "introduced":
                intros.accept(broker_user, req.pk, note="Mache ich beim nächsten Termin.")
                intros.mark_introduced(broker_user, req.pk, note="Per E-Mail vorgestellt.", now=now)
            elif state == "decline":
                intros.decline(
                    broker_user,
                    req.pk,
                    note="Der Kontakt ist gerade schwierig, lieber im Frühjahr.",
                )
            break
    return made
