"""Refreshing a remembered answer (lib/remember) as a job on the task queue.

When a request finds a remembered answer older than the data, it serves that answer and
asks for a refresh here: one ``remember.refresh`` job per key waits or runs at a time,
however many requests and processes ask. The job runs the registered computation with
the arguments it carries (a tenant id, or a user id for an answer only that user may
see) and stores the answer in the shared cache. A failed computation fails the job with
its message and leaves the last answer in place; the next request asks again. A worker
killed on the way leaves the job to the reaper (queued again, then failed), so a key is
never stuck as "being refreshed": a new job starts as soon as no other waits or runs.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from geflecht.accounts.models import User
from geflecht.jobs.models import Job
from geflecht.jobs.runner import Progress, handler, start_job
from geflecht.lib import remember

__all__ = ["KIND", "start_refresh"]

KIND = "remember.refresh"


def start_refresh(refresh: remember.Refresh) -> Job | None:
    """Queue the refresh of ``refresh.key``, unless one for that key waits or runs.

    Returns the new job, or None when another refresh of the key is under way (it may be
    for an older version: its answer is stored, found older, and refreshed once more).
    """
    of_key = Job.objects.filter(kind=KIND, args__key=refresh.key)
    if of_key.filter(status__in=(Job.Status.QUEUED, Job.Status.RUNNING)).exists():
        return None
    # An answer that moves every few minutes would leave a row per refresh for ever: the
    # key keeps only its latest ended job (how the last refresh went) besides the new one.
    ended = of_key.filter(status__in=(Job.Status.DONE, Job.Status.FAILED))
    latest = ended.order_by("-created_at", "-id").values_list("pk", flat=True).first()
    if latest is not None:
        ended.exclude(pk=latest).delete()
    scope = _scope(refresh.params)
    if scope is None:  # the user is gone: nobody to compute it for
        return None
    tenant_id, owner_id = scope
    return start_job(
        KIND,
        tenant_id=tenant_id,
        owner_id=owner_id,
        label=refresh.key,
        args={
            "name": refresh.name,
            "params": refresh.params,
            "key": refresh.key,
            "version": refresh.version,
            "ttl": refresh.ttl,
        },
        unique=True,
    )


def _scope(params: dict) -> tuple[int | None, int | None] | None:
    """The job's tenant and owner: the user's for a per-user answer, else the tenant's
    (None: the user no longer exists)."""
    user_id = params.get("user_id")
    if user_id is not None:
        found = User.objects.filter(pk=user_id).values_list("tenant_id", flat=True)
        if not found:
            return None
        return found[0], int(user_id)
    tenant_id = params.get("tenant_id")
    return (int(tenant_id) if tenant_id is not None else None), None


@handler(KIND, title=gettext_lazy("Refresh of a remembered answer"))
def run_refresh(job: Job, progress: Progress) -> dict:
    args = job.args
    remember.refresh_now(
        remember.Refresh(
            name=args["name"],
            params=args["params"],
            key=args["key"],
            version=args["version"],
            ttl=int(args.get("ttl") or remember.DEFAULT_TTL),
        )
    )
    return {"key": args["key"]}
