"""geflecht worker: run the background jobs and the periodic schedule."""

from __future__ import annotations

import logging
import threading

from django.core.management.base import BaseCommand
from huey.consumer import Consumer

from geflecht.jobs.queue import huey
from geflecht.jobs.runner import reap_lost_jobs, start_heartbeat


class Command(BaseCommand):
    help = (
        "Run the task queue: background jobs (imports, syncs, recomputations) and the "
        "periodic schedule. Ctrl+C stops it after the jobs it runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--threads", type=int, default=2, help="jobs run at once (default 2)")
        parser.add_argument(
            "--no-periodic",
            dest="periodic",
            action="store_false",
            help="leave the schedule to another worker (run one scheduling worker per queue)",
        )

    def handle(self, *args, threads, periodic, **options):
        logging.getLogger("huey").setLevel(logging.INFO)
        logging.getLogger("geflecht").setLevel(logging.INFO)
        # A worker that starts after a crash picks up its predecessor's jobs at once.
        for job in reap_lost_jobs():
            self.stdout.write(f"job {job.pk} ({job.kind}) was lost by {job.worker}: {job.status}")
        start_heartbeat(threading.Event())
        self.stdout.write(
            f"Geflecht worker: {threads} thread(s), schedule {'on' if periodic else 'off'} "
            "(Ctrl+C stops it)",
        )
        self.stdout.flush()
        Consumer(
            huey(),
            workers=threads,
            periodic=periodic,
            worker_type="thread",
            # An idle worker looks at the queue at least once a second.
            initial_delay=0.1,
            backoff=1.15,
            max_delay=1.0,
        ).run()
