"""Introduction paths, team reach, neighbourhoods and analytics as users see them."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from geflecht.accounts.models import User
from geflecht.network import snapshot
from geflecht.network.actions import bump_graph_version, record_interaction
from geflecht.network.models import Relationship
from geflecht.network.reach import (
    PathOptions,
    introduction_paths,
    key_person_risks,
    neighbourhood,
    recommendations,
    team_reach,
)
from geflecht.people.models import Organization, Person, Position


class Net:
    """A small firm: Anna and Jana (users) and Bernd at Brenner; Weber and Kurz at ACME."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.own = Organization.objects.create(tenant=tenant, name="Brenner", kind="own")
        self.acme = Organization.objects.create(tenant=tenant, name="ACME", kind="customer")
        self.people = {}
        for key, first, last, org in [
            ("anna", "Anna", "Schmidt", self.own),
            ("jana", "Jana", "Becker", self.own),
            ("bernd", "Bernd", "Vogel", self.own),
            ("weber", "Klaus", "Weber", self.acme),
            ("kurz", "Eva", "Kurz", self.acme),
            ("mayr", "Otto", "Mayr", None),
        ]:
            person = Person.objects.create(tenant=tenant, first_name=first, last_name=last)
            if org:
                Position.objects.create(tenant=tenant, person=person, organization=org)
            self.people[key] = person
        self.anna = User.objects.create_user("anna", tenant=tenant, person=self.people["anna"])
        self.jana = User.objects.create_user("jana", tenant=tenant, person=self.people["jana"])

    def __getitem__(self, key):
        return self.people[key]

    def tie(self, a, b, strength, *, owner=None):
        x, y = sorted([self.people[a].pk, self.people[b].pk])
        rel = Relationship.objects.create(
            tenant=self.tenant,
            person_a_id=x,
            person_b_id=y,
            strength=strength,
            visibility="private" if owner else "company",
            owner=owner,
        )
        bump_graph_version(self.tenant.id, [rel])
        return rel


@pytest.fixture
def net(tenant):
    n = Net(tenant)
    n.tie("anna", "jana", 0.9)
    n.tie("anna", "bernd", 0.5)
    n.tie("jana", "kurz", 0.8)
    n.tie("kurz", "weber", 0.7)
    n.tie("bernd", "weber", 0.9)
    return n


def test_best_path_maximises_the_product_of_strengths(net):
    paths = introduction_paths(net.anna, net["weber"])
    assert [s.person for s in paths[0].steps] == [
        net["anna"],
        net["jana"],
        net["kurz"],
        net["weber"],
    ]
    assert paths[0].strength == pytest.approx(0.9 * 0.8 * 0.7)
    assert [s.person for s in paths[1].steps] == [net["anna"], net["bernd"], net["weber"]]
    assert paths[1].strength == pytest.approx(0.45)
    assert paths[0].steps[1].strength == pytest.approx(0.9)


def test_options_hops_minimum_strength_and_avoid(net):
    two_hops = introduction_paths(net.anna, net["weber"], PathOptions(max_hops=2))
    assert [p.hops for p in two_hops] == [2]
    strong = introduction_paths(net.anna, net["weber"], PathOptions(min_strength=0.6))
    assert all(s.strength >= 0.6 for p in strong for s in p.steps[1:])
    assert [s.person for s in strong[0].steps][1] == net["jana"]
    avoid = introduction_paths(net.anna, net["weber"], PathOptions(avoid=[net["jana"].pk]))
    assert all(net["jana"] not in [s.person for s in p.steps] for p in avoid)


def test_a_new_tie_is_visible_to_the_next_path_query_without_a_rebuild(net):
    assert introduction_paths(net.anna, net["mayr"]) == []
    before = snapshot.current_graph(net.tenant.id)
    record_interaction(
        tenant=net.tenant,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(hours=1),
        participants=[(net["weber"].pk, "organiser"), (net["mayr"].pk, "attendee")],
    )
    paths = introduction_paths(net.anna, net["mayr"])
    assert paths and paths[0].steps[-1].person == net["mayr"]
    after = snapshot.current_graph(net.tenant.id)
    assert after.version > before.version
    assert after.person_ids is before.person_ids  # patched, not reloaded


def test_a_colleagues_private_contact_shows_only_as_ask_the_colleague(net):
    friend = Person.objects.create(
        tenant=net.tenant,
        first_name="Geheim",
        last_name="Freundin",
        visibility="private",
        owner=net.jana,
    )
    net.people["friend"] = friend
    net.tie("jana", "friend", 0.95, owner=net.jana)
    net.tie("friend", "mayr", 0.95, owner=net.jana)
    paths = introduction_paths(net.anna, net["mayr"])
    assert paths
    text = paths[0].text()
    assert "ask Jana Becker" in text
    assert "Geheim" not in text and "Freundin" not in text
    assert all(s.person != friend for p in paths for s in p.steps)
    assert all("Freundin" not in s.evidence for p in paths for s in p.steps)
    # Jana sees her own friend by name.
    janas = introduction_paths(net.jana, net["mayr"])
    assert friend in [s.person for s in janas[0].steps]
    # Anna cannot even target the private person.
    assert introduction_paths(net.anna, friend) == []


def test_neighbourhood_counts_by_degree_without_colleagues_private_contacts(net):
    hidden = Person.objects.create(
        tenant=net.tenant, last_name="Privat", visibility="private", owner=net.jana
    )
    net.people["hidden"] = hidden
    net.tie("jana", "hidden", 0.9, owner=net.jana)
    hood = neighbourhood(net.anna)
    assert hood.counts == (2, 2, 0)
    assert hidden not in [p for p, _, _ in hood.people]
    assert neighbourhood(net.jana).counts[0] == 3  # Anna, Kurz and her own contact
    acme_only = neighbourhood(net.anna, organization_id=net.acme.pk)
    assert {p for p, _, _ in acme_only.people} == {net["weber"], net["kurz"]}


def test_team_reach_ranks_who_reaches_whom(net):
    rows = team_reach(net.anna, net.acme)
    assert [r.target for r in rows] == [net["weber"], net["kurz"]]
    assert rows[0].path.strength == pytest.approx(0.9)
    assert rows[0].path.steps[0].person == net["bernd"]
    assert rows[1].path.steps[0].person == net["jana"]


def test_key_person_risk_names_the_colleague_access_hangs_on(net):
    Relationship.objects.filter(person_b_id=net["weber"].pk).delete()
    Relationship.objects.filter(person_a_id=net["weber"].pk).delete()
    bump_graph_version(net.tenant.id, full=True)
    snapshot.forget()
    (risk,) = key_person_risks(net.anna, organizations=[net.acme])
    assert (risk.people, risk.reached) == (2, 1)
    assert risk.key_person == net["jana"]
    assert risk.lost == (net["kurz"],)
    assert "if Jana Becker leaves we reach 0" in risk.text()


def test_recommendations_suggest_unconnected_people_with_reasons(net):
    suggestions = recommendations(net.anna)
    people = [s.person for s in suggestions]
    assert net["weber"] in people and net["kurz"] in people
    assert net["jana"] not in people  # already connected
    weber = next(s for s in suggestions if s.person == net["weber"])
    assert weber.reasons[0].startswith("1 shared contacts (Bernd Vogel")


def test_path_command_prints_paths_with_evidence(net):
    out = io.StringIO()
    call_command("path", "Anna Schmidt", "Klaus Weber", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("1. strength 0.504, 3 hops: Anna Schmidt")
    assert "Klaus Weber" in lines[0]


def test_snapshot_loads_in_a_constant_number_of_queries(net, django_assert_num_queries):
    with django_assert_num_queries(3):
        graph = snapshot.build_graph(net.tenant.id)
    assert graph.graph.m == 5


def test_first_hop_can_be_limited_to_colleagues(net):
    outsider = net["mayr"]
    net.tie("anna", "mayr", 0.99)
    net.tie("mayr", "weber", 0.99)
    best = introduction_paths(net.anna, net["weber"])
    assert best[0].steps[1].person == outsider
    via_colleague = introduction_paths(
        net.anna, net["weber"], PathOptions(colleague_first_hop=True)
    )
    assert via_colleague
    assert all(p.steps[1].person in (net["jana"], net["bernd"]) for p in via_colleague)


def test_team_reach_through_a_private_tie_does_not_name_the_private_person(net):
    friend = Person.objects.create(
        tenant=net.tenant,
        first_name="Geheim",
        last_name="Freundin",
        visibility="private",
        owner=net.anna,
    )
    net.people["friend"] = friend
    # Mayr, new at ACME, is known only to Anna's private friend.
    Position.objects.create(tenant=net.tenant, person=net["mayr"], organization=net.acme)
    net.tie("bernd", "friend", 0.99, owner=net.anna)
    net.tie("friend", "mayr", 0.99, owner=net.anna)
    rows = team_reach(net.jana, net.acme)
    mayr = next(r for r in rows if r.target == net["mayr"])
    assert "ask Anna Schmidt" in mayr.path.text()
    assert all("Freundin" not in r.path.text() for r in rows)


def test_shared_view_keeps_the_shared_strength_where_a_private_row_is_stronger(net):
    net.tie("anna", "bernd", 0.95, owner=net.jana)  # Jana's private view of the same pair
    snap = snapshot.build_graph(net.tenant.id)
    a, b = snap.node(net["anna"].pk), snap.node(net["bernd"].pk)
    assert snap.graph.edge_strength(a, b) == pytest.approx(0.95)
    assert snap.shared.edge_strength(a, b) == pytest.approx(0.5)
    assert snap.view_for(net.anna.pk).edge_strength(a, b) == pytest.approx(0.5)
    assert snap.view_for(net.jana.pk).edge_strength(a, b) == pytest.approx(0.95)
    # A pair known only privately is missing from the shared view.
    net.tie("jana", "mayr", 0.7, owner=net.jana)
    snap = snapshot.build_graph(net.tenant.id)
    j, m = snap.node(net["jana"].pk), snap.node(net["mayr"].pk)
    assert snap.graph.has_edge(j, m) and not snap.shared.has_edge(j, m)
