"""Writes on the partner network: joint projects and their ratings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.lib.errors import NotAllowed, NotFound
from geflecht.lib.visibility import require_writer
from geflecht.partners.models import JointProject, Rating
from geflecht.partners.queries import joint_project
from geflecht.people.models import Organization
from geflecht.people.queries import visible_organizations, visible_people

__all__ = [
    "create_joint_project",
    "delete_joint_project",
    "delete_rating",
    "finish_joint_project",
    "rate_joint_project",
    "update_joint_project",
    "update_rating",
]

_JOINT_PROJECT_FIELDS = {"partner", "title", "start_date", "end_date", "status", "notes"}


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


def _keeping_hidden(user: User, current: Iterable[int], chosen: Iterable[int], field: str):
    """``chosen`` (people the user sees) and the current members the user may not see:
    a colleague's private contact stays on the project, unnamed."""
    chosen = _people(user, chosen, field)
    current = set(current)
    seen = set(visible_people(user).filter(pk__in=current).values_list("pk", flat=True))
    return [*chosen, *sorted(current - seen)]


@transaction.atomic
def update_joint_project(
    user: User,
    project: JointProject,
    *,
    our_people: Iterable[int] | None = None,
    their_people: Iterable[int] | None = None,
    **fields,
) -> JointProject:
    """Change a joint project's partner, title, dates, status or notes, and who is on it
    (``our_people``/``their_people``: the people the user sees who are to be on it; those
    the user may not see stay)."""
    require_writer(user)
    joint_project(user, project.pk)  # a project with a hidden partner is not there
    if unknown := set(fields) - _JOINT_PROJECT_FIELDS:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    locked = JointProject.objects.select_for_update().get(pk=project.pk)
    partner = fields.get("partner")
    if partner is not None:
        if not visible_organizations(user).filter(pk=partner.pk).exists():
            raise ValidationError(
                {"partner": _("No organisation with id %(id)s.") % {"id": partner.pk}}
            )
        if partner.kind == Organization.Kind.OWN:
            raise ValidationError({"partner": _("A joint project needs another firm.")})
    if fields.get("status", locked.status) not in JointProject.Status.values:
        raise ValidationError({"status": _("Unknown status “%(s)s”.") % {"s": fields["status"]}})
    for name, value in fields.items():
        setattr(locked, name, value.strip() if name == "title" else value)
    locked.full_clean()
    locked.save()
    for name, chosen in (("our_people", our_people), ("their_people", their_people)):
        if chosen is not None:
            members = getattr(locked, name)
            current = members.values_list("pk", flat=True)
            members.set(_keeping_hidden(user, current, chosen, name))
    return locked


@transaction.atomic
def delete_joint_project(user: User, project: JointProject) -> None:
    """Delete a joint project with its ratings (an admin of the company only: the
    ratings in it are the partner's track record)."""
    require_writer(user)
    project = joint_project(user, project.pk)
    if not user.is_tenant_admin:
        raise NotAllowed(
            _("Only an admin may delete %(title)s and its ratings.") % {"title": project.title}
        )
    JointProject.objects.filter(pk=project.pk).delete()


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


@transaction.atomic
def update_rating(user: User, rating: Rating, **stars) -> Rating:
    """Change one of the user's own ratings (a rating is what its author says)."""
    if rating.by_id != user.pk:
        raise NotAllowed(_("Only who gave a rating may change it."))
    current = {
        "quality": rating.quality,
        "on_time": rating.on_time,
        "communication": rating.communication,
        "comment": rating.comment,
    }
    return rate_joint_project(user, rating.project_id, **{**current, **stars})


@transaction.atomic
def delete_rating(user: User, rating: Rating) -> None:
    """Take a rating away: its author withdraws it, an admin of the company may remove
    anyone's."""
    require_writer(user)
    joint_project(user, rating.project_id)
    if rating.by_id != user.pk and not user.is_tenant_admin:
        raise NotAllowed(_("Only who gave a rating or an admin may remove it."))
    Rating.objects.filter(pk=rating.pk).delete()
