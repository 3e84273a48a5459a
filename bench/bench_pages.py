"""Server time of every web page on a demo database (issue 7: each page under 200 ms).

Runs the pages in-process through Django's test client (no network, no browser), logged
in as the demo's ``anna``, so the figure is the server's own time: URL routing, views,
queries, graph answers and template rendering. First the start-up preparation a server
process runs in the background (snapshot, search index, counts, communities) is timed;
then each page is requested once (``first``) and ``--repeat`` more times; the median and
the slowest run are printed. Sections that answer "working on it" while a whole-network
computation runs in the background (a ``remember.refresh`` job, which this process runs
as the worker would) are polled, and the time until the answer is shown is printed as
``ready``. ``--cold`` skips the preparation.

    GEFLECHT_DATA_DIR=/tmp/web100k geflecht demo --people 100000
    GEFLECHT_DATA_DIR=/tmp/web100k .venv/bin/python bench/bench_pages.py --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geflecht.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from geflecht.accounts.models import User  # noqa: E402
from geflecht.jobs import queue  # noqa: E402
from geflecht.network.models import Relationship  # noqa: E402
from geflecht.people.models import Organization, Person  # noqa: E402
from geflecht.web.prepare import prepare  # noqa: E402

# What a section shows while its answer is computed in the background.
PENDING_MARK = b'hx-trigger="load delay:1s"'


def pages(user: User) -> list[tuple[str, str]]:
    customer = (
        Organization.objects.filter(tenant_id=user.tenant_id, kind="customer")
        .annotate(n=Count("positions"))
        .order_by("-n")
        .first()
    )
    contact = Person.objects.get(
        pk=Relationship.objects.filter(person_a_id=user.person_id, visibility="company")
        .order_by("-strength")
        .values_list("person_b_id", flat=True)
        .first()
    )
    stranger = (
        Person.objects.filter(
            tenant_id=user.tenant_id, positions__organization=customer, visibility="company"
        )
        .order_by("-id")
        .first()
    )
    return [
        ("dashboard", "/"),
        ("  overview partial", "/dashboard/overview/"),
        ("  reconnect partial", "/dashboard/reconnect/"),
        ("  new ties partial", "/dashboard/new-ties/"),
        ("search Mueller", "/search/?q=Mueller"),
        ("search Weber Ulm", "/search/?q=Weber+Ulm"),
        ("autocomplete", "/search/suggest/?q=Muel"),
        ("person (a contact)", f"/people/{contact.pk}/"),
        ("  its reach partial", f"/people/{contact.pk}/reach/"),
        ("person (a stranger)", f"/people/{stranger.pk}/"),
        ("  its reach partial", f"/people/{stranger.pk}/reach/"),
        ("person (me)", f"/people/{user.person_id}/"),
        ("timeline page 3", f"/people/{user.person_id}/timeline/?page=3"),
        ("organisation (largest customer)", f"/organisations/{customer.pk}/"),
        ("  its key-person risk partial", f"/organisations/{customer.pk}/risk/"),
        ("path finder", f"/paths/?target={stranger.pk}&hops=4&min_strength=0"),
        ("network page", "/network/"),
        ("network JSON ego", "/network/data.json"),
        ("network JSON organisation", f"/network/data.json?mode=organization&org={customer.pk}"),
        ("network JSON community", "/network/data.json?mode=community"),
        ("import page", "/import/"),
        ("duplicates", "/import/duplicates/"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--user", default="anna")
    parser.add_argument("--cold", action="store_true", help="skip the start-up preparation")
    args = parser.parse_args()
    user = User.objects.get(username=args.user)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    people = Person.objects.filter(tenant_id=user.tenant_id).count()
    print(f"{connection.vendor}, {people:,} people, user {user.username}, {args.repeat} runs")
    if not args.cold:
        start = time.perf_counter()
        prepare([user.tenant_id])
        print(f"start-up preparation (background in a server): {time.perf_counter() - start:.1f} s")
    print(f"{'page':34} {'first':>8} {'median':>8} {'max':>8} {'queries':>8}  ready")
    for name, url in pages(user):
        start = time.perf_counter()
        response = client.get(url)
        first = time.perf_counter() - start
        assert response.status_code == 200, (url, response.status_code)
        ready = ""
        if PENDING_MARK in response.content:
            # The answer is computed by a job: this process is its worker, as a server's is.
            while PENDING_MARK in client.get(url).content:
                if not queue.drain():
                    time.sleep(0.05)
            ready = f"{time.perf_counter() - start:.1f} s"
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                client.get(url)
                times.append(time.perf_counter() - start)
        print(
            f"{name:34} {first * 1000:7.0f}ms {statistics.median(times) * 1000:7.0f}ms "
            f"{max(times) * 1000:7.0f}ms {len(queries):8d}  {ready}"
        )


if __name__ == "__main__":
    main()
