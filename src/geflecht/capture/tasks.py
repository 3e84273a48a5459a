"""The capture app's jobs: one account's sync, and the schedule that starts them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from huey import crontab

from geflecht.jobs import queue
from geflecht.jobs.models import Job
from geflecht.jobs.runner import Progress, handler

from .actions import SYNC_KIND, start_due_syncs


@handler(SYNC_KIND, title=gettext_lazy("Account sync"), max_attempts=2)
def run_account_sync(job: Job, progress: Progress) -> dict:
    from .sync import run_sync

    return run_sync(int(job.args["account"]), progress)


@queue.periodic("capture.sync_due_accounts", crontab(minute="*"))
def sync_due_accounts() -> None:
    """Every minute: start the syncs that are due (one per account at a time)."""
    start_due_syncs()
