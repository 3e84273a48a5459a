"""The capture app's jobs: one account's sync, and the schedule that starts them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from huey import crontab

from geflecht.jobs import queue
from geflecht.jobs.models import Job
from geflecht.jobs.runner import Progress, handler, start_job

from .actions import SYNC_KIND, due_accounts
from .models import ConnectedAccount


@handler(SYNC_KIND, title=gettext_lazy("Account sync"), max_attempts=2)
def run_account_sync(job: Job, progress: Progress) -> dict:
    from .sync import run_sync

    return run_sync(int(job.args["account"]), progress)


@queue.periodic("capture.sync_due_accounts", crontab(minute="*"))
def sync_due_accounts() -> None:
    """Every minute: start the syncs that are due (one per account at a time)."""
    for account_id in due_accounts():
        account = ConnectedAccount.objects.filter(pk=account_id).first()
        if account is None:
            continue
        start_job(
            SYNC_KIND,
            tenant_id=account.tenant_id,
            owner_id=account.owner_id,
            label=str(account),
            args={"account": account.pk},
            unique=True,
        )
