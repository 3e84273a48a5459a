"""Snapshot build time and path latency through the Django services, on a real database.

Run against a database filled by ``geflecht demo`` (see bench_demo.sh):

    GEFLECHT_DATA_DIR=/path/with/sqlite .venv/bin/python bench/bench_snapshot.py
    GEFLECHT_DATABASE_URL=postgres://... .venv/bin/python bench/bench_snapshot.py

Prints the snapshot load time and the memory it holds, the latency of the best path
(engine only) and of the full service answer (3 paths, privacy, evidence in words) for
200 random pairs, and how long a new interaction takes to show in the next path query.
"""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import sys
import time
from datetime import timedelta

import django
import numpy as np


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geflecht.settings")
    django.setup()
    from django.db import connection
    from django.utils import timezone

    from geflecht import graph as engine
    from geflecht.accounts.models import User
    from geflecht.network import snapshot
    from geflecht.network.actions import record_interaction
    from geflecht.network.reach import introduction_paths
    from geflecht.people.models import Person

    user = User.objects.filter(username="anna").select_related("person").first()
    if user is None:
        sys.exit("No demo data: run geflecht demo first.")
    engine.warm_up()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    snap = snapshot.build_graph(user.tenant_id)
    build = time.perf_counter() - t0
    snapshot._cache.graphs[user.tenant_id] = snap
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"database: {connection.vendor}; people {snap.n:,}, relationships {snap.graph.m:,}")
    print(f"snapshot build: {build:.1f} s, peak RSS grew by {(rss1 - rss0) / 1024:.0f} MB")

    rng = np.random.default_rng(1)
    targets = rng.choice(snap.n, size=200, replace=False)
    source = snap.node(user.person_id)
    engine_ms, service_ms = [], []
    people = Person.objects.in_bulk([snap.person(int(t)) for t in targets])
    for t in targets.tolist():
        t1 = time.perf_counter()
        with contextlib.suppress(engine.NoPath):
            engine.best_path(snap.graph, source, t)
        engine_ms.append((time.perf_counter() - t1) * 1000)
        t1 = time.perf_counter()
        introduction_paths(user, people[snap.person(t)])
        service_ms.append((time.perf_counter() - t1) * 1000)
    for name, xs in (
        ("best path (engine, 4 hops)", engine_ms),
        ("3 paths via the service, rendered", service_ms),
    ):
        print(f"{name}: median {statistics.median(xs):.2f} ms, p99 {np.percentile(xs, 99):.2f} ms")

    a, b = people[snap.person(int(targets[0]))], people[snap.person(int(targets[1]))]
    record_interaction(
        tenant=user.tenant,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(minutes=5),
        participants=[(a.pk, "organiser"), (b.pk, "attendee")],
    )
    t1 = time.perf_counter()
    updated = snapshot.current_graph(user.tenant_id)
    lag = time.perf_counter() - t1
    assert updated.graph.has_edge(snap.node(a.pk), snap.node(b.pk))
    print(f"new interaction visible to the next query after {lag * 1000:.0f} ms (patched snapshot)")


if __name__ == "__main__":
    main()
