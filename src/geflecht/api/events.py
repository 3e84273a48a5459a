"""Trade fairs and events: attendees, who we know there, targets, meeting plan, meetings."""

import io
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from django.utils.translation import get_language
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from geflecht.api.network import PathOut, PersonRef, _path, _ref
from geflecht.api.pagination import Page
from geflecht.api.types import BodyId, Id, Int, IsoDate, IsoDateTime, Number
from geflecht.events import actions, queries
from geflecht.events.models import AttendanceRole, AttendanceStatus, EventKind, EventTarget
from geflecht.lib.errors import NotFound
from geflecht.lib.visibility import require_writer
from geflecht.people import queries as people_queries

router = Router()

if TYPE_CHECKING:  # a type checker cannot read the models' choices: it sees strings
    KindName = str
    RoleName = str
    StatusName = str
else:
    KindName = Literal[tuple(EventKind.values)]
    RoleName = Literal[tuple(AttendanceRole.values)]
    StatusName = Literal[tuple(AttendanceStatus.values)]
MAX_CSV = 5_000_000


class OrgRef(Schema):
    id: int
    name: str


class EventOut(Schema):
    id: int
    name: str
    kind: str
    start_date: date
    end_date: date
    city: str
    venue: str
    website: str
    site_id: Id | None = Field(None, validation_alias="seen_site_id")
    latitude: float | None
    longitude: float | None
    attendee_count: int = Field(0, description="Attendees you may see.")


class EventIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    kind: KindName = "trade_fair"
    start_date: IsoDate
    end_date: IsoDate | None = None
    city: str = Field("", max_length=100)
    venue: str = Field("", max_length=200)
    website: str = Field("", max_length=200)
    site_id: BodyId | None = None
    latitude: Number | None = Field(None, ge=-90, le=90)
    longitude: Number | None = Field(None, ge=-180, le=180)


class AttendanceOut(Schema):
    id: int
    person: PersonRef | None
    organization: OrgRef | None
    role: str
    booth: str
    status: str


class AttendanceIn(Schema):
    person_id: BodyId | None = None
    organization_id: BodyId | None = None
    role: RoleName = "visitor"
    booth: str = Field("", max_length=60)
    status: StatusName = "planned"


class ImportIn(Schema):
    csv: str = Field(
        ...,
        min_length=1,
        max_length=MAX_CSV,
        description="The attendee or exhibitor list as CSV text with a header row "
        "(name, company, city, e-mail, role, booth/stand, hall; German or English).",
    )
    default_role: RoleName | None = None


class RowProblemOut(Schema):
    row: int
    field: str
    message: str


class ImportOut(Schema):
    rows: int
    matched: int
    created_people: int
    created_organizations: int
    added: int
    unchanged: int
    summary: str
    problems: list[RowProblemOut]


class KnowerOut(Schema):
    person: PersonRef
    strength: float


class KnownOut(Schema):
    person: PersonRef
    organization: str
    role: str
    booth: str
    strength: float
    knowers: list[KnowerOut]


class BrokerOut(Schema):
    person: PersonRef
    target: PersonRef
    strength: float


class TargetOut(Schema):
    id: int
    person: PersonRef | None
    organization: OrgRef | None
    label: str
    note: str
    brokers: list[BrokerOut] = []
    present: list[PersonRef] = []
    path: PathOut | None = None


class TargetIn(Schema):
    person_id: BodyId | None = None
    organization_id: BodyId | None = None
    note: str = Field("", max_length=300)


class SlotOut(Schema):
    starts: datetime
    person: PersonRef
    reason: str
    strength: float


class ColleaguePlanOut(Schema):
    colleague: PersonRef
    slots: list[SlotOut]


class PlanOut(Schema):
    explanation: str
    plans: list[ColleaguePlanOut]
    unassigned: list[PersonRef]


class MeetingIn(Schema):
    colleague_id: BodyId = Field(..., description="Which of us met (a person of our company).")
    person_id: BodyId
    occurred_at: IsoDateTime | None = Field(None, description="Default: the first fair day.")
    subject: str = Field("", max_length=300)
    duration_minutes: Int | None = Field(30, ge=1, le=1440)


class MeetingsIn(Schema):
    meetings: list[MeetingIn] = Field(..., min_length=1, max_length=actions.MAX_MEETING_ROWS)


class LoggedOut(Schema):
    row: int
    interaction_id: int


class MeetingsOut(Schema):
    logged: list[LoggedOut]
    problems: list[RowProblemOut]


def _org(org) -> dict | None:
    return None if org is None else {"id": org.pk, "name": org.name}


def _attendance(a) -> dict:
    return {
        "id": a.pk,
        "person": _ref(a.person),
        "organization": _org(a.organization),
        "role": a.role,
        "booth": a.booth,
        "status": a.status,
    }


def _target(t: EventTarget) -> dict:
    label = t.label
    return {
        "id": t.pk,
        "person": _ref(t.person),
        "organization": _org(t.organization),
        "label": label,
        "note": t.note,
    }


def _problems(problems) -> list[dict]:
    return [{"row": p.row, "field": p.field, "message": p.message} for p in problems]


# -------------------------------------------------------------------------- events
@router.get("/events", response=list[EventOut], summary="Trade fairs and events")
@paginate(Page)
def list_events(request, when: Literal["all", "upcoming", "past"] = "all"):
    return queries.events(request.auth, when=when)


@router.get("/events/{event_id}", response=EventOut, summary="One event")
def get_event(request, event_id: Id):
    return queries.event(request.auth, event_id)


@router.post("/events", response={201: EventOut}, summary="Create an event (future dates allowed)")
def create_event(request, payload: EventIn):
    user = request.auth
    fields = payload.dict(exclude={"site_id"})
    if payload.site_id is not None:
        fields["site"] = people_queries.visible_site(user, payload.site_id)
    event = actions.create_event(user, **fields)
    return Status(201, queries.event(user, event.pk))


@router.get(
    "/events/{event_id}/attendees",
    response=list[AttendanceOut],
    summary="Attendees and exhibitors you may see",
)
@paginate(Page)
def list_attendees(request, event_id: Id, role: RoleName | None = None):
    user = request.auth
    rows = queries.attendances(user, queries.event(user, event_id))
    if role:
        rows = rows.filter(role=role)
    return rows


@router.post(
    "/events/{event_id}/attendees",
    response={201: AttendanceOut},
    summary="Add a person or an exhibiting organisation",
)
def add_attendee(request, event_id: Id, payload: AttendanceIn):
    user = request.auth
    event = queries.event(user, event_id)
    person = people_queries.visible_person(user, payload.person_id) if payload.person_id else None
    org = (
        people_queries.visible_organization(user, payload.organization_id)
        if payload.organization_id
        else None
    )
    row = actions.add_attendance(
        user,
        event,
        person=person,
        organization=org,
        role=payload.role,
        booth=payload.booth,
        status=payload.status,
    )
    return Status(201, _attendance(row))


@router.post(
    "/events/{event_id}/attendees/import",
    response=ImportOut,
    summary="Import an attendee or exhibitor list (CSV); bad rows are reported, good ones kept",
)
def import_attendees(request, event_id: Id, payload: ImportIn):
    user = request.auth
    require_writer(user)
    event = queries.event(user, event_id)
    report = actions.import_attendees(
        user,
        event,
        io.BytesIO(payload.csv.encode("utf-8")),
        default_role=payload.default_role or "",
    )
    return {
        "rows": report.rows,
        "matched": report.matched,
        "created_people": report.created_people,
        "created_organizations": report.created_organizations,
        "added": report.added,
        "unchanged": report.unchanged,
        "summary": report.summary(),
        "problems": _problems(report.problems),
    }


@router.get(
    "/events/{event_id}/who-we-know",
    response=list[KnownOut],
    summary="Attendees one of us knows, by the strength of our best tie",
)
def who_we_know(request, event_id: Id):
    user = request.auth
    known = queries.who_we_know(user, queries.event(user, event_id))
    return [
        {
            "person": _ref(k.person),
            "organization": k.organization,
            "role": k.attendance.role,
            "booth": k.attendance.booth,
            "strength": k.strength,
            "knowers": [{"person": _ref(w.colleague), "strength": w.strength} for w in k.knowers],
        }
        for k in known
    ]


@router.get(
    "/events/{event_id}/targets",
    response=list[TargetOut],
    summary="Our targets at the event with the attendees who can introduce us",
)
def list_targets(request, event_id: Id, lang: Literal["en", "de"] = "en"):
    user = request.auth
    rows = queries.target_brokers(user, queries.event(user, event_id), lang=lang)
    return [
        {
            **_target(r.target),
            "brokers": [
                {"person": _ref(b.person), "target": _ref(b.target), "strength": b.strength}
                for b in r.brokers
            ],
            "present": [_ref(p) for p in r.present],
            "path": _path(r.path) if r.path else None,
        }
        for r in rows
    ]


@router.post(
    "/events/{event_id}/targets",
    response={201: TargetOut},
    summary="Choose a person or an organisation to reach at the event",
)
def add_target(request, event_id: Id, payload: TargetIn):
    user = request.auth
    event = queries.event(user, event_id)
    person = people_queries.visible_person(user, payload.person_id) if payload.person_id else None
    org = (
        people_queries.visible_organization(user, payload.organization_id)
        if payload.organization_id
        else None
    )
    target = actions.add_target(user, event, person=person, organization=org, note=payload.note)
    return Status(201, _target(target))


@router.delete(
    "/events/{event_id}/targets/{target_id}", response={204: None}, summary="Drop a target"
)
def delete_target(request, event_id: Id, target_id: Id):
    user = request.auth
    event = queries.event(user, event_id)
    target = next((t for t in queries.targets(user, event) if t.pk == target_id), None)
    if target is None:
        raise NotFound(f"No target with id {target_id} at this event.")
    actions.remove_target(user, target)
    return Status(204, None)


@router.get(
    "/events/{event_id}/meeting-plan",
    response=PlanOut,
    summary="Whom each of our staff at the event should meet, and when, explained",
)
def meeting_plan(request, event_id: Id):
    user = request.auth
    plan = queries.meeting_plan(user, queries.event(user, event_id), lang=get_language() or "en")
    return {
        "explanation": plan.explanation,
        "plans": [
            {
                "colleague": _ref(p.colleague),
                "slots": [
                    {
                        "starts": s.starts,
                        "person": _ref(s.person),
                        "reason": s.reason,
                        "strength": s.strength,
                    }
                    for s in p.slots
                ],
            }
            for p in plan.plans
        ],
        "unassigned": [_ref(p) for p in plan.unassigned],
    }


@router.post(
    "/events/{event_id}/meetings",
    response=MeetingsOut,
    summary="Log many in-person meetings at the event at once; bad rows are reported",
)
def log_meetings(request, event_id: Id, payload: MeetingsIn):
    user = request.auth
    event = queries.event(user, event_id)
    rows = [actions.MeetingRow(**m.dict()) for m in payload.meetings]
    log = actions.log_meetings(user, event, rows)
    return {
        "logged": [{"row": n, "interaction_id": i.pk} for n, i in log.logged],
        "problems": _problems(log.problems),
    }
