"""Coverage and radar rank and show paths at the strengths the reader may see.

A colleague's stronger private row on a pair that also has a company row must change
nothing the reader sees: not a channel, a gap, a reached-by, a radar rank or a number.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geflecht.network.actions import bump_graph_version
from geflecht.network.models import Relationship
from geflecht.network.tests.test_path_privacy import _seen
from geflecht.projects.coverage import coverage, project_key_person_risk
from geflecht.projects.radar import radar_file

FIXTURE = Path(__file__).parent / "data" / "targets.csv"


def _coverage_seen(cov) -> tuple:
    return (
        cov.text(),
        [[c.strength for c in r.cells] for r in cov.rows],
        [
            (ch.role, ch.strength, ch.reached_by, ch.carriers, _seen([ch.path] if ch.path else []))
            for ch in cov.channels
        ],
        [
            (
                g.role,
                g.kind,
                g.strength,
                g.colleague,
                g.fix,
                g.join,
                _seen([g.fix_path] if g.fix_path else []),
            )
            for g in cov.gaps
        ],
    )


def _radar_seen(result) -> list:
    return [
        (
            r.rank,
            r.target.name,
            r.organization,
            r.strength,
            r.independent_paths,
            r.people_reached,
            r.entry,
            r.ask,
            _seen([r.path] if r.path else []),
        )
        for r in result.rows
    ]


def test_coverage_is_identical_with_and_without_a_colleagues_private_row(world, project):
    before = _coverage_seen(coverage(world.jana, project))
    # Anna's own, much stronger private rows on pairs Jana sees a company row of.
    world.tie("jana", "kurz", 0.95, owner=world.anna)
    world.tie("bernd", "kurz", 0.99, owner=world.anna)
    assert _coverage_seen(coverage(world.jana, project)) == before


def test_radar_is_identical_with_and_without_a_colleagues_private_row(world, project):
    before = _radar_seen(radar_file(world.jana, FIXTURE.read_bytes()))
    world.tie("jana", "kurz", 0.95, owner=world.anna)
    world.tie("anna", "weber", 0.99, owner=world.anna)
    assert _radar_seen(radar_file(world.jana, FIXTURE.read_bytes())) == before


def test_coverage_shows_no_number_a_colleagues_hidden_strength_follows_from(world, project):
    # Jana's route into the "user" role runs over Anna's private Gerlinde.
    weak = _coverage_seen(coverage(world.jana, project))
    assert "ask Anna Schmidt" in weak[0]
    # The same world, except that Anna's private tie Gerlinde - Lang is stronger.
    x, y = sorted([world["secret"].pk, world["lang"].pk])
    hidden = Relationship.objects.get(person_a_id=x, person_b_id=y)
    hidden.strength = 0.85
    hidden.save(update_fields=["strength"])
    bump_graph_version(world.tenant.id, [hidden])
    assert _coverage_seen(coverage(world.jana, project)) == weak


def test_radar_shows_no_number_a_colleagues_hidden_strength_follows_from(world, project):
    # Jana's best route into ACME runs over Anna's private Gerlinde once the visible
    # routes are weak (Gerlinde's two hidden hops count 0.5 x 0.5, more than 0.2). The same
    # world twice, except that the hidden tie Gerlinde - Lang is stronger the second time:
    # Jana's radar must read the same, it says only "ask Anna".
    for a, b in [("anna", "weber"), ("bernd", "kurz")]:
        x, y = sorted([world[a].pk, world[b].pk])
        visible = Relationship.objects.filter(person_a_id=x, person_b_id=y)
        visible.update(strength=0.2)
        bump_graph_version(world.tenant.id, list(visible))
    x, y = sorted([world["secret"].pk, world["lang"].pk])
    hidden = Relationship.objects.get(person_a_id=x, person_b_id=y)

    def seen(strength):
        hidden.strength = strength
        hidden.save(update_fields=["strength"])
        bump_graph_version(world.tenant.id, [hidden])
        result = radar_file(world.jana, FIXTURE.read_bytes())
        texts = [
            (r.strength, r.known_strength, r.path.text() if r.path else "") for r in result.rows
        ]
        return _radar_seen(result), texts

    weak = seen(0.9)
    assert "ask Anna Schmidt" in weak[1][0][2] and weak[1][0][0] is None
    assert seen(0.99) == weak


def _risk_seen(risk) -> tuple:
    return (
        risk.people,
        risk.reached,
        [(loss.colleague, loss.lost, loss.reached_after) for loss in risk.losses],
        risk.account.text() if risk.account else None,
    )


@pytest.mark.parametrize("row", ["private_tie", "tie_of_a_private_contact"])
def test_who_counts_as_reached_gives_no_hidden_strength_away(world, project, row):
    # Jana's routes to Lang run over Anna's private Gerlinde: over Anna's private tie
    # Gerlinde - Lang, or over a company-visible tie of Gerlinde's (Bernd knows her too).
    # The same world twice, except that the hidden tie is below the channel threshold
    # (0.15) or well above it: whether Lang is reached, by whom, and whose leaving would
    # cut us off must read the same to Jana.
    x, y = sorted([world["secret"].pk, world["lang"].pk])
    if row == "private_tie":
        hidden = Relationship.objects.get(person_a_id=x, person_b_id=y)
    else:
        world.tie("bernd", "secret", 0.9)
        hidden = world.tie("secret", "lang", 0.1)

    def seen(strength):
        hidden.strength = strength
        hidden.save(update_fields=["strength"])
        bump_graph_version(world.tenant.id, [hidden])
        return (
            _coverage_seen(coverage(world.jana, project)),
            _risk_seen(project_key_person_risk(world.jana, project)),
        )

    weak = seen(0.1)
    assert seen(0.9) == weak
    assert "Geheimnisvoll" not in str(weak)
