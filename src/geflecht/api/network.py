"""Relationships, interactions and the network questions (paths, reach, reconnect, ...)."""

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from django.db.models import Prefetch, Q
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from geflecht.api.pagination import Page
from geflecht.api.types import BodyId, Id, Int, IsoDateTime, VisibilityName
from geflecht.events import queries as events_queries
from geflecht.lib.errors import NotFound
from geflecht.lib.visibility import require_writer, visible_q
from geflecht.network import actions, queries, reach
from geflecht.network.communities import communities as company_communities
from geflecht.network.models import (
    Interaction,
    InteractionKind,
    InteractionParticipant,
    Relationship,
    RelationshipKind,
)
from geflecht.people import queries as people_queries

router = Router()

if TYPE_CHECKING:  # a type checker cannot read the models' choices: it sees strings
    KindName = str
    ChannelName = str
    RoleName = str
else:
    KindName = Literal[tuple(RelationshipKind.values)]
    ChannelName = Literal[tuple(InteractionKind.values)]
    RoleName = Literal[tuple(InteractionParticipant.Role.values)]
Lang = Literal["en", "de"]


# ------------------------------------------------------------------------ schemas
class PersonRef(Schema):
    id: int
    full_name: str


class RelationshipOut(Schema):
    id: int
    person_a: PersonRef
    person_b: PersonRef
    kind: str
    rating: int | None
    strength: float
    visibility: VisibilityName
    owner_id: Id | None
    last_interaction_at: datetime | None
    updated_at: datetime


class RelationshipDetailOut(RelationshipOut):
    explanation: str
    evidence: dict[str, Any]


class RelationshipIn(Schema):
    person_a_id: BodyId
    person_b_id: BodyId
    kind: KindName = "business"
    rating: Int | None = Field(None, ge=1, le=5)
    visibility: VisibilityName = "company"


class RelationshipPatch(Schema):
    rating: Int | None = Field(None, ge=1, le=5, description="1-5, or null to clear it.")


class ParticipantOut(Schema):
    person: PersonRef
    role: str


class InteractionOut(Schema):
    id: int
    kind: str
    occurred_at: datetime
    duration_minutes: int | None
    subject: str
    location: str
    site_id: Id | None
    source: str
    visibility: VisibilityName
    participant_count: int = Field(description="The participants you may see.")
    participants: list[ParticipantOut]


class ParticipantIn(Schema):
    person_id: BodyId
    role: RoleName = "attendee"


class InteractionIn(Schema):
    kind: ChannelName
    occurred_at: IsoDateTime
    participants: list[ParticipantIn] = Field(..., min_length=2, max_length=2000)
    duration_minutes: Int | None = Field(None, ge=0, le=100_000)
    subject: str = Field("", max_length=300)
    location: str = Field("", max_length=200)
    site_id: BodyId | None = None
    external_id: str = Field("", max_length=200)
    visibility: VisibilityName = "company"


class StepOut(Schema):
    person: PersonRef | None
    strength: float | None
    evidence: str
    ask: PersonRef | None = Field(
        None, description="For a stretch you may not see: the colleague to ask."
    )
    label: str


class PathOut(Schema):
    strength: float | None = Field(
        description="The product of the hops' strengths; null when a stretch is hidden "
        "(an 'ask <colleague>' step): it would give the hidden tie's strength away."
    )
    known_strength: float = Field(
        description="The product of the hops you may see; with a hidden stretch an upper "
        "bound of the path's strength."
    )
    hops: int
    text: str
    steps: list[StepOut]


class ReachOut(Schema):
    target: PersonRef
    path: PathOut


class NeighbourOut(Schema):
    person: PersonRef
    degree: int
    strength: float


class NeighbourhoodOut(Schema):
    counts: list[int]
    people: list[NeighbourOut]


class CommunityOut(Schema):
    label: int
    size: int
    people: list[PersonRef]


class SuggestionOut(Schema):
    person: PersonRef
    score: float
    reasons: list[str]


class ReconnectOut(Schema):
    person: PersonRef
    relationship_id: Id
    strength_then: float
    strength_now: float
    reason: str
    last_contact: datetime | None
    last_meeting: datetime | None
    usual_gap_days: float | None
    silence_days: float | None
    decline_share: float | None
    next_step: str


# ------------------------------------------------------------------------ helpers
def _ref(person) -> dict | None:
    return None if person is None else {"id": person.pk, "full_name": person.full_name}


def _path(p: reach.IntroPath) -> dict:
    return {
        "strength": p.strength,
        "known_strength": p.known_strength,
        "hops": p.hops,
        "text": p.text(),
        "steps": [
            {
                "person": _ref(s.person),
                "strength": s.strength,
                "evidence": s.evidence,
                "ask": _ref(s.ask),
                "label": s.label,
            }
            for s in p.steps
        ],
    }


def _relationships(user):
    return (
        Relationship.objects.filter(tenant_id=user.tenant_id)
        .filter(visible_q(user))
        .filter(person_a__in=people_queries.visible_people(user))
        .filter(person_b__in=people_queries.visible_people(user))
        .select_related("person_a", "person_b")
    )


def _relationship(user, pk: int) -> Relationship:
    rel = _relationships(user).filter(pk=pk).first()
    if rel is None:
        raise NotFound(f"No relationship with id {pk}.")
    return rel


def _interactions(user):
    return (
        Interaction.objects.filter(tenant_id=user.tenant_id)
        .filter(visible_q(user))
        .prefetch_related(
            Prefetch(
                "participations",
                queryset=InteractionParticipant.objects.select_related("person").order_by("id"),
            )
        )
    )


def _interactions_out(user, interactions: list[Interaction]) -> list[dict]:
    """Interactions with the participants the user may see; the others are left out."""
    ids = {p.person_id for i in interactions for p in i.participations.all()}
    visible = set(
        people_queries.visible_people(user).filter(pk__in=ids).values_list("pk", flat=True)
    )
    return [
        {
            "id": i.pk,
            "kind": i.kind,
            "occurred_at": i.occurred_at,
            "duration_minutes": i.duration_minutes,
            "subject": i.subject,
            "location": i.location,
            "site_id": i.site_id,
            "source": i.source,
            "visibility": i.visibility,
            # Only the participants the user may see, named and counted: an unnamed
            # entry would still tell that a colleague's private contact was there.
            "participant_count": len(shown),
            "participants": [{"person": _ref(p.person), "role": p.role} for p in shown],
        }
        for i, shown in (
            (i, [p for p in i.participations.all() if p.person_id in visible]) for i in interactions
        )
    ]


class _InteractionPage(Page):
    """Pages of interactions, rendered after slicing so that one page costs three queries."""

    def paginate_queryset(self, queryset, pagination, request=None, **params):
        page = super().paginate_queryset(queryset, pagination, request=request, **params)
        page["items"] = _interactions_out(request.auth, list(page["items"]))
        return page


# -------------------------------------------------------------------- relationships
@router.get("/relationships", response=list[RelationshipOut], summary="Relationships I may see")
@paginate(Page)
def list_relationships(
    request,
    person_id: Id | None = None,
    kind: KindName | None = None,
    min_strength: float = Query(0.0, ge=0, le=1),
    ordering: Literal["-strength", "strength", "id"] = "-strength",
):
    rels = _relationships(request.auth)
    if person_id is not None:
        rels = rels.filter(Q(person_a_id=person_id) | Q(person_b_id=person_id))
    if kind:
        rels = rels.filter(kind=kind)
    if min_strength:
        rels = rels.filter(strength__gte=min_strength)
    return rels.order_by(ordering, "id")


@router.get(
    "/relationships/{rel_id}",
    response=RelationshipDetailOut,
    summary="One relationship with its strength explained",
)
def get_relationship(request, rel_id: Id, lang: Lang = "en"):
    rel = _relationship(request.auth, rel_id)
    result = queries.explain_relationship(rel)
    out = RelationshipOut.from_orm(rel).dict()
    return {**out, "explanation": result.explain(lang), "evidence": result.as_dict()}


@router.post("/relationships", response={201: RelationshipOut}, summary="Record a relationship")
def create_relationship(request, payload: RelationshipIn):
    user = request.auth
    a = people_queries.visible_person(user, payload.person_a_id)
    b = people_queries.visible_person(user, payload.person_b_id)
    rel = actions.create_relationship(
        user, a, b, kind=payload.kind, rating=payload.rating, visibility=payload.visibility
    )
    return Status(201, _relationships(user).get(pk=rel.pk))


@router.patch("/relationships/{rel_id}", response=RelationshipOut, summary="Set or clear my rating")
def patch_relationship(request, rel_id: Id, payload: RelationshipPatch):
    user = request.auth
    rel = _relationship(user, rel_id)
    require_writer(user)
    actions.set_rating(rel, payload.rating)
    return _relationships(user).get(pk=rel.pk)


# --------------------------------------------------------------------- interactions
@router.get("/interactions", response=list[InteractionOut], summary="Interactions I may see")
@paginate(_InteractionPage)
def list_interactions(
    request,
    person_id: Id | None = None,
    kind: ChannelName | None = None,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
):
    items = _interactions(request.auth)
    if person_id is not None:
        # A person the user may not see matches nothing, exactly like an unknown id.
        person = people_queries.visible_people(request.auth).filter(pk=person_id)
        items = items.filter(
            pk__in=InteractionParticipant.objects.filter(person__in=person).values("interaction_id")
        )
    if kind:
        items = items.filter(kind=kind)
    if since:
        items = items.filter(occurred_at__gte=since)
    if until:
        items = items.filter(occurred_at__lt=until)
    return items.order_by("-occurred_at", "-id")


@router.get("/interactions/{interaction_id}", response=InteractionOut, summary="One interaction")
def get_interaction(request, interaction_id: Id):
    found = list(_interactions(request.auth).filter(pk=interaction_id))
    if not found:
        raise NotFound(f"No interaction with id {interaction_id}.")
    return _interactions_out(request.auth, found)[0]


@router.post(
    "/interactions",
    response={201: InteractionOut},
    summary="Log a meeting, call, e-mail, ... (strengths of its pairs update at once)",
)
def create_interaction(request, payload: InteractionIn):
    user = request.auth
    require_writer(user)
    for p in payload.participants:
        people_queries.visible_person(user, p.person_id)
    if payload.site_id is not None:
        people_queries.visible_site(user, payload.site_id)
    fields = payload.dict()
    fields["participants"] = [(p["person_id"], p["role"]) for p in fields["participants"]]
    fields["source"] = "api"
    interaction = actions.record_interaction(tenant=user.tenant, recorded_by=user, **fields)
    return Status(
        201, _interactions_out(user, list(_interactions(user).filter(pk=interaction.pk)))[0]
    )


# ----------------------------------------------------------------- network questions
@router.get(
    "/paths",
    response=list[PathOut],
    summary="How do I reach this person? The best introduction paths from me",
)
def paths(
    request,
    target: Id,
    k: int = Query(3, ge=1, le=10),
    max_hops: int = Query(reach.DEFAULT_MAX_HOPS, ge=1, le=6),
    min_strength: float = Query(0.0, ge=0, le=1),
    avoid: list[Id] = Query([]),
    lang: Lang = "en",
):
    user = request.auth
    person = people_queries.visible_person(user, target)
    options = reach.PathOptions(
        k=k, max_hops=max_hops, min_strength=min_strength, avoid=tuple(avoid), lang=lang
    )
    return [_path(p) for p in reach.introduction_paths(user, person, options)]


@router.get(
    "/team-reach",
    response=list[ReachOut],
    summary="Who of us reaches whom at an organisation (optionally one site's city)",
)
def team_reach(
    request,
    organization_id: Id,
    city: str | None = None,
    max_hops: int = Query(reach.DEFAULT_MAX_HOPS, ge=1, le=6),
    min_strength: float = Query(0.0, ge=0, le=1),
    limit: int = Query(50, ge=1, le=500),
    lang: Lang = "en",
):
    user = request.auth
    org = people_queries.visible_organization(user, organization_id)
    rows = reach.team_reach(
        user,
        org,
        city=city,
        max_hops=max_hops,
        min_strength=min_strength,
        limit=limit,
        lang=lang,
    )
    return [{"target": _ref(r.target), "path": _path(r.path)} for r in rows]


@router.get("/neighbourhood", response=NeighbourhoodOut, summary="My network by degree")
def my_neighbourhood(
    request,
    radius: int = Query(2, ge=1, le=3),
    min_strength: float = Query(0.0, ge=0, le=1),
    organization_id: Id | None = None,
    city: str | None = None,
    limit: int = Query(50, ge=1, le=500),
):
    if organization_id is not None:
        people_queries.visible_organization(request.auth, organization_id)
    result = reach.neighbourhood(
        request.auth,
        radius=radius,
        min_strength=min_strength,
        organization_id=organization_id,
        city=city,
        limit=limit,
    )
    return {
        "counts": list(result.counts),
        "people": [{"person": _ref(p), "degree": d, "strength": s} for p, d, s in result.people],
    }


@router.get(
    "/communities",
    response=list[CommunityOut],
    summary="The company's communities as I see them, largest first, with their best-connected",
)
def communities(request, limit: int = Query(30, ge=1, le=100)):
    return [
        {"label": c.label, "size": c.size, "people": [_ref(p) for p in c.top]}
        for c in company_communities(request.auth, limit=limit)
    ]


@router.get("/recommendations", response=list[SuggestionOut], summary="People I should get to know")
def recommendations(request, k: int = Query(10, ge=1, le=100)):
    return [
        {"person": _ref(s.person), "score": s.score, "reasons": list(s.reasons)}
        for s in reach.recommendations(request.auth, k=k)
    ]


@router.get(
    "/reconnect",
    response=list[ReconnectOut],
    summary="Important relationships of mine that are cooling down",
)
def reconnect(request, limit: int = Query(50, ge=1, le=500)):
    return [
        {
            "person": _ref(item.person),
            "relationship_id": item.relationship.pk,
            "strength_then": item.strength_then,
            "strength_now": item.strength_now,
            **{
                k: getattr(item.advice, k)
                for k in (
                    "reason",
                    "last_contact",
                    "last_meeting",
                    "usual_gap_days",
                    "silence_days",
                    "decline_share",
                    "next_step",
                )
            },
        }
        for item in events_queries.reconnect_list(request.auth, now=timezone.now(), limit=limit)
    ]


class UpcomingMeetingOut(Schema):
    id: int
    kind: str
    starts_at: datetime
    duration_minutes: int | None
    subject: str
    location: str
    source: str
    participants: list[PersonRef]


@router.get(
    "/upcoming-meetings",
    response=list[UpcomingMeetingOut],
    summary="My meetings in the next days (from calendar imports and syncs)",
)
def upcoming_meetings(request, days: int = Query(14, ge=1, le=366)):
    return [
        {
            "id": m.pk,
            "kind": m.kind,
            "starts_at": m.starts_at,
            "duration_minutes": m.duration_minutes,
            "subject": m.subject,
            "location": m.location,
            "source": m.source,
            "participants": [_ref(p) for p in m.participants.all()],
        }
        for m in queries.upcoming_meetings_of(request.auth, days=days)
    ]
