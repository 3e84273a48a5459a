"""Louvain communities and modularity."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geflecht.graph import louvain, modularity, social_graph

from .conftest import small_graphs
from .test_centrality import from_networkx

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(G=small_graphs(max_n=10), data=st.data(), weighted=st.booleans())
def test_modularity_matches_networkx(G, data, weighted):
    labels = np.array(data.draw(st.lists(st.integers(0, 3), min_size=G.n, max_size=G.n)))
    H = G.to_networkx()
    if H.number_of_edges() == 0:
        assert modularity(G, labels) == 0.0
        return
    parts = [set(np.flatnonzero(labels == c).tolist()) for c in np.unique(labels)]
    expected = nx.community.modularity(H, parts, weight="strength" if weighted else None)
    assert modularity(G, labels, weighted=weighted) == pytest.approx(expected, abs=1e-12)


@FAST
@given(G=small_graphs(max_n=10), seed=st.integers(0, 3))
def test_louvain_is_a_consistent_partition(G, seed):
    c = louvain(G, seed=seed)
    assert c.labels.shape == (G.n,) and c.count == len(np.unique(c.labels))
    assert list(c.sizes) == sorted(c.sizes, reverse=True)
    assert c.modularity == pytest.approx(modularity(G, c.labels))
    assert c.modularity >= -0.5 - 1e-12
    singletons = modularity(G, np.arange(G.n))
    assert c.modularity >= singletons - 1e-12
    assert np.array_equal(c.labels, louvain(G, seed=seed).labels), "seeded"


def test_karate_club_modularity_is_near_the_known_optimum():
    G, _ = from_networkx(nx.karate_club_graph())
    best = max(louvain(G, seed=s, weighted=False).modularity for s in range(5))
    assert best >= 0.41  # optimum 0.4198 (Brandes et al. 2008)


def test_planted_communities_are_recovered():
    G, truth = social_graph(3000, mean_degree=12, communities=10, mixing=0.1, seed=7,
                            return_labels=True)  # fmt: skip
    c = louvain(G, seed=1)
    # Each found community sits mostly inside one planted community.
    purity = sum(np.bincount(truth[c.labels == k]).max() for k in range(c.count)) / G.n
    assert purity > 0.9
    assert c.modularity > 0.6
