"""The skills app's kinds of job and its periodic check (registered when the apps load)."""

from geflecht.jobs import queue
from geflecht.skills import jobs


@queue.periodic("geflecht.check_expert_indexes", queue.every(1))
def check_expert_indexes() -> None:
    # An edited level or a deleted skill leaves no new id for the requests to notice.
    jobs.check_stored_indexes()
