"""Expert search at scale (issue 9: median under 100 ms at 100k people).

Calls ``geflecht.skills.queries.find_experts`` in-process, as the API, the web page and
the CLI do, logged in as the demo's ``anna``: query reading, the in-memory skill index,
visibility, distance, team reach over the graph snapshot (best paths from anna and her
team to the top candidates) and the rendering of each result's path and evidence. The
per-process caches (graph snapshot, skill index) are warmed first and their build time
reported separately; then every query runs ``--repeat`` times.

    GEFLECHT_DATA_DIR=/tmp/skills-100k geflecht demo --people 100000
    GEFLECHT_DATA_DIR=/tmp/skills-100k .venv/bin/python bench/bench_experts.py --repeat 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geflecht.settings")

import django

django.setup()

from geflecht.accounts.models import User  # noqa: E402
from geflecht.network.snapshot import current_graph  # noqa: E402
from geflecht.people.models import Person  # noqa: E402
from geflecht.skills.models import PersonSkill  # noqa: E402
from geflecht.skills.queries import expert_index, find_experts  # noqa: E402

QUERIES = [
    ("5 Achs fräsen Titan", None, None),
    ("5-Achs-Fräsen", "Stuttgart", 100),
    ("injection moulding", "Stuttgart", 100),
    ("Spritzgus", None, None),
    ("SPS Siemens S7", None, None),
    ("TwinCAT", "München", 150),
    ("Kalibrierung", "Ulm", 80),
    ("laser cutting", "Stuttgart", 100),
    ("Qualitätsmanagment IATF", None, None),
    ("Koordinatenmesstechnik", "Nürnberg", 100),
    ("CNC Drehen", None, None),
    ("welding", "Hamburg", 200),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--user", default="anna")
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()
    user = User.objects.select_related("tenant").get(username=args.user)
    t = time.perf_counter()
    current_graph(user.tenant_id)
    graph_s = time.perf_counter() - t
    t = time.perf_counter()
    expert_index(user.tenant_id)
    index_s = time.perf_counter() - t
    people = Person.objects.filter(tenant_id=user.tenant_id).count()
    rows = PersonSkill.objects.filter(tenant_id=user.tenant_id).count()
    print(f"{people:,} people, {rows:,} person skills")
    print(f"warm-up: graph snapshot {graph_s:.1f} s, skill index {index_s:.1f} s")
    print(f"{'query':<28} {'place':<18} {'matches':>8} {'median':>9} {'p99':>9}")
    all_times = []
    for text, near, radius in QUERIES:
        find_experts(user, text, near=near, radius_km=radius, limit=args.limit)
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            result = find_experts(user, text, near=near, radius_km=radius, limit=args.limit)
            times.append((time.perf_counter() - t) * 1000)
        all_times += times
        times.sort()
        p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
        where = f"{near} {radius} km" if near else "-"
        print(
            f"{text:<28} {where:<18} {result.total:>8,} "
            f"{statistics.median(times):>7.1f}ms {p99:>7.1f}ms"
        )
    all_times.sort()
    p99 = all_times[min(len(all_times) - 1, int(0.99 * len(all_times)))]
    print(
        f"all {len(all_times)} searches: median {statistics.median(all_times):.1f} ms, "
        f"p99 {p99:.1f} ms"
    )


if __name__ == "__main__":
    main()
