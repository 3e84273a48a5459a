"""The network's kinds of job and its periodic tasks (registered when the apps load): the
nightly strength recomputation, graph snapshot files, and upcoming meetings whose time
has passed becoming interactions."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy
from huey import crontab

from geflecht.jobs import queue
from geflecht.jobs.models import Job
from geflecht.jobs.runner import Progress, handler, start_job
from geflecht.network import (
    jobs,
    snapshot,  # noqa: F401 - defines the "graph-snapshot" kind
)
from geflecht.network.actions import promote_due_meetings
from geflecht.network.models import UpcomingMeeting

KIND = "promote_upcoming_meetings"


@queue.periodic("geflecht.recompute_strengths", crontab(minute="15", hour="2"))
def recompute_strengths_nightly() -> None:
    # Decay ages every strength a little each day even when nothing is recorded.
    jobs.recompute_every_tenant()


@handler(KIND, title=gettext_lazy("Past meetings into the network"))
def run_promotion(job: Job, progress: Progress) -> dict:
    assert job.tenant_id is not None  # started per tenant below
    return {"promoted": promote_due_meetings(tenant_id=job.tenant_id)}


def start_promotions() -> list[Job]:
    """One job per tenant that has meetings behind it (unique: never two at once)."""
    tenants = (
        UpcomingMeeting.objects.filter(starts_at__lte=timezone.now())
        .values_list("tenant_id", flat=True)
        .distinct()
        .order_by()
    )
    return [start_job(KIND, tenant_id=t, unique=True) for t in tenants]


@queue.periodic("geflecht.promote_upcoming_meetings", crontab(minute="*/5"))
def promote_every_five_minutes() -> None:
    start_promotions()
