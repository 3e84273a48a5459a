"""Betweenness, PageRank and constraint against NetworkX."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geflecht.graph import Graph, betweenness, constraint, pagerank, social_graph

from .conftest import shared_data_dir, small_graphs

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def from_networkx(H: nx.Graph, strength: float = 1.0) -> tuple[Graph, list]:
    names = sorted(H.nodes())
    index = {x: i for i, x in enumerate(names)}
    u = [index[a] for a, _ in H.edges()]
    v = [index[b] for _, b in H.edges()]
    return Graph.from_edges(len(names), u, v, [strength] * len(u)), names


def as_array(d: dict, n: int) -> np.ndarray:
    return np.array([d[i] for i in range(n)])


@FAST
@given(
    G=small_graphs(max_n=10, max_strength=0.95),
    weighted=st.booleans(),
    normalized=st.booleans(),
)
def test_betweenness_matches_networkx(G, weighted, normalized):
    # Strength 1 means weight 0; zero-weight ties are ill-defined in both codes.
    H = G.to_networkx()
    expected = nx.betweenness_centrality(
        H, normalized=normalized, weight="weight" if weighted else None
    )
    got = betweenness(G, weighted=weighted, normalized=normalized)
    assert got.exact and got.stderr is None and got.max_stderr == 0.0
    np.testing.assert_allclose(got.values, as_array(expected, G.n), atol=1e-9)


def test_florentine_medici_are_the_top_broker():
    G, names = from_networkx(nx.florentine_families_graph())
    bc = betweenness(G)
    top = bc.top(5)
    assert names[top[0][0]] == "Medici"
    assert top[0][1] == pytest.approx(0.522, abs=5e-4)
    published = {"Guadagni": 0.255, "Albizzi": 0.212, "Salviati": 0.143, "Ridolfi": 0.114}
    for node, value in top[1:]:
        assert value == pytest.approx(published[names[node]], abs=5e-4)
    assert all(type(i) is int and type(x) is float for i, x in top)


def test_florentine_from_shared_data_matches_networkx_classic():
    import csv

    path = shared_data_dir() / "padgett-florentine" / "marriage_edges.csv"
    with path.open(newline="") as fh:
        rows = [(r["source"], r["target"]) for r in csv.DictReader(fh)]
    H = nx.Graph(rows)
    G, names = from_networkx(H)
    assert names[betweenness(G).top(1)[0][0]] == "Medici"


def test_sampled_betweenness_is_unbiased_within_its_standard_error():
    G = social_graph(600, mean_degree=8, seed=5)
    exact = betweenness(G).values
    est = betweenness(G, k=200, seed=1)
    assert not est.exact and est.pivots == 200 and est.stderr is not None
    assert est.max_stderr == pytest.approx(float(est.stderr.max()))
    # The standard error is meaningful where betweenness is not tiny: a node that lies
    # on shortest paths from only a handful of sources may get an all-zero sample and
    # a zero error estimate. Check it on the top 10% -- the brokers users look at.
    top = np.argsort(-exact)[: G.n // 10]
    z = np.abs(est.values - exact)[top] / est.stderr[top]
    assert np.mean(z <= 3) >= 0.85
    assert len(set(top[:10].tolist()) & set(np.argsort(-est.values)[:10].tolist())) >= 8
    assert np.array_equal(est.values, betweenness(G, k=200, seed=1).values), "seeded"
    full = betweenness(G, k=G.n, seed=1)
    np.testing.assert_allclose(full.values, exact)


@FAST
@given(G=small_graphs(max_n=10), weighted=st.booleans(), alpha=st.sampled_from([0.5, 0.85]))
def test_pagerank_matches_networkx(G, weighted, alpha):
    H = G.to_networkx()
    weight = "strength" if weighted else None
    expected = nx.pagerank(H, alpha=alpha, weight=weight, tol=1e-13, max_iter=10_000)
    got = pagerank(G, alpha=alpha, weighted=weighted, tol=1e-13, max_iter=10_000)
    np.testing.assert_allclose(got, as_array(expected, G.n), atol=1e-9)
    assert got.sum() == pytest.approx(1.0)


@FAST
@given(G=small_graphs(max_n=10), weighted=st.booleans())
def test_constraint_matches_networkx(G, weighted):
    H = G.to_networkx()
    expected = as_array(nx.constraint(H, weight="strength" if weighted else None), G.n)
    got = constraint(G, weighted=weighted)
    np.testing.assert_allclose(got, expected, atol=1e-12, equal_nan=True)


def test_constraint_is_lowest_for_the_broker():
    G, names = from_networkx(nx.florentine_families_graph())
    c = constraint(G)
    assert names[int(np.nanargmin(c))] == "Medici"
