"""Projects with both teams, coverage, team builder, key-person risk, documents, radar."""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from django.http import FileResponse, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from geflecht.api.errors import ApiError
from geflecht.api.network import Lang, PathOut, PersonRef, _path, _ref
from geflecht.api.pagination import Page
from geflecht.api.people import _expected, _require_version
from geflecht.api.types import BodyId, Id, Int, IsoDate, IsoDateTime, Money, NotSent, VisibilityName
from geflecht.lib.errors import NotFound
from geflecht.people import queries as people_queries
from geflecht.people.models import BuyingRole
from geflecht.projects import actions, coverage, queries, radar
from geflecht.projects.models import OurRole, Project, Stage

router = Router()

if TYPE_CHECKING:  # a type checker cannot read the models' choices: it sees strings
    StageName = str
    RoleName = str
else:
    StageName = Literal[tuple(Stage.values)]
    RoleName = Literal[tuple(OurRole.values + BuyingRole.values)]
_BINARY = {
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
}
_CSV = {"content": {"text/csv": {"schema": {"type": "string"}}}}


# ------------------------------------------------------------------------ schemas
class ProjectOut(Schema):
    id: int
    name: str
    organization_id: Id
    organization: str
    site_id: Id | None
    parent_id: Id | None
    stage: str
    value: Decimal | None
    start_date: date | None
    close_date: date | None
    description: str
    visibility: VisibilityName
    owner_id: Id | None
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_organization(obj) -> str:
        return obj.organization.name


class ProjectIn(Schema):
    organization_id: BodyId
    name: str = Field(..., min_length=1, max_length=200)
    site_id: BodyId | None = None
    parent_id: BodyId | None = None
    stage: StageName = "lead"
    value: Money | None = None
    start_date: IsoDate | None = None
    close_date: IsoDate | None = None
    description: str = Field("", max_length=20_000)
    visibility: VisibilityName = "company"


class ProjectPatch(Schema):
    version: Int | None = Field(
        None, description="The version the edit is based on (or send If-Match)."
    )
    name: str = NotSent(min_length=1, max_length=200)
    site_id: BodyId | None = None
    stage: StageName = NotSent()
    value: Money | None = None
    start_date: IsoDate | None = None
    close_date: IsoDate | None = None
    description: str = NotSent(max_length=20_000)
    visibility: VisibilityName = NotSent()


class MemberOut(Schema):
    id: int
    person: PersonRef
    side: str
    role: str
    role_label: str


class MemberIn(Schema):
    person_id: BodyId
    role: RoleName


class CellOut(Schema):
    person_id: int = Field(..., description="Their member (a column of the matrix).")
    strength: float | None
    explanation: str


class RowOut(Schema):
    member: MemberOut
    cells: list[CellOut]


class ChannelOut(Schema):
    role: str
    label: str
    holders: list[PersonRef]
    strength: float | None = Field(
        description="The best route's strength; 0 without a route, null when the route "
        "has a hidden stretch (an 'ask <colleague>' step)."
    )
    path: PathOut | None
    reached_by: list[PersonRef]
    carriers: list[PersonRef]


class GapOut(Schema):
    role: str
    label: str
    kind: Literal["no_channel", "single_point"]
    strength: float | None = Field(description="The channel's strength (null: see channels).")
    colleague: PersonRef | None
    fix: str
    fix_path: PathOut | None
    join: PersonRef | None = Field(None, description="A colleague who should join the team.")


class CoverageOut(Schema):
    threshold: float
    ours: list[MemberOut]
    theirs: list[MemberOut]
    matrix: list[RowOut]
    channels: list[ChannelOut]
    gaps: list[GapOut]
    unnamed_roles: list[str]


class MemberReachOut(Schema):
    person: PersonRef
    role: str
    strength: float
    hops: int


class TeamSuggestionOut(Schema):
    person: PersonRef
    score: float
    tie_score: float
    skill_score: float | None
    reaches: list[MemberReachOut]
    reasons: list[str]


class LossOut(Schema):
    colleague: PersonRef
    lost: list[PersonRef]
    reached_after: int


class ProjectRiskOut(Schema):
    people: int
    reached: int
    losses: list[LossOut]
    account: str | None = Field(None, description="The account's key-person risk in words.")


class AccountLossOut(Schema):
    organization_id: int
    organization: str
    lost: list[PersonRef]


class CompanyRiskOut(Schema):
    colleague: PersonRef
    lost: int
    accounts: list[AccountLossOut]


class VersionOut(Schema):
    number: int
    filename: str
    content_type: str
    size: int
    sha256: str
    note: str
    uploaded_at: datetime
    download: str


class DocumentOut(Schema):
    id: int
    project_id: int
    title: str
    versions: list[VersionOut]


class SendIn(Schema):
    version: Int = Field(..., ge=1, le=1_000_000)
    recipient_ids: list[BodyId] = Field(..., min_length=1, max_length=200)
    occurred_at: IsoDateTime | None = None


class SendOut(Schema):
    interaction_id: int
    document_id: int
    version: int
    recipients: list[PersonRef]


class DeliveryOut(Schema):
    document_id: int
    title: str
    version: int
    occurred_at: datetime
    sender: PersonRef | None
    recipients: list[PersonRef]
    sites: list[str]


class FlowOut(Schema):
    deliveries: list[DeliveryOut]


class RowErrorOut(Schema):
    row: int
    field: str
    message: str


class RadarRowOut(Schema):
    rank: int
    row: int
    name: str
    city: str
    industry: str
    website: str
    organization_id: int | None
    organization: str | None
    match_score: float
    strength: float | None = Field(
        description="The best route's strength; null when it runs over a colleague's "
        "private tie (see known_strength and the path's 'ask' step)."
    )
    known_strength: float | None = Field(
        description="The best route's strength as far as you may know it: for a route "
        "over a hidden stretch the product of the hops you see, an upper bound."
    )
    independent_paths: int
    people_reached: int
    entry: PersonRef | None
    ask: PersonRef | None
    path: PathOut | None


class RadarOut(Schema):
    rows: list[RadarRowOut]
    errors: list[RowErrorOut]


# ------------------------------------------------------------------------ helpers
def _member(m) -> dict:
    return {
        "id": m.pk,
        "person": _ref(m.person),
        "side": m.side,
        "role": m.role,
        "role_label": str(m.get_role_display()),
    }


def _project(request, project_id: int) -> Project:
    return queries.visible_project(request.auth, project_id)


def _version_out(doc, v) -> dict:
    return {
        "number": v.number,
        "filename": v.filename,
        "content_type": v.content_type,
        "size": v.size,
        "sha256": v.sha256,
        "note": v.note,
        "uploaded_at": v.created_at,
        "download": f"/api/v1/documents/{doc.pk}/versions/{v.number}/download",
    }


def _document_out(doc) -> dict:
    return {
        "id": doc.pk,
        "project_id": doc.project_id,
        "title": doc.title,
        "versions": [_version_out(doc, v) for v in doc.versions.all()],
    }


def _fields(user, payload: dict) -> dict:
    """Body ids -> objects of the user's tenant (a foreign id is a 404, like a missing one)."""
    if payload.get("site_id") is not None:
        payload["site"] = people_queries.visible_site(user, payload["site_id"])
    elif "site_id" in payload:
        payload["site"] = None
    payload.pop("site_id", None)
    if payload.get("parent_id") is not None:
        payload["parent"] = queries.visible_project(user, payload["parent_id"])
    payload.pop("parent_id", None)
    return payload


# ------------------------------------------------------------------------ projects
@router.get("/projects", response=list[ProjectOut], summary="Projects I may see")
@paginate(Page)
def list_projects(
    request,
    organization_id: Id | None = None,
    stage: StageName | None = None,
    q: str | None = None,
):
    projects = queries.visible_projects(request.auth).select_related("organization")
    if organization_id is not None:
        projects = projects.filter(organization_id=organization_id)
    if stage:
        projects = projects.filter(stage=stage)
    if q:
        projects = projects.filter(name__icontains=q)
    return projects.order_by("-updated_at", "-id")


@router.post("/projects", response={201: ProjectOut}, summary="Create a project")
def create_project(request, payload: ProjectIn):
    user = request.auth
    fields = _fields(user, payload.dict())
    org = people_queries.visible_organization(user, fields.pop("organization_id"))
    project = actions.create_project(user, org, name=fields.pop("name"), **fields)
    return Status(201, queries.visible_project(user, project.pk))


@router.get("/projects/{project_id}", response=ProjectOut, summary="One project")
def get_project(request, project_id: Id, response: HttpResponse):
    project = _project(request, project_id)
    response["ETag"] = f'"{project.version}"'
    return project


@router.patch(
    "/projects/{project_id}",
    response=ProjectOut,
    summary="Change a project (409 if someone else changed it since your version)",
)
def patch_project(request, project_id: Id, payload: ProjectPatch, response: HttpResponse):
    user = request.auth
    project = _project(request, project_id)
    version = _require_version(_expected(request, payload.version))
    if not version.isdigit():
        raise ApiError(422, "validation_error", "The version is a whole number.")
    fields = payload.dict(exclude_unset=True)
    fields.pop("version", None)
    for key in ("name", "stage", "description", "visibility"):
        if key in fields and fields[key] is None:
            fields.pop(key)
    fields = _fields(user, fields)
    project = actions.update_project(user, project, expected_version=int(version), **fields)
    project = queries.visible_project(user, project.pk)
    response["ETag"] = f'"{project.version}"'
    return project


@router.delete("/projects/{project_id}", response={204: None}, summary="Delete a project")
def delete_project(request, project_id: Id):
    actions.delete_project(request.auth, _project(request, project_id))
    return Status(204, None)


# ------------------------------------------------------------------------- members
@router.get(
    "/projects/{project_id}/members",
    response=list[MemberOut],
    summary="Both teams: ours and the buying centre",
)
def list_members(request, project_id: Id):
    return [_member(m) for m in queries.members(request.auth, _project(request, project_id))]


@router.post(
    "/projects/{project_id}/members",
    response={201: MemberOut},
    summary="Put a person on a team (our roles: our team; buying roles: theirs)",
)
def add_member(request, project_id: Id, payload: MemberIn):
    user = request.auth
    project = _project(request, project_id)
    person = people_queries.visible_person(user, payload.person_id)
    return Status(201, _member(actions.add_member(user, project, person, payload.role)))


@router.delete(
    "/projects/{project_id}/members/{member_id}", response={204: None}, summary="Remove a member"
)
def remove_member(request, project_id: Id, member_id: Id):
    project = _project(request, project_id)
    actions.remove_member(request.auth, queries.visible_member(request.auth, project, member_id))
    return Status(204, None)


# ------------------------------------------------------------------------ analytics
@router.get(
    "/projects/{project_id}/coverage",
    response=CoverageOut,
    summary="Coverage matrix, best channel per buying role, gaps and how to close them",
)
def get_coverage(
    request,
    project_id: Id,
    threshold: float = Query(coverage.DEFAULT_THRESHOLD, ge=0, le=1),
    lang: Lang = "en",
):
    cov = coverage.coverage(
        request.auth, _project(request, project_id), threshold=threshold, lang=lang
    )
    return {
        "threshold": cov.threshold,
        "ours": [_member(m) for m in cov.ours],
        "theirs": [_member(m) for m in cov.theirs],
        "matrix": [
            {
                "member": _member(row.member),
                "cells": [
                    {"person_id": t.person_id, "strength": c.strength, "explanation": c.explanation}
                    for t, c in zip(cov.theirs, row.cells, strict=True)
                ],
            }
            for row in cov.rows
        ],
        "channels": [
            {
                "role": ch.role,
                "label": ch.label,
                "holders": [_ref(p) for p in ch.holders],
                "strength": ch.strength,
                "path": _path(ch.path) if ch.path else None,
                "reached_by": [_ref(p) for p in ch.reached_by],
                "carriers": [_ref(p) for p in ch.carriers],
            }
            for ch in cov.channels
        ],
        "gaps": [
            {
                "role": g.role,
                "label": g.label,
                "kind": g.kind,
                "strength": g.strength,
                "colleague": _ref(g.colleague),
                "fix": g.fix,
                "fix_path": _path(g.fix_path) if g.fix_path else None,
                "join": _ref(g.join),
            }
            for g in cov.gaps
        ],
        "unnamed_roles": list(cov.unnamed_roles),
    }


class SkillsNeededIn(Schema):
    skill_ids: list[BodyId] = Field(..., max_length=200)


class SkillRefOut(Schema):
    id: int
    name_de: str
    name_en: str


@router.get(
    "/projects/{project_id}/skills-needed",
    response=list[SkillRefOut],
    summary="The skills the project needs (the team builder ranks by them)",
)
def get_skills_needed(request, project_id: Id):
    return list(_project(request, project_id).skills_needed.order_by("name_de"))


@router.put(
    "/projects/{project_id}/skills-needed",
    response=list[SkillRefOut],
    summary="Set the skills the project needs",
)
def put_skills_needed(request, project_id: Id, payload: SkillsNeededIn):
    project = _project(request, project_id)
    actions.set_skills_needed(request.auth, project, payload.skill_ids)
    return list(project.skills_needed.order_by("name_de"))


@router.get(
    "/projects/{project_id}/team-builder",
    response=list[TeamSuggestionOut],
    summary="Colleagues who should join the team, ranked by their ties into the buying centre",
)
def get_team_builder(request, project_id: Id, limit: int = Query(10, ge=1, le=100)):
    ranked = coverage.team_builder(request.auth, _project(request, project_id), limit=limit)
    return [
        {
            "person": _ref(s.person),
            "score": s.score,
            "tie_score": s.tie_score,
            "skill_score": s.skill_score,
            "reaches": [
                {"person": _ref(p), "role": str(role), "strength": st, "hops": hops}
                for p, role, st, hops in s.reaches
            ],
            "reasons": list(s.reasons),
        }
        for s in ranked
    ]


@router.get(
    "/projects/{project_id}/key-person-risk",
    response=ProjectRiskOut,
    summary="If a colleague left, whom of the buying centre would we lose access to?",
)
def get_project_risk(request, project_id: Id):
    risk = coverage.project_key_person_risk(request.auth, _project(request, project_id))
    return {
        "people": risk.people,
        "reached": risk.reached,
        "losses": [
            {
                "colleague": _ref(loss.colleague),
                "lost": [_ref(p) for p in loss.lost],
                "reached_after": loss.reached_after,
            }
            for loss in risk.losses
        ],
        "account": risk.account.text() if risk.account else None,
    }


@router.get(
    "/key-person-risk",
    response=list[CompanyRiskOut],
    summary="Our relationships that hang on one person, over all customers and prospects",
)
def get_company_risk(request, limit: int = Query(50, ge=1, le=500)):
    return [
        {
            "colleague": _ref(r.colleague),
            "lost": r.lost,
            "accounts": [
                {"organization_id": o.pk, "organization": o.name, "lost": [_ref(p) for p in lost]}
                for o, lost in r.accounts
            ],
        }
        for r in coverage.company_key_person_risk(request.auth, limit=limit)
    ]


# ------------------------------------------------------------------------ documents
@router.get(
    "/projects/{project_id}/documents",
    response=list[DocumentOut],
    summary="The project's documents with their versions",
)
def list_documents(request, project_id: Id):
    return [_document_out(d) for d in queries.documents(_project(request, project_id))]


@router.post(
    "/projects/{project_id}/documents",
    response={201: DocumentOut},
    summary="Upload a file: a new document, or with document_id the next version of one",
)
def upload_document(
    request,
    project_id: Id,
    file: File[UploadedFile],
    title: Form[str] = "",
    document_id: Form[Id | None] = None,
    note: Form[str] = "",
):
    user = request.auth
    project = _project(request, project_id)
    document = queries.visible_document(user, document_id) if document_id else None
    if len(title) > 200 or len(note) > 300:
        raise ApiError(
            422, "validation_error", "The title has at most 200, the note 300 characters."
        )
    version = actions.upload_document(
        user, project, file, title=title, document=document, note=note
    )
    doc = next(d for d in queries.documents(project) if d.pk == version.document_id)
    return Status(201, _document_out(doc))


@router.get(
    "/documents/{document_id}/versions/{number}/download",
    response={200: None},
    openapi_extra={"responses": {"200": {"description": "The file.", **_BINARY}}},
    summary="Download one version (only for users who may see the project)",
)
def download_version(request, document_id: Id, number: Id):
    version = queries.visible_version(request.auth, document_id, number)
    try:
        handle = version.file.open("rb")
    except FileNotFoundError:
        raise NotFound("The file of this version is missing from the storage.") from None
    # Always as a download of bytes: the browser never renders an uploaded file inline.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=version.filename,
        content_type="application/octet-stream",
    )
    return response


@router.post(
    "/documents/{document_id}/send",
    response={201: SendOut},
    summary="Record that a version was sent to people (an interaction of kind document)",
)
def send_document(request, document_id: Id, payload: SendIn):
    user = request.auth
    version = queries.visible_version(user, document_id, payload.version)
    recipients = [people_queries.visible_person(user, pid) for pid in payload.recipient_ids]
    send = actions.send_document(user, version, recipients, occurred_at=payload.occurred_at)
    return Status(
        201,
        {
            "interaction_id": send.interaction_id,
            "document_id": version.document_id,
            "version": version.number,
            "recipients": [_ref(p) for p in recipients if p.pk != user.person_id],
        },
    )


@router.get(
    "/projects/{project_id}/document-flow",
    response=FlowOut,
    summary="Which documents went to which people and sites",
)
def document_flow(request, project_id: Id):
    flow = queries.document_flow(request.auth, _project(request, project_id))
    return {
        "deliveries": [
            {
                "document_id": d.document.pk,
                "title": d.document.title,
                "version": d.version,
                "occurred_at": d.occurred_at,
                "sender": _ref(d.sender),
                "recipients": [_ref(p) for p in d.recipients],
                "sites": [str(s) for s in d.sites],
            }
            for d in flow.deliveries
        ]
    }


# ---------------------------------------------------------------------------- radar
def _radar(request, file) -> radar.RadarResult:
    try:
        return radar.radar_file(request.auth, file.read(radar.MAX_BYTES + 1))
    except radar.RadarError as exc:
        raise ApiError(
            422, "validation_error", str(exc), errors=[{"field": "file", "message": str(exc)}]
        ) from None


@router.post(
    "/radar",
    response=RadarOut,
    summary="Rank a CSV of target organisations (name, city, industry[, website]) by warm access",
)
def post_radar(request, file: File[UploadedFile], lang: Lang = "en"):
    result = _radar(request, file)
    return {
        "rows": [
            {
                "rank": r.rank,
                "row": r.target.row,
                "name": r.target.name,
                "city": r.target.city,
                "industry": r.target.industry,
                "website": r.target.website,
                "organization_id": r.organization.pk if r.organization else None,
                "organization": r.organization.name if r.organization else None,
                "match_score": r.match_score,
                "strength": r.strength,
                "known_strength": r.known_strength,
                "independent_paths": r.independent_paths,
                "people_reached": r.people_reached,
                "entry": _ref(r.entry),
                "ask": _ref(r.ask),
                "path": _path(r.path) if r.path else None,
            }
            for r in result.rows
        ],
        "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in result.errors],
    }


@router.post(
    "/radar/export",
    response={200: None},
    openapi_extra={"responses": {"200": {"description": "The ranked list as CSV.", **_CSV}}},
    summary="The same ranking as a CSV download",
)
def export_radar(request, file: File[UploadedFile]):
    result = _radar(request, file)
    response = HttpResponse(radar.export_csv(result.rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="radar.csv"'
    return response
