"""Who brokers, who matters: betweenness, PageRank and Burt's constraint.

Betweenness finds the brokers whose departure would cut introductions, PageRank the
well-connected, and Burt's constraint the people whose contacts are *not* otherwise
connected to each other (low constraint = structural holes = brokerage opportunity).
All three agree with NetworkX on the same graph (tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._jit import njit
from ._search import _heap_pop, _heap_push
from .exceptions import GraphError
from .snapshot import Graph

__all__ = ["Betweenness", "betweenness", "constraint", "pagerank"]


@dataclass(frozen=True, slots=True)
class Betweenness:
    """Betweenness centrality of every node, with its sampling error.

    Attributes
    ----------
    values : ndarray of float64
        Betweenness per node (normalised if ``normalized``).
    normalized, weighted : bool
        The options the values were computed with.
    exact : bool
        True when every node was a source (Brandes' exact algorithm).
    pivots : int
        Number of source nodes used.
    stderr : ndarray of float64 or None
        For sampled runs, the estimated standard error of each value (same scale as
        ``values``); None for exact runs.
    max_stderr : float
        Largest entry of ``stderr`` (0.0 for exact runs).
    """

    values: np.ndarray
    normalized: bool
    weighted: bool
    exact: bool
    pivots: int
    stderr: np.ndarray | None
    max_stderr: float

    def top(self, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` highest ``(node, value)`` pairs, highest first (ties by id)."""
        order = np.lexsort((np.arange(len(self.values)), -self.values))[:k]
        return [(int(i), float(self.values[i])) for i in order]


@njit
def _brandes(start, end, indices, weight, sources, weighted, n):
    bc = np.zeros(n)
    sq = np.zeros(n)
    sigma = np.zeros(n)
    dist = np.full(n, np.inf)
    delta = np.zeros(n)
    done = np.zeros(n, np.int8)
    order = np.empty(n, np.int64)
    keys = np.empty(64, np.float64)
    vals = np.empty(64, np.int64)
    for si in range(sources.shape[0]):
        s = sources[si]
        ns = 0
        sigma[s] = 1.0
        dist[s] = 0.0
        if not weighted:
            order[0] = s
            ns = 1
            head = 0
            while head < ns:
                v = order[head]
                head += 1
                dv1 = dist[v] + 1.0
                for a in range(start[v], end[v]):
                    w = indices[a]
                    if dist[w] == np.inf:
                        dist[w] = dv1
                        order[ns] = w
                        ns += 1
                    if dist[w] == dv1:
                        sigma[w] += sigma[v]
        else:
            nh = 0
            keys, vals, nh = _heap_push(keys, vals, nh, 0.0, s)
            while nh > 0:
                dv, v, nh = _heap_pop(keys, vals, nh)
                if done[v] != 0 or dv > dist[v]:
                    continue
                done[v] = 1
                order[ns] = v
                ns += 1
                for a in range(start[v], end[v]):
                    w = indices[a]
                    if done[w] != 0:
                        continue
                    nd = dv + weight[a]
                    if nd < dist[w]:
                        dist[w] = nd
                        sigma[w] = sigma[v]
                        keys, vals, nh = _heap_push(keys, vals, nh, nd, w)
                    elif nd == dist[w]:
                        sigma[w] += sigma[v]
        # Dependency accumulation in reverse order of distance (Brandes 2001, Thm. 6).
        for i in range(ns - 1, -1, -1):
            w = order[i]
            dw = dist[w]
            coeff = (1.0 + delta[w]) / sigma[w]
            for a in range(start[w], end[w]):
                v = indices[a]
                step = weight[a] if weighted else 1.0
                # Same float expression as in the search, so equality is exact.
                if dist[v] + step == dw and dist[v] < dw:
                    delta[v] += sigma[v] * coeff
            if w != s:
                bc[w] += delta[w]
                sq[w] += delta[w] * delta[w]
        for i in range(ns):
            v = order[i]
            sigma[v] = 0.0
            dist[v] = np.inf
            delta[v] = 0.0
            done[v] = 0
    return bc, sq


def betweenness(
    G: Graph,
    *,
    weighted: bool = False,
    normalized: bool = True,
    k: int | None = None,
    seed: int | None = None,
) -> Betweenness:
    """Shortest-path betweenness centrality (Brandes' algorithm).

    Parameters
    ----------
    G : Graph
    weighted : bool, default False
        If True, shortest paths minimise ``-log(strength)`` (strongest paths);
        otherwise they count hops.
    normalized : bool, default True
        Divide by ``(n-1)(n-2)``, the number of ordered pairs not involving the node,
        as ``networkx.betweenness_centrality`` does; otherwise halve the ordered-pair
        sum (each undirected pair counted once).
    k : int, optional
        Number of source pivots to sample; None (or ``k >= n``) is exact.
    seed : int, optional
        Seed for choosing the pivots.

    Returns
    -------
    Betweenness

    Notes
    -----
    Exact: Brandes (2001), O(nm) unweighted, O(nm + n^2 log n) weighted. Sampled: the
    pivot estimator of Brandes and Pich (2007), sources drawn uniformly without
    replacement and the sum scaled by ``n/k`` (unbiased). The reported error is the
    **standard error** of that estimator, per node: ``n * s / sqrt(k) * sqrt((n-k)/(n-1))``
    where ``s`` is the sample standard deviation of the node's per-pivot dependency
    and the last factor is the finite-population correction; it is then scaled like
    the values. It is a per-node, large-sample error, not a uniform worst-case bound
    like Riondato and Kornaropoulos (2016): reliable for nodes with sizeable
    betweenness (the brokers one looks at), but a node on the shortest paths of only a
    few sources may get an all-zero sample and a zero error estimate.

    Weighted ties are detected by exact float equality, as in NetworkX; arcs of
    strength exactly 1 (weight 0) can make tie counts differ from NetworkX.

    Examples
    --------
    >>> from geflecht.graph import Graph, betweenness
    >>> G = Graph.from_edges(3, [0, 1], [1, 2], [0.5, 0.5])
    >>> betweenness(G).values.tolist()
    [0.0, 1.0, 0.0]

    References
    ----------
    U. Brandes, "A faster algorithm for betweenness centrality", J. Math. Sociol. 25 (2001).
    U. Brandes and C. Pich, "Centrality estimation in large networks", IJBC 17 (2007).
    """
    n = G.n
    start, end, indices, _, weight = G._arrays()
    exact = k is None or k >= n
    if k is None or exact:
        sources = np.arange(n, dtype=np.int64)
    else:
        if k < 1:
            raise GraphError("k must be at least 1")
        rng = np.random.default_rng(seed)
        sources = np.sort(rng.choice(n, size=int(k), replace=False)).astype(np.int64)
    bc, sq = _brandes(start, end, indices, weight, sources, bool(weighted), n)
    # NetworkX's scaling: ordered pairs without the node, or each pair once.
    scale = (1.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0) if normalized else 0.5
    pivots = len(sources)
    stderr = None
    max_err = 0.0
    if not exact:
        factor = n / pivots
        mean = bc / pivots
        var = np.maximum(sq / pivots - mean * mean, 0.0) * pivots / max(pivots - 1, 1)
        fpc = math.sqrt((n - pivots) / (n - 1)) if n > 1 else 0.0
        stderr = n * np.sqrt(var / pivots) * fpc * scale
        bc = bc * factor
        max_err = float(stderr.max()) if n else 0.0
        stderr.flags.writeable = False
    values = bc * scale
    values.flags.writeable = False
    return Betweenness(values, bool(normalized), bool(weighted), exact, pivots, stderr, max_err)


def pagerank(
    G: Graph,
    *,
    alpha: float = 0.85,
    weighted: bool = True,
    tol: float = 1e-10,
    max_iter: int = 1000,
    personalization=None,
) -> np.ndarray:
    """PageRank of every node by power iteration on a sparse matrix.

    Parameters
    ----------
    G : Graph
    alpha : float, default 0.85
        Damping factor.
    weighted : bool, default True
        Walk along edges in proportion to their strength; else uniformly.
    tol : float, default 1e-10
        Stop when the L1 change is below ``n * tol`` (NetworkX's criterion).
    max_iter : int, default 1000
    personalization : array of float, optional
        Teleport distribution (normalised here); uniform by default. Isolated nodes
        (no edges) jump according to it too, as in NetworkX.

    Returns
    -------
    ndarray of float64
        Scores summing to 1.

    Raises
    ------
    GraphError
        If the iteration has not converged after ``max_iter`` steps.

    Examples
    --------
    >>> from geflecht.graph import Graph, pagerank
    >>> G = Graph.from_edges(3, [0, 0], [1, 2], [1.0, 1.0])
    >>> [round(x, 3) for x in pagerank(G).tolist()]
    [0.486, 0.257, 0.257]

    References
    ----------
    L. Page, S. Brin, R. Motwani, T. Winograd, "The PageRank citation ranking:
    bringing order to the web", Stanford InfoLab (1999).
    """
    n = G.n
    if n == 0:
        return np.zeros(0)
    A = G.to_scipy(weight="strength" if weighted else None)
    out = np.asarray(A.sum(axis=1)).ravel()
    dangling = out == 0
    inv = np.zeros(n)
    inv[~dangling] = 1.0 / out[~dangling]
    # Row-stochastic transition matrix, transposed once so each step is one SpMV.
    PT = (sp.diags_array(inv) @ A).T.tocsr()
    if personalization is None:
        p = np.full(n, 1.0 / n)
    else:
        p = np.asarray(personalization, dtype=np.float64)
        if p.shape != (n,) or p.sum() <= 0 or np.any(p < 0):
            raise GraphError("personalization must be a non-negative array of length n")
        p = p / p.sum()
    x = p.copy()
    for _ in range(max_iter):
        last = x
        x = alpha * (PT @ last + last[dangling].sum() * p) + (1 - alpha) * p
        if np.abs(x - last).sum() < n * tol:
            return x
    raise GraphError(f"pagerank did not converge in {max_iter} iterations")


@njit
def _constraint(start, end, indices, wts, n):
    out = np.full(n, np.nan)
    tot = np.zeros(n)
    for i in range(n):
        s = 0.0
        for a in range(start[i], end[i]):
            s += wts[a]
        tot[i] = s
    acc = np.zeros(n)
    mark = np.zeros(n, np.int8)
    for i in range(n):
        if end[i] == start[i]:
            continue
        for a in range(start[i], end[i]):
            j = indices[a]
            mark[j] = 1
            acc[j] = wts[a] / tot[i]  # direct term p_ij
        # Indirect terms p_iq * p_qj for neighbours q of i, only where j is also a
        # neighbour of i: Burt's local constraint sums over i's own contacts only.
        for a in range(start[i], end[i]):
            q = indices[a]
            p_iq = wts[a] / tot[i]
            for b in range(start[q], end[q]):
                j = indices[b]
                if mark[j] != 0 and j != i:
                    acc[j] += p_iq * wts[b] / tot[q]
        c = 0.0
        for a in range(start[i], end[i]):
            j = indices[a]
            c += acc[j] * acc[j]
            mark[j] = 0
            acc[j] = 0.0
        out[i] = c
    return out


def constraint(G: Graph, *, weighted: bool = True) -> np.ndarray:
    """Burt's constraint of every node (NaN for isolated nodes).

    ``c_i = sum_{j in N(i)} (p_ij + sum_{q in N(i)} p_iq p_qj)^2`` with
    ``p_ij = w_ij / sum_k w_ik``; ``w`` is the strength when ``weighted`` else 1. This
    is exactly what ``networkx.constraint(G, weight="strength")`` computes on an
    undirected graph.

    Examples
    --------
    >>> from geflecht.graph import Graph, constraint
    >>> G = Graph.from_edges(3, [0, 0], [1, 2], [1.0, 1.0])
    >>> constraint(G).tolist()
    [0.5, 1.0, 1.0]

    References
    ----------
    R. S. Burt, *Structural Holes: The Social Structure of Competition*, Harvard
    University Press (1992).
    """
    start, end, indices, strength, _ = G._arrays()
    wts = strength if weighted else np.ones_like(strength)
    return _constraint(start, end, indices, wts, G.n)
