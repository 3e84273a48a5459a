"""Background jobs: what runs, how far it got, and why one failed."""

from datetime import datetime
from typing import Any

from ninja import Router, Schema
from ninja.pagination import paginate

from geflecht.api.pagination import Page
from geflecht.api.types import Id
from geflecht.jobs import queries
from geflecht.jobs.models import Job
from geflecht.jobs.runner import title_of

router = Router()


class JobOut(Schema):
    id: int
    kind: str
    title: str
    label: str
    status: str
    done: int
    total: int | None
    percent: int | None
    message: str
    error: str
    result: Any
    attempts: int
    max_attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def job_out(job: Job) -> dict:
    return {
        "id": job.pk,
        "kind": job.kind,
        "title": title_of(job.kind),
        "label": job.label,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "error": job.error,
        "result": job.result,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


class _JobPage(Page):
    def paginate_queryset(self, queryset, pagination, request=None, **params):
        page = super().paginate_queryset(queryset, pagination, request=request, **params)
        page["items"] = [job_out(j) for j in page["items"]]
        return page


@router.get("/jobs", response=list[JobOut], summary="My background jobs (an admin: the company's)")
@paginate(_JobPage)
def list_jobs(request):
    return queries.visible_jobs(request.auth)


@router.get("/jobs/{job_id}", response=JobOut, summary="One background job, its progress or error")
def get_job(request, job_id: Id):
    return job_out(queries.job_of(request.auth, job_id))
