"""Strongest introduction paths: best, k best and team-to-targets.

A path's strength is the product of its relationship strengths, so the strongest path
is the shortest one under the arc weight ``-log(strength)``. Introductions longer than
a few hops are useless in practice, so every search takes a hop limit ``max_hops``;
the hop-limited optimum is *not* what plain Dijkstra returns (the lightest path may
have too many hops), so hop-limited searches run a hop-layered Bellman-Ford from both
ends and meet in the middle: H layers in total, split between the two sides (for
example ``ceil(H/2)`` forward and ``floor(H/2)`` backward; the search picks the split
layer by layer, expanding the side with less work). ``max_hops=None`` lifts the limit
and uses pruned bidirectional Dijkstra.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from . import _search
from .exceptions import GraphError, NoPath
from .snapshot import Graph

__all__ = ["Path", "best_group_paths", "best_path", "k_best_paths"]

_EMPTY_BOOL = np.zeros(0, dtype=bool)


@dataclass(frozen=True, slots=True)
class Path:
    """A path and the strength of each of its hops.

    Attributes
    ----------
    nodes : tuple of int
        Node ids from source to target.
    strengths : tuple of float
        Strength of each hop; ``len(strengths) == len(nodes) - 1``.
    strength : float
        Product of the hop strengths (1.0 for the empty path from a node to itself).
    """

    nodes: tuple[int, ...]
    strengths: tuple[float, ...]
    strength: float

    @property
    def hops(self) -> int:
        return len(self.nodes) - 1

    @property
    def source(self) -> int:
        return self.nodes[0]

    @property
    def target(self) -> int:
        return self.nodes[-1]

    @property
    def weight(self) -> float:
        """Sum of ``-log(strength)`` over the hops (what the searches minimise)."""
        return float(sum(-math.log(s) for s in self.strengths))


# ---------------------------------------------------------------------- helpers
def _node_array(G: Graph, nodes, name: str) -> np.ndarray:
    if nodes is None:
        return np.zeros(0, dtype=np.int64)
    if not isinstance(nodes, np.ndarray):
        nodes = np.fromiter((int(x) for x in nodes), dtype=np.int64)
    return G._check_many(nodes, name)


def _mask_array(G: Graph, mask) -> np.ndarray:
    if mask is None:
        return _EMPTY_BOOL
    m = np.asarray(mask, dtype=bool)
    if m.shape != (G.n,):
        raise GraphError(f"mask must be a boolean array of length n={G.n}")
    return m


def _check_hops(max_hops) -> int | None:
    if max_hops is None:
        return None
    if int(max_hops) != max_hops or max_hops < 0:
        raise GraphError("max_hops must be a non-negative integer or None")
    return int(max_hops)


def _make_path(G: Graph, walk: list[int]) -> Path:
    # The two half-searches may share nodes (a walk with a cycle). Weights are
    # non-negative, so cutting the cycle out gives a path that is no weaker, uses only
    # arcs of the walk and keeps its first arc (the source appears only once).
    out: list[int] = []
    pos: dict[int, int] = {}
    for v in walk:
        if v in pos:
            cut = pos[v]
            for x in out[cut + 1 :]:
                del pos[x]
            del out[cut + 1 :]
        else:
            pos[v] = len(out)
            out.append(v)
    strengths = tuple(G.edge_strength(a, b) for a, b in itertools.pairwise(out))
    return Path(tuple(out), strengths, float(math.prod(strengths)))


def _chain(log_node, log_parent, e: int) -> list[int]:
    out = []
    while e >= 0:
        out.append(int(log_node[e]))
        e = int(log_parent[e])
    return out


def _walk_weight(G: Graph, nodes) -> float:
    start, end, indices, _, weight = G._arrays()
    total = 0.0
    for a, b in itertools.pairwise(nodes):
        lo, hi = int(start[a]), int(end[a])
        total += float(weight[lo + int(np.searchsorted(indices[lo:hi], b))])
    return total


def _search_walk(
    G: Graph,
    s: int,
    t: int,
    hops: int | None,
    min_s: float,
    blocked: np.ndarray,
    allow: np.ndarray,
    first_nodes: np.ndarray | None,
    first_mode: int,
) -> list[int] | None:
    """Best s-t walk under the constraints (marks in the workspace must be set)."""
    start, end, indices, strength, weight = G._arrays()
    ws = G._workspace()
    if hops is None:
        _, walk = _search.dijkstra_path(
            start, end, indices, strength, weight, s, t, min_s, blocked, allow,
            ws.first, first_mode, ws.dist_a, ws.dist_b, ws.entry_a, ws.entry_b,
            ws.done_a, ws.done_b,
        )  # fmt: skip
        return walk.tolist() if len(walk) else None
    if hops == 0:
        return None
    _, walk = _search.hop_path(
        start, end, indices, strength, weight, s, t, hops, min_s, blocked, allow, ws.first,
        first_mode, ws.dist_a, ws.dist_b, ws.entry_a, ws.entry_b, ws.layer_a, ws.layer_b,
    )  # fmt: skip
    return walk.tolist() if len(walk) else None


class _Marks:
    """Sets ``blocked``/``first`` marks in the workspace and always clears them."""

    def __init__(self, G: Graph, blocked_nodes: np.ndarray, first_on: np.ndarray,
                 first_off: np.ndarray | None = None):  # fmt: skip
        self.ws = G._workspace()
        self.blocked_nodes = blocked_nodes
        self.first_on = first_on
        self.first_off = first_off if first_off is not None else np.zeros(0, np.int64)

    def __enter__(self):
        self.ws.blocked[self.blocked_nodes] = 1
        self.ws.first[self.first_on] = 1
        self.ws.first[self.first_off] = 0
        return self

    def __exit__(self, *exc):
        self.ws.blocked[self.blocked_nodes] = 0
        self.ws.first[self.first_on] = 0
        self.ws.first[self.first_off] = 0
        return False


def _endpoints(G: Graph, source, target, allow: np.ndarray) -> tuple[int, int]:
    s = G._check(source)
    t = G._check(target)
    if allow.size and not (allow[s] and allow[t]):
        raise NoPath(f"no path from {s} to {t}: an endpoint is outside the mask")
    return s, t


# ---------------------------------------------------------------------- public
def best_path(
    G: Graph,
    source: int,
    target: int,
    *,
    max_hops: int | None = 4,
    min_strength: float = 0.0,
    avoid: Iterable[int] = (),
    first_hop: Iterable[int] | None = None,
    mask=None,
) -> Path:
    """Strongest path from ``source`` to ``target`` with at most ``max_hops`` hops.

    Maximises the product of hop strengths, i.e. minimises the sum of
    ``-log(strength)``, exactly under the hop limit.

    Parameters
    ----------
    G : Graph
    source, target : int
    max_hops : int or None, default 4
        Largest number of hops; None for no limit.
    min_strength : float, default 0.0
        Edges weaker than this are not used.
    avoid : iterable of int
        Nodes the path must not pass through (source and target are exempt).
    first_hop : iterable of int, optional
        If given, the first hop must go to one of these nodes (for example the
        user's colleagues). A direct edge to the target is allowed only if the target
        is itself in ``first_hop``.
    mask : array of bool, optional
        Nodes that may be used at all (for visibility); both endpoints must be in it.

    Returns
    -------
    Path

    Raises
    ------
    NodeNotFound
        If ``source`` or ``target`` is not in the graph.
    NoPath
        If no path satisfies the constraints.

    Notes
    -----
    With a hop limit H the search runs a hop-layered Bellman-Ford (Bellman 1958) from
    the source for ``hf >= 1`` layers and from the target for ``hb = H - hf`` layers and
    takes the best meeting node: every path of at most H hops splits into a prefix of
    at most ``hf`` and a suffix of at most ``hb`` hops. Each layer goes to the side
    whose frontier has fewer arcs (so ``ceil(H/2)``/``floor(H/2)`` on balanced graphs,
    and a hub is expanded as late as possible), and the best candidate so far prunes
    both sides. Without a limit it runs bidirectional Dijkstra (Dijkstra 1959; Pohl
    1971) with the same pruning.

    Examples
    --------
    >>> from geflecht.graph import Graph, best_path
    >>> G = Graph.from_edges(4, [0, 1, 0, 2], [1, 3, 2, 3], [0.9, 0.9, 0.5, 0.99])
    >>> p = best_path(G, 0, 3)
    >>> p.nodes, round(p.strength, 3)
    ((0, 1, 3), 0.81)
    >>> best_path(G, 0, 3, avoid=[1]).nodes
    (0, 2, 3)
    """
    hops = _check_hops(max_hops)
    allow = _mask_array(G, mask)
    s, t = _endpoints(G, source, target, allow)
    if s == t:
        return Path((s,), (), 1.0)
    blocked = _node_array(G, avoid, "avoid")
    blocked = blocked[(blocked != s) & (blocked != t)]
    first_nodes = _node_array(G, first_hop, "first_hop") if first_hop is not None else None
    mode = 0 if first_nodes is None else 1
    with _Marks(G, blocked, first_nodes if first_nodes is not None else np.zeros(0, np.int64)):
        walk = _search_walk(
            G, s, t, hops, float(min_strength), G._workspace().blocked, allow,
            first_nodes, mode,
        )  # fmt: skip
    if walk is None:
        raise NoPath(f"no path from {s} to {t} within the given constraints")
    return _make_path(G, walk)


def k_best_paths(
    G: Graph,
    source: int,
    target: int,
    k: int = 3,
    *,
    max_hops: int | None = 4,
    min_strength: float = 0.0,
    avoid: Iterable[int] = (),
    first_hop: Iterable[int] | None = None,
    mask=None,
) -> list[Path]:
    """The ``k`` strongest loopless paths, strongest first (Yen's algorithm).

    Parameters are those of :func:`best_path`. Fewer than ``k`` paths are returned
    when fewer exist.

    Raises
    ------
    NoPath
        If not even one path exists.

    Notes
    -----
    Yen (1971): the i-th path is the best deviation from an earlier one at some spur
    node, found by a constrained :func:`best_path` with the root's nodes banned and the
    arcs already taken from that root banned as first hops. The spur search gets the
    remaining hop budget, so results are exact under the hop limit.

    Examples
    --------
    >>> from geflecht.graph import Graph, k_best_paths
    >>> G = Graph.from_edges(4, [0, 1, 0, 2], [1, 3, 2, 3], [0.9, 0.9, 0.5, 0.99])
    >>> [p.nodes for p in k_best_paths(G, 0, 3, k=3)]
    [(0, 1, 3), (0, 2, 3)]
    """
    if k < 1:
        raise GraphError("k must be at least 1")
    hops = _check_hops(max_hops)
    allow = _mask_array(G, mask)
    s, t = _endpoints(G, source, target, allow)
    first = best_path(
        G, s, t, max_hops=hops, min_strength=min_strength, avoid=avoid,
        first_hop=first_hop, mask=mask,
    )  # fmt: skip
    if k == 1 or s == t:
        return [first]
    min_s = float(min_strength)
    avoid_nodes = _node_array(G, avoid, "avoid")
    avoid_nodes = avoid_nodes[(avoid_nodes != s) & (avoid_nodes != t)]
    first_nodes = _node_array(G, first_hop, "first_hop") if first_hop is not None else None
    ws = G._workspace()

    accepted = [first]
    seen = {first.nodes}
    candidates: list[tuple[float, int, tuple[int, ...]]] = []
    while len(accepted) < k:
        prev = accepted[-1].nodes
        for i in range(len(prev) - 1):
            budget = None if hops is None else hops - i
            if budget is not None and budget <= 0:
                break
            spur = prev[i]
            root = prev[: i + 1]
            banned_next = np.array(
                sorted({p.nodes[i + 1] for p in accepted if p.nodes[: i + 1] == root}),
                dtype=np.int64,
            )
            blocked = np.concatenate([avoid_nodes, np.array(root[:-1], dtype=np.int64)])
            blocked = blocked[blocked != t]
            if i == 0 and first_nodes is not None:
                on, off, mode = first_nodes, banned_next, 1
            else:
                on, off, mode = banned_next, None, 2
            with _Marks(G, blocked, on, off):
                walk = _search_walk(G, spur, t, budget, min_s, ws.blocked, allow, on, mode)
            if walk is None:
                continue
            nodes = _make_path(G, list(root[:-1]) + walk).nodes
            if nodes in seen or nodes[0] != s:
                continue
            seen.add(nodes)
            heapq.heappush(candidates, (_walk_weight(G, nodes), len(nodes), nodes))
        if not candidates:
            break
        _, _, nodes = heapq.heappop(candidates)
        accepted.append(_make_path(G, list(nodes)))
    return accepted


def _group_walks(
    G: Graph,
    sources: np.ndarray,
    targets: np.ndarray,
    hops: int | None,
    min_s: float,
    blocked_nodes: np.ndarray,
    allow: np.ndarray,
) -> tuple[np.ndarray, list[list[int] | None]]:
    """Weights and walks of the best path from any source to each target."""
    start, end, indices, strength, weight = G._arrays()
    ws = G._workspace()
    out_w = np.full(len(targets), np.inf)
    walks: list[list[int] | None] = [None] * len(targets)
    if len(sources) == 0 or len(targets) == 0:
        return out_w, walks
    with _Marks(G, blocked_nodes, np.zeros(0, np.int64)):
        if hops is None:
            ws.flag[targets] = 1
            try:
                touched, nt = _search.multi_dijkstra(
                    start, end, indices, strength, weight, sources, targets, min_s,
                    ws.blocked, allow, ws.dist_a, ws.entry_a, ws.done_a, ws.flag,
                )  # fmt: skip
                try:
                    out_w[:] = ws.dist_a[targets]
                    for i, t in enumerate(targets.tolist()):
                        if out_w[i] < np.inf:
                            walk = []
                            x = t
                            while x >= 0:
                                walk.append(int(x))
                                x = int(ws.entry_a[x])
                            walk.reverse()
                            walks[i] = walk
                finally:
                    _search.reset_dijkstra(
                        touched, nt, ws.dist_a, ws.dist_b, ws.entry_a, ws.entry_b,
                        ws.done_a, ws.done_b,
                    )  # fmt: skip
            finally:
                ws.flag[targets] = 0
            return out_w, walks
        if hops == 0:
            return out_w, walks
        lay = _search.layered(
            start, end, indices, strength, weight, sources, hops - 1, min_s, ws.blocked,
            allow, ws.first, 0, -1, -1, ws.dist_a, ws.entry_a, ws.layer_a, ws.reach_a,
        )  # fmt: skip
        try:
            d, e, log_node, log_parent, _, _ = _search.pull(
                start, end, indices, strength, weight, targets, min_s, ws.blocked, allow,
                ws.dist_a, ws.entry_a, lay[0], lay[1], lay[2], lay[3],
            )  # fmt: skip
        finally:
            _search.reset(lay[4], lay[5], ws.dist_a, ws.entry_a, ws.layer_a, ws.reach_a)
    out_w[:] = d
    for i in np.flatnonzero(d < np.inf).tolist():
        walk = _chain(log_node, log_parent, int(e[i]))
        walk.reverse()
        walks[i] = walk
    return out_w, walks


def best_group_paths(
    G: Graph,
    sources: Iterable[int],
    targets: Iterable[int],
    *,
    max_hops: int | None = 4,
    min_strength: float = 0.0,
    avoid: Iterable[int] = (),
    limit: int | None = None,
    mask=None,
) -> list[Path]:
    """For each reachable target, the strongest path from the best of ``sources``.

    This is *team reach*: which of our people has the strongest route to each person
    at an account. One multi-source search answers all targets at once.

    Parameters
    ----------
    G : Graph
    sources : iterable of int
        The team. Sources in ``avoid`` or outside ``mask`` are dropped.
    targets : iterable of int
        People to reach. Targets that are themselves sources are skipped.
    max_hops, min_strength, avoid, mask
        As in :func:`best_path`.
    limit : int, optional
        Return only the ``limit`` strongest paths.

    Returns
    -------
    list of Path
        One path per reachable target, strongest first (ties by target id); each path
        starts at the source that reaches that target best.

    Notes
    -----
    A multi-source search (all sources at distance 0) computes, for every node, the
    best distance from the nearest source -- the standard super-source reduction. With
    a hop limit H, H-1 layers are expanded from the sources and the last layer is
    evaluated only at the targets.

    Examples
    --------
    >>> from geflecht.graph import Graph, best_group_paths
    >>> G = Graph.from_edges(5, [0, 1, 2, 3], [2, 2, 3, 4], [0.5, 0.9, 0.8, 0.6])
    >>> [(p.source, p.target, round(p.strength, 2)) for p in best_group_paths(G, [0, 1], [3, 4])]
    [(1, 3, 0.72), (1, 4, 0.43)]
    """
    hops = _check_hops(max_hops)
    allow = _mask_array(G, mask)
    src = np.unique(_node_array(G, sources, "sources"))
    tgt = np.unique(_node_array(G, targets, "targets"))
    blocked = np.unique(_node_array(G, avoid, "avoid"))
    src = src[~np.isin(src, blocked)]
    tgt = tgt[~np.isin(tgt, src) & ~np.isin(tgt, blocked)]
    if allow.size:
        src = src[allow[src]]
        tgt = tgt[allow[tgt]]
    w, walks = _group_walks(G, src, tgt, hops, float(min_strength), blocked, allow)
    order = sorted((wt, int(t), i) for i, (wt, t) in enumerate(zip(w.tolist(), tgt, strict=True))
                   if wt < np.inf)  # fmt: skip
    if limit is not None:
        order = order[: int(limit)]
    return [_make_path(G, walk) for _, _, i in order if (walk := walks[i]) is not None]
