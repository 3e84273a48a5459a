"""The jobs page: my background jobs (an admin: the company's), refreshed while any runs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from geflecht.jobs import queries
from geflecht.jobs.models import Job
from geflecht.jobs.runner import title_of
from geflecht.web.http import AuthedRequest


@login_required
@require_GET
def jobs_page(request: AuthedRequest) -> HttpResponse:
    page = Paginator(queries.visible_jobs(request.user), 50).get_page(request.GET.get("page"))
    rows = [(job, title_of(job.kind)) for job in page]
    context = {
        "page": page,
        "rows": rows,
        "busy": any(job.status in (Job.Status.QUEUED, Job.Status.RUNNING) for job in page),
    }
    template = "web/partials/jobs_table.html" if request.htmx else "web/pages/jobs.html"
    return render(request, template, context)
