"""Recomputing every strength of a tenant as a job on the task queue.

Strengths decay with the time since their interactions, so a strength written months
ago overstates a tie nobody kept up; the nightly task recomputes every tenant, and an
admin (``geflecht strengths``) recomputes one after changing the parameters. The job's
row carries its progress (interactions read of all) and, at the end, how many
relationships it wrote, or why it failed.

:func:`~geflecht.network.actions.recompute_all_strengths` writes all strengths in one
transaction at its end, so a worker killed half-way leaves the old strengths as they
were, and the job, queued again, starts from the beginning.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geflecht.accounts.models import Tenant
from geflecht.jobs.models import Job
from geflecht.jobs.runner import Progress, handler, start_job
from geflecht.network.actions import recompute_all_strengths

__all__ = [
    "KIND",
    "recompute_every_tenant",
    "start_strength_recomputation",
    "strength_recomputation",
]

KIND = "strengths"


def start_strength_recomputation(
    tenant_id: int, *, owner_id: int | None = None, now: datetime | None = None
) -> Job:
    """Queue the recomputation of every strength of a tenant; return its job to poll.

    While one waits or runs for the tenant, that one is returned instead of a second.
    ``now`` (tests, a replay) computes the decay as of that moment instead of the run's.
    """
    args = {"now": now.isoformat()} if now is not None else {}
    return start_job(
        KIND,
        tenant_id=tenant_id,
        owner_id=owner_id,
        label=_("all relationships"),
        args=args,
        unique=True,
    )


def strength_recomputation(tenant_id: int) -> Job | None:
    """The tenant's latest recomputation (waiting, running or ended), if any."""
    return Job.objects.filter(tenant_id=tenant_id, kind=KIND).order_by("-created_at", "-id").first()


def recompute_every_tenant() -> list[Job]:
    """Queue a recomputation for every tenant (the nightly task); return the jobs."""
    return [
        start_strength_recomputation(tenant_id)
        for tenant_id in Tenant.objects.order_by("pk").values_list("pk", flat=True)
    ]


@handler(KIND, title=gettext_lazy("Recomputation of the strengths"))
def run_recomputation(job: Job, progress: Progress) -> dict:
    now = datetime.fromisoformat(job.args["now"]) if job.args.get("now") else None
    assert job.tenant_id is not None  # started per tenant only

    def report(done: int, total: int) -> None:
        progress(
            done,
            total,
            _("%(done)s of %(total)s interactions read")
            % {"done": f"{done:,}", "total": f"{total:,}"},
        )

    n = recompute_all_strengths(job.tenant_id, now=now, progress=report)
    return {"relationships": n}
