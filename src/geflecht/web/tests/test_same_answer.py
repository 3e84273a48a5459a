"""The web, the API and the CLI give the same answer to the same question.

Each question has one service in its domain app; these tests ask it through every door
that offers it and compare the people named and their order. Doors that lack a question
are named in the test's docstring.
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from geflecht.api.tests.conftest import Api
from geflecht.people.models import Organization, Person

pytestmark = pytest.mark.django_db


def _cli(*args) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def test_communities_are_the_same_on_the_network_page_in_the_api_and_the_cli(client, anna):
    client.force_login(anna)
    page = client.get(reverse("network"), {"mode": "community"}).context["communities"]
    web = [(size, names) for _label, size, names in page]
    assert web, "the demo network has communities"

    api = Api(anna).get("/api/v1/communities")
    assert api.status_code == 200, api.content
    from_api = [(c["size"], ", ".join(p["full_name"] for p in c["people"])) for c in api.json()]

    lines = _cli("network", "communities", "--user", anna.username, "-k", "100")
    from_cli = [
        (int(m[1]), m[2]) for line in lines if (m := re.match(r"\s+(\d+) people: (.*)$", line))
    ]
    assert web == from_api == from_cli


def test_my_network_to_two_degrees_is_the_same_in_the_network_view_the_api_and_the_cli(
    client, anna
):
    client.force_login(anna)
    data = client.get(reverse("network_data"), {"mode": "ego"}).json()
    assert not data["truncated"]
    web = [int(n["id"]) for n in data["nodes"] if not n["me"]]
    assert web, "Anna has a network"

    api = Api(anna).get("/api/v1/neighbourhood?radius=2&limit=500")
    assert api.status_code == 200, api.content
    from_api = [row["person"]["id"] for row in api.json()["people"]]

    lines = _cli("network", "neighbourhood", "--user", anna.username, "--radius", "2", "-k", "500")
    names = [m[1] for line in lines if (m := re.match(r"\s+\d\. (.*) \(\d\.\d+\)$", line))]
    people = Person.objects.in_bulk(web)
    assert web == from_api
    assert [people[p].full_name for p in web] == names


def test_duplicate_pairs_are_the_same_on_the_review_page_and_in_the_cli(client, anna, demo):
    """The API has no duplicates endpoint; the page and ``geflecht duplicates`` compare."""
    Person.objects.create(tenant=demo.tenant, first_name="Gundula", last_name="Pfefferkorn")
    Person.objects.create(tenant=demo.tenant, first_name="Gundula", last_name="Pfeferkorn")
    client.force_login(anna)
    pairs = client.get(reverse("duplicates")).context["pairs"]
    web = [(p.keep.pk, p.other.pk) for p in pairs]
    assert web

    lines = _cli("duplicates", "--user", anna.username)
    from_cli = [
        (int(m[1]), int(m[2]))
        for line in lines
        if (m := re.match(r"\s*[\d.]+ \S+\s+(\d+) .* <- (\d+) ", line))
    ]
    assert web == from_cli


def test_team_paths_on_the_person_page_come_from_the_network_service(client, anna, demo):
    """Only the web asks "how does my team reach this person" (the API's and the CLI's
    team reach ask it of an organisation): the page shows the service's answer."""
    from geflecht.network.team_paths import team_paths

    client.force_login(anna)
    target = (
        Person.objects.filter(tenant=demo.tenant, visibility="company")
        .exclude(pk=anna.person_id)
        .exclude(positions__organization__kind="own")
        .order_by("pk")
        .first()
    )
    expected = team_paths(anna, target)
    assert expected
    response = client.get(reverse("person_reach", args=[target.pk]))
    assert [p.text() for p in response.context["reach"].team] == [p.text() for p in expected]


def _busy_shared_contact(anna) -> Person:
    busiest = (
        Person.objects.filter(tenant_id=anna.tenant_id, visibility="company")
        .exclude(pk=anna.person_id)
        .annotate(n=Count("participations"))
        .order_by("-n", "pk")
        .first()
    )
    assert busiest is not None
    return busiest


def test_a_persons_relationships_are_the_same_on_the_person_page_and_in_the_api(client, jana, anna):
    """The CLI has no relationship list of a person (``geflecht strength A B`` asks one)."""
    person = _busy_shared_contact(anna)
    client.force_login(jana)
    context = client.get(reverse("person", args=[person.pk])).context
    web = [row.relationship.pk for row in context["rels"]]
    assert web
    api = Api(jana).get(f"/api/v1/relationships?person_id={person.pk}&limit={len(web)}")
    assert api.status_code == 200, api.content
    assert web == [r["id"] for r in api.json()["items"]]


def test_a_persons_timeline_is_the_same_on_the_person_page_and_in_the_api(client, jana, anna):
    """The CLI has no timeline of a person."""
    person = _busy_shared_contact(anna)
    client.force_login(jana)
    context = client.get(reverse("person", args=[person.pk])).context
    web = [entry.interaction.pk for entry in context["entries"]]
    assert web
    api = Api(jana).get(f"/api/v1/interactions?person_id={person.pk}&limit={len(web)}")
    assert api.status_code == 200, api.content
    assert web == [i["id"] for i in api.json()["items"]]


def test_my_cooling_ties_are_the_same_on_the_dashboard_in_the_api_and_the_cli(client, anna):
    client.force_login(anna)
    items = client.get(reverse("dashboard_reconnect")).context["items"]
    web = [item.person.pk for item in items]
    assert web, "the demo gives Anna contacts that cooled down"

    api = Api(anna).get(f"/api/v1/reconnect?limit={len(web)}")
    assert api.status_code == 200, api.content
    assert web == [row["person"]["id"] for row in api.json()]

    lines = _cli("reconnect", "--user", anna.username, "--limit", str(len(web)))
    names = [line.split(" [", 1)[0] for line in lines]
    people = Person.objects.in_bulk(web)
    assert [people[p].full_name for p in web] == names


def test_a_customers_key_person_risk_is_the_same_on_its_page_and_in_the_cli(client, anna, demo):
    """The API's key-person risks are per project or per colleague, not per organisation."""
    lines = _cli("network", "risk", "--user", anna.username, "-k", "1000")
    by_org = {line.split(": we reach", 1)[0]: line for line in lines}
    client.force_login(anna)
    customers = Organization.objects.filter(
        tenant=demo.tenant, kind="customer", positions__isnull=False
    ).distinct()
    compared = 0
    for org in customers.order_by("pk")[:5]:
        risk = client.get(reverse("organisation_risk", args=[org.pk])).context["risk"]
        if risk is not None:
            assert risk.text() == by_org[org.name]
            compared += 1
    assert compared


def _unique_name(user, person: Person) -> bool:
    from geflecht.people.queries import find_people

    return len(find_people(user, f"{person.first_name} {person.last_name}")) == 1


def test_paths_avoiding_a_person_are_the_same_on_the_path_page_in_the_api_and_the_cli(client, anna):
    """Anna avoids the first middle person of her best route to a contact two or more
    hops away; the path finder page, the API and ``geflecht path`` then offer the same
    paths in the same order (the page asks for five, so the others do too)."""
    from geflecht.network.reach import PathOptions, introduction_paths

    options = PathOptions(k=1, max_hops=4)
    for target in (
        Person.objects.filter(tenant_id=anna.tenant_id, visibility="company")
        .exclude(pk=anna.person_id)
        .order_by("id")[:200]
    ):
        best = introduction_paths(anna, target, options)
        middle = best[0].steps[1].person if best and best[0].hops >= 2 else None
        if middle is not None and _unique_name(anna, target) and _unique_name(anna, middle):
            break
    else:
        pytest.fail("the demo has no contact two hops from Anna with a named middle person")

    client.force_login(anna)
    query = {"target": target.pk, "hops": 4, "min_strength": 0.0, "avoid": str(middle.pk)}
    web = [p.text() for p in client.get(reverse("paths"), query).context["paths"]]
    assert web, "another route exists"
    assert all(middle.full_name not in text for text in web)

    api = Api(anna).get(f"/api/v1/paths?target={target.pk}&k=5&max_hops=4&avoid={middle.pk}")
    assert api.status_code == 200, api.content
    from_api = [p["text"] for p in api.json()]

    lines = _cli(
        "path", anna.person.full_name, target.full_name, "--user", anna.username,
        "-k", "5", "--max-hops", "4", "--avoid", middle.full_name,
    )  # fmt: skip
    from_cli = [m[1] for line in lines if (m := re.match(r"\d+\. strength .*?hops: (.*)$", line))]
    assert web == from_api == from_cli
