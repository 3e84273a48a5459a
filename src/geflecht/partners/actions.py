"""Writes on the partner network: joint projects and their ratings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.lib.errors import NotFound
from geflecht.lib.visibility import require_writer
from geflecht.partners.models import JointProject, Rating
from geflecht.partners.queries import joint_project
from geflecht.people.models import Organization
from geflecht.people.queries import visible_organizations, visible_people

__all__ = ["create_joint_project", "finish_joint_project", "rate_joint_project"]


def _people(user: User, ids: Iterable[int], field: str) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in ids))
    found = set(visible_people(user).filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError({field: _("No person with id %(id)s.") % {"id": missing[0]}})
    return ids


@transaction.atomic
def create_joint_project(
    user: User,
    *,
    partner_id: int,
    title: str,
    start_date: date,
    end_date: date | None = None,
    status: str = JointProject.Status.RUNNING,
    our_people: Iterable[int] = (),
    their_people: Iterable[int] = (),
    notes: str = "",
) -> JointProject:
    """Record work done with a partner firm, with the people on both sides."""
    require_writer(user)
    partner = visible_organizations(user).filter(pk=partner_id).first()
    if partner is None:
        raise NotFound(_("No organisation with id %(id)s.") % {"id": partner_id})
    if partner.kind == Organization.Kind.OWN:
        raise ValidationError({"partner_id": _("A joint project needs another firm.")})
    if status not in JointProject.Status.values:
        raise ValidationError({"status": _("Unknown status “%(s)s”.") % {"s": status}})
    project = JointProject(
        tenant_id=user.tenant_pk,
        partner=partner,
        title=title.strip(),
        start_date=start_date,
        end_date=end_date,
        status=status,
        notes=notes,
    )
    project.full_clean()
    project.save()
    project.our_people.set(_people(user, our_people, "our_people"))
    project.their_people.set(_people(user, their_people, "their_people"))
    return project


@transaction.atomic
def finish_joint_project(user: User, project: JointProject, *, end_date: date) -> JointProject:
    require_writer(user)
    locked = JointProject.objects.select_for_update().get(pk=project.pk, tenant_id=user.tenant_pk)
    if end_date < locked.start_date:
        raise ValidationError({"end_date": _("A project cannot end before it starts.")})
    locked.status, locked.end_date = JointProject.Status.FINISHED, end_date
    locked.save(update_fields=["status", "end_date", "updated_at"])
    return locked


@transaction.atomic
def rate_joint_project(
    user: User,
    project_id: int,
    *,
    quality: int,
    on_time: int,
    communication: int,
    comment: str = "",
) -> Rating:
    """The user's rating of a finished joint project (one per user; rating again replaces it)."""
    require_writer(user)
    # Found like every read finds it: a project with a hidden partner is not there.
    project = joint_project(user, project_id)
    if project.status != JointProject.Status.FINISHED:
        raise ValidationError(_("Only finished projects can be rated."))
    stars = {"quality": quality, "on_time": on_time, "communication": communication}
    bad = {k: _("Give 1 to 5 stars.") for k, v in stars.items() if not 1 <= int(v) <= 5}
    if bad:
        raise ValidationError(bad)
    try:
        with transaction.atomic():
            rating, _created = Rating.objects.update_or_create(
                project=project,
                by=user,
                defaults={"tenant_id": user.tenant_pk, "comment": comment.strip(), **stars},
            )
    except IntegrityError:  # a concurrent first rating by the same user: update it
        rating = Rating.objects.get(project=project, by=user)
        for k, v in stars.items():
            setattr(rating, k, v)
        rating.comment = comment.strip()
        rating.save()
    return rating
