"""Which jobs a user sees: their own; a tenant admin every job of the tenant; superusers
also the installation's own (tenant-less) jobs."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.jobs.models import Job
from geflecht.lib.errors import NotFound

__all__ = ["INTERNAL_KINDS", "job_of", "visible_jobs"]

#: Work the app does for itself, not for a user's request: refreshing remembered answers.
#: Its label names the answer's key (whose risk view of which organisation), which is no
#: business of a tenant admin; only the installation's superusers see these jobs.
INTERNAL_KINDS = ("remember.refresh",)


def visible_jobs(user: User) -> QuerySet[Job]:
    if user.is_superuser:
        return Job.objects.filter(Q(tenant_id=user.tenant_id) | Q(tenant__isnull=True))
    if user.tenant_id is None:
        return Job.objects.none()
    mine = Job.objects.filter(tenant_id=user.tenant_id).exclude(kind__in=INTERNAL_KINDS)
    if user.is_tenant_admin:
        return mine
    return mine.filter(owner=user)


def job_of(user: User, job_id: int) -> Job:
    """One job the user may see (any other answers like a missing one)."""
    job = visible_jobs(user).filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("No job with id %(id)s.") % {"id": job_id})
    return job
