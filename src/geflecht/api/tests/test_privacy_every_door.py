"""A colleague tries to read Anna's private contact through every door; nothing may leak.

The routes are not listed by hand: every URL pattern of the project (web pages, API,
admin) is walked, so a new page or endpoint is tested the day it is added. Each route
with an id in its path is called with the ids of Anna's private person, relationship and
interaction, and must answer exactly as it answers for an id that does not exist. The
walk is repeated with Anna's team-visible records (a team she shares with Tom, not with
Jana): Jana must see them exactly like missing ids, while Tom does see them.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from geflecht.accounts.models import Team, User
from geflecht.network.actions import record_interaction
from geflecht.network.models import Interaction, Relationship
from geflecht.people.models import Organization, Person, Position, PrivateNote, Site

SECRETS = (
    "Geheimnisvoll",
    "Gerlinde",
    "gerlinde@privat.example",
    "Privates Abendessen",
    "Zahlt schlecht",  # Anna's private note on the shared Dr. Weber
    "Verborgene Werkstatt",  # the firm Anna's private contact works at
    "Geheimweiler",  # its site's town
)
TEAM_SECRETS = (
    "Teamgeheim",
    "Tessa",
    "Teamsitzung unter uns",
    "Team Werkstatt",  # the firm Anna's team contact works at
    "Teamhausen",  # its site's town
)
MISSING_ID = 987_654_321
# Parameters a page or endpoint might read a search or target from. The probes are typos
# and prefixes of the secret name (pages may echo what was asked, never what was found).
QUERY = "q=Geheimnisvol&text=Geheimnisvol&term=Geheimni&name=Gerlind&target={pid}&person_id={pid}"
TEAM_QUERY = "q=Teamgehei&text=Teamgehei&term=Teamgeh&name=Tess&target={pid}&person_id={pid}"
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


@pytest.fixture
def team_mate(tenant, owner):
    """Tom shares the team "Vertrieb Süd" with Anna; Jana is in no team with her."""
    person = Person.objects.create(tenant=tenant, first_name="Tom", last_name="Keller")
    tom = User.objects.create_user("tom", tenant=tenant, person=person)
    Team.objects.create(tenant=tenant, name="Vertrieb Süd").members.add(owner, tom)
    return tom


@pytest.fixture
def team_world(world, owner, team_mate):
    """Anna's team-visible contact with her employer, their tie and a meeting."""
    tenant_id = owner.tenant_id
    firm = Organization.objects.create(
        tenant_id=tenant_id,
        name="Team Werkstatt KG",
        kind="customer",
        visibility="team",
        owner=owner,
    )
    site = Site.objects.create(
        tenant_id=tenant_id, organization=firm, name="Werk Teamhausen", city="Teamhausen"
    )
    tessa = Person.objects.create(
        tenant_id=tenant_id,
        first_name="Tessa",
        last_name="Teamgeheim",
        visibility="team",
        owner=owner,
    )
    job = Position.objects.create(
        tenant_id=tenant_id, person=tessa, organization=firm, site=site, title="Leiterin"
    )
    x, y = sorted([owner.person_id, tessa.pk])
    rel = Relationship.objects.create(
        tenant_id=tenant_id, person_a_id=x, person_b_id=y, visibility="team", owner=owner
    )
    # She also works at the shared ACME and met the shared Dr. Weber with Anna: the
    # customer's page, Weber's page and his timeline must still leave her out.
    Position.objects.create(tenant_id=tenant_id, person=tessa, organization=world["acme"])
    record_interaction(
        tenant=owner.tenant,
        recorded_by=owner,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=2),
        participants=[
            (owner.person_id, "organiser"),
            (world["weber"].pk, "attendee"),
            (tessa.pk, "attendee"),
        ],
        subject="Abnahme",
    )
    meeting = record_interaction(
        tenant=owner.tenant,
        recorded_by=owner,
        kind="meeting",
        visibility="team",
        occurred_at=timezone.now() - timedelta(days=1),
        participants=[(owner.person_id, "organiser"), (tessa.pk, "attendee")],
        subject="Teamsitzung unter uns",
    )
    return {
        "person": tessa.pk,
        "relationship": rel.pk,
        "interaction": meeting.pk,
        "organization": firm.pk,
        "site": site.pk,
        "position": job.pk,
    }


def _assert_clean(response, where: str, secrets=SECRETS) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    body = response.content.decode(errors="replace")
    for secret in secrets:
        assert secret not in body, f"{where} shows {secret!r}"


def _shared_ids(world, owner) -> dict[str, int]:
    """Ids of records everyone sees, next to which a hidden record could show."""
    weber = world["weber"]
    return {
        "person": weber.pk,
        "relationship": Relationship.objects.get(
            person_a_id=min(owner.person_id, weber.pk), person_b_id=max(owner.person_id, weber.pk)
        ).pk,
        "interaction": Interaction.objects.get(subject="Angebot Messmaschine").pk,
        "organization": world["acme"].pk,
        "site": world["ulm"].pk,
        "position": weber.positions.get().pk,
    }


def _walk(user, ids: dict[str, int], query: str, secrets, shared=None) -> int:
    """Every route as ``user``: clean of ``secrets``, and with ``ids`` answering exactly
    like missing ids (and, with ``shared`` ids, clean on the pages of shared records).
    Returns how many routes were tried."""
    client = Client()
    client.force_login(user)
    tried = 0
    for route in _routes():
        route = route.replace("<path:object_id>", "<object_id>")
        if SKIP.search(route) or re.search(r"<(?!int:)\w+:", route):
            continue
        params = re.findall(r"<(?:int:)?(\w+)>", route)
        probe = query.format(pid=ids["person"])
        if not params:
            _assert_clean(client.get(f"/{route}?{probe}"), route, secrets)
            tried += 1
            continue
        found = [_kind(route, p) for p in params]
        kinds = [k for k in found if k is not None]
        if len(kinds) < len(found):
            continue  # tokens, notes: nothing private of Anna's to look for by id
        url = _fill(route, {p: ids[k] for p, k in zip(params, kinds, strict=True)})
        missing = _fill(route, dict.fromkeys(params, MISSING_ID))
        seen, absent = client.get(f"/{url}?{probe}"), client.get(f"/{missing}?{probe}")
        _assert_clean(seen, url, secrets)
        # A hidden object must look exactly like a missing one (no 403, no other text).
        assert seen.status_code == absent.status_code, (url, seen.status_code)
        if shared is not None:
            url = _fill(route, {p: shared[k] for p, k in zip(params, kinds, strict=True)})
            _assert_clean(client.get(f"/{url}?{probe}"), url, secrets)
        tried += 1
    return tried


def test_no_route_shows_a_colleagues_private_contact(private_world, colleague):
    colleague.is_staff = True  # even with the admin site open to her
    colleague.save()
    assert _walk(colleague, private_world, QUERY, SECRETS) > 20  # the walk covered the routes


def test_no_route_shows_a_team_contact_to_a_colleague_outside_the_team(
    team_world, world, owner, colleague
):
    colleague.is_staff = True
    colleague.save()
    shared = _shared_ids(world, owner)
    assert _walk(colleague, team_world, TEAM_QUERY, TEAM_SECRETS, shared) > 20


def test_the_owners_team_mate_sees_the_team_contact(team_world, team_mate):
    client = Client()
    client.force_login(team_mate)
    for url in (
        f"/api/v1/persons/{team_world['person']}",
        f"/api/v1/relationships/{team_world['relationship']}",
        f"/api/v1/interactions/{team_world['interaction']}",
        f"/api/v1/organizations/{team_world['organization']}",
        f"/people/{team_world['person']}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    assert "Teamgeheim" in client.get(f"/people/{team_world['person']}/").content.decode()


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
        ["network", "communities"],
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
