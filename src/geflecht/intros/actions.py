"""Introduction requests: ask, answer, record the outcome.

States: ``open`` -> ``accepted`` -> ``introduced``; ``open``/``accepted`` -> ``declined``
(by the handler) or ``withdrawn`` (by the requester); ``open`` -> ``introduced`` when the
broker simply did it. Anything else is a :class:`~geflecht.lib.errors.Conflict` that
names the current state. Each transition locks the row, so two answers at once cannot
both win.

Privacy: when the path's broker stretch runs through a colleague's private contact, the
request names only that colleague (``hidden_hop``) and goes to them; the hidden person is
never stored on the request. Marking it introduced creates the requester's relationship
with the target (kind ``introduced``) and an interaction between the two; a hidden
intermediary takes no part in either.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.events.models import Event
from geflecht.intros.models import ACTIVE, IntroRequest, IntroStatus
from geflecht.lib.errors import Conflict, NotFound
from geflecht.lib.visibility import can_see, require_writer
from geflecht.network import actions as network_actions
from geflecht.network.models import Relationship, RelationshipKind
from geflecht.network.reach import IntroPath, PathOptions, introduction_paths
from geflecht.people.models import Person

MAX_MESSAGE = 2000
#: Channels an introduction can happen through (the interaction's kind).
INTRO_CHANNELS = ("email", "meeting", "phone", "video", "message")


def _candidates(path: IntroPath, target: Person) -> list[tuple[Person, bool]]:
    """Whom one can ask on a path: each visible person between me and the target, and
    each colleague standing for a hidden stretch. The flag is True when the person asked
    carries a hidden stretch (a colleague who is on the path and owns the next tie)."""
    order: list[Person] = []
    hidden: dict[int, bool] = {}
    for step in path.steps[1:]:
        if step.person is None and step.ask is not None:
            person, is_hidden = step.ask, True
        elif step.person is not None and step.person.pk != target.pk:
            person, is_hidden = step.person, False
        else:
            continue
        if person.pk not in hidden:
            order.append(person)
        hidden[person.pk] = hidden.get(person.pk, False) or is_hidden
    return [(p, hidden[p.pk]) for p in order]


def _snapshot(path: IntroPath) -> list[dict]:
    return [
        {
            "label": step.label,
            "person_id": step.person.pk if step.person else None,
            "ask_id": step.ask.pk if step.ask else None,
            "strength": step.strength,
        }
        for step in path.steps
    ]


@transaction.atomic
def ask_for_introduction(
    user: User,
    target: Person,
    *,
    message: str,
    broker: Person | None = None,
    path_index: int | None = None,
    event: Event | None = None,
    lang: str = "en",
) -> IntroRequest:
    """Ask a broker on one of the user's best paths to ``target`` for an introduction.

    ``broker`` defaults to the first person after the user on path number ``path_index``
    (0 = the strongest; with a broker and no path, the strongest path the broker is on);
    the broker must stand on that path, visibly or as "ask <colleague>".
    """
    require_writer(user)
    if user.person_id is None:
        raise ValidationError(_("Your account is not linked to a person."))
    if not can_see(user, target):
        raise NotFound(_("No person with id %(id)s.") % {"id": target.pk})
    if target.pk == user.person_id:
        raise ValidationError({"target": _("You cannot ask for an introduction to yourself.")})
    message = message.strip()
    if not message:
        raise ValidationError({"message": _("Say why you would like to be introduced.")})
    if len(message) > MAX_MESSAGE:
        raise ValidationError({"message": _("At most 2,000 characters.")})
    if event is not None and event.tenant_id != user.tenant_id:
        raise NotFound(_("No such event."))
    paths = introduction_paths(user, target, PathOptions(k=3, lang=lang))
    if not paths:
        raise ValidationError(
            {"target": _("No path to %(name)s: nobody to ask.") % {"name": target.full_name}}
        )
    if path_index is None and broker is not None:
        # No path named: the strongest path the broker stands on.
        path_index = next(
            (
                i
                for i, p in enumerate(paths)
                if any(c.pk == broker.pk for c, _h in _candidates(p, target))
            ),
            0,
        )
    path_index = path_index or 0
    if not 0 <= path_index < len(paths):
        raise ValidationError(
            {"path_index": _("Choose a path between 0 and %(n)s.") % {"n": len(paths) - 1}}
        )
    path = paths[path_index]
    candidates = _candidates(path, target)
    if not candidates:
        raise ValidationError(
            {"target": _("You know %(name)s directly.") % {"name": target.full_name}}
        )
    chosen: tuple[Person, bool] | None = candidates[0]
    if broker is not None:
        chosen = next((c for c in candidates if c[0].pk == broker.pk), None)
        if chosen is None:
            raise ValidationError(
                {
                    "broker_id": _("This broker is not on the chosen path to %(name)s.")
                    % {"name": target.full_name}
                }
            )
    assert chosen is not None  # candidates is not empty, and a missing broker was refused
    person, hidden = chosen
    broker_user = User.objects.filter(
        tenant_id=user.tenant_pk, person=person, is_active=True
    ).first()
    if broker_user is not None and broker_user.pk == user.pk:
        broker_user = None
    duplicate = IntroRequest.objects.filter(
        tenant_id=user.tenant_pk,
        requester=user,
        target=target,
        broker=person,
        status__in=ACTIVE,
    ).first()
    if duplicate is not None:
        raise Conflict(
            _("You already asked %(broker)s to introduce you to %(name)s (request %(id)s).")
            % {"broker": person.full_name, "name": target.full_name, "id": duplicate.pk}
        )
    return IntroRequest.objects.create(
        tenant_id=user.tenant_pk,
        requester=user,
        broker=person,
        broker_user=broker_user,
        target=target,
        event=event,
        hidden_hop=hidden,
        path=_snapshot(path),
        path_strength=path.strength,
        message=message,
    )


def _locked(user: User, request_id: int) -> IntroRequest:
    """The request, locked, when ``user`` takes part in it (else it does not exist)."""
    found = (
        IntroRequest.objects.select_for_update()
        .filter(tenant_id=user.tenant_pk, pk=request_id)
        .first()
    )
    if found is None or user.pk not in (found.requester_id, found.broker_user_id):
        raise NotFound(_("No introduction request with id %(id)s.") % {"id": request_id})
    return found


def _require_handler(user: User, req: IntroRequest) -> None:
    if req.handler_id != user.pk:
        raise PermissionDenied(_("Only the colleague asked can answer this request."))


def _require_state(req: IntroRequest, allowed, action: str) -> None:
    if req.status not in allowed:
        raise Conflict(
            _("This request is %(status)s; it cannot be %(action)s.")
            % {"status": req.get_status_display(), "action": action},
            current_version=req.status,
        )


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_MESSAGE:
        raise ValidationError({"note": _("At most 2,000 characters.")})
    return note


@transaction.atomic
def accept(user: User, request_id: int, *, note: str = "") -> IntroRequest:
    """The broker agrees to introduce; the note is shown to the requester."""
    require_writer(user)
    req = _locked(user, request_id)
    _require_handler(user, req)
    _require_state(req, (IntroStatus.OPEN,), _("accepted"))
    req.status = IntroStatus.ACCEPTED
    req.broker_note = _note(note) or req.broker_note
    req.answered_at = timezone.now()
    req.save(update_fields=["status", "broker_note", "answered_at", "updated_at"])
    return req


@transaction.atomic
def decline(user: User, request_id: int, *, note: str = "") -> IntroRequest:
    require_writer(user)
    req = _locked(user, request_id)
    _require_handler(user, req)
    _require_state(req, ACTIVE, _("declined"))
    now = timezone.now()
    req.status = IntroStatus.DECLINED
    req.broker_note = _note(note) or req.broker_note
    req.answered_at = req.answered_at or now
    req.closed_at = now
    req.save(update_fields=["status", "broker_note", "answered_at", "closed_at", "updated_at"])
    return req


@transaction.atomic
def withdraw(user: User, request_id: int) -> IntroRequest:
    require_writer(user)
    req = _locked(user, request_id)
    if req.requester_id != user.pk:
        raise PermissionDenied(_("Only the requester can withdraw a request."))
    _require_state(req, ACTIVE, _("withdrawn"))
    req.status = IntroStatus.WITHDRAWN
    req.closed_at = timezone.now()
    req.save(update_fields=["status", "closed_at", "updated_at"])
    return req


@transaction.atomic
def mark_introduced(
    user: User,
    request_id: int,
    *,
    note: str = "",
    channel: str = "email",
    occurred_at: datetime | None = None,
    now: datetime | None = None,
) -> IntroRequest:
    """The introduction happened: the requester and the target now know each other.

    Creates (or keeps) the requester's relationship with the target, of kind
    ``introduced`` when it is new, and records the introduction as an interaction of the
    requester, the target and, unless hidden, the broker.
    """
    require_writer(user)
    req = _locked(user, request_id)
    _require_handler(user, req)
    _require_state(req, ACTIVE, _("marked as introduced"))
    if channel not in INTRO_CHANNELS:
        raise ValidationError({"channel": _("Unknown channel %(c)r.") % {"c": channel}})
    now = now or timezone.now()
    when = occurred_at or now
    if when > now:
        raise ValidationError({"occurred_at": _("An introduction cannot be in the future.")})
    requester = User.objects.select_related("person", "tenant").get(pk=req.requester_id)
    target = req.target
    if requester.person is None or not can_see(requester, target):
        raise ValidationError(_("The requester can no longer see this person."))
    visibility = "company" if target.visibility == "company" else "private"
    x, y = sorted([requester.person.pk, target.pk])
    existing = (
        Relationship.objects.filter(tenant_id=req.tenant_id, person_a_id=x, person_b_id=y)
        .exclude(visibility="private")
        .first()
    )
    rel = network_actions.create_relationship(
        requester,
        requester.person,
        target,
        kind=existing.kind if existing else RelationshipKind.INTRODUCED,
        visibility=existing.visibility if existing else visibility,
    )
    participants = [(requester.person_id, "recipient"), (target.pk, "recipient")]
    if not req.hidden_hop and can_see(requester, req.broker):
        participants.insert(0, (req.broker_id, "sender"))
    interaction = network_actions.record_interaction(
        tenant=requester.company,
        recorded_by=requester,
        now=now,
        kind=channel,
        occurred_at=when,
        participants=participants,
        subject=_("Introduction: %(a)s and %(b)s")
        % {"a": requester.person.full_name, "b": target.full_name},
        source="intro",
        external_id=f"intro:{req.pk}",
        visibility=visibility,
    )
    rel.refresh_from_db()
    req.status = IntroStatus.INTRODUCED
    req.broker_note = _note(note) or req.broker_note
    req.answered_at = req.answered_at or now
    req.closed_at = now
    req.relationship = rel
    req.interaction = interaction
    req.save(
        update_fields=[
            "status",
            "broker_note",
            "answered_at",
            "closed_at",
            "relationship",
            "interaction",
            "updated_at",
        ]
    )
    return req
