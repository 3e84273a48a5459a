"""What a path shows of a pair is decided per relationship row.

A pair may have a company-visible row and a colleague's private row. A reader who sees
only the company row gets exactly the answer they would get without the private row:
same paths, same order, same strengths and evidence (nothing to infer the hidden
strength from). A pair with no row the reader may see stays "ask <owner>". An ``avoid``
id the reader may not see behaves exactly like an id that does not exist.
"""

from __future__ import annotations

import re
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.test import Client

from geflecht import graph as engine
from geflecht.network.actions import bump_graph_version
from geflecht.network.reach import (
    PathOptions,
    introduction_paths,
    key_person_risks,
    render_paths,
    team_reach,
)
from geflecht.network.snapshot import current_graph
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
            None if p.strength is None else round(p.strength, 9),
            round(p.known_strength, 9),
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
    unknown = introduction_paths(net.anna, net["weber"], PathOptions(k=5, avoid=[987_654_321]))
    hidden = introduction_paths(net.anna, net["weber"], PathOptions(k=5, avoid=[secret.pk]))
    assert any("ask Jana Becker" in p.text() for p in unknown)
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


def _everything_anna_sees(net) -> dict:
    """Anna's path answers in every delivery: the service, the API, the web page, the CLI."""
    client = Client()
    client.force_login(net.anna)
    weber = net["weber"].pk
    out = StringIO()
    call_command("path", "Anna Schmidt", "Klaus Weber", "-k", "5", "--user", "anna", stdout=out)
    reach_out = StringIO()
    call_command("reach", "ACME", "--user", "anna", stdout=reach_out)
    page = client.get(f"/paths/?target={weber}&hops=4&min_strength=0").content.decode()
    intro = client.get(f"/intros/new/?target={weber}").content.decode()
    return {
        **_answers(net),
        "api": client.get(f"/api/v1/paths?target={weber}&k=5").json(),
        "api_reach": client.get(f"/api/v1/team-reach?organization_id={net.acme.pk}").json(),
        # The page's numbers (tokens differ per request).
        "page": re.findall(r"\d\.\d+", page.split('id="paths-result"')[1]),
        "intro_page": re.findall(r"\(strength[^)]*\)", intro),
        "cli": out.getvalue(),
        "cli_reach": reach_out.getvalue(),
    }


def test_a_path_over_a_hidden_stretch_shows_no_number_the_hidden_strength_follows_from(net):
    net.tie("anna", "mayr", 0.9)
    hidden = net.tie("mayr", "weber", 0.3, owner=net.jana)
    weak = _everything_anna_sees(net)
    # The same world, except that Jana's private tie is a little stronger.
    hidden.strength = 0.32
    hidden.save(update_fields=["strength"])
    bump_graph_version(net.tenant.id, [hidden])
    strong = _everything_anna_sees(net)
    assert strong == weak
    via_mayr = next(
        p
        for p in introduction_paths(net.anna, net["weber"], PathOptions(k=5))
        if net["mayr"] in [s.person for s in p.steps]
    )
    assert via_mayr.strength is None  # unknown: a stretch is hidden
    assert via_mayr.known_strength == pytest.approx(0.9)  # the hops Anna sees
    assert "ask Jana Becker" in weak["cli"] and "0.270" not in weak["cli"]
    assert "(strength at most 0.90, a stretch is hidden)" in weak["intro_page"]


def _restrength(net, rel, strength) -> None:
    rel.strength = strength
    rel.save(update_fields=["strength"])
    bump_graph_version(net.tenant.id, [rel])


def test_the_order_of_paths_gives_no_hidden_strength_away(net):
    # Anna's routes to Weber: over Jana and Kurz (0.9 x 0.8 x 0.7 = 0.504), over Bernd
    # (0.5 x 0.6 = 0.3), and over Mayr, whose tie to Weber is Jana's private one. The same
    # world twice, except that the hidden tie is weak (the route would rank last) or
    # strong (it would rank first): Anna's answers must not tell the two apart.
    net.tie("anna", "mayr", 0.9)
    hidden = net.tie("mayr", "weber", 0.1, owner=net.jana)
    weak = _everything_anna_sees(net)
    _restrength(net, hidden, 0.99)
    assert _everything_anna_sees(net) == weak
    texts = [p.text() for p in introduction_paths(net.anna, net["weber"], PathOptions(k=5))]
    assert len(texts) == 3 and "ask Jana Becker" in texts[1]  # at 0.9 x HIDDEN_STRETCH


def test_the_order_of_paths_gives_no_strength_of_a_tie_to_a_private_person_away(net):
    # Jana's private contact Geheim has company-visible ties; Anna sees neither Geheim
    # nor, on her paths, the strength of a tie to Geheim: only "ask Jana".
    secret = Person.objects.create(
        tenant=net.tenant, last_name="Geheim", visibility="private", owner=net.jana
    )
    net.people["secret"] = secret
    net.tie("jana", "secret", 0.9)
    hidden = net.tie("secret", "weber", 0.1)
    weak = _everything_anna_sees(net)
    _restrength(net, hidden, 0.99)
    assert _everything_anna_sees(net) == weak
    assert "Geheim" not in str(weak)


def test_a_weak_hidden_tie_is_not_filtered_out_by_min_strength(net):
    # A minimum tie strength compares a hidden hop at HIDDEN_STRETCH too: whether the
    # route is offered must not tell whether the hidden tie is above the minimum.
    net.tie("anna", "mayr", 0.9)
    hidden = net.tie("mayr", "weber", 0.1, owner=net.jana)
    options = PathOptions(k=5, min_strength=0.4)
    weak = _seen(introduction_paths(net.anna, net["weber"], options))
    _restrength(net, hidden, 0.99)
    assert _seen(introduction_paths(net.anna, net["weber"], options)) == weak
    assert any(p[0] is None for p in weak)  # the route over the hidden tie is offered


def _risk_seen(user, net) -> list:
    return [
        (r.organization, r.people, r.reached, r.key_person, r.reached_without, r.lost, r.text())
        for r in key_person_risks(user, organizations=[net.acme])
    ]


def test_key_person_risk_gives_no_strength_of_a_hidden_stretch_away(tenant):
    # Bernd alone reaches Weber (0.6); Jana alone reaches Kurz, over her private contact
    # Geheim (company-visible ties). Both would cost one person: which of them is the key
    # person must not follow from the strength of a tie Anna may not see.
    net = Net(tenant)
    secret = Person.objects.create(
        tenant=tenant, last_name="Geheim", visibility="private", owner=net.jana
    )
    net.people["secret"] = secret
    net.tie("bernd", "weber", 0.6)
    net.tie("jana", "secret", 0.9)
    hidden = net.tie("secret", "kurz", 0.5)
    weak = _risk_seen(net.anna, net)
    _restrength(net, hidden, 0.9)
    assert _risk_seen(net.anna, net) == weak
    assert weak[0][3] == net["bernd"]  # 0.6 beats 0.9 x HIDDEN_STRETCH
    assert "Geheim" not in str(weak)


def _secret_of_jana(net) -> Person:
    secret = Person.objects.create(
        tenant=net.tenant, first_name="Greta", last_name="Geheim", visibility="private",
        owner=net.jana,
    )  # fmt: skip
    net.people["secret"] = secret
    return secret


@pytest.mark.parametrize("hops", [["weber"], ["mayr", "weber"]])
def test_a_path_starting_at_a_hidden_person_names_only_whom_to_ask(net, hops):
    # Whatever a caller searched from (a starting point it did not check), the first
    # person of a path is shown only if the reader may see them: otherwise "ask Jana".
    _secret_of_jana(net)
    route = ["secret", *hops]
    for a, b in pairwise(route):
        net.tie(a, b, 0.9)
    snap = current_graph(net.tenant.id)
    source, target = snap.node(net["secret"].pk), snap.node(net[hops[-1]].pk)
    (path,) = engine.best_group_paths(snap.paths_view(net.anna.pk), [source], [target])
    assert path.source == source
    (shown,) = render_paths(net.anna, snap, [path])
    assert shown.steps[0].person is None and shown.steps[0].ask == net["jana"]
    assert shown.text().startswith("ask Jana Becker")
    assert shown.steps[-1].person == net[hops[-1]]
    assert "Geheim" not in str(_seen([shown])) and "Greta" not in shown.text()
    # The owner sees her own contact where the path starts.
    (own,) = render_paths(net.jana, snap, [path])
    assert own.steps[0].person == net["secret"]
