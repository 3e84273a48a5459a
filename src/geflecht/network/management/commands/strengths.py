"""geflecht strengths: recompute every relationship strength from the interactions.

Each tenant's recomputation is a job ("strengths") that the jobs page shows too. The
command runs it here and waits (a worker that took it first runs it instead, and the
command follows its progress); ``--background`` only queues it for the workers.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geflecht.accounts.models import Tenant
from geflecht.jobs.models import Job
from geflecht.jobs.runner import execute_job
from geflecht.network.jobs import start_strength_recomputation

#: How often (seconds) the command looks at a job a worker runs.
POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Recompute all relationship strengths of a tenant (after changing the parameters)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="tenant slug (default: every tenant)")
        parser.add_argument(
            "--background",
            action="store_true",
            help="only queue the jobs for the workers and say their numbers",
        )

    def handle(self, *args, tenant, background, **options):
        tenants = Tenant.objects.all() if tenant is None else Tenant.objects.filter(slug=tenant)
        if not tenants:
            raise CommandError(f"No tenant {tenant!r}." if tenant else "There is no tenant yet.")
        for t in tenants:
            started = time.monotonic()
            job = start_strength_recomputation(t.id)
            if background:
                self.stdout.write(f"{t.slug}: queued as job #{job.pk} (see geflecht jobs)")
                continue
            job = self._wait(job, t.slug, quiet=options["verbosity"] == 0)
            if job.status == Job.Status.FAILED:
                raise CommandError(f"{t.slug}: {job.error}")
            n = (job.result or {}).get("relationships", 0)
            self.stdout.write(f"{t.slug}: {n:,} strengths in {time.monotonic() - started:.1f} s")

    def _wait(self, job: Job, slug: str, *, quiet: bool) -> Job:
        """Run the job here if it still waits, else follow it until it ends."""
        with tqdm(desc=slug, unit=" interactions", disable=quiet) as bar:
            while True:
                job.refresh_from_db()
                if job.ended:
                    return job
                if job.status == Job.Status.QUEUED:
                    execute_job(job.pk)  # a no-op when a worker claims it first
                    continue
                bar.total = job.total
                bar.update(job.done - bar.n)
                time.sleep(POLL_SECONDS)
