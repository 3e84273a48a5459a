"""geflecht retention [--dry-run]: delete interactions older than the retention period."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from geflecht.privacy.retention import apply_retention, retention_days


class Command(BaseCommand):
    help = (
        "Delete interactions older than GEFLECHT_RETENTION_DAYS (0: keep for ever), "
        "recompute the strengths they supported. The worker runs it daily (job 'retention'); "
        "this runs it now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count")
        parser.add_argument("--days", type=int, help="override the configured period for this run")

    def handle(self, *args, dry_run, days, **options):
        period = days if days is not None else retention_days()
        report = apply_retention(days=period, dry_run=dry_run)
        if not report.days:
            self.stdout.write("No retention period is set (GEFLECHT_RETENTION_DAYS=0).")
            return
        verb = "would delete" if report.dry_run else "deleted"
        self.stdout.write(
            f"Retention {report.days} days (before {report.cutoff:%Y-%m-%d}): {verb} "
            f"{report.interactions} interactions in {report.tenants} tenants"
            + ("" if report.dry_run else f"; {report.strengths_recomputed} strengths recomputed")
            + "."
        )
