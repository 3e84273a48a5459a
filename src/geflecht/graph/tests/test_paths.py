"""Best, k-best and group paths against NetworkX and brute force."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geflecht.graph import (
    Graph,
    GraphError,
    NodeNotFound,
    NoPath,
    best_group_paths,
    best_path,
    k_best_paths,
    social_graph,
)

from .conftest import small_graphs

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def path_weight(H: nx.Graph, nodes) -> float:
    return sum(H[a][b]["weight"] for a, b in itertools.pairwise(nodes))


def brute_force(H, s, t, *, max_hops=None, min_strength=0.0, avoid=(), first_hop=None):
    """All simple s-t paths satisfying the constraints, lightest first."""
    cutoff = max_hops if max_hops is not None else None
    out = []
    for p in nx.all_simple_paths(H, s, t, cutoff=cutoff):
        if any(x in avoid for x in p[1:-1]):
            continue
        if any(H[a][b]["strength"] < min_strength for a, b in itertools.pairwise(p)):
            continue
        if first_hop is not None and p[1] not in first_hop:
            continue
        out.append(path_weight(H, p))
    return sorted(out)


def check_path(G: Graph, p, s, t, *, max_hops=None, avoid=(), min_strength=0.0, first_hop=None):
    assert p.nodes[0] == s and p.nodes[-1] == t
    assert len(set(p.nodes)) == len(p.nodes), "paths are simple"
    assert len(p.strengths) == len(p.nodes) - 1
    for (a, b), st_ in zip(itertools.pairwise(p.nodes), p.strengths, strict=True):
        assert G.edge_strength(a, b) == st_ >= min_strength
    assert p.strength == pytest.approx(math.prod(p.strengths))
    assert isinstance(p.strength, float) and all(type(x) is int for x in p.nodes)
    if max_hops is not None:
        assert p.hops <= max_hops
    assert not set(p.nodes[1:-1]) & set(avoid)
    if first_hop is not None:
        assert p.nodes[1] in first_hop


@FAST
@given(G=small_graphs(), data=st.data())
def test_unlimited_best_path_matches_networkx_dijkstra(G, data):
    s = data.draw(st.integers(0, G.n - 1))
    t = data.draw(st.integers(0, G.n - 1))
    H = G.to_networkx()
    try:
        expected = nx.dijkstra_path_length(H, s, t, weight="weight")
    except nx.NetworkXNoPath:
        with pytest.raises(NoPath):
            best_path(G, s, t, max_hops=None)
        return
    p = best_path(G, s, t, max_hops=None)
    check_path(G, p, s, t)
    assert path_weight(H, p.nodes) == pytest.approx(expected, abs=1e-9)


@FAST
@given(G=small_graphs(), data=st.data())
def test_hop_limited_best_path_matches_brute_force(G, data):
    s = data.draw(st.integers(0, G.n - 1))
    t = data.draw(st.integers(0, G.n - 1).filter(lambda x: x != s))
    hops = data.draw(st.integers(1, 5))
    H = G.to_networkx()
    expected = brute_force(H, s, t, max_hops=hops)
    if not expected:
        with pytest.raises(NoPath):
            best_path(G, s, t, max_hops=hops)
        return
    p = best_path(G, s, t, max_hops=hops)
    check_path(G, p, s, t, max_hops=hops)
    assert path_weight(H, p.nodes) == pytest.approx(expected[0], abs=1e-9)


@FAST
@given(G=small_graphs(), data=st.data())
def test_constraints_match_brute_force(G, data):
    """avoid, min_strength and first_hop, with and without a hop limit."""
    s = data.draw(st.integers(0, G.n - 1))
    t = data.draw(st.integers(0, G.n - 1).filter(lambda x: x != s))
    hops = data.draw(st.sampled_from([None, 1, 2, 3, 4]))
    others = [x for x in range(G.n) if x not in (s, t)]
    avoid = set(data.draw(st.lists(st.sampled_from(others), max_size=3))) if others else set()
    min_strength = data.draw(st.sampled_from([0.0, 0.3, 0.5]))
    first_hop = data.draw(st.none() | st.sets(st.integers(0, G.n - 1), max_size=G.n).map(frozenset))
    H = G.to_networkx()
    expected = brute_force(
        H, s, t, max_hops=hops, min_strength=min_strength, avoid=avoid, first_hop=first_hop
    )
    kwargs = dict(max_hops=hops, min_strength=min_strength, avoid=avoid, first_hop=first_hop)
    if not expected:
        with pytest.raises(NoPath):
            best_path(G, s, t, **kwargs)
        return
    p = best_path(G, s, t, **kwargs)
    check_path(G, p, s, t, max_hops=hops, avoid=avoid, min_strength=min_strength,
               first_hop=first_hop)  # fmt: skip
    assert path_weight(H, p.nodes) == pytest.approx(expected[0], abs=1e-9)


@FAST
@given(G=small_graphs(), data=st.data())
def test_k_best_paths_match_networkx_shortest_simple_paths(G, data):
    s = data.draw(st.integers(0, G.n - 1))
    t = data.draw(st.integers(0, G.n - 1).filter(lambda x: x != s))
    k = data.draw(st.integers(1, 5))
    H = G.to_networkx()
    if not nx.has_path(H, s, t):
        with pytest.raises(NoPath):
            k_best_paths(G, s, t, k, max_hops=None)
        return
    expected = [
        path_weight(H, p)
        for p in itertools.islice(nx.shortest_simple_paths(H, s, t, weight="weight"), k)
    ]
    got = k_best_paths(G, s, t, k, max_hops=None)
    assert len({p.nodes for p in got}) == len(got)
    for p in got:
        check_path(G, p, s, t)
    # Ties may come in another order, so compare the weights, not the node lists.
    assert [path_weight(H, p.nodes) for p in got] == pytest.approx(expected, abs=1e-9)


@FAST
@given(G=small_graphs(), data=st.data())
def test_hop_limited_k_best_paths_match_brute_force(G, data):
    s = data.draw(st.integers(0, G.n - 1))
    t = data.draw(st.integers(0, G.n - 1).filter(lambda x: x != s))
    k = data.draw(st.integers(1, 5))
    hops = data.draw(st.integers(1, 4))
    first_hop = data.draw(st.none() | st.sets(st.integers(0, G.n - 1), max_size=G.n))
    H = G.to_networkx()
    expected = brute_force(H, s, t, max_hops=hops, first_hop=first_hop)[:k]
    if not expected:
        with pytest.raises(NoPath):
            k_best_paths(G, s, t, k, max_hops=hops, first_hop=first_hop)
        return
    got = k_best_paths(G, s, t, k, max_hops=hops, first_hop=first_hop)
    for p in got:
        check_path(G, p, s, t, max_hops=hops, first_hop=first_hop)
    assert len({p.nodes for p in got}) == len(got)
    assert [path_weight(H, p.nodes) for p in got] == pytest.approx(expected, abs=1e-9)


@FAST
@given(G=small_graphs(), data=st.data())
def test_group_paths_pick_the_best_source_per_target(G, data):
    nodes = list(range(G.n))
    sources = data.draw(st.sets(st.sampled_from(nodes), min_size=1, max_size=3))
    targets = data.draw(st.sets(st.sampled_from(nodes), min_size=1, max_size=5))
    hops = data.draw(st.sampled_from([None, 1, 2, 3]))
    H = G.to_networkx()
    got = best_group_paths(G, sources, targets, max_hops=hops)
    by_target = {p.target: p for p in got}
    assert len(by_target) == len(got)
    weights = [path_weight(H, p.nodes) for p in got]
    assert weights == sorted(weights)
    for t in targets - sources:
        options = [w for s in sources for w in brute_force(H, s, t, max_hops=hops)[:1]]
        if not options:
            assert t not in by_target
            continue
        p = by_target[t]
        assert p.source in sources
        check_path(G, p, p.source, t, max_hops=hops)
        assert path_weight(H, p.nodes) == pytest.approx(min(options), abs=1e-9)
    assert len(best_group_paths(G, sources, targets, max_hops=hops, limit=1)) == min(1, len(got))


def test_hop_limit_beats_plain_dijkstra():
    # The strongest path has 3 hops; with max_hops=2 the weaker 2-hop path is exact.
    G = Graph.from_edges(5, [0, 1, 2, 0, 4], [1, 2, 3, 4, 3], [0.9, 0.9, 0.9, 0.5, 0.5])
    assert best_path(G, 0, 3, max_hops=None).nodes == (0, 1, 2, 3)
    assert best_path(G, 0, 3, max_hops=2).nodes == (0, 4, 3)
    with pytest.raises(NoPath):
        best_path(G, 0, 3, max_hops=1)


def test_first_hop_allows_direct_edge_only_to_a_listed_target():
    G = Graph.from_edges(3, [0, 0, 1], [2, 1, 2], [0.9, 0.5, 0.5])
    assert best_path(G, 0, 2, first_hop={1}).nodes == (0, 1, 2)
    assert best_path(G, 0, 2, first_hop={1, 2}).nodes == (0, 2)
    with pytest.raises(NoPath):
        best_path(G, 0, 2, first_hop=set())


def test_errors_and_trivial_paths():
    G = Graph.from_edges(3, [0], [1], [0.5])
    with pytest.raises(NodeNotFound):
        best_path(G, 0, 3)
    with pytest.raises(NodeNotFound):
        best_path(G, -1, 0)
    with pytest.raises(NoPath):
        best_path(G, 0, 2)
    with pytest.raises(GraphError):
        best_path(G, 0, 1, max_hops=-1)
    p = best_path(G, 1, 1)
    assert (p.nodes, p.strengths, p.strength) == ((1,), (), 1.0)
    assert best_path(G, 0, 1, mask=np.array([True, True, False])).nodes == (0, 1)
    with pytest.raises(NoPath):
        best_path(G, 0, 1, mask=np.array([True, False, True]))


def test_results_agree_on_a_synthetic_graph():
    """Larger graph: hop-limited vs unlimited vs NetworkX, and the workspace is clean."""
    G = social_graph(2000, mean_degree=8, seed=3)
    H = G.to_networkx()
    rng = np.random.default_rng(0)
    for s, t in rng.integers(0, G.n, size=(40, 2)).tolist():
        try:
            expected = nx.dijkstra_path_length(H, s, t, weight="weight")
        except nx.NetworkXNoPath:
            continue
        p = best_path(G, s, t, max_hops=None)
        assert path_weight(H, p.nodes) == pytest.approx(expected, abs=1e-9)
        q = best_path(G, s, t, max_hops=64)
        assert path_weight(H, q.nodes) == pytest.approx(expected, abs=1e-9)
    ws = G._workspace()
    assert np.isinf(ws.dist_a).all() and np.isinf(ws.dist_b).all()
    assert (ws.entry_a == -1).all() and (ws.entry_b == -1).all()
    assert not ws.blocked.any() and not ws.first.any() and not ws.done_a.any()
