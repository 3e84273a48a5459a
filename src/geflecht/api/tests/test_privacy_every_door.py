"""A colleague tries to read Anna's private contact through every door; nothing may leak.

The routes are not listed by hand: every URL pattern of the project (web pages, API,
admin) is walked, so a new page or endpoint is tested the day it is added. Each route
with an id in its path is called with the ids of Anna's private person, relationship and
interaction, and must answer exactly as it answers for an id that does not exist.
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from geflecht.network.models import Interaction, Relationship
from geflecht.people.models import Organization, Position, PrivateNote, Site

SECRETS = (
    "Geheimnisvoll",
    "Gerlinde",
    "gerlinde@privat.example",
    "Privates Abendessen",
    "Zahlt schlecht",  # Anna's private note on the shared Dr. Weber
    "Verborgene Werkstatt",  # the firm Anna's private contact works at
    "Geheimweiler",  # its site's town
)
MISSING_ID = 987_654_321
# Parameters a page or endpoint might read a search or target from. The probes are typos
# and prefixes of the secret name (pages may echo what was asked, never what was found).
QUERY = "q=Geheimnisvol&text=Geheimnisvol&term=Geheimni&name=Gerlind&target={pid}&person_id={pid}"
SKIP = re.compile(r"^(static/|i18n/|admin/(?!people|network|accounts))|jsi18n|logout")


def _routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route.lstrip("^").rstrip("$")


def _fill(route: str, ids: dict[str, int]) -> str:
    return re.sub(r"<(?:int:)?(\w+)>", lambda m: str(ids[m.group(1)]), route)


def _kind(route: str, param: str) -> str | None:
    """Which private object a path parameter names: by its name (person_id, rel_id, ...),
    or for the admin's object_id by the model in the route."""
    name = route if param == "object_id" else param
    for word, kind in (
        ("person", "person"),
        ("rel", "relationship"),
        ("interaction", "interaction"),
        ("position", "position"),
        ("org", "organization"),
        ("site", "site"),
    ):
        if word in name:
            return kind
    return None


@pytest.fixture
def private_world(world, owner):
    secret = world["secret"]
    secret.emails.create(email="gerlinde@privat.example")
    PrivateNote.objects.create(
        tenant_id=owner.tenant_id, person=world["weber"], owner=owner, text="Zahlt schlecht"
    )
    rel = Relationship.objects.filter(visibility="private", owner=owner).first()
    interaction = Interaction.objects.get(subject="Privates Abendessen")
    # Her private import brought the firm her private contact works at: it stays hers.
    firm = Organization.objects.create(
        tenant_id=owner.tenant_id,
        name="Verborgene Werkstatt GmbH",
        kind="customer",
        visibility="private",
        owner=owner,
    )
    site = Site.objects.create(
        tenant_id=owner.tenant_id, organization=firm, name="Werk Geheimweiler", city="Geheimweiler"
    )
    job = Position.objects.create(
        tenant_id=owner.tenant_id, person=secret, organization=firm, site=site, title="Chefin"
    )
    return {
        "person": secret.pk,
        "relationship": rel.pk,
        "interaction": interaction.pk,
        "organization": firm.pk,
        "site": site.pk,
        "position": job.pk,
    }


def _assert_clean(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    body = response.content.decode(errors="replace")
    for secret in SECRETS:
        assert secret not in body, f"{where} shows {secret!r}"


def test_no_route_shows_a_colleagues_private_contact(private_world, colleague):
    colleague.is_staff = True  # even with the admin site open to her
    colleague.save()
    client = Client()
    client.force_login(colleague)
    tried = 0
    for route in _routes():
        route = route.replace("<path:object_id>", "<object_id>")
        if SKIP.search(route) or re.search(r"<(?!int:)\w+:", route):
            continue
        params = re.findall(r"<(?:int:)?(\w+)>", route)
        query = QUERY.format(pid=private_world["person"])
        if not params:
            _assert_clean(client.get(f"/{route}?{query}"), route)
            tried += 1
            continue
        kinds = [_kind(route, p) for p in params]
        if None in kinds:
            continue  # tokens, notes: nothing private of Anna's to look for by id
        url = _fill(route, {p: private_world[k] for p, k in zip(params, kinds, strict=True)})
        missing = _fill(route, dict.fromkeys(params, MISSING_ID))
        seen, absent = client.get(f"/{url}?{query}"), client.get(f"/{missing}?{query}")
        _assert_clean(seen, url)
        # A hidden object must look exactly like a missing one (no 403, no other text).
        assert seen.status_code == absent.status_code, (url, seen.status_code)
        tried += 1
    assert tried > 20  # the walk really covered the project's routes


def test_no_write_route_reveals_a_private_contact(private_world, colleague):
    client = Client()
    client.force_login(colleague)
    pid = private_world["person"]
    attempts = [
        ("/api/v1/relationships", {"person_a_id": colleague.person_id, "person_b_id": pid}),
        (
            "/api/v1/interactions",
            {
                "kind": "phone",
                "occurred_at": "2026-01-05T10:00:00+00:00",
                "participants": [{"person_id": colleague.person_id}, {"person_id": pid}],
            },
        ),
        ("/api/v1/positions", {"person_id": pid, "organization_id": 1}),
    ]
    for url, payload in attempts:
        response = client.post(url, payload, content_type="application/json")
        assert response.status_code == 404, (url, response.status_code)
        _assert_clean(response, url)
    patch = client.patch(
        f"/api/v1/persons/{pid}", {"version": 1, "notes": "x"}, content_type="application/json"
    )
    assert patch.status_code == 404


@pytest.mark.parametrize(
    "command",
    [
        ["export", "--format", "json"],
        ["export", "--format", "csv"],
        ["export", "--format", "vcard"],
        ["duplicates"],
        ["reconnect"],
        ["network", "recommend"],
        ["network", "brokers"],
        ["network", "neighbourhood"],
        ["reach", "Verborgene"],
    ],
)
def test_no_cli_command_shows_a_colleagues_private_contact(private_world, colleague, command):
    out = StringIO()
    try:
        call_command(*command, "--user", colleague.username, stdout=out, stderr=StringIO())
    except CommandError as refused:  # "matches 0 organisations": the message must not tell
        out.write(str(refused))
    for secret in SECRETS:
        assert secret not in out.getvalue(), f"geflecht {' '.join(command)} shows {secret!r}"
