"""Key-person risk against a brute force built on best_group_paths."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geflecht.graph import best_group_paths, key_person_risk, social_graph

from .conftest import small_graphs

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reach(G, sources, targets, hops, avoid=()):
    return {p.target: p.strength for p in best_group_paths(G, sources, targets, max_hops=hops,
                                                           avoid=avoid)}  # fmt: skip


def check(G, colleagues, groups, hops):
    result = key_person_risk(G, colleagues, groups, max_hops=hops)
    assert set(result) == set(groups)
    for g, people in groups.items():
        people = sorted(set(people) - set(colleagues))
        access = result[g]
        now = reach(G, colleagues, people, hops)
        assert access.people == len(people) and access.reached == len(now)
        for t in access.targets:
            assert t.strength == pytest.approx(now.get(t.node, 0.0))
            assert (t.via is None) == (t.node not in now)
        impacts = {c.colleague: c for c in access.impacts}
        for x in colleagues:
            others = [c for c in colleagues if c != x]
            after = reach(G, others, people, hops, avoid=[x])
            lost = sorted(set(now) - set(after))
            loss = sum(now[t] - after.get(t, 0.0) for t in now)
            if x in impacts:
                assert list(impacts[x].people_lost) == lost
                assert impacts[x].reached_after == len(after)
                assert impacts[x].strength_lost == pytest.approx(loss, abs=1e-12)
            else:
                assert lost == [] and loss == pytest.approx(0.0, abs=1e-12)


@FAST
@given(G=small_graphs(min_n=4), data=st.data())
def test_key_person_risk_matches_brute_force(G, data):
    nodes = list(range(G.n))
    colleagues = sorted(data.draw(st.sets(st.sampled_from(nodes), min_size=1, max_size=3)))
    groups = {
        g: data.draw(st.lists(st.sampled_from(nodes), max_size=5))
        for g in range(data.draw(st.integers(1, 3)))
    }
    check(G, colleagues, groups, data.draw(st.sampled_from([None, 1, 2, 3])))


def test_summary_sentence_on_a_synthetic_company():
    G = social_graph(2000, mean_degree=10, seed=11)
    colleagues = list(range(10))
    groups = {7: list(range(100, 112)), 8: list(range(500, 530))}
    check(G, colleagues, groups, 3)
    access = key_person_risk(G, colleagues, groups, max_hops=3)[7]
    text = access.summary()
    assert text.startswith(f"of 12 people at 7 we reach {access.reached}")
    if access.key_person is not None:
        assert f"if colleague {access.key_person.colleague} leaves" in text
