"""Ego layers against NetworkX breadth-first search and brute-force best strengths."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geflecht.graph import GraphError, ego_layers, social_graph

from .conftest import small_graphs

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def best_within(H: nx.Graph, s, t, radius, allowed) -> float:
    best = 0.0
    for p in nx.all_simple_paths(H, s, t, cutoff=radius):
        if all(x in allowed for x in p[1:]):
            best = max(best, math.prod(H[a][b]["strength"] for a, b in itertools.pairwise(p)))
    return best


@FAST
@given(G=small_graphs(), data=st.data())
def test_layers_match_bfs_and_strengths_match_brute_force(G, data):
    s = data.draw(st.integers(0, G.n - 1))
    radius = data.draw(st.integers(0, 4))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=G.n, max_size=G.n)))
    include = np.array(data.draw(st.lists(st.booleans(), min_size=G.n, max_size=G.n)))
    use_mask = data.draw(st.booleans())
    use_include = data.draw(st.booleans())
    H = G.to_networkx()
    allowed = {x for x in range(G.n) if mask[x]} if use_mask else set(range(G.n))
    sub = H.subgraph(allowed | {s})
    dist = nx.single_source_shortest_path_length(sub, s, cutoff=radius)
    e = ego_layers(
        G, s, radius=radius, mask=mask if use_mask else None,
        include=include if use_include else None,
    )  # fmt: skip
    assert len(e.layers) == radius == len(e.counts)
    for d in range(1, radius + 1):
        expected = sorted(
            x for x, dx in dist.items() if dx == d and (not use_include or include[x])
        )
        assert sorted(e.layers[d - 1].tolist()) == expected
        assert e.counts[d - 1] == len(expected)
        got = dict(zip(e.layers[d - 1].tolist(), e.strengths[d - 1].tolist(), strict=True))
        for x, strength in sorted(got.items()):
            assert strength == pytest.approx(best_within(H, s, x, radius, allowed), rel=1e-12)
            assert e.degree_of(x) == d
    assert e.degree_of(s) is None and e.strength_of(s) == 0.0


def test_min_strength_cuts_weak_ties():
    G = social_graph(300, mean_degree=6, seed=4)
    H = G.to_networkx()
    H.remove_edges_from([(a, b) for a, b, d in H.edges(data=True) if d["strength"] < 0.3])
    e = ego_layers(G, 0, radius=2, min_strength=0.3)
    dist = nx.single_source_shortest_path_length(H, 0, cutoff=2)
    assert sorted(e.layers[1].tolist()) == sorted(x for x, d in dist.items() if d == 2)


def test_bad_arguments():
    G = social_graph(50, mean_degree=4, seed=1)
    with pytest.raises(GraphError):
        ego_layers(G, 0, radius=-1)
    with pytest.raises(GraphError):
        ego_layers(G, 0, mask=np.ones(3, dtype=bool))
    assert ego_layers(G, 0, radius=0).counts == ()
