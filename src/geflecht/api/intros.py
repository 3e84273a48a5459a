"""Introduction requests: ask a broker on a path, answer, record the outcome."""

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from django.utils.translation import get_language
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from geflecht.api.network import PathOut, PersonRef, _path, _ref
from geflecht.api.pagination import Page
from geflecht.api.types import BodyId, Id, Int, IsoDateTime
from geflecht.events import queries as event_queries
from geflecht.intros import actions, queries
from geflecht.intros.models import IntroStatus
from geflecht.people import queries as people_queries

router = Router()

if TYPE_CHECKING:  # a type checker cannot read the models' choices: it sees strings
    StatusName = str
    Channel = str
else:
    StatusName = Literal[tuple(IntroStatus.values)]
    Channel = Literal[actions.INTRO_CHANNELS]


class UserRef(Schema):
    id: int
    full_name: str


class PathStepOut(Schema):
    label: str
    person_id: Id | None
    strength: float | None


class IntroOut(Schema):
    id: int
    status: StatusName
    direction: Literal["outgoing", "incoming"]
    requester: UserRef
    broker: PersonRef
    broker_label: str = Field(..., description='"ask <colleague>" for a hidden stretch.')
    hidden_hop: bool
    answered_by_colleague: bool = Field(
        ..., description="False: the broker has no login; the requester records the answer."
    )
    target: PersonRef | None = Field(None, description="null: someone you may not see.")
    target_label: str
    event_id: Id | None
    message: str
    broker_note: str
    path: list[PathStepOut] = Field(..., description="The path as the requester saw it.")
    path_strength: float | None
    actions: list[Literal["accept", "decline", "introduced", "withdraw"]]
    relationship_id: Id | None
    interaction_id: Id | None
    created_at: datetime
    answered_at: datetime | None
    closed_at: datetime | None


class IntroDetailOut(IntroOut):
    my_paths: list[PathOut] = Field(
        [], description="For the colleague asked: their own best paths to the target."
    )


class IntroIn(Schema):
    target_id: BodyId
    message: str = Field(..., min_length=1, max_length=2000)
    broker_id: BodyId | None = Field(None, description="Default: the first person on the path.")
    path_index: Int | None = Field(None, ge=0, le=2, description="0 = the strongest path.")
    event_id: BodyId | None = None


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class IntroducedIn(NoteIn):
    channel: Channel = "email"
    occurred_at: IsoDateTime | None = None


def _out(user, req) -> dict:
    v = queries.view(user, req)
    mine = v.direction == "outgoing"
    requester = req.requester
    return {
        "id": req.pk,
        "status": req.status,
        "direction": v.direction,
        "requester": {
            "id": requester.pk,
            "full_name": requester.person.full_name
            if requester.person
            else requester.get_full_name() or requester.username,
        },
        "broker": _ref(req.broker),
        "broker_label": v.broker_label,
        "hidden_hop": req.hidden_hop,
        "answered_by_colleague": req.broker_user_id is not None,
        "target": _ref(req.target) if v.target_visible else None,
        "target_label": v.target_label,
        "event_id": req.event_id,
        "message": req.message,
        "broker_note": req.broker_note,
        "path": [
            {"label": s["label"], "person_id": s.get("person_id"), "strength": s.get("strength")}
            for s in v.path
        ],
        "path_strength": req.path_strength if mine else None,
        "actions": list(v.actions),
        "relationship_id": req.relationship_id if mine else None,
        "interaction_id": req.interaction_id if mine else None,
        "created_at": req.created_at,
        "answered_at": req.answered_at,
        "closed_at": req.closed_at,
    }


def _detail(user, pk: int) -> dict:
    req = queries.request_for(user, pk)
    lang = "de" if (get_language() or "").startswith("de") else "en"
    return {
        **_out(user, req),
        "my_paths": [_path(p) for p in queries.broker_paths(user, req, lang=lang)],
    }


class _IntroPage(Page):
    def paginate_queryset(self, queryset, pagination, request=None, **params):
        page = super().paginate_queryset(queryset, pagination, request=request, **params)
        page["items"] = [_out(request.auth, r) for r in page["items"]]
        return page


@router.get("/intros", response=list[IntroOut], summary="Introduction requests: mine and to me")
@paginate(_IntroPage)
def list_intros(
    request,
    direction: Literal["all", "incoming", "outgoing"] = "all",
    status: StatusName | None = None,
):
    user = request.auth
    if direction == "incoming":
        rows = queries.incoming(user)
    elif direction == "outgoing":
        rows = queries.outgoing(user)
    else:
        rows = queries.incoming(user) | queries.outgoing(user)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-id")


@router.get("/intros/{request_id}", response=IntroDetailOut, summary="One introduction request")
def get_intro(request, request_id: Id):
    return _detail(request.auth, request_id)


@router.post(
    "/intros",
    response={201: IntroDetailOut},
    summary="Ask a broker on one of my paths for an introduction",
)
def ask(request, payload: IntroIn):
    user = request.auth
    target = people_queries.visible_person(user, payload.target_id)
    broker = people_queries.visible_person(user, payload.broker_id) if payload.broker_id else None
    event = event_queries.event(user, payload.event_id) if payload.event_id else None
    req = actions.ask_for_introduction(
        user,
        target,
        message=payload.message,
        broker=broker,
        path_index=payload.path_index,
        event=event,
    )
    return Status(201, _detail(user, req.pk))


@router.post("/intros/{request_id}/accept", response=IntroDetailOut, summary="Accept (broker)")
def accept(request, request_id: Id, payload: NoteIn):
    actions.accept(request.auth, request_id, note=payload.note)
    return _detail(request.auth, request_id)


@router.post("/intros/{request_id}/decline", response=IntroDetailOut, summary="Decline (broker)")
def decline(request, request_id: Id, payload: NoteIn):
    actions.decline(request.auth, request_id, note=payload.note)
    return _detail(request.auth, request_id)


@router.post(
    "/intros/{request_id}/introduced",
    response=IntroDetailOut,
    summary="The introduction happened: creates the relationship and an interaction",
)
def introduced(request, request_id: Id, payload: IntroducedIn):
    actions.mark_introduced(
        request.auth,
        request_id,
        note=payload.note,
        channel=payload.channel,
        occurred_at=payload.occurred_at,
    )
    return _detail(request.auth, request_id)


@router.post(
    "/intros/{request_id}/withdraw", response=IntroDetailOut, summary="Withdraw (requester)"
)
def withdraw(request, request_id: Id):
    actions.withdraw(request.auth, request_id)
    return _detail(request.auth, request_id)
