"""What a path shows of a pair is decided per relationship row.

A pair may have a company-visible row and a colleague's private row. A reader who sees
only the company row gets exactly the answer they would get without the private row:
same paths, same order, same strengths and evidence (nothing to infer the hidden
strength from). A pair with no row the reader may see stays "ask <owner>". An ``avoid``
id the reader may not see behaves exactly like an id that does not exist.
"""

from __future__ import annotations

import pytest
from django.test import Client

from geflecht.network.reach import PathOptions, introduction_paths, team_reach
from geflecht.network.team_paths import team_paths
from geflecht.network.tests.test_reach import Net
from geflecht.people.models import Person


@pytest.fixture
def net(tenant):
    n = Net(tenant)
    n.tie("anna", "jana", 0.9)
    n.tie("anna", "bernd", 0.5)
    n.tie("jana", "kurz", 0.8)
    n.tie("kurz", "weber", 0.7)
    n.tie("bernd", "weber", 0.6)
    return n


def _seen(paths) -> list:
    """Everything a path answer shows: people, asks, strengths, evidence, overall."""
    return [
        (
            round(p.strength, 9),
            p.hops,
            [
                (s.person, s.ask, None if s.strength is None else round(s.strength, 9), s.evidence)
                for s in p.steps
            ],
        )
        for p in paths
    ]


def _answers(net) -> dict:
    return {
        "paths": _seen(introduction_paths(net.anna, net["weber"], PathOptions(k=5))),
        "reach": [(r.target, _seen([r.path])) for r in team_reach(net.anna, net.acme)],
        "team": _seen(team_paths(net.anna, net["weber"])),
    }


def test_a_colleagues_private_row_on_a_visible_pair_changes_nothing_the_reader_sees(net):
    before = _answers(net)
    # Jana's own, much stronger private row on a pair that also has a company row.
    net.tie("kurz", "weber", 0.99, owner=net.jana)
    net.tie("bernd", "weber", 0.95, owner=net.jana)
    after = _answers(net)
    assert after == before
    shown = [s.strength for p in introduction_paths(net.anna, net["weber"]) for s in p.steps]
    assert 0.99 not in shown and 0.95 not in shown


def test_the_owner_sees_the_strength_of_their_own_private_row(net):
    net.tie("kurz", "weber", 0.99, owner=net.jana)
    (best, *_) = introduction_paths(net.jana, net["weber"])
    assert [s.person for s in best.steps] == [net["jana"], net["kurz"], net["weber"]]
    assert best.steps[-1].strength == pytest.approx(0.99)
    assert best.strength == pytest.approx(0.8 * 0.99)


def test_a_pair_with_only_hidden_rows_still_reads_ask_the_owner(net):
    net.tie("anna", "mayr", 0.9)
    net.tie("mayr", "weber", 0.9, owner=net.jana)
    paths = introduction_paths(net.anna, net["weber"], PathOptions(k=5))
    via_mayr = next(p for p in paths if net["mayr"] in [s.person for s in p.steps])
    assert "ask Jana Becker" in via_mayr.text()
    assert via_mayr.steps[-1].strength is None


def test_avoiding_a_hidden_person_answers_like_avoiding_an_unknown_id(net):
    secret = Person.objects.create(
        tenant=net.tenant, last_name="Geheim", visibility="private", owner=net.jana
    )
    net.people["secret"] = secret
    net.tie("jana", "secret", 0.99, owner=net.jana)
    net.tie("secret", "weber", 0.99, owner=net.jana)
    unknown = introduction_paths(net.anna, net["weber"], PathOptions(avoid=[987_654_321]))
    hidden = introduction_paths(net.anna, net["weber"], PathOptions(avoid=[secret.pk]))
    assert "ask Jana Becker" in unknown[0].text()
    assert _seen(hidden) == _seen(unknown)


def test_api_paths_avoiding_a_hidden_person_answers_like_an_unknown_id(net):
    secret = Person.objects.create(
        tenant=net.tenant, last_name="Geheim", visibility="private", owner=net.jana
    )
    net.people["secret"] = secret
    net.tie("jana", "secret", 0.99, owner=net.jana)
    net.tie("secret", "weber", 0.99, owner=net.jana)
    client = Client()
    client.force_login(net.anna)
    url = f"/api/v1/paths?target={net['weber'].pk}&avoid="
    unknown, hidden = client.get(url + "987654321"), client.get(url + str(secret.pk))
    assert unknown.status_code == hidden.status_code == 200
    assert "ask Jana Becker" in unknown.content.decode()
    assert hidden.json() == unknown.json()
