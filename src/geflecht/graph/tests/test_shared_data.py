"""The engine reproduces published statistics of the email-Eu-core network."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from geflecht.graph import (
    average_clustering,
    best_path,
    connected_components,
    ego_layers,
    louvain,
    triangles,
)


def test_email_eu_core_published_figures(email_eu_core):
    G, dept, raw = email_eu_core
    assert G.n == 1005 and len(raw) + 642 == 25571  # 642 self-loops dropped
    assert G.m == 16064
    cc = connected_components(G)
    assert cc.sizes[0] == 986
    assert int(triangles(G).sum()) // 3 == 105461
    assert average_clustering(G) == pytest.approx(0.3994, abs=5e-5)
    assert len(set(dept.tolist())) == 42


def test_email_eu_core_diameter_is_seven(email_eu_core):
    G, _, _ = email_eu_core
    largest = connected_components(G).largest
    ecc = 0
    for s in largest.tolist():
        e = ego_layers(G, s, radius=10)
        ecc = max(ecc, max((d for d, c in enumerate(e.counts, start=1) if c), default=0))
    assert ecc == 7


def test_email_eu_core_paths_match_networkx(email_eu_core):
    G, _, _ = email_eu_core
    H = G.to_networkx()
    rng = np.random.default_rng(1)
    for s, t in rng.integers(0, G.n, size=(30, 2)).tolist():
        if not nx.has_path(H, s, t) or s == t:
            continue
        expected = nx.dijkstra_path_length(H, s, t, weight="weight")
        p = best_path(G, s, t, max_hops=None)
        assert sum(-np.log(x) for x in p.strengths) == pytest.approx(expected, abs=1e-9)


def nmi(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised mutual information (arithmetic mean normalisation)."""
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1)
    p = joint / joint.sum()
    pa, pb = p.sum(1), p.sum(0)
    nz = p > 0
    mi = (p[nz] * np.log(p[nz] / np.outer(pa, pb)[nz])).sum()
    h = -(pa[pa > 0] * np.log(pa[pa > 0])).sum() - (pb[pb > 0] * np.log(pb[pb > 0])).sum()
    return float(2 * mi / h)


def test_email_eu_core_communities_follow_departments(email_eu_core):
    G, dept, _ = email_eu_core
    largest = connected_components(G).largest
    c = louvain(G, seed=0)
    assert c.modularity > 0.4
    score = nmi(c.labels[largest], dept[largest])
    random = nmi(np.random.default_rng(0).permutation(c.labels[largest]), dept[largest])
    assert score > 0.5 > 0.2 > random
