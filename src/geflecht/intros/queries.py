"""Reads of introduction requests, each shaped for the user who reads it.

The requester sees the path as they saw it when asking; the colleague asked sees the
requester, the target (when they may see that person) and their own best path to the
target, which may run through their private contacts: theirs to see.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.intros.models import ACTIVE, IntroRequest, IntroStatus
from geflecht.lib.errors import NotFound
from geflecht.lib.visibility import can_see
from geflecht.network.reach import IntroPath, PathOptions, introduction_paths


def _base(user: User) -> QuerySet[IntroRequest]:
    return (
        IntroRequest.objects.filter(tenant_id=user.tenant_pk)
        .select_related("requester__person", "broker", "broker_user", "target", "event")
        .order_by("-created_at", "-id")
    )


def incoming(user: User, *, active_only: bool = False) -> QuerySet[IntroRequest]:
    """Requests the user answers: as the colleague asked, or (broker without a login) as
    their own requester's follow-up."""
    rows = _base(user).filter(broker_user=user)
    return rows.filter(status__in=ACTIVE) if active_only else rows


def outgoing(user: User, *, active_only: bool = False) -> QuerySet[IntroRequest]:
    rows = _base(user).filter(requester=user)
    return rows.filter(status__in=ACTIVE) if active_only else rows


def request_for(user: User, pk: int) -> IntroRequest:
    found = _base(user).filter(Q(requester=user) | Q(broker_user=user)).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No introduction request with id %(id)s.") % {"id": pk})
    return found


@dataclass(frozen=True)
class IntroView:
    """One request as ``user`` may see it."""

    request: IntroRequest
    direction: str  # "outgoing" or "incoming"
    target_label: str
    target_visible: bool
    broker_label: str
    path: tuple[dict, ...]  # the requester's snapshot; empty for the broker
    actions: tuple[str, ...]  # what the user may do now

    @property
    def pk(self) -> int:
        return self.request.pk


def view(user: User, req: IntroRequest) -> IntroView:
    mine = req.requester_id == user.pk
    target_visible = can_see(user, req.target)
    if target_visible:
        target_label = req.target.full_name
    else:
        requester = req.requester.person.full_name if req.requester.person else "?"
        target_label = _("a contact of %(name)s") % {"name": requester}
    broker = req.broker.full_name
    broker_label = _("ask %(name)s") % {"name": broker} if req.hidden_hop else broker
    actions: list[str] = []
    if req.status in ACTIVE:
        if req.handler_id == user.pk:
            if req.status == IntroStatus.OPEN:
                actions.append("accept")
            actions += ["decline", "introduced"]
        if mine:
            actions.append("withdraw")
    return IntroView(
        req,
        "outgoing" if mine else "incoming",
        target_label,
        target_visible,
        broker_label,
        tuple(req.path) if mine else (),
        tuple(actions),
    )


def views(user: User, rows) -> list[IntroView]:
    return [view(user, r) for r in rows]


def broker_paths(user: User, req: IntroRequest, *, lang: str = "en") -> list[IntroPath]:
    """For the colleague asked: their own best paths to the target (theirs to see)."""
    if req.broker_user_id != user.pk or not can_see(user, req.target):
        return []
    return introduction_paths(user, req.target, PathOptions(k=2, lang=lang))


def open_counts(user: User) -> tuple[int, int]:
    """(incoming to answer, my outgoing still open) for the dashboard."""
    return (
        IntroRequest.objects.filter(
            tenant_id=user.tenant_pk, broker_user=user, status__in=ACTIVE
        ).count(),
        IntroRequest.objects.filter(
            tenant_id=user.tenant_pk, requester=user, status__in=ACTIVE
        ).count(),
    )
