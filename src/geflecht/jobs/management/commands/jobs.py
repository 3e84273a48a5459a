"""geflecht jobs [show ID]: background jobs, their progress, and why one failed."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from geflecht.jobs import queries
from geflecht.jobs.models import Job
from geflecht.jobs.runner import title_of
from geflecht.people.cli import get_user


def describe(job: Job) -> str:
    """One line per job, as the jobs page shows it."""
    what = f'{title_of(job.kind)} "{job.label}"' if job.label else title_of(job.kind)
    state = job.get_status_display()
    if job.status == Job.Status.RUNNING and job.percent is not None:
        state += f" {job.percent}%"
    when = timezone.localtime(job.created_at).strftime("%Y-%m-%d %H:%M")
    line = f"#{job.pk} {when} {what}: {state}"
    if job.attempts > 1:
        line += f" (attempt {job.attempts} of {job.max_attempts})"
    note = job.error or job.message
    return f"{line}\n    {note}" if note else line


class Command(BaseCommand):
    help = "List my background jobs (an admin: the company's), or show one."

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["list", "show"], default="list")
        parser.add_argument("job", nargs="?", type=int)
        parser.add_argument("--user")
        parser.add_argument("--limit", type=int, default=20)

    def handle(self, *args, action, job, user, limit, **options):
        account = get_user(user)
        if action == "show" or job is not None:
            self.stdout.write(describe(queries.job_of(account, job or 0)))
            return
        jobs = list(queries.visible_jobs(account)[:limit])
        if not jobs:
            self.stdout.write("No background jobs yet.")
        for j in jobs:
            self.stdout.write(describe(j))
