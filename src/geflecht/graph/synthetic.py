"""Seeded synthetic social graphs for tests and benchmarks.

Real relationship graphs have communities (firms, departments, regions) and
heavy-tailed degrees (a few people know everyone). :func:`social_graph` draws a
degree-corrected stochastic block model -- a Chung-Lu graph whose edges mostly stay
inside communities -- with fully vectorised numpy, so a million people and ten million
relationships take seconds, not minutes.
"""

from __future__ import annotations

import numpy as np

from .exceptions import GraphError
from .snapshot import Graph, sorted_unique

__all__ = ["social_graph"]


def social_graph(
    n: int,
    *,
    mean_degree: float = 20,
    communities: int | None = None,
    mixing: float = 0.2,
    exponent: float = 2.5,
    seed: int | None = None,
    return_labels: bool = False,
):
    """A random social graph with communities and a power-law degree tail.

    Parameters
    ----------
    n : int
        Number of nodes.
    mean_degree : float, default 20
        Target average degree; the graph has about ``n * mean_degree / 2`` edges.
    communities : int, optional
        Number of communities; default ``max(1, n // 200)``. Sizes are heavy-tailed.
    mixing : float, default 0.2
        Share of edges whose second endpoint is drawn from the whole graph instead
        of the first endpoint's community.
    exponent : float, default 2.5
        Exponent of the power-law tail of expected degrees (must exceed 2).
    seed : int, optional
        Seed; the same arguments and seed give the same graph.
    return_labels : bool, default False
        Also return the community label of each node.

    Returns
    -------
    Graph, or (Graph, ndarray) when ``return_labels``
        Strengths lie in [0.01, 1]; ties inside a community are stronger on average
        (mean about 0.45) than ties across (about 0.2).

    Notes
    -----
    Endpoints are drawn with probability proportional to a Pareto weight
    (Chung and Lu 2002), the second endpoint restricted to the first one's community
    with probability ``1 - mixing`` (degree-corrected SBM, Karrer and Newman 2011).
    Self-loops and repeated pairs are dropped and more pairs drawn until the edge
    target is met.

    Examples
    --------
    >>> from geflecht.graph import social_graph
    >>> G = social_graph(1000, mean_degree=10, seed=1)
    >>> G.n, G.m
    (1000, 5000)
    """
    if n < 2:
        raise GraphError("n must be at least 2")
    if exponent <= 2:
        raise GraphError("exponent must be greater than 2")
    rng = np.random.default_rng(seed)
    k = int(communities) if communities is not None else max(1, n // 200)
    k = max(1, min(k, n // 2))
    # Heavy-tailed community sizes, each at least 2 nodes, summing to n.
    raw = rng.pareto(1.5, size=k) + 1.0
    sizes = np.maximum(2, np.floor(raw / raw.sum() * (n - 2 * k)).astype(np.int64) + 2)
    sizes[np.argmax(sizes)] += n - sizes.sum()
    comm_sorted = np.repeat(np.arange(k), sizes)
    # Expected degrees: Pareto tail, capped at the structural cut-off sqrt(n * mean)
    # beyond which a Chung-Lu graph would need repeated pairs.
    theta = (1.0 - rng.random(n)) ** (-1.0 / (exponent - 1.0))
    theta = np.minimum(theta, np.sqrt(n * mean_degree) / 2)
    cum = np.cumsum(theta)
    comm_lo = np.concatenate([[0.0], cum[np.cumsum(sizes)[:-1] - 1]])
    comm_hi = cum[np.cumsum(sizes) - 1]
    first_idx = np.cumsum(sizes) - sizes
    last_idx = np.cumsum(sizes) - 1

    target = round(n * mean_degree / 2)
    target = min(target, n * (n - 1) // 2)
    base = np.zeros(0, dtype=np.int64)  # sorted unique pairs of the first round
    extra = np.zeros(0, dtype=np.int64)  # sorted unique pairs of later rounds, not in base
    oversample = 1.1
    for _ in range(20):
        need = target - len(base) - len(extra)
        if need <= 0:
            break
        draw = int(need * oversample) + 16
        u = np.searchsorted(cum, rng.random(draw) * cum[-1], side="right")
        u = np.minimum(u, n - 1)
        cu = comm_sorted[u]
        local = rng.random(draw) >= mixing
        r = np.where(
            local,
            comm_lo[cu] + rng.random(draw) * (comm_hi[cu] - comm_lo[cu]),
            rng.random(draw) * cum[-1],
        )
        v = np.searchsorted(cum, r, side="right")
        v = np.where(local, np.clip(v, first_idx[cu], last_idx[cu]), np.minimum(v, n - 1))
        ok = u != v
        a = np.minimum(u[ok], v[ok])
        b = np.maximum(u[ok], v[ok])
        new = sorted_unique(a * n + b)
        # Hubs make repeated pairs likely; draw the next round with the observed loss.
        oversample = min(4.0, max(1.05, 1.05 * draw / max(len(new), 1)))
        if len(base) == 0:
            base = new
            continue
        pos = np.minimum(np.searchsorted(base, new), len(base) - 1)
        extra = sorted_unique(np.concatenate([extra, new[base[pos] != new]]))
    # Two sorted runs: a stable sort merges them in linear time.
    keys = np.sort(np.concatenate([base, extra]), kind="stable")
    if len(keys) > target:
        drop = rng.choice(len(keys), size=len(keys) - target, replace=False)
        keep = np.ones(len(keys), dtype=bool)
        keep[drop] = False
        keys = keys[keep]
    a = keys // n
    b = keys % n
    same = comm_sorted[a] == comm_sorted[b]
    strength = np.where(
        same, rng.beta(2.0, 2.5, size=len(keys)), rng.beta(1.2, 5.0, size=len(keys))
    )
    strength = np.clip(np.round(strength, 4), 0.01, 1.0)
    # Shuffle ids so communities are not contiguous id ranges (as in a real database,
    # where ids follow insertion order) -- contiguous ranges would flatter cache use.
    perm = rng.permutation(n)
    G = Graph.from_edges(n, perm[a], perm[b], strength)
    if return_labels:
        labels = np.empty(n, dtype=np.int64)
        labels[perm] = comm_sorted
        return G, labels
    return G
