"""Server time of the projects services on the demo network (issue 8).

Run against a database holding the demo (``geflecht demo``), for example:

    GEFLECHT_DATA_DIR=/tmp/demo .venv/bin/python bench/bench_projects.py --runs 20

Prints median and p99 in milliseconds of coverage, team builder, project and company
key-person risk, document flow, the radar over the sample list, and the whole project page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--user", default="anna")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geflecht.settings")
    os.environ.setdefault("GEFLECHT_ALLOWED_HOSTS", "testserver")
    django.setup()
    from django.test import Client

    from geflecht.accounts.models import User
    from geflecht.demo.projects import sample_targets
    from geflecht.projects import coverage, queries, radar

    user = User.objects.get(username=args.user)
    project = queries.visible_projects(user).order_by("id").first()
    sample = sample_targets(user.tenant_id)
    client = Client()
    client.force_login(user)
    cases = {
        "coverage": lambda: coverage.coverage(user, project),
        "team builder": lambda: coverage.team_builder(user, project),
        "project key-person risk": lambda: coverage.project_key_person_risk(user, project),
        "company key-person risk": lambda: coverage.company_key_person_risk(user),
        "document flow": lambda: queries.document_flow(user, project),
        "radar (sample list)": lambda: radar.radar_file(user, sample),
        "project page (web)": lambda: client.get(f"/projects/{project.pk}/"),
    }
    print(f"{'what':<26} {'median ms':>10} {'p99 ms':>8}")
    for name, call in cases.items():
        call()  # warm the graph snapshot
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
        print(f"{name:<26} {statistics.median(times):>10.1f} {p99:>8.1f}")


if __name__ == "__main__":
    main()
