"""Connectivity and local clustering: who can reach whom at all, and how cliquish.

Checks that the engine reads a network the way published statistics describe it
(components, triangles, clustering), and answers "is there any route at all" cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import connected_components as _cc

from ._jit import njit
from .snapshot import Graph

__all__ = ["Components", "average_clustering", "connected_components", "triangles"]


@dataclass(frozen=True, slots=True)
class Components:
    """Connected components.

    Attributes
    ----------
    labels : ndarray of int64
        Component of each node, numbered by decreasing size (0 is the largest).
    sizes : tuple of int
        Size of each component, largest first.
    """

    labels: np.ndarray
    sizes: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.sizes)

    @property
    def largest(self) -> np.ndarray:
        """Node ids of the largest component."""
        return np.flatnonzero(self.labels == 0)


def connected_components(G: Graph) -> Components:
    """Connected components of the graph (isolated nodes are components of size 1).

    Examples
    --------
    >>> from geflecht.graph import Graph
    >>> from geflecht.graph.components import connected_components
    >>> connected_components(Graph.from_edges(5, [0, 1], [1, 2], [1.0, 1.0])).sizes
    (3, 1, 1)
    """
    count, labels = _cc(G.to_scipy(weight=None), directed=False)
    sizes = np.bincount(labels, minlength=count)
    rank = np.empty(count, dtype=np.int64)
    rank[np.lexsort((np.arange(count), -sizes))] = np.arange(count)
    labels = rank[labels]
    labels.flags.writeable = False
    return Components(labels, tuple(int(x) for x in np.sort(sizes)[::-1]))


@njit
def _triangles(start, end, indices, n):
    out = np.zeros(n, np.int64)
    for u in range(n):
        for a in range(start[u], end[u]):
            v = indices[a]
            if v <= u:
                continue
            # Sorted merge of the two rows, counting common neighbours w > v so each
            # triangle u < v < w is found once.
            i = start[u]
            j = start[v]
            while i < end[u] and j < end[v]:
                x = indices[i]
                y = indices[j]
                if x == y:
                    if x > v:
                        out[u] += 1
                        out[v] += 1
                        out[x] += 1
                    i += 1
                    j += 1
                elif x < y:
                    i += 1
                else:
                    j += 1
    return out


def triangles(G: Graph) -> np.ndarray:
    """Number of triangles through each node (as ``networkx.triangles``).

    Examples
    --------
    >>> from geflecht.graph import Graph
    >>> from geflecht.graph.components import triangles
    >>> triangles(Graph.from_edges(4, [0, 0, 1, 2], [1, 2, 2, 3], [1.0] * 4)).tolist()
    [1, 1, 1, 0]
    """
    start, end, indices, _, _ = G._arrays()
    return _triangles(start, end, indices, G.n)


def average_clustering(G: Graph) -> float:
    """Mean local clustering coefficient, nodes of degree < 2 counting as 0 (unweighted).

    Examples
    --------
    >>> from geflecht.graph import Graph
    >>> from geflecht.graph.components import average_clustering
    >>> average_clustering(Graph.from_edges(3, [0, 0, 1], [1, 2, 2], [1.0] * 3))
    1.0
    """
    if G.n == 0:
        return 0.0
    t = triangles(G).astype(np.float64)
    d = G.degrees().astype(np.float64)
    pairs = d * (d - 1) / 2
    c = np.divide(t, pairs, out=np.zeros_like(t), where=pairs > 0)
    return float(c.mean())
