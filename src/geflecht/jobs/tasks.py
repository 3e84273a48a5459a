"""The queue's own periodic work: finding the jobs of workers that died."""

from __future__ import annotations

from huey import crontab

from geflecht.jobs import queue
from geflecht.jobs.runner import reap_lost_jobs


@queue.periodic("geflecht.reap_lost_jobs", crontab(minute="*"))
def reap_every_minute() -> None:
    reap_lost_jobs()
