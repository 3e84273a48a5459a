"""The team builder ranks and explains at the strengths the reader may see.

A colleague's private contact in the middle of a route (even one with company-visible
ties) is never named, and the hop over it counts at ``HIDDEN_STRETCH``: two worlds that
differ only in such a hidden tie's strength give the reader the same suggestions, in the
same order, with the same scores and reasons, in the service, the API, the page and
the CLI.
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from geflecht.network.actions import bump_graph_version
from geflecht.network.models import Relationship
from geflecht.network.snapshot import HIDDEN_STRETCH
from geflecht.projects.coverage import team_builder


def _builder_everywhere(world, project) -> dict:
    client = Client()
    client.force_login(world.jana)
    page = client.get(f"/projects/{project.pk}/").content.decode()
    section = page.split('id="builder"')[1].split("</section>")[0]
    cli = StringIO()
    call_command("projects", "team", "Messzelle", "--user", "jana", stdout=cli)
    return {
        "service": [
            (s.person, s.score, s.tie_score, s.skill_score, s.reaches, s.reasons)
            for s in team_builder(world.jana, project)
        ],
        "api": client.get(f"/api/v1/projects/{project.pk}/team-builder").json(),
        # The section without its form tokens (they differ per request).
        "page": re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", section),
        "cli": cli.getvalue(),
    }


@pytest.mark.parametrize("row", ["private_tie", "tie_of_a_private_contact"])
def test_a_hidden_middle_person_lifts_no_score_by_its_real_strength(world, project, row):
    # Clara (a candidate for Jana's team) knows Anna's private Gerlinde (a company-visible
    # tie), and Gerlinde knows Lang of the buying centre: over Anna's private tie, or over
    # a company-visible tie of Gerlinde's. The same world twice, except for the strength
    # of that tie to Lang: Jana's team builder must read the same, naming no Gerlinde.
    world.tie("clara", "secret", 0.9)
    if row == "private_tie":
        x, y = sorted([world["secret"].pk, world["lang"].pk])
        hidden = Relationship.objects.get(person_a_id=x, person_b_id=y)
    else:
        hidden = world.tie("secret", "lang", 0.1)

    def seen(strength):
        hidden.strength = strength
        hidden.save(update_fields=["strength"])
        bump_graph_version(world.tenant.id, [hidden])
        return _builder_everywhere(world, project)

    weak = seen(0.1)
    assert seen(0.95) == weak
    assert "Geheimnisvoll" not in str(weak) and "Gerlinde" not in str(weak)
    clara = next(s for s in team_builder(world.jana, project) if s.person == world["clara"])
    to_lang = next(r for r in clara.reaches if r[0] == world["lang"])
    assert to_lang[2] == pytest.approx(HIDDEN_STRETCH * HIDDEN_STRETCH)
    assert to_lang[3] == 2


def test_the_owner_of_the_private_contact_sees_its_real_strength(world, project):
    world.tie("clara", "secret", 0.9)
    ranked = team_builder(world.anna, project)
    clara = next(s for s in ranked if s.person == world["clara"])
    to_lang = next(r for r in clara.reaches if r[0] == world["lang"])
    assert to_lang[2] == pytest.approx(0.9 * 0.8)
