"""Fair questions on a large network: who we know there, brokers for targets, the
meeting plan, and the upcoming-event lookup behind reconnect advice.

Run against a database filled by ``geflecht demo`` (any size); prints the median and
the worst of ``--runs`` calls per question, after one warm-up call (snapshot build).

    GEFLECHT_DATA_DIR=/tmp/big .venv/bin/python bench/bench_events.py --runs 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geflecht.settings")

import django

django.setup()

from django.utils import timezone  # noqa: E402

from geflecht.accounts.models import User  # noqa: E402
from geflecht.events import queries  # noqa: E402
from geflecht.events.models import Event  # noqa: E402
from geflecht.events.queries import reconnect_list  # noqa: E402


def measure(name: str, fn, runs: int) -> None:
    fn()  # warm-up: snapshot, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{name:<28} median {statistics.median(times):8.1f} ms   max {max(times):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--user", default="anna")
    args = parser.parse_args()
    user = User.objects.select_related("person", "tenant").get(username=args.user)
    fair = (
        Event.objects.filter(tenant_id=user.tenant_id, start_date__gte=timezone.localdate())
        .order_by("-start_date")
        .first()
    )
    n = queries.attendances(user, fair).count()
    print(f"{fair.name}: {n} attendees, {len(queries.targets(user, fair))} targets")
    measure("who we know", lambda: queries.who_we_know(user, fair), args.runs)
    measure("targets with brokers", lambda: queries.target_brokers(user, fair), args.runs)
    measure("meeting plan (all of it)", lambda: queries.meeting_plan(user, fair), args.runs)
    measure("reconnect list (with events)", lambda: reconnect_list(user), args.runs)


if __name__ == "__main__":
    main()
