"""Ego networks by degree of separation ("2nd-degree contacts").

The layers are the classic breadth-first hop distances; alongside, every reached node
gets the strength of its strongest path from the source that stays within the radius,
which is what a user means by "how well can I reach this person".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _search
from .exceptions import GraphError
from .snapshot import Graph

__all__ = ["EgoLayers", "ego_layers"]


@dataclass(frozen=True, slots=True)
class EgoLayers:
    """Nodes around a source, grouped by hop distance.

    Attributes
    ----------
    source : int
    radius : int
    layers : tuple of ndarray
        ``layers[d - 1]``: ids (int64) at exactly ``d`` hops, ``d = 1 .. radius``, in
        breadth-first discovery order (sort them if you need id order).
    strengths : tuple of ndarray
        ``strengths[d - 1][i]``: strength of the strongest path (at most ``radius``
        hops) from the source to ``layers[d - 1][i]``.
    counts : tuple of int
        ``len(layers[d - 1])`` per degree.
    """

    source: int
    radius: int
    layers: tuple[np.ndarray, ...]
    strengths: tuple[np.ndarray, ...]
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def degree_of(self, node: int) -> int | None:
        """Hop distance of ``node`` (None when not returned)."""
        for d, layer in enumerate(self.layers, start=1):
            if np.any(layer == node):
                return d
        return None

    def strength_of(self, node: int) -> float:
        """Best path strength to ``node`` within the radius (0.0 when not returned)."""
        for layer, st in zip(self.layers, self.strengths, strict=True):
            hit = np.flatnonzero(layer == node)
            if hit.size:
                return float(st[hit[0]])
        return 0.0


def ego_layers(
    G: Graph,
    source: int,
    *,
    radius: int = 3,
    min_strength: float = 0.0,
    mask=None,
    include=None,
) -> EgoLayers:
    """Nodes at exactly 1, 2, ..., ``radius`` hops from ``source``.

    Parameters
    ----------
    G : Graph
    source : int
    radius : int, default 3
    min_strength : float, default 0.0
        Edges weaker than this are not followed.
    mask : array of bool, optional
        Nodes that may be traversed (and therefore returned); use it for visibility.
        The source itself is always the starting point.
    include : array of bool, optional
        Nodes that may be *returned*; others are still traversed. Use it for filters
        such as "people in Ulm" that must not cut the paths leading to them.

    Returns
    -------
    EgoLayers

    Notes
    -----
    One hop-layered search does both jobs: the layer in which a node is first reached
    is its breadth-first distance, and the values after ``radius`` layers are the
    strongest paths of at most ``radius`` hops (Bellman 1958).

    Examples
    --------
    >>> from geflecht.graph import Graph, ego_layers
    >>> G = Graph.from_edges(5, [0, 0, 1, 2, 3], [1, 2, 3, 3, 4], [0.5, 0.9, 0.5, 0.9, 0.5])
    >>> e = ego_layers(G, 0, radius=2)
    >>> [sorted(layer.tolist()) for layer in e.layers], e.counts
    ([[1, 2], [3]], (2, 1))
    >>> round(e.strength_of(3), 2)
    0.81
    """
    s = G._check(source)
    if int(radius) != radius or radius < 0:
        raise GraphError("radius must be a non-negative integer")
    radius = int(radius)
    allow = np.zeros(0, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if allow.size and allow.shape != (G.n,):
        raise GraphError(f"mask must be a boolean array of length n={G.n}")
    inc = None if include is None else np.asarray(include, dtype=bool)
    if inc is not None and inc.shape != (G.n,):
        raise GraphError(f"include must be a boolean array of length n={G.n}")
    start, end, indices, strength, weight = G._arrays()
    ws = G._workspace()
    res = _search.layered(
        start, end, indices, strength, weight, np.array([s], dtype=np.int64), radius,
        float(min_strength), ws.blocked, allow, ws.first, 0, -1, -1,
        ws.dist_a, ws.entry_a, ws.layer_a, ws.reach_a, False,
    )  # fmt: skip
    touched, nt = res[4], res[5]
    try:
        nodes = touched[1:nt].copy()  # touched[0] is the source
        hop = ws.reach_a[nodes]
        dist = ws.dist_a[nodes]
    finally:
        _search.reset(touched, nt, ws.dist_a, ws.entry_a, ws.layer_a, ws.reach_a)
    if inc is not None:
        keep = inc[nodes]
        nodes, hop, dist = nodes[keep], hop[keep], dist[keep]
    # The kernel appends a node when it is first reached, so ``nodes`` is already
    # grouped by hop distance; not sorting keeps large (3rd-degree) answers cheap.
    dist = np.exp(-dist)
    bounds = np.searchsorted(hop, np.arange(1, radius + 2))
    layers = tuple(nodes[bounds[d] : bounds[d + 1]] for d in range(radius))
    strengths = tuple(dist[bounds[d] : bounds[d + 1]] for d in range(radius))
    for a in layers + strengths:
        a.flags.writeable = False
    return EgoLayers(s, radius, layers, strengths, tuple(len(x) for x in layers))
