"""The partner network: partner firms with trust, joint projects, ratings, partner search."""

from datetime import date
from typing import TYPE_CHECKING, Literal

from ninja import Field, Query, Router, Schema, Status

from geflecht.api.pagination import MAX_LIMIT
from geflecht.api.types import BodyId, Id, Int, IsoDate
from geflecht.partners import actions, queries
from geflecht.partners.models import JointProject
from geflecht.skills import queries as skill_queries

router = Router()
Lang = Literal["en", "de"]
if TYPE_CHECKING:  # a type checker cannot read the models' choices: it sees strings
    StatusName = str
else:
    StatusName = Literal[tuple(JointProject.Status.values)]


class PersonRef(Schema):
    id: int
    full_name: str


class TrustPartOut(Schema):
    name: str
    value: float
    weight: float
    text: str


class TrustOut(Schema):
    score: float
    parts: list[TrustPartOut]


class PartnerOut(Schema):
    id: int
    name: str
    kind: str
    joint_projects: int
    trust: float


class PartnerListOut(Schema):
    count: int
    items: list[PartnerOut]


class RatingOut(Schema):
    id: int
    by: str
    quality: int
    on_time: int
    communication: int
    comment: str


class JointProjectOut(Schema):
    id: int
    partner_id: int
    partner: str
    title: str
    start_date: date
    end_date: date | None
    status: str
    our_people: list[PersonRef]
    their_people: list[PersonRef]
    ratings: list[RatingOut]


class CapabilityOut(Schema):
    skill_id: int
    skill: str
    level: int
    note: str


class PartnerDetailOut(Schema):
    id: int
    name: str
    kind: str
    capabilities: list[CapabilityOut]
    trust: TrustOut
    joint_projects: list[JointProjectOut]


class JointProjectIn(Schema):
    partner_id: BodyId
    title: str = Field(..., min_length=1, max_length=200, pattern=r"\S")
    start_date: IsoDate
    end_date: IsoDate | None = None
    status: StatusName = "running"
    our_people: list[BodyId] = Field([], max_length=100)
    their_people: list[BodyId] = Field([], max_length=100)
    notes: str = Field("", max_length=20_000)


class RatingIn(Schema):
    quality: Int = Field(..., ge=1, le=5)
    on_time: Int = Field(..., ge=1, le=5)
    communication: Int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=5000)


class PartnerHitOut(Schema):
    id: int
    name: str
    score: float
    reasons: list[str]
    distance_km: float | None
    trust: TrustOut


class PartnerSearchOut(Schema):
    query: str
    understood: list[str]
    place: str | None
    radius_km: float | None
    count: int
    items: list[PartnerHitOut]


def _trust(trust) -> dict:
    return {
        "score": trust.score,
        "parts": [
            {"name": p.name, "value": round(p.value, 4), "weight": p.weight, "text": p.text}
            for p in trust.parts
        ],
    }


def _project(user, project) -> dict:
    ours, theirs = queries.project_people(user, project)
    return {
        "id": project.pk,
        "partner_id": project.partner_id,
        "partner": project.partner.name,
        "title": project.title,
        "start_date": project.start_date,
        "end_date": project.end_date,
        "status": project.status,
        "our_people": [{"id": p.pk, "full_name": p.full_name} for p in ours],
        "their_people": [{"id": p.pk, "full_name": p.full_name} for p in theirs],
        "ratings": [
            {
                "id": r.pk,
                "by": r.by.get_full_name() or r.by.username,
                "quality": r.quality,
                "on_time": r.on_time,
                "communication": r.communication,
                "comment": r.comment,
            }
            for r in queries.project_ratings(user, project)
        ],
    }


@router.get("/partners", response=PartnerListOut, summary="Partner and supplier firms, by trust")
def list_partners(
    request,
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    total, rows = queries.partner_list(request.auth, limit=limit, offset=offset)
    return {
        "count": total,
        "items": [
            {
                "id": r.organization.pk,
                "name": r.organization.name,
                "kind": r.organization.kind,
                "joint_projects": r.projects,
                "trust": r.trust.score,
            }
            for r in rows
        ],
    }


@router.get(
    "/partners/{organization_id}",
    response=PartnerDetailOut,
    summary="A partner: capabilities, explained trust, joint projects and ratings",
)
def get_partner(request, organization_id: Id):
    user = request.auth
    org = queries.partner(user, organization_id)
    return {
        "id": org.pk,
        "name": org.name,
        "kind": org.kind,
        "capabilities": [
            {"skill_id": c.skill_id, "skill": c.skill.name_de, "level": c.level, "note": c.note}
            for c in skill_queries.organization_capabilities(user, org)
        ],
        "trust": _trust(queries.trust_score(user, org)),
        "joint_projects": [_project(user, p) for p in queries.joint_projects(user, org)[:100]],
    }


@router.get(
    "/partner-search",
    response=PartnerSearchOut,
    summary="Which partner can do it, near a place: capability x distance x trust",
)
def partner_search(
    request,
    q: str = Query(..., min_length=1, max_length=200),
    near: str | None = Query(None, min_length=1, max_length=100),
    radius_km: float | None = Query(None, gt=0, le=5000),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=1000),
    lang: Lang = "en",
):
    result = queries.find_partners(
        request.auth, q, near=near, radius_km=radius_km, limit=limit, offset=offset, lang=lang
    )
    return {
        "query": q,
        "understood": [m.terms + " → " + m.matched for m in result.interpretation.matches],
        "place": result.place.name if result.place else None,
        "radius_km": result.radius_km,
        "count": result.total,
        "items": [
            {
                "id": h.organization.pk,
                "name": h.organization.name,
                "score": h.score,
                "reasons": h.reasons,
                "distance_km": round(h.distance_km, 1) if h.distance_km is not None else None,
                "trust": _trust(h.trust),
            }
            for h in result.hits
        ],
    }


@router.post("/joint-projects", response={201: JointProjectOut}, summary="Record a joint project")
def create_joint_project(request, payload: JointProjectIn):
    project = actions.create_joint_project(request.auth, **payload.dict())
    return Status(201, _project(request.auth, queries.joint_project(request.auth, project.pk)))


@router.get("/joint-projects/{project_id}", response=JointProjectOut, summary="A joint project")
def get_joint_project(request, project_id: Id):
    return _project(request.auth, queries.joint_project(request.auth, project_id))


@router.post(
    "/joint-projects/{project_id}/ratings",
    response={201: JointProjectOut},
    summary="Rate a finished joint project (1-5 stars: quality, on time, communication)",
)
def rate(request, project_id: Id, payload: RatingIn):
    actions.rate_joint_project(request.auth, project_id, **payload.dict())
    return Status(201, _project(request.auth, queries.joint_project(request.auth, project_id)))
