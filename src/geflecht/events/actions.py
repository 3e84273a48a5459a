"""Writes on events: create one, import its attendee list, choose targets, log the meetings.

The attendee import reads the file with the contact importer's CSV parser (German and
English headers) and matches every row with the importer's identity matcher, so a
person we know is found by e-mail or by name and company, and a re-import creates
nothing new. Each row is written in its own savepoint: a bad row is reported with its
number and field, every good row is kept.

Meetings logged after the fair go through :func:`geflecht.network.actions.record_interactions`
as in-person meetings at the fair, so the strengths of the pairs update at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import IO

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.events.models import (
    Attendance,
    AttendanceRole,
    AttendanceStatus,
    Event,
    EventKind,
    EventTarget,
)
from geflecht.importers.identity import IdentityIndex, Known, normalize_org
from geflecht.importers.load import prepare_contact
from geflecht.importers.parsers.records import ContactRecord, ParseProblem
from geflecht.importers.parsers.tabular import parse_contacts_csv
from geflecht.lib.errors import Conflict, NotAllowed, NotFound
from geflecht.lib.visibility import can_see, require_writer
from geflecht.network.actions import InteractionInput, record_interactions
from geflecht.network.models import Interaction
from geflecht.people import actions as people_actions
from geflecht.people.models import Organization, Person, Position

#: Most rows one bulk meeting log may carry.
MAX_MEETING_ROWS = 500
#: Most data rows one attendee list may carry (a large fair lists ~10,000 exhibitors).
MAX_ATTENDEE_ROWS = 50_000
_EVENT_FIELDS = {"kind", "city", "venue", "site", "latitude", "longitude", "website"}


# ------------------------------------------------------------------------------ events
@transaction.atomic
def create_event(
    user: User, *, name: str, start_date: date, end_date: date | None = None, **fields
) -> Event:
    """A new event of the user's tenant; future dates are allowed."""
    require_writer(user)
    unknown = set(fields) - _EVENT_FIELDS
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    site = fields.get("site")
    if site is not None and (
        site.tenant_id != user.tenant_id or not can_see(user, site.organization)
    ):
        raise ValidationError({"site": _("This site does not exist.")})
    if fields.get("kind", EventKind.TRADE_FAIR) not in EventKind.values:
        raise ValidationError({"kind": _("Unknown kind %(k)r.") % {"k": fields["kind"]}})
    event = Event(
        tenant_id=user.tenant_pk,
        name=name.strip(),
        start_date=start_date,
        end_date=end_date or start_date,
        created_by=user,
        **fields,
    )
    if site is not None and not event.city:
        event.city = site.city
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def update_event(user: User, event: Event, **fields) -> Event:
    """Change an event's name, dates, place or kind."""
    require_writer(user)
    _check_event(user, event)
    if unknown := set(fields) - _EVENT_FIELDS - {"name", "start_date", "end_date"}:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    site = fields.get("site")
    if site is not None and (
        site.tenant_id != user.tenant_id or not can_see(user, site.organization)
    ):
        raise ValidationError({"site": _("This site does not exist.")})
    locked = Event.objects.select_for_update().get(pk=event.pk)
    for name, value in fields.items():
        setattr(locked, name, value.strip() if name == "name" else value)
    locked.full_clean()
    locked.save(update_fields=[*fields, "updated_at"])
    return locked


@transaction.atomic
def delete_event(user: User, event: Event) -> None:
    """Delete an event with its attendances and targets (the meetings logged there stay
    as interactions). Who created it or an admin may."""
    require_writer(user)
    _check_event(user, event)
    if event.created_by_id != user.pk and not user.is_tenant_admin:
        raise NotAllowed(
            _("Only who created %(name)s or an admin may delete it.") % {"name": event.name}
        )
    Event.objects.filter(pk=event.pk).delete()


def _check_event(user: User, event: Event) -> None:
    if event.tenant_id != user.tenant_id:
        raise NotFound(_("No such event."))


@transaction.atomic
def add_attendance(
    user: User,
    event: Event,
    *,
    person: Person | None = None,
    organization: Organization | None = None,
    role: str = AttendanceRole.VISITOR,
    booth: str = "",
    status: str = AttendanceStatus.PLANNED,
    source: str = "manual",
) -> Attendance:
    """Record that a person (or an exhibiting organisation) attends; repeated calls update."""
    require_writer(user)
    _check_event(user, event)
    if person is None and organization is None:
        raise ValidationError(_("Name a person or an organisation."))
    if person is not None and not can_see(user, person):
        raise ValidationError({"person": _("This person does not exist.")})
    if organization is not None and not can_see(user, organization):
        raise ValidationError({"organization": _("This organisation does not exist.")})
    if role not in AttendanceRole.values:
        raise ValidationError({"role": _("Unknown role %(r)r.") % {"r": role}})
    if status not in AttendanceStatus.values:
        raise ValidationError({"status": _("Unknown status %(s)r.") % {"s": status}})
    if person is not None:
        row = Attendance.objects.select_for_update().filter(event=event, person=person).first()
    else:
        row = (
            Attendance.objects.select_for_update()
            .filter(event=event, person__isnull=True, organization=organization)
            .first()
        )
    if row is None:
        row = Attendance(tenant_id=user.tenant_pk, event=event, person=person, source=source)
    row.organization = organization or row.organization
    row.role = role
    row.booth = booth[:60] or row.booth
    # Attended is a fact: a later "planned" does not undo it.
    if row.status != AttendanceStatus.ATTENDED:
        row.status = status
    row.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            row.save()
    except IntegrityError:
        # Someone recorded the same attendance at the same moment: theirs stands.
        raise Conflict(
            _("This attendance was recorded by someone else at the same moment; reload.")
        ) from None
    return row


def _attendance_of(user: User, attendance: Attendance) -> Attendance:
    """The attendance, locked, if the user may see whom it names (else NotFound)."""
    row = (
        # Only the attendance's own row: PostgreSQL locks no nullable side of a join.
        Attendance.objects.select_for_update(of=("self",))
        .select_related("person", "organization")
        .filter(pk=attendance.pk, tenant_id=user.tenant_pk)
        .first()
    )
    if row is None or any(
        named is not None and not can_see(user, named) for named in (row.person, row.organization)
    ):
        raise NotFound(_("No such attendance."))
    return row


@transaction.atomic
def update_attendance(user: User, attendance: Attendance, **fields) -> Attendance:
    """Change an attendance's role, booth, status or organisation (the event and the
    person stay: someone else's visit is another attendance)."""
    require_writer(user)
    row = _attendance_of(user, attendance)
    if unknown := set(fields) - {"organization", "role", "booth", "status"}:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    org = fields.get("organization")
    if org is not None and not can_see(user, org):
        raise ValidationError({"organization": _("This organisation does not exist.")})
    if fields.get("role", row.role) not in AttendanceRole.values:
        raise ValidationError({"role": _("Unknown role %(r)r.") % {"r": fields["role"]}})
    if fields.get("status", row.status) not in AttendanceStatus.values:
        raise ValidationError({"status": _("Unknown status %(s)r.") % {"s": fields["status"]}})
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean()
    row.save(update_fields=[*fields, "updated_at"])
    return row


@transaction.atomic
def remove_attendance(user: User, attendance: Attendance) -> None:
    require_writer(user)
    row = _attendance_of(user, attendance)
    row.delete()


# -------------------------------------------------------------------------- targets
@transaction.atomic
def add_target(
    user: User,
    event: Event,
    *,
    person: Person | None = None,
    organization: Organization | None = None,
    note: str = "",
) -> EventTarget:
    """Someone we want to reach at the fair (a person or anyone at an organisation)."""
    require_writer(user)
    _check_event(user, event)
    if (person is None) == (organization is None):
        raise ValidationError(_("Name either a person or an organisation."))
    if person is not None and not can_see(user, person):
        raise ValidationError({"person": _("This person does not exist.")})
    if organization is not None and not can_see(user, organization):
        raise ValidationError({"organization": _("This organisation does not exist.")})
    target, _created = EventTarget.objects.get_or_create(
        tenant_id=user.tenant_pk,
        event=event,
        person=person,
        organization=organization,
        defaults={"chosen_by": user, "note": note[:300]},
    )
    if note and target.note != note[:300]:
        target.note = note[:300]
        target.save(update_fields=["note", "updated_at"])
    return target


@transaction.atomic
def update_target(user: User, target: EventTarget, *, note: str) -> EventTarget:
    """Change the note on a target (whom it names stays: another is another target)."""
    require_writer(user)
    if target.tenant_id != user.tenant_id:
        raise NotFound(_("No such target."))
    row = EventTarget.objects.select_for_update().get(pk=target.pk)
    row.note = note.strip()[:300]
    row.save(update_fields=["note", "updated_at"])
    return row


@transaction.atomic
def remove_target(user: User, target: EventTarget) -> None:
    require_writer(user)
    if target.tenant_id != user.tenant_id:
        raise NotFound(_("No such target."))
    target.delete()


# -------------------------------------------------------------------- attendee import
@dataclass(frozen=True)
class RowProblem:
    """A row that was not imported: its number (data rows from 1), the field, why."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        where = _("row %(n)s") % {"n": self.row}
        if self.field:
            where += f", {self.field}"
        return f"{where}: {self.message}"


@dataclass
class AttendeeImport:
    rows: int = 0
    matched: int = 0
    created_people: int = 0
    created_organizations: int = 0
    added: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return _(
            "%(rows)s rows: %(added)s attendees added, %(unchanged)s already listed; "
            "%(matched)s matched to people we know, %(people)s people and %(orgs)s "
            "organisations created; %(problems)s rows with problems."
        ) % {
            "rows": self.rows,
            "added": self.added,
            "unchanged": self.unchanged,
            "matched": self.matched,
            "people": self.created_people,
            "orgs": self.created_organizations,
            "problems": len(self.problems),
        }


def _norm_header(text: str) -> str:
    return re.sub(r"[\s_./-]+", " ", text.replace("\ufeff", "").strip().lower()).strip()


_ROLE_HEADERS = {"role", "rolle", "type", "typ", "art", "teilnahme", "attendee type", "kategorie"}
_BOOTH_HEADERS = {"booth", "stand", "standnummer", "stand nr", "stand no", "messestand"}
_HALL_HEADERS = {"hall", "halle", "hall stand", "halle stand", "hall booth"}
_ROLE_WORDS = {
    AttendanceRole.EXHIBITOR: {"exhibitor", "aussteller", "exhibiting", "ausstellend"},
    AttendanceRole.VISITOR: {"visitor", "besucher", "besucherin", "guest", "gast", "attendee"},
    AttendanceRole.SPEAKER: {"speaker", "referent", "referentin", "sprecher", "vortrag"},
    AttendanceRole.STAFF: {"staff", "our staff", "mitarbeiter", "standpersonal", "team"},
}


def parse_role(text: str) -> str | None:
    """``"Aussteller"`` -> ``"exhibitor"``; empty -> visitor; None when unknown."""
    word = text.strip().lower()
    if not word:
        return AttendanceRole.VISITOR
    for role, words in _ROLE_WORDS.items():
        if word == role or word in words:
            return role
    return None


def _extra(rec: ContactRecord, headers: set[str]) -> str:
    for header, values in rec.extra.items():
        if _norm_header(header) in headers and values:
            return values[-1].strip()
    return ""


class _OrgBook:
    """The tenant's shared organisations by normalised name (attendees are shared, so
    their employers must be too); new ones are created on demand."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.by_name: dict[str, Organization] = {}
        shared = Organization.objects.filter(tenant_id=user.tenant_pk, visibility="company")
        for org in shared.order_by("id"):
            self.by_name.setdefault(normalize_org(org.name), org)
        self.created = 0
        self.pending: list[str] = []  # created in the current row (undone if it fails)

    def rollback(self) -> None:
        for key in self.pending:
            self.by_name.pop(key, None)
            self.created -= 1
        self.pending = []

    def get(self, name: str, city: str) -> Organization:
        key = normalize_org(name)
        org = self.by_name.get(key)
        if org is None:
            org = people_actions.create_organization(
                self.user, name=name[:200], kind=Organization.Kind.PROSPECT
            )
            if city:
                people_actions.create_site(self.user, org, city=city[:100], name=city[:200])
            self.by_name[key] = org
            self.pending.append(key)
            self.created += 1
        return org


def import_attendees(
    user: User, event: Event, source: str | IO[bytes], *, default_role: str = ""
) -> AttendeeImport:
    """Import an exhibitor or visitor list (CSV) into ``event``.

    Columns (English or German, any order): name (or first/last name), company, city,
    e-mail, role (exhibitor, visitor, speaker, staff), booth/stand and hall. A row with
    a company but no name lists the exhibiting organisation. People are matched to
    those the user may see; unknown ones are created (company-visible, owned by the
    user) with a position at their company.
    """
    require_writer(user)
    _check_event(user, event)
    report = AttendeeImport()
    index = IdentityIndex.for_user(user)
    orgs = _OrgBook(user)
    for rec in parse_contacts_csv(source):
        if isinstance(rec, ParseProblem):
            if rec.entry_no is None:
                report.problems.append(RowProblem(0, "", rec.reason))
                break
            report.rows += 1
            report.problems.append(RowProblem(rec.entry_no, "", rec.reason))
            continue
        report.rows += 1
        if report.rows > MAX_ATTENDEE_ROWS:
            report.problems.append(
                RowProblem(rec.entry_no, "", _("too many rows; the rest was not read"))
            )
            break
        orgs.pending = []
        try:
            with transaction.atomic():
                _import_row(user, event, rec, index, orgs, report, default_role)
        except ValidationError as exc:
            orgs.rollback()
            fields = getattr(exc, "error_dict", {})
            name = next(iter(fields), "") if fields else ""
            report.problems.append(
                RowProblem(rec.entry_no, "" if name == "__all__" else name, " ".join(exc.messages))
            )
    report.created_organizations = orgs.created
    return report


def _import_row(
    user: User,
    event: Event,
    rec: ContactRecord,
    index: IdentityIndex,
    orgs: _OrgBook,
    report: AttendeeImport,
    default_role: str,
) -> None:
    raw_role = _extra(rec, _ROLE_HEADERS)
    has_name = any((rec.given_name, rec.family_name, rec.formatted_name, rec.emails))
    # A list of companies without names is an exhibitor list.
    fallback = AttendanceRole.VISITOR if has_name else AttendanceRole.EXHIBITOR
    role = parse_role(raw_role) if raw_role else (default_role or fallback)
    if role is None:
        raise ValidationError(
            {
                "role": _(
                    "unknown role %(r)r (exhibitor, visitor, speaker or staff; "
                    "Aussteller, Besucher, Referent, Mitarbeiter)"
                )
                % {"r": raw_role}
            }
        )
    booth = " ".join(p for p in (_extra(rec, _HALL_HEADERS), _extra(rec, _BOOTH_HEADERS)) if p)
    city = next((a.city for a in rec.addresses if a.city), "")
    if not has_name:
        if not rec.organization:
            raise ValidationError({"name": _("neither a name nor a company")})
        _count(report, _attend(user, event, None, orgs.get(rec.organization, city), role, booth))
        return
    warnings: list[str] = []
    prep = prepare_contact(rec, warnings)
    if isinstance(prep, ParseProblem):
        raise ValidationError({"name": prep.reason})
    match = index.match(
        first=prep.norm_first,
        last=prep.norm_last,
        emails=[e for e, _label in prep.emails],
        phones=[p for p, _label in prep.phones],
        org=prep.norm_org,
    )
    org = orgs.get(prep.org, city) if prep.org else None
    if match.certain:
        assert match.certain[0].pid is not None  # people are indexed once saved
        person = Person.objects.get(pk=match.certain[0].pid)
        report.matched += 1
    else:
        person = people_actions.create_person(
            user,
            title=prep.title,
            first_name=prep.first,
            last_name=prep.last,
            emails=[e for e, _label in prep.emails],
            owner=user,
        )
        if org is not None:
            people_actions.add_position(user, person, org, title=prep.job_title)
        index.add(
            Known(
                person.pk,
                prep.norm_first,
                prep.norm_last,
                emails={e for e, _label in prep.emails},
                orgs={prep.norm_org} if prep.norm_org else set(),
            )
        )
        report.created_people += 1
    _count(report, _attend(user, event, person, org, role, booth))


def _attend(user, event, person, org, role, booth) -> bool:
    """Add or refresh one attendance row; True when it is new."""
    exists = Attendance.objects.filter(event=event)
    exists = (
        exists.filter(person=person)
        if person is not None
        else exists.filter(person__isnull=True, organization=org)
    )
    new = not exists.exists()
    add_attendance(
        user, event, person=person, organization=org, role=role, booth=booth, source="import"
    )
    return new


def _count(report: AttendeeImport, new: bool) -> None:
    if new:
        report.added += 1
    else:
        report.unchanged += 1


# ------------------------------------------------------------------ post-fair meetings
@dataclass(frozen=True)
class MeetingRow:
    """One meeting at the fair: which of us met whom, when (default: the first day)."""

    colleague_id: int
    person_id: int
    occurred_at: datetime | None = None
    subject: str = ""
    duration_minutes: int | None = 30


@dataclass
class MeetingLog:
    logged: list[tuple[int, Interaction]] = field(default_factory=list)  # (row, interaction)
    problems: list[RowProblem] = field(default_factory=list)


def _meeting_time(event: Event, row: MeetingRow, n: int) -> datetime:
    if row.occurred_at is not None:
        return row.occurred_at
    # No time given: spread the meetings over the first day's morning, half-hourly.
    start = datetime.combine(event.start_date, time(9), tzinfo=timezone.get_current_timezone())
    return (start + timedelta(minutes=30 * (n % 16))).astimezone(UTC)


def log_meetings(
    user: User, event: Event, rows: Sequence[MeetingRow], *, now: datetime | None = None
) -> MeetingLog:
    """Log many in-person meetings at ``event`` at once; each row stands on its own.

    A row is refused with its number and field when the colleague is not one of us,
    a person is unknown to the user, or the time lies outside the fair days or in the
    future; the other rows are stored. Both people are marked as having attended.
    """
    require_writer(user)
    _check_event(user, event)
    now = now or timezone.now()
    result = MeetingLog()
    if len(rows) > MAX_MEETING_ROWS:
        raise ValidationError(
            _("At most %(n)s meetings per log; split the list.") % {"n": MAX_MEETING_ROWS}
        )
    ids = {r.colleague_id for r in rows} | {r.person_id for r in rows}
    visible = {p.pk: p for p in Person.objects.filter(tenant_id=user.tenant_pk, pk__in=ids)}
    visible = {pk: p for pk, p in visible.items() if can_see(user, p)}
    ours = set(
        Position.objects.filter(
            tenant_id=user.tenant_pk,
            person_id__in=list(visible),
            organization__kind=Organization.Kind.OWN,
            end_date__isnull=True,
        ).values_list("person_id", flat=True)
    )
    tz = timezone.get_current_timezone()
    first = datetime.combine(event.start_date, time(0), tzinfo=tz)
    last = datetime.combine(event.end_date + timedelta(days=1), time(0), tzinfo=tz)
    items: list[tuple[int, InteractionInput]] = []
    for n, row in enumerate(rows, start=1):
        if row.colleague_id not in visible:
            result.problems.append(RowProblem(n, "colleague", _("no such person")))
            continue
        if row.colleague_id not in ours:
            result.problems.append(
                RowProblem(
                    n,
                    "colleague",
                    _("%(name)s does not work for us")
                    % {"name": visible[row.colleague_id].full_name},
                )
            )
            continue
        if row.person_id not in visible:
            result.problems.append(RowProblem(n, "person", _("no such person")))
            continue
        if row.person_id == row.colleague_id:
            result.problems.append(RowProblem(n, "person", _("met themselves")))
            continue
        when = _meeting_time(event, row, n - 1)
        if not first <= when < last:
            result.problems.append(
                RowProblem(
                    n,
                    "occurred_at",
                    _("%(when)s is not during the event (%(start)s to %(end)s)")
                    % {
                        "when": timezone.localtime(when).strftime("%Y-%m-%d %H:%M"),
                        "start": event.start_date.isoformat(),
                        "end": event.end_date.isoformat(),
                    },
                )
            )
            continue
        if when > now:
            result.problems.append(
                RowProblem(n, "occurred_at", _("meetings can be logged once they happened"))
            )
            continue
        if row.duration_minutes is not None and not 1 <= row.duration_minutes <= 24 * 60:
            result.problems.append(
                RowProblem(n, "duration_minutes", _("between 1 and 1440 minutes"))
            )
            continue
        subject = row.subject.strip() or _("Meeting at %(event)s") % {"event": event.name}
        items.append(
            (
                n,
                InteractionInput(
                    kind="meeting",
                    occurred_at=when,
                    participants=[(row.colleague_id, "organiser"), (row.person_id, "attendee")],
                    duration_minutes=row.duration_minutes,
                    subject=subject[:300],
                    location=(f"{event.name}, {event.place}" if event.place else event.name)[:200],
                    site_id=event.site_id,
                    source="fair",
                ),
            )
        )
    if not items:
        return result
    with transaction.atomic():
        stored = record_interactions(
            tenant=user.company, items=[i for _n, i in items], recorded_by=user, now=now
        )
        for (n, item), outcome in zip(items, stored, strict=True):
            if isinstance(outcome, ValidationError):
                result.problems.append(RowProblem(n, "", " ".join(outcome.messages)))
                continue
            result.logged.append((n, outcome))
            for pid, _role in item.participants:
                role = AttendanceRole.STAFF if pid in ours else AttendanceRole.VISITOR
                _mark_attended(user, event, pid, role)
    result.problems.sort(key=lambda p: p.row)
    return result


def _mark_attended(user: User, event: Event, person_id: int, role: str) -> None:
    updated = Attendance.objects.filter(event=event, person_id=person_id).update(
        status=AttendanceStatus.ATTENDED, updated_at=timezone.now()
    )
    if not updated:
        Attendance.objects.create(
            tenant_id=user.tenant_pk,
            event=event,
            person_id=person_id,
            role=role,
            status=AttendanceStatus.ATTENDED,
            source="meeting",
        )


def attendees_from_interaction(
    user: User, event: Event, interaction: Interaction, *, staff: Iterable[int] = ()
) -> int:
    """Attendance rows (attended) for everyone in a recorded event interaction."""
    staff = set(staff)
    have = set(Attendance.objects.filter(event=event).values_list("person_id", flat=True))
    rows = [
        Attendance(
            tenant_id=user.tenant_pk,
            event=event,
            person_id=pid,
            role=AttendanceRole.STAFF if pid in staff else AttendanceRole.VISITOR,
            status=AttendanceStatus.ATTENDED,
            source="interaction",
        )
        for pid in interaction.participations.values_list("person_id", flat=True)
        if pid not in have
    ]
    Attendance.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
