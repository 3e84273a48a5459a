"""The CSR snapshot: building, validation, incremental changes and erasure."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geflecht.graph import Graph, GraphError, NodeNotFound, best_path, social_graph

from .conftest import small_graphs

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def edge_dict(G: Graph) -> dict[tuple[int, int], float]:
    u, v, s = G.edges()
    return dict(zip(zip(u.tolist(), v.tolist(), strict=True), s.tolist(), strict=True))


def assert_consistent(G: Graph) -> None:
    indptr, indices, strength, weight = G.csr()
    assert indptr.dtype == np.int64 and indices.dtype == np.int32
    assert len(indices) == 2 * G.m
    for x in range(G.n):
        row = indices[indptr[x] : indptr[x + 1]]
        assert (np.diff(row) > 0).all(), "rows are sorted and unique"
        assert np.array_equal(row, G.neighbors(x))
        for y, s in zip(row.tolist(), strength[indptr[x] : indptr[x + 1]].tolist(), strict=True):
            assert G.edge_strength(y, x) == s  # symmetric
    np.testing.assert_allclose(weight, -np.log(strength))


def test_from_edges_basics():
    G = Graph.from_edges(4, [0, 1, 1, 2], [1, 0, 2, 0], [0.5, 0.7, 0.3, 1.0])
    assert (G.n, G.m) == (4, 3)
    assert G.edge_strength(0, 1) == 0.7, "duplicates keep the largest strength"
    assert G.edge_strength(0, 2) == 1.0 and G.edge_strength(2, 0) == 1.0
    assert G.edge_strength(0, 3) == 0.0
    assert G.degree(0) == 2 and G.degree(3) == 0
    assert G.neighbors(0).tolist() == [1, 2]
    assert type(G.degree(0)) is int and type(G.edge_strength(0, 1)) is float
    assert G.weight[G.indptr[0]] == pytest.approx(-np.log(0.7))
    assert_consistent(G)
    with pytest.raises(ValueError):
        G.neighbors(0)[0] = 5  # snapshots are read-only


@pytest.mark.parametrize(
    "args",
    [
        (3, [0], [0], [0.5]),  # self-loop
        (3, [0], [3], [0.5]),  # out of range
        (3, [0], [1], [0.0]),  # strength must be > 0
        (3, [0], [1], [1.5]),  # and <= 1
        (3, [0, 1], [1], [0.5]),  # lengths differ
        (3, [0.5], [1], [0.5]),  # not integer ids
    ],
)
def test_from_edges_rejects_bad_input(args):
    with pytest.raises(GraphError):
        Graph.from_edges(*args)


def test_node_errors():
    G = Graph.from_edges(2, [0], [1], [0.5])
    for bad in (2, -1, 1.5, "a"):
        with pytest.raises(NodeNotFound):
            G.degree(bad)
    assert issubclass(NodeNotFound, GraphError)


@FAST
@given(G=small_graphs(max_n=8), data=st.data())
def test_with_changes_equals_rebuild(G, data):
    n = G.n
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    ups = data.draw(st.lists(st.tuples(st.sampled_from(pairs), st.floats(0.01, 1.0)), max_size=6))
    dels = data.draw(st.lists(st.sampled_from(pairs), max_size=6))
    up_keys = {tuple(sorted(p)) for p, _ in ups}
    dels = [d for d in dels if tuple(sorted(d)) not in up_keys]
    expected = edge_dict(G)
    for p in dels:
        expected.pop(tuple(sorted(p)), None)
    best: dict = {}
    for p, s in ups:
        k = tuple(sorted(p))
        best[k] = max(best.get(k, 0.0), s)
    expected.update(best)
    H = G.with_changes(
        upserts=([p[0] for p, _ in ups], [p[1] for p, _ in ups], [s for _, s in ups]),
        deletions=([d[0] for d in dels], [d[1] for d in dels]),
    )
    assert edge_dict(H) == pytest.approx(expected)
    assert H.m == len(expected)
    assert_consistent(H)
    # The parent snapshot is untouched.
    assert_consistent(G)


def test_changes_do_not_leak_between_sibling_snapshots():
    G = social_graph(500, mean_degree=6, seed=1)
    before = edge_dict(G)
    u, v, _ = G.edges()
    A = G.with_changes(upserts=([0], [1], [0.99]), deletions=([u[0]], [v[0]]))
    B = G.with_changes(upserts=([2], [3], [0.42]))
    C = A.with_changes(upserts=([0], [1], [0.5]))
    assert edge_dict(G) == before
    assert A.edge_strength(0, 1) == 0.99 and not A.has_edge(int(u[0]), int(v[0]))
    assert B.edge_strength(0, 1) == G.edge_strength(0, 1) and B.edge_strength(3, 2) == 0.42
    assert C.edge_strength(0, 1) == 0.5 and A.edge_strength(0, 1) == 0.99
    for X in (G, A, B, C):
        assert_consistent(X)


def test_many_changes_fall_back_to_a_rebuild_with_the_same_result():
    G = social_graph(300, mean_degree=6, seed=2)
    u, v, _ = G.edges()
    H = G.with_changes(upserts=(u, v, np.full(len(u), 0.5)))  # touches every row
    assert H.m == G.m and set(H.edges()[2].tolist()) == {0.5}
    rng = np.random.default_rng(0)
    X = G
    for _ in range(40):  # repeated small batches exhaust the pool headroom eventually
        a = rng.integers(0, G.n, 50)
        b = (a + rng.integers(1, G.n, 50)) % G.n
        X = X.with_changes(upserts=(a, b, rng.uniform(0.1, 1, 50)))
    assert_consistent(X)


def test_upsert_and_delete_of_the_same_pair_is_rejected():
    G = Graph.from_edges(3, [0], [1], [0.5])
    with pytest.raises(GraphError):
        G.with_changes(upserts=([0], [1], [0.9]), deletions=([1], [0]))
    assert G.with_changes() is G


def test_remove_nodes_erases_every_edge_but_keeps_ids():
    G = Graph.from_edges(5, [0, 1, 2, 3], [1, 2, 3, 4], [0.9, 0.9, 0.9, 0.9])
    H = G.remove_nodes([2])
    assert (H.n, H.m) == (5, 2)
    assert H.degree(2) == 0 and 2 not in H.neighbors(1) and 2 not in H.neighbors(3)
    assert best_path(G, 0, 4).nodes == (0, 1, 2, 3, 4)
    with pytest.raises(Exception, match="no path"):
        best_path(H, 0, 4)
    assert H.remove_nodes([2]) is H
    assert_consistent(H)


def test_with_changes_can_add_people():
    G = Graph.from_edges(3, [0], [1], [0.5])
    H = G.with_changes(n=5, upserts=([1, 4], [4, 3], [0.9, 0.8]))
    assert (H.n, H.m) == (5, 3) and (G.n, G.m) == (3, 1)
    assert best_path(H, 0, 3).nodes == (0, 1, 4, 3)
    assert H.degree(2) == 0 and H.with_changes(n=5) is H
    assert_consistent(H)
    with pytest.raises(GraphError):
        H.with_changes(n=4)
