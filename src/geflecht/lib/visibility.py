"""Who may see a record with an owner and a visibility: the one rule, used by every door.

- company: every user of the tenant;
- team: the owner and every user who shares a team with the owner;
- private: the owner alone.

Querysets: ``Model.objects.visible_to(user)`` (:class:`VisibleToMixin`); one record:
:func:`can_see`; SQL: :func:`visible_sql`. Which interactions are evidence of which
relationship row: :func:`audience_covers`.

The graph snapshot treats team and private records alike (as the owner's): a path over
a colleague's team tie is shown as "ask <colleague>" unless the tie is the user's own,
and a hop shows only the strength of the rows the user may see
(``TenantGraph.seen_strength``).
"""

from __future__ import annotations

from typing import Self

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from geflecht.lib.models import Visibility

#: Visibilities that limit a record to its owner (and, for team, the owner's teams).
RESTRICTED = (Visibility.PRIVATE, Visibility.TEAM)


def _memberships():
    """The table of who is on which team: the user model's ``teams`` relation. The user
    model is the one Django is configured with (AUTH_USER_MODEL, the accounts app's), so
    lib names no app above it; all it needs of users is that they have ``teams``."""
    return get_user_model().teams.through


def teammates(user) -> frozenset[int]:
    """Ids of the users sharing at least one team with ``user``, ``user`` included.

    Cached on the user object: a request asks many times, the answer does not change.
    """
    cached = getattr(user, "_geflecht_teammates", None)
    if cached is None:
        cached = frozenset(
            get_user_model().objects.filter(teams__members=user).values_list("pk", flat=True)
        ) | {user.pk}
        user._geflecht_teammates = cached
    return cached


def everyone_q(prefix: str = "") -> Q:
    """A filter for the records (or, with ``prefix``, related records) every user of the
    tenant may see: what may be shown or shared with the whole company."""
    p = prefix + "__" if prefix else ""
    return Q(**{f"{p}visibility": Visibility.COMPANY})


def visible_q(user, prefix: str = "") -> Q:
    """A filter for the records (or, with ``prefix``, related records) ``user`` may see.

    The tenant is not part of it: callers filter by ``tenant_id`` first.
    """
    p = prefix + "__" if prefix else ""
    q = Q(**{f"{p}visibility": Visibility.COMPANY}) | Q(**{f"{p}owner_id": user.pk})
    cached = getattr(user, "_geflecht_teammates", None)
    if cached is not None:
        mates: list[int] | models.QuerySet = sorted(cached)
    else:
        # A subquery, not a list: the caller's query stays one round trip.
        mates = _memberships().objects.filter(team__members=user).values("user_id")
    return q | Q(**{f"{p}visibility": Visibility.TEAM, f"{p}owner_id__in": mates})


def visible_sql(user, alias: str) -> tuple[str, list]:
    """The rule of :func:`visible_q` as an SQL condition on table ``alias``, with its
    parameters, for the few hot paths written in plain SQL (a test keeps both in step)."""
    teams = _memberships()._meta.db_table
    condition = (
        f"({alias}.visibility = %s OR {alias}.owner_id = %s OR ({alias}.visibility = %s "
        f"AND {alias}.owner_id IN (SELECT t.user_id FROM {teams} t JOIN {teams} mine "
        "ON mine.team_id = t.team_id WHERE mine.user_id = %s)))"
    )
    return condition, [Visibility.COMPANY, user.pk, Visibility.TEAM, user.pk]


class VisibleQuerySet(models.QuerySet):
    """``Model.objects.visible_to(user)``: the records of the user's tenant the user may see.

    The one queryset form of :func:`visible_q`. A model whose visibility is another
    record's (a site is seen with its organisation, a job with its person) names that
    relation in ``visible_through``.
    """

    def visible_to(self, user) -> Self:
        if user is None or not user.is_authenticated or user.tenant_id is None:
            return self.none()
        through = getattr(self.model, "visible_through", "")
        return self.filter(tenant_id=user.tenant_id).filter(visible_q(user, through))


def can_see(user, obj) -> bool:
    """Whether ``user`` may see ``obj`` (anything with tenant_id, visibility and owner_id)."""
    if user is None or not user.is_authenticated or user.tenant_id != obj.tenant_id:
        return False
    if obj.visibility == Visibility.COMPANY or obj.owner_id == user.pk:
        return True
    return obj.visibility == Visibility.TEAM and obj.owner_id in teammates(user)


def covers(outer, inner) -> bool:
    """Whether everyone who may see ``inner`` may also see ``outer`` (both with
    ``visibility`` and ``owner_id``): a shared person's employer must not be a private
    organisation, or the person's page would show a colleague's private record."""
    return audience_covers(outer.visibility, outer.owner_id, inner.visibility, inner.owner_id)


def audience_covers(outer_visibility, outer_owner_id, inner_visibility, inner_owner_id) -> bool:
    """:func:`covers` on plain values, for rows read as tuples. It also decides which
    interactions are evidence of a relationship row: only those everyone who may see the
    row may see (a team meeting is no evidence of a company-visible tie)."""
    if outer_visibility == Visibility.COMPANY:
        return True
    if outer_owner_id != inner_owner_id or inner_visibility == Visibility.COMPANY:
        return False
    return outer_visibility == Visibility.TEAM or inner_visibility == Visibility.PRIVATE


def require_writer(user) -> None:
    """Read-only users change nothing, through any door."""
    if not getattr(user, "can_write", False):
        raise PermissionDenied(_("Your account is read-only."))
