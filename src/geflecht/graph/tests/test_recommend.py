"""Recommendations and link prediction against NetworkX, and on real data."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geflecht.graph import GraphError, link_prediction_scores, recommend
from geflecht.graph.recommend import evaluate_link_prediction

from .conftest import small_graphs

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NX = {
    "resource_allocation": nx.resource_allocation_index,
    "adamic_adar": nx.adamic_adar_index,
    "jaccard": nx.jaccard_coefficient,
    "preferential_attachment": nx.preferential_attachment,
}


@FAST
@given(G=small_graphs(min_n=3), data=st.data())
def test_pair_scores_match_networkx(G, data):
    H = G.to_networkx()
    pairs = [(u, v) for u in range(G.n) for v in range(u + 1, G.n) if not H.has_edge(u, v)]
    if not pairs:
        return
    us = np.array([p[0] for p in pairs])
    vs = np.array([p[1] for p in pairs])
    for method, func in NX.items():
        # AA is undefined when a common neighbour has degree 1; impossible for a pair.
        expected = [score for _, _, score in func(H, pairs)]
        got = link_prediction_scores(G, (us, vs), method=method)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    cn = [len(list(nx.common_neighbors(H, u, v))) for u, v in pairs]
    got = link_prediction_scores(G, np.column_stack([us, vs]), method="common_neighbours")
    assert got.tolist() == cn


@FAST
@given(G=small_graphs(min_n=3), data=st.data())
def test_recommend_ranks_non_neighbours_by_score(G, data):
    s = data.draw(st.integers(0, G.n - 1))
    method = data.draw(st.sampled_from(["resource_allocation", "adamic_adar", "common_neighbours"]))
    H = G.to_networkx()
    candidates = [c for c in range(G.n) if c != s and not H.has_edge(s, c)]
    scored = link_prediction_scores(G, ([s] * len(candidates), candidates), method=method)
    expected = sorted(
        ((float(x), c) for x, c in zip(scored.tolist(), candidates, strict=True) if x > 0),
        key=lambda t: (-t[0], t[1]),
    )[:3]
    got = recommend(G, s, k=3, method=method)
    # Float sums may differ in the last bit between the two codes, which can swap
    # tied candidates: compare the score sequence, then each candidate's own score.
    assert [r.score for r in got] == pytest.approx([x for x, _ in expected])
    own = dict(zip(candidates, scored.tolist(), strict=True))
    assert all(r.score == pytest.approx(own[r.node]) for r in got)
    for r in got:
        assert set(r.common) == set(nx.common_neighbors(H, s, r.node))
        assert r.common_neighbours == len(r.common) and r.boost == 0.0
        assert r.resource_allocation == pytest.approx(sum(1 / H.degree(z) for z in r.common))


def test_exclude_and_boost():
    from geflecht.graph import Graph

    # 0 knows 1 and 2; 3 is reachable via both, 4 via 1 only.
    G = Graph.from_edges(5, [0, 0, 1, 2, 1], [1, 2, 3, 3, 4], [1.0] * 5)
    assert [r.node for r in recommend(G, 0)] == [3, 4]
    assert [r.node for r in recommend(G, 0, exclude=[3])] == [4]
    mask = np.zeros(5, dtype=bool)
    mask[4] = True
    assert [r.node for r in recommend(G, 0, exclude=mask)] == [3]
    boost = np.zeros(5)
    boost[4] = 2.0  # 4's RA 1/3 * 3 = 1.0 > 3's RA 2/3 * 1
    top = recommend(G, 0, boost=boost)
    assert [r.node for r in top] == [4, 3]
    assert top[0].structural == pytest.approx(1 / 3) and top[0].score == pytest.approx(1.0)
    with pytest.raises(GraphError):
        recommend(G, 0, method="magic")
    with pytest.raises(GraphError):
        recommend(G, 0, boost=-np.ones(5))


def test_resource_allocation_predicts_hidden_email_ties(email_eu_core):
    G, _, _ = email_eu_core
    report = evaluate_link_prediction(G, holdout=0.1, seed=42)
    by = report.by_method()
    ra, cn, rnd = by["resource_allocation"], by["common_neighbours"], by["random"]
    # Measured (seed 42): AUC RA 0.953, AA 0.949, CN 0.944, random 0.49;
    # precision@10 RA 0.154, CN 0.138, random 0.006.
    assert ra.auc > 0.9 and abs(rnd.auc - 0.5) < 0.05
    assert ra.precision_at_k > 10 * rnd.precision_at_k
    assert ra.auc >= cn.auc and ra.precision_at_k >= cn.precision_at_k
