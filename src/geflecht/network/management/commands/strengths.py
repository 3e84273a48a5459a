"""geflecht strengths: recompute every relationship strength from the interactions."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geflecht.accounts.models import Tenant
from geflecht.network.actions import recompute_all_strengths


class Command(BaseCommand):
    help = "Recompute all relationship strengths of a tenant (after changing the parameters)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="tenant slug (default: every tenant)")

    def handle(self, *args, tenant, **options):
        tenants = Tenant.objects.all() if tenant is None else Tenant.objects.filter(slug=tenant)
        if not tenants:
            raise CommandError(f"No tenant {tenant!r}." if tenant else "There is no tenant yet.")
        for t in tenants:
            started = time.monotonic()
            with tqdm(desc=t.slug, unit=" interactions", disable=options["verbosity"] == 0) as bar:

                def progress(done: int, total: int, bar=bar) -> None:
                    bar.total = total
                    bar.update(done - bar.n)

                n = recompute_all_strengths(t.id, progress=progress)
            self.stdout.write(f"{t.slug}: {n:,} strengths in {time.monotonic() - started:.1f} s")
