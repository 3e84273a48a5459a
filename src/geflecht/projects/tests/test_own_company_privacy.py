"""A colleague's private person at our own company is nobody's starting point.

Team reach, team paths, radar, coverage and paths start from the people of our own
company. A person Anna keeps private, with a current job at Brenner (our company), is
not one of "us" for Jana: Jana's answers, in every door (service, API, page, CLI), never
name them, and where the person is only a dead end of the graph for Jana they read
exactly as in the world without them.
"""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from geflecht.network.reach import PathOptions, introduction_paths, key_person_risks, team_reach
from geflecht.network.team_paths import team_paths
from geflecht.network.tests.test_path_privacy import _seen
from geflecht.people.models import Person, Position
from geflecht.projects.coverage import coverage, project_key_person_risk, team_builder
from geflecht.projects.radar import radar_file
from geflecht.projects.tests.test_path_privacy import _coverage_seen, _radar_seen, _risk_seen

FIXTURE = Path(__file__).parent / "data" / "targets.csv"
TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=|csrf[-_]?token["\']?[:=]\s*)"[^"]*"', re.I)


def _page(client: Client, url: str, **post) -> str:
    response = client.post(url, post) if post else client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return TOKEN.sub("", response.content.decode())


def _cli(*args) -> str:
    out = StringIO()
    call_command(*args, "--user", "jana", stdout=out)
    return out.getvalue()


def _everything_jana_sees(world, project) -> dict:
    """Jana's team reach, team paths, radar, coverage and paths in every door."""
    jana, lang, acme = world.jana, world["lang"], world.acme
    client = Client()
    client.force_login(jana)
    with FIXTURE.open("rb") as f:
        api_radar = client.post("/api/v1/radar", {"file": f}).json()
    with FIXTURE.open("rb") as f:
        radar_page = _page(client, "/radar/", file=f)
    return {
        "team_reach": [(r.target, _seen([r.path])) for r in team_reach(jana, acme)],
        "team_paths": _seen(team_paths(jana, lang)),
        "paths": _seen(introduction_paths(jana, lang, PathOptions(k=5))),
        "colleague_first": _seen(
            introduction_paths(jana, lang, PathOptions(k=5, colleague_first_hop=True))
        ),
        "radar": _radar_seen(radar_file(jana, FIXTURE.read_bytes())),
        "coverage": _coverage_seen(coverage(jana, project)),
        "risk": _risk_seen(project_key_person_risk(jana, project)),
        "account_risk": [r.text() for r in key_person_risks(jana)],
        "team_builder": [(s.person, s.score, s.reasons) for s in team_builder(jana, project)],
        "api_team_reach": client.get(f"/api/v1/team-reach?organization_id={acme.pk}").json(),
        "api_paths": client.get(f"/api/v1/paths?target={lang.pk}&k=5").json(),
        "api_radar": api_radar,
        "api_coverage": client.get(f"/api/v1/projects/{project.pk}/coverage").json(),
        "api_risk": client.get(f"/api/v1/projects/{project.pk}/key-person-risk").json(),
        "page_reach": _page(client, f"/people/{lang.pk}/reach/"),
        "page_paths": _page(client, f"/paths/?target={lang.pk}&hops=4&min_strength=0"),
        "page_org": _page(client, f"/organisations/{acme.pk}/"),
        "page_radar": radar_page,
        "page_project": _page(client, f"/projects/{project.pk}/"),
        "cli_reach": _cli("reach", "ACME"),
        "cli_path": _cli("path", "Jana Becker", "Otto Lang", "-k", "5"),
        "cli_radar": _cli("radar", str(FIXTURE)),
        "cli_coverage": _cli("coverage", "Messzelle"),
        "cli_team": _cli("projects", "team", "Messzelle"),
    }


def _hidden_colleague(world) -> Person:
    """Anna's private Heinz Heimlich, with a current job at our own company."""
    heinz = Person.objects.create(
        tenant=world.tenant,
        first_name="Heinz",
        last_name="Heimlich",
        visibility="private",
        owner=world.anna,
    )
    Position.objects.create(tenant=world.tenant, person=heinz, organization=world.own)
    world.p["heinz"] = heinz
    return heinz


def test_a_private_person_at_our_company_changes_nothing_another_user_sees(world, project):
    without = _everything_jana_sees(world, project)
    _hidden_colleague(world)
    # A strong company-visible tie into the buying centre, his only one: for Jana a dead
    # end of the graph (she may not see Heinz), so no route of hers may start there.
    world.tie("heinz", "lang", 0.95)
    with_heinz = _everything_jana_sees(world, project)
    assert "Heimlich" not in str(with_heinz)
    for door, answer in with_heinz.items():
        assert answer == without[door], door


def test_a_private_person_at_our_company_is_never_named_on_a_route(world, project):
    # Heinz between Jana and the buying centre: the route may run over him, as
    # "ask Anna", but he is never named, not as a starting colleague nor as a carrier.
    _hidden_colleague(world)
    world.tie("heinz", "jana", 0.9)
    world.tie("heinz", "lang", 0.95)
    world.tie("heinz", "kurz", 0.9)
    seen = _everything_jana_sees(world, project)
    assert "Heimlich" not in str(seen)
    assert "Heinz" not in str(seen)


@pytest.mark.parametrize("visibility", ["private", "team"])
def test_team_reach_never_starts_at_a_hidden_person(world, visibility):
    heinz = _hidden_colleague(world)
    heinz.visibility = visibility
    heinz.save(update_fields=["visibility"])
    world.tie("heinz", "lang", 0.95)
    rows = team_reach(world.jana, world.acme)
    assert all(r.path.steps[0].person != heinz for r in rows)
    assert all(s.person != heinz for r in rows for s in r.path.steps)
