"""The network's kinds of job and its nightly task (registered when the apps load)."""

from huey import crontab

from geflecht.jobs import queue
from geflecht.network import jobs
from geflecht.network import snapshot  # noqa: F401 - defines the "graph-snapshot" kind


@queue.periodic("geflecht.recompute_strengths", crontab(minute="15", hour="2"))
def recompute_strengths_nightly() -> None:
    # Decay ages every strength a little each day even when nothing is recorded.
    jobs.recompute_every_tenant()
