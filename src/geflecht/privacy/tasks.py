"""The privacy app's kinds of job and its daily task (registered when the apps load)."""

from huey import crontab

from geflecht.jobs import queue
from geflecht.privacy import jobs


@queue.periodic("geflecht.retention", crontab(minute="15", hour="3"))
def retention_daily() -> None:
    # Interactions past the retention period must go even when nobody thinks of it.
    jobs.start_retention()
