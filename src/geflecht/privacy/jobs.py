"""Retention as a job on the task queue: the daily run for the whole installation.

The period is the installation's (``GEFLECHT_RETENTION_DAYS``), so the job belongs to no
tenant and superusers see it on the jobs page. It calls the same service as
``geflecht retention``: :func:`~geflecht.privacy.retention.apply_retention`, which
deletes in batches of one transaction each. A worker killed half-way therefore leaves
whole batches deleted and their strengths recomputed; the job, queued again, deletes
the rest.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geflecht.jobs.models import Job
from geflecht.jobs.runner import Progress, handler, start_job
from geflecht.network.jobs import recompute_every_tenant
from geflecht.privacy.retention import apply_retention

__all__ = ["KIND", "start_retention"]

KIND = "retention"


def start_retention(*, now: datetime | None = None) -> Job | None:
    """Queue a retention run for the installation, unless no period is set (then None).

    A run that still waits or runs is returned instead of a second one. ``now`` (tests)
    measures the period back from then instead of the run's time.
    """
    days = getattr(settings, "GEFLECHT_RETENTION_DAYS", 0) or 0
    if days == 0:
        return None
    # A bad (negative) period is not checked here: the job fails with the reason, where
    # a superuser reads it, instead of the scheduler logging it unseen.
    return start_job(
        KIND,
        tenant_id=None,
        label=_("%(days)s days") % {"days": days},
        args={"now": now.isoformat()} if now is not None else {},
        unique=True,
    )


@handler(KIND, title=gettext_lazy("Retention of interactions"))
def run_retention(job: Job, progress: Progress) -> dict:
    if job.attempts > 1:
        # An earlier attempt may have died in the full recomputation that follows a large
        # backlog; its interactions are gone, so this run would not recompute them again.
        recompute_every_tenant()

    def report(done: int, total: int) -> None:
        progress(done, total, _("%(done)s of %(total)s tenants") % {"done": done, "total": total})

    now = datetime.fromisoformat(job.args["now"]) if job.args.get("now") else None
    result = apply_retention(now=now, progress=report)
    return {
        "days": result.days,
        "cutoff": result.cutoff.isoformat() if result.cutoff else None,
        "interactions": result.interactions,
        "strengths_recomputed": result.strengths_recomputed,
        "tenants": result.tenants,
    }
