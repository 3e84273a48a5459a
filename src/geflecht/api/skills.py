"""Skills: the taxonomy, person skills and endorsements, capabilities, expert search."""

from typing import Literal

from django.db.models import Q
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from geflecht.api.pagination import MAX_LIMIT, Page
from geflecht.api.types import BodyId, Id, Int, NotSent
from geflecht.people import queries as people_queries
from geflecht.projects.queries import project_skill_gaps
from geflecht.skills import actions, queries

router = Router()
Lang = Literal["en", "de"]


# ------------------------------------------------------------------------ schemas
class SkillOut(Schema):
    id: int
    key: str
    name_de: str
    name_en: str
    synonyms: list[str]
    parent_id: Id | None


class SkillIn(Schema):
    name_de: str = Field(..., min_length=1, max_length=120, pattern=r"\S")
    name_en: str = Field("", max_length=120)
    synonyms: list[str] = Field([], max_length=50)
    parent_id: BodyId | None = None
    key: str = Field("", max_length=80)


class SkillPatch(Schema):
    name_de: str = NotSent(min_length=1, max_length=120, pattern=r"\S")
    name_en: str = NotSent(min_length=1, max_length=120, pattern=r"\S")
    synonyms: list[str] = NotSent(max_length=50)
    parent_id: BodyId | None = None


class PersonRef(Schema):
    id: int
    full_name: str


class PersonSkillOut(Schema):
    skill_id: int
    skill: str
    skill_en: str
    level: int
    self_declared: bool
    note: str
    endorsed_by: list[str]
    endorsed_by_me: bool
    evidence: list[str]


class DeclareIn(Schema):
    level: Int = Field(3, ge=1, le=5)
    note: str = Field("", max_length=300)


class EndorseIn(Schema):
    comment: str = Field("", max_length=300)


class CapabilityOut(Schema):
    skill_id: int
    skill: str
    level: int
    note: str


class ExpertOut(Schema):
    person: PersonRef
    score: float
    skills: list[str]
    reasons: list[str]
    city: str
    distance_km: float | None
    reach: float
    path: str | None


class ExpertsOut(Schema):
    query: str
    understood: list[str]
    place: str | None
    radius_km: float | None
    count: int
    items: list[ExpertOut]


class MatrixRow(Schema):
    person: PersonRef
    levels: list[int]


class SingleHolder(Schema):
    skill_id: int
    skill: str
    person: PersonRef


class ProjectGap(Schema):
    skill_id: int
    skill: str
    project_ids: list[int]


class MatrixOut(Schema):
    groups: list[str]
    count: int
    rows: list[MatrixRow]
    single_holders: list[SingleHolder]
    project_gaps: list[ProjectGap]


def _ref(person) -> dict:
    return {"id": person.pk, "full_name": person.full_name}


# ------------------------------------------------------------------------ taxonomy
@router.get("/skills", response=list[SkillOut], summary="The skill taxonomy")
@paginate(Page)
def list_skills(request, q: str | None = Query(None, max_length=200)):
    skills = queries.tenant_skills(request.auth).order_by("name_de", "id")
    if q:
        skills = skills.filter(Q(name_de__icontains=q) | Q(name_en__icontains=q) | Q(key=q))
    return skills


@router.get("/skills/{skill_id}", response=SkillOut, summary="One skill")
def get_skill(request, skill_id: Id):
    return queries.tenant_skill(request.auth, skill_id)


@router.post("/skills", response={201: SkillOut}, summary="Add a skill (admins)")
def create_skill(request, payload: SkillIn):
    return Status(201, actions.create_skill(request.auth, **payload.dict()))


@router.patch("/skills/{skill_id}", response=SkillOut, summary="Change a skill (admins)")
def patch_skill(request, skill_id: Id, payload: SkillPatch):
    skill = queries.tenant_skill(request.auth, skill_id)
    return actions.update_skill(request.auth, skill, **payload.dict(exclude_unset=True))


@router.delete("/skills/{skill_id}", response={204: None}, summary="Delete a skill (admins)")
def delete_skill(request, skill_id: Id):
    actions.delete_skill(request.auth, queries.tenant_skill(request.auth, skill_id))
    return Status(204, None)


# -------------------------------------------------------------------- person skills
def _person_skills(user, person) -> list[dict]:
    return [
        {
            "skill_id": v.skill.pk,
            "skill": v.skill.name_de,
            "skill_en": v.skill.name_en,
            "level": v.row.level,
            "self_declared": v.row.self_declared,
            "note": v.row.note,
            "endorsed_by": list(v.endorsers),
            "endorsed_by_me": v.endorsed_by_me,
            "evidence": list(v.evidence),
        }
        for v in queries.person_skills(user, person)
    ]


@router.get(
    "/persons/{person_id}/skills",
    response=list[PersonSkillOut],
    summary="A person's skills with their evidence",
)
def person_skills(request, person_id: Id):
    person = people_queries.visible_person(request.auth, person_id)
    return _person_skills(request.auth, person)


@router.put(
    "/persons/{person_id}/skills/{skill_id}",
    response=list[PersonSkillOut],
    summary="Declare a skill (yourself, your contacts; admins for anyone)",
)
def declare_skill(request, person_id: Id, skill_id: Id, payload: DeclareIn):
    actions.declare_skill(request.auth, person_id, skill_id, **payload.dict())
    return _person_skills(request.auth, people_queries.visible_person(request.auth, person_id))


@router.delete(
    "/persons/{person_id}/skills/{skill_id}", response={204: None}, summary="Withdraw a skill"
)
def remove_skill(request, person_id: Id, skill_id: Id):
    actions.remove_person_skill(request.auth, person_id, skill_id)
    return Status(204, None)


@router.post(
    "/persons/{person_id}/skills/{skill_id}/endorsements",
    response={201: list[PersonSkillOut]},
    summary="Endorse a person's skill",
)
def endorse(request, person_id: Id, skill_id: Id, payload: EndorseIn):
    actions.endorse(request.auth, person_id, skill_id, comment=payload.comment)
    person = people_queries.visible_person(request.auth, person_id)
    return Status(201, _person_skills(request.auth, person))


@router.delete(
    "/persons/{person_id}/skills/{skill_id}/endorsements",
    response={204: None},
    summary="Withdraw my endorsement",
)
def withdraw_endorsement(request, person_id: Id, skill_id: Id):
    actions.withdraw_endorsement(request.auth, person_id, skill_id)
    return Status(204, None)


# --------------------------------------------------------------------- capabilities
def _capabilities(user, org) -> list[dict]:
    return [
        {"skill_id": c.skill_id, "skill": c.skill.name_de, "level": c.level, "note": c.note}
        for c in queries.organization_capabilities(user, org)
    ]


@router.get(
    "/organizations/{organization_id}/capabilities",
    response=list[CapabilityOut],
    summary="What a firm can do",
)
def capabilities(request, organization_id: Id):
    org = people_queries.visible_organization(request.auth, organization_id)
    return _capabilities(request.auth, org)


@router.put(
    "/organizations/{organization_id}/capabilities/{skill_id}",
    response=list[CapabilityOut],
    summary="Record what a firm can do",
)
def add_capability(request, organization_id: Id, skill_id: Id, payload: DeclareIn):
    actions.add_capability(request.auth, organization_id, skill_id, **payload.dict())
    org = people_queries.visible_organization(request.auth, organization_id)
    return _capabilities(request.auth, org)


@router.delete(
    "/organizations/{organization_id}/capabilities/{skill_id}",
    response={204: None},
    summary="Remove a capability",
)
def remove_capability(request, organization_id: Id, skill_id: Id):
    people_queries.visible_organization(request.auth, organization_id)
    actions.remove_capability(request.auth, organization_id, skill_id)
    return Status(204, None)


# -------------------------------------------------------------------- expert search
@router.get(
    "/experts",
    response=ExpertsOut,
    summary="Who can do it: skills, place and radius, reachability; each with reasons",
)
def experts(
    request,
    q: str = Query(..., min_length=1, max_length=200),
    near: str | None = Query(None, min_length=1, max_length=100),
    radius_km: float | None = Query(None, gt=0, le=5000),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=1000),
    lang: Lang = "en",
):
    result = queries.find_experts(
        request.auth, q, near=near, radius_km=radius_km, limit=limit, offset=offset, lang=lang
    )
    return {
        "query": q,
        "understood": result.understood(),
        "place": result.place.name if result.place else None,
        "radius_km": result.radius_km,
        "count": result.total,
        "items": [
            {
                "person": _ref(h.person),
                "score": h.score,
                "skills": [s.name(lang) for s, _why in h.skills],
                "reasons": h.reasons,
                "city": h.city,
                "distance_km": round(h.distance_km, 1) if h.distance_km is not None else None,
                "reach": round(h.reach, 4),
                "path": h.path.text() if h.path else None,
            }
            for h in result.hits
        ],
    }


@router.get("/skill-matrix", response=MatrixOut, summary="Our people x skill groups, and gaps")
def skill_matrix(
    request,
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    matrix = queries.skill_matrix(request.auth, limit=limit, offset=offset)
    return {
        "groups": [g.name_de for g in matrix.groups],
        "count": matrix.people_total,
        "rows": [{"person": _ref(p), "levels": levels} for p, levels in matrix.rows],
        "single_holders": [
            {"skill_id": s.pk, "skill": s.name_de, "person": _ref(p)}
            for s, p in matrix.single_holders
        ],
        "project_gaps": [
            {"skill_id": s.pk, "skill": s.name_de, "project_ids": [p.pk for p in s.open_projects]}
            for s in project_skill_gaps(request.auth)
        ],
    }
