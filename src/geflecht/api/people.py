"""Persons, organisations, sites and positions."""

from datetime import date, datetime
from typing import Literal

from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from geflecht.api import privacy
from geflecht.api.errors import ApiError
from geflecht.api.pagination import Page
from geflecht.api.types import (
    BodyId,
    Id,
    Int,
    IsoDate,
    IsoDateTime,
    NotSent,
    Number,
    OrganizationKind,
    VisibilityName,
)
from geflecht.lib.errors import NotFound
from geflecht.people import actions, queries
from geflecht.people.models import Person, Position, PrivateNote
from geflecht.privacy.actions import ErasureReport, log_access
from geflecht.privacy.actions import erase_person as erase

router = Router()


# ------------------------------------------------------------------------ schemas
class PositionOut(Schema):
    id: int
    person_id: Id
    organization_id: Id
    organization: str
    site_id: Id | None
    title: str
    department: str
    buying_role: str
    start_date: date | None
    end_date: date | None
    is_current: bool

    @staticmethod
    def resolve_organization(obj) -> str:
        return obj["organization"] if isinstance(obj, dict) else obj.organization.name


class PersonOut(Schema):
    id: int
    title: str
    first_name: str
    last_name: str
    full_name: str
    notes: str
    tags: list[str]
    classification: str
    importance: str
    visibility: VisibilityName
    owner_id: Id | None
    version: int
    emails: list[str]
    phones: list[str]
    positions: list[PositionOut]
    created_at: datetime
    updated_at: datetime

    # Lists of people arrive as prefetched model instances, one person's detail as a
    # ready dict (people.queries.person_detail).
    @staticmethod
    def resolve_emails(obj) -> list[str]:
        if isinstance(obj, dict):
            return obj["emails"]
        return [e.email for e in obj.emails.all()]

    @staticmethod
    def resolve_phones(obj) -> list[str]:
        if isinstance(obj, dict):
            return obj["phones"]
        return [p.number for p in obj.phones.all()]

    @staticmethod
    def resolve_positions(obj) -> list:
        if isinstance(obj, dict):
            return obj["positions"]
        return list(obj.positions.all())


class PersonIn(Schema):
    last_name: str = Field(..., min_length=1, max_length=100)
    first_name: str = Field("", max_length=100)
    title: str = Field("", max_length=50)
    emails: list[str] = []
    phones: list[str] = []
    notes: str = ""
    tags: list[str] = []
    importance: Literal["", "A", "B", "C"] = ""
    classification: Literal["business", "private"] = "business"
    visibility: VisibilityName = "company"


class PersonPatch(Schema):
    version: Int | None = Field(
        None, description="The version the edit is based on (or send If-Match)."
    )
    last_name: str = NotSent(min_length=1, max_length=100)
    first_name: str = NotSent(max_length=100)
    title: str = NotSent(max_length=50)
    notes: str = NotSent()
    tags: list[str] = NotSent()
    importance: Literal["", "A", "B", "C"] = NotSent()
    classification: Literal["business", "private"] = NotSent()
    visibility: VisibilityName = NotSent()
    emails: list[str] = NotSent(description="Addresses to add.")
    phones: list[str] = NotSent(description="Numbers to add.")


class OrganizationOut(Schema):
    id: int
    name: str
    kind: str
    industry: str
    employees: int | None
    notes: str
    visibility: VisibilityName
    owner_id: Id | None
    etag: str

    @staticmethod
    def resolve_etag(obj) -> str:
        return actions.organization_etag(obj)


class OrganizationIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    kind: OrganizationKind = "prospect"
    industry: str = "other"
    employees: Int | None = Field(None, ge=0, le=10_000_000)
    notes: str = ""
    visibility: VisibilityName = Field(
        "company", description="Who sees it: the whole company, my team, or only me."
    )


class OrganizationPatch(Schema):
    etag: str | None = Field(None, description="The etag the edit is based on (or If-Match).")
    name: str = NotSent(min_length=1, max_length=200)
    kind: OrganizationKind = NotSent()
    industry: str = NotSent()
    employees: Int | None = Field(None, ge=0, le=10_000_000)
    notes: str = NotSent()
    visibility: VisibilityName = NotSent()


class SiteOut(Schema):
    id: int
    organization_id: Id
    name: str
    street: str
    postal_code: str
    city: str
    country: str
    latitude: float | None
    longitude: float | None


class SiteIn(Schema):
    organization_id: BodyId
    city: str = Field(..., min_length=1, max_length=100)
    name: str = Field("", max_length=200)
    street: str = Field("", max_length=200)
    postal_code: str = Field("", max_length=20)
    country: str = Field("DE", min_length=2, max_length=2)
    latitude: Number | None = Field(None, ge=-90, le=90)
    longitude: Number | None = Field(None, ge=-180, le=180)


class PositionIn(Schema):
    person_id: BodyId
    organization_id: BodyId
    site_id: BodyId | None = None
    title: str = Field("", max_length=200)
    department: str = Field("", max_length=100)
    buying_role: str = ""
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None


class PositionPatch(Schema):
    site_id: BodyId | None = None
    title: str = NotSent(max_length=200)
    department: str = NotSent(max_length=100)
    buying_role: str = NotSent()
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None


# A person's detail arrives as a dict (people.queries.person_detail): these fields come
# straight from the Person row, the others from the detail query.
_PERSON_OUT_FIELDS = tuple(
    f for f in PersonOut.model_fields if f not in {"full_name", "emails", "phones", "positions"}
)


# ------------------------------------------------------------------------ helpers
def _expected(request: HttpRequest, in_body) -> str | None:
    """The version an edit is based on: the body field, else the If-Match header."""
    if in_body is not None:
        return str(in_body)
    header = request.headers.get("If-Match", "").strip()
    if header.startswith("W/"):
        header = header[2:]
    return header.strip('"') or None


def _require_version(value: str | None) -> str:
    if value is None:
        raise ApiError(
            428,
            "version_required",
            "Send the version your edit is based on (field 'version'/'etag' or If-Match), "
            "so that a concurrent edit is never silently overwritten.",
        )
    return value


def _changes(payload: Schema, skip: set[str]) -> dict:
    return {k: v for k, v in payload.dict(exclude_unset=True).items() if k not in skip}


def _people_with_details(qs):
    return qs.prefetch_related(
        "emails",
        "phones",
        Prefetch("positions", queryset=Position.objects.select_related("organization")),
    )


# ------------------------------------------------------------------------ persons
@router.get("/persons", response=list[PersonOut], summary="People I may see")
@paginate(Page)
def list_persons(
    request,
    q: str | None = None,
    organization_id: Id | None = None,
    importance: Literal["A", "B", "C"] | None = None,
    visibility: VisibilityName | None = None,
    updated_since: IsoDateTime | None = None,
    ordering: Literal["last_name", "-last_name", "updated_at", "-updated_at", "id"] = "last_name",
):
    people = queries.visible_people(request.auth)
    if q:
        for word in q.split():
            people = people.filter(
                Q(last_name__icontains=word)
                | Q(first_name__icontains=word)
                | Q(emails__email__icontains=word)
            )
        people = people.distinct()
    if organization_id is not None:
        people = people.filter(
            pk__in=Position.objects.filter(
                organization_id=organization_id, end_date__isnull=True
            ).values("person_id")
        )
    if importance:
        people = people.filter(importance=importance)
    if visibility:
        people = people.filter(visibility=visibility)
    if updated_since:
        people = people.filter(updated_at__gte=updated_since)
    secondary = ["first_name", "id"] if ordering.lstrip("-") == "last_name" else ["id"]
    return _people_with_details(people.order_by(ordering, *secondary))


@router.get("/persons/{person_id}", response=PersonOut, summary="One person")
def get_person(request, person_id: Id, response: HttpResponse):
    detail = queries.person_detail(request.auth, person_id)
    person = detail.person
    log_access(request.auth, "read", [person.pk], f"GET /api/v1/persons/{person.pk}")
    response["ETag"] = f'"{person.version}"'
    return {
        **{f: getattr(person, f) for f in _PERSON_OUT_FIELDS},
        "full_name": person.full_name,
        "emails": detail.emails,
        "phones": detail.phones,
        "positions": detail.positions,
    }


@router.post("/persons", response={201: PersonOut}, summary="Create a person")
def create_person(request, payload: PersonIn):
    user = request.auth
    person = actions.create_person(user, owner=user, **payload.dict())
    return Status(201, _people_with_details(Person.objects.filter(pk=person.pk)).get())


@router.patch(
    "/persons/{person_id}",
    response=PersonOut,
    summary="Change a person (409 if someone else changed it since your version)",
)
def patch_person(request, person_id: Id, payload: PersonPatch, response: HttpResponse):
    user = request.auth
    person = queries.visible_person(user, person_id)
    version = _require_version(_expected(request, payload.version))
    if not version.isdigit():
        raise ApiError(422, "validation_error", "The version is a whole number.")
    fields = _changes(payload, {"version"})
    for key in ("emails", "phones", "tags"):
        if fields.get(key) is None:
            fields.pop(key, None)
    person = actions.update_person(person, by=user, expected_version=int(version), **fields)
    log_access(user, "change", [person.pk], f"PATCH /api/v1/persons/{person.pk}")
    person = _people_with_details(Person.objects.filter(pk=person.pk)).get()
    response["ETag"] = f'"{person.version}"'
    return person


@router.delete(
    "/persons/{person_id}",
    response=ErasureReport,
    summary="Erase a person (GDPR Art. 17): record, notes, ties; interactions keep the others",
)
def erase_person(request, person_id: Id):
    person = privacy.person_for(request.auth, person_id, "erase")
    return erase(request.auth, person)


class PrivateNoteIn(Schema):
    text: str = Field(..., min_length=1, max_length=20_000, pattern=r"\S")


class PrivateNoteOut(Schema):
    id: int
    person_id: int
    text: str
    created_at: datetime


@router.get(
    "/persons/{person_id}/notes",
    response=list[PrivateNoteOut],
    summary="My private notes on a person (only I ever see them)",
)
def list_notes(request, person_id: Id):
    person = queries.visible_person(request.auth, person_id)
    return list(queries.my_private_notes(request.auth, person))


@router.post(
    "/persons/{person_id}/notes", response={201: PrivateNoteOut}, summary="Add a private note"
)
def add_note(request, person_id: Id, payload: PrivateNoteIn):
    person = queries.visible_person(request.auth, person_id)
    return Status(201, actions.add_private_note(request.auth, person, payload.text))


@router.delete("/notes/{note_id}", response={204: None}, summary="Delete one of my notes")
def delete_note(request, note_id: Id):
    try:
        actions.delete_private_note(request.auth, note_id)
    except PrivateNote.DoesNotExist as exc:
        raise NotFound(str(exc)) from None
    return Status(204, None)


# ------------------------------------------------------------------ organisations
@router.get("/organizations", response=list[OrganizationOut], summary="Organisations")
@paginate(Page)
def list_organizations(
    request,
    q: str | None = None,
    kind: str | None = None,
    industry: str | None = None,
    ordering: Literal["name", "-name", "id"] = "name",
):
    orgs = queries.visible_organizations(request.auth)
    if q:
        orgs = orgs.filter(name__icontains=q)
    if kind:
        orgs = orgs.filter(kind=kind)
    if industry:
        orgs = orgs.filter(industry=industry)
    return orgs.order_by(ordering, "id")


@router.get("/organizations/{org_id}", response=OrganizationOut, summary="One organisation")
def get_organization(request, org_id: Id, response: HttpResponse):
    org = queries.visible_organization(request.auth, org_id)
    response["ETag"] = f'"{actions.organization_etag(org)}"'
    return org


@router.post("/organizations", response={201: OrganizationOut}, summary="Create an organisation")
def create_organization(request, payload: OrganizationIn):
    fields = payload.dict()
    return Status(201, actions.create_organization(request.auth, name=fields.pop("name"), **fields))


@router.patch("/organizations/{org_id}", response=OrganizationOut, summary="Change an organisation")
def patch_organization(request, org_id: Id, payload: OrganizationPatch, response: HttpResponse):
    org = queries.visible_organization(request.auth, org_id)
    expected = _require_version(_expected(request, payload.etag))
    fields = {k: v for k, v in _changes(payload, {"etag"}).items() if v is not None}
    org = actions.update_organization(request.auth, org, expected=expected, **fields)
    response["ETag"] = f'"{actions.organization_etag(org)}"'
    return org


# ------------------------------------------------------------------------- sites
@router.get("/sites", response=list[SiteOut], summary="Sites")
@paginate(Page)
def list_sites(request, organization_id: Id | None = None, city: str | None = None):
    sites = queries.visible_sites(request.auth)
    if organization_id is not None:
        sites = sites.filter(organization_id=organization_id)
    if city:
        sites = sites.filter(city__iexact=city)
    return sites.order_by("organization_id", "name", "id")


@router.get("/sites/{site_id}", response=SiteOut, summary="One site")
def get_site(request, site_id: Id):
    return queries.visible_site(request.auth, site_id)


@router.post("/sites", response={201: SiteOut}, summary="Create a site")
def create_site(request, payload: SiteIn):
    fields = payload.dict()
    org = queries.visible_organization(request.auth, fields.pop("organization_id"))
    return Status(201, actions.create_site(request.auth, org, city=fields.pop("city"), **fields))


# --------------------------------------------------------------------- positions
@router.get("/positions", response=list[PositionOut], summary="Jobs of people I may see")
@paginate(Page)
def list_positions(
    request,
    person_id: Id | None = None,
    organization_id: Id | None = None,
    current: bool | None = None,
):
    positions = queries.visible_positions(request.auth)
    if person_id is not None:
        positions = positions.filter(person_id=person_id)
    if organization_id is not None:
        positions = positions.filter(organization_id=organization_id)
    if current is not None:
        positions = positions.filter(end_date__isnull=current)
    return positions.order_by("id")


@router.post("/positions", response={201: PositionOut}, summary="Add a job")
def create_position(request, payload: PositionIn):
    user = request.auth
    fields = payload.dict()
    person = queries.visible_person(user, fields.pop("person_id"))
    org = queries.visible_organization(user, fields.pop("organization_id"))
    site_id = fields.pop("site_id")
    site = queries.visible_site(user, site_id) if site_id is not None else None
    return Status(201, actions.add_position(user, person, org, site=site, **fields))


@router.patch("/positions/{position_id}", response=PositionOut, summary="Change a job")
def patch_position(request, position_id: Id, payload: PositionPatch):
    user = request.auth
    position = queries.visible_position(user, position_id)
    fields = _changes(payload, set())
    if "site_id" in fields:
        site_id = fields.pop("site_id")
        fields["site"] = queries.visible_site(user, site_id) if site_id is not None else None
    return actions.update_position(user, position, **fields)
