"""The immutable graph snapshot every algorithm of the engine works on.

A :class:`Graph` is an undirected weighted graph over the nodes ``0 .. n-1`` held as
numpy arrays in compressed sparse row (CSR) form: each undirected edge is stored as two
directed arcs, the neighbours of a node are sorted, and every arc carries its
relationship ``strength`` in (0, 1] and the path ``weight = -log(strength)``. Maximising
the product of strengths along a path is therefore minimising the sum of weights.

Incremental updates. Rebuilding a CSR of 20M arcs takes seconds, but the database
changes a few relationships at a time. The snapshot therefore addresses rows through a
``start``/``end`` pair per node instead of a single ``indptr``: :meth:`Graph.with_changes`
writes the rewritten rows of the touched nodes into spare capacity at the end of a
shared append-only arc pool and copies only the two per-node offset arrays. Older
snapshots never see those writes (their rows point elsewhere), so every snapshot stays
immutable and can be read by many threads. When the pool runs out of room, or too much
of it is abandoned rows, the next change compacts into a fresh pool.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .exceptions import GraphError, NodeNotFound

__all__ = ["Graph"]

# Spare arc capacity allocated behind a fresh pool, as a fraction of its arcs. A few
# hundred changes rewrite a few thousand arcs, so 1/16 leaves room for many updates.
_HEADROOM = 1 / 16
_MIN_HEADROOM = 4096
# Above this share of changed rows an incremental update is slower than a rebuild.
_REBUILD_FRACTION = 0.05


class _ArcPool:
    """Append-only arc storage shared by a snapshot and the snapshots derived from it."""

    __slots__ = ("indices", "lock", "strength", "used", "weight")

    def __init__(self, indices: np.ndarray, strength: np.ndarray, weight: np.ndarray, used: int):
        self.indices = indices
        self.strength = strength
        self.weight = weight
        self.used = used
        self.lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return len(self.indices)

    def claim(self, count: int) -> int | None:
        """Reserve ``count`` arc slots; return their offset or None when full."""
        # The lock makes two snapshots derived concurrently from one parent write to
        # disjoint slots, which is what keeps every snapshot immutable.
        with self.lock:
            if self.used + count > self.capacity:
                return None
            offset = self.used
            self.used += count
            return offset


@dataclass
class _Workspace:
    """Per-thread scratch arrays of length n, reset by the kernels after each query.

    Allocating and filling arrays of a million entries per query would cost more than
    the search itself, so each thread keeps one set and the kernels restore the
    initial values of the entries they touched.
    """

    dist_a: np.ndarray
    dist_b: np.ndarray
    entry_a: np.ndarray
    entry_b: np.ndarray
    layer_a: np.ndarray
    layer_b: np.ndarray
    blocked: np.ndarray
    first: np.ndarray
    flag: np.ndarray
    done_a: np.ndarray
    done_b: np.ndarray
    reach_a: np.ndarray
    reach_b: np.ndarray

    @classmethod
    def allocate(cls, n: int) -> _Workspace:
        return cls(
            dist_a=np.full(n, np.inf),
            dist_b=np.full(n, np.inf),
            entry_a=np.full(n, -1, dtype=np.int64),
            entry_b=np.full(n, -1, dtype=np.int64),
            layer_a=np.full(n, -1, dtype=np.int32),
            layer_b=np.full(n, -1, dtype=np.int32),
            blocked=np.zeros(n, dtype=np.int8),
            first=np.zeros(n, dtype=np.int8),
            flag=np.zeros(n, dtype=np.int8),
            done_a=np.zeros(n, dtype=np.int8),
            done_b=np.zeros(n, dtype=np.int8),
            reach_a=np.full(n, -1, dtype=np.int32),
            reach_b=np.full(n, -1, dtype=np.int32),
        )


_LOCAL = threading.local()


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _as_int_array(x, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.size == 0:
        return np.zeros(0, dtype=np.int64)
    if a.dtype.kind not in "iu":
        raise GraphError(f"{name} must be an integer array, got dtype {a.dtype}")
    return a.astype(np.int64, copy=False).ravel()


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting: numpy 2.4's hash-based unique is ~20x slower on ints."""
    a = np.sort(a)
    if a.size:
        a = a[np.r_[True, a[1:] != a[:-1]]]
    return a


def _dedupe_max(key: np.ndarray, strength: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort ``key`` and keep one entry per key with the largest strength."""
    if key.size and np.all(key[1:] > key[:-1]):
        return key, strength  # already sorted and unique: skip the O(m log m) sort
    order = np.argsort(key, kind="stable")
    key = key[order]
    strength = strength[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    return key[starts], np.maximum.reduceat(strength, starts) if key.size else strength


def _empty_graph_arrays(n: int):
    return np.zeros(n + 1, dtype=np.int64), np.zeros(0, np.int32), np.zeros(0), np.zeros(0)


class Graph:
    """Immutable undirected weighted graph over nodes ``0 .. n-1`` in CSR form.

    Build one with :meth:`from_edges`; derive updated snapshots with
    :meth:`with_changes` and :meth:`remove_nodes`. All algorithms of the engine take a
    ``Graph`` as their first argument.

    Attributes
    ----------
    n : int
        Number of nodes (ids ``0 .. n-1``; erased nodes keep their id).
    m : int
        Number of undirected edges.

    Examples
    --------
    >>> import numpy as np
    >>> G = Graph.from_edges(4, np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([0.9, 0.5, 0.2]))
    >>> G.n, G.m, G.degree(0)
    (4, 3, 2)
    >>> G.neighbors(0).tolist()
    [1, 2]
    >>> G.edge_strength(2, 1)
    0.5
    """

    __slots__ = (
        "_csr",
        "_end",
        "_m",
        "_n",
        "_pool",
        "_start",
        "_waste",
    )

    def __init__(self, n, start, end, pool, m, waste=0, csr=None):
        # Private: use from_edges / with_changes. Arrays are taken as they are.
        self._n = int(n)
        self._start = _readonly(start)
        self._end = _readonly(end)
        self._pool = pool
        self._m = int(m)
        self._waste = int(waste)
        self._csr = csr

    # ------------------------------------------------------------------ building
    @classmethod
    def from_edges(cls, n: int, u, v, strength) -> Graph:
        """Build a snapshot from undirected edges given once each.

        Parameters
        ----------
        n : int
            Number of nodes; every id in ``u`` and ``v`` must be in ``0 .. n-1``.
        u, v : array_like of int
            Endpoints of each undirected edge; ``u[i] != v[i]``. Orientation does not
            matter. A pair given more than once keeps its largest strength.
        strength : array_like of float
            Relationship strength of each edge, in (0, 1].

        Returns
        -------
        Graph

        Raises
        ------
        GraphError
            On self-loops, out-of-range ids, mismatched lengths or strengths outside (0, 1].

        Examples
        --------
        >>> G = Graph.from_edges(3, [0, 1, 1], [1, 0, 2], [0.5, 0.8, 0.3])
        >>> G.m, G.edge_strength(0, 1)
        (2, 0.8)
        """
        n = int(n)
        if n < 0:
            raise GraphError("n must be non-negative")
        u = _as_int_array(u, "u")
        v = _as_int_array(v, "v")
        s = np.asarray(strength, dtype=np.float64).ravel()
        if not (len(u) == len(v) == len(s)):
            raise GraphError("u, v and strength must have the same length")
        if len(u):
            if min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n:
                raise GraphError(f"edge endpoints must be in 0 .. {n - 1}")
            if np.any(u == v):
                raise GraphError("self-loops are not allowed (u == v)")
            if not np.all((s > 0) & (s <= 1)):
                raise GraphError("strength must be in (0, 1]")
        a = np.minimum(u, v)
        b = np.maximum(u, v)
        key, s = _dedupe_max(a * n + b, s)
        return cls._from_canonical(n, key // n if n else key, key % n if n else key, s)

    @classmethod
    def _from_canonical(cls, n: int, a: np.ndarray, b: np.ndarray, s: np.ndarray) -> Graph:
        """Build from unique canonical pairs ``a < b`` sorted by ``(a, b)``."""
        m = len(a)
        arcs = 2 * m
        capacity = arcs + max(int(arcs * _HEADROOM), _MIN_HEADROOM)
        indices = np.empty(capacity, dtype=np.int32)
        strength = np.empty(capacity, dtype=np.float64)
        # Counting sort by source row, in C: forward arcs (a -> b) are already sorted by
        # (a, b). The reverse arcs (b -> a) come out sorted by (b, a) from a stable sort
        # on b, because a is ascending within equal b. Each row then holds its smaller
        # neighbours (reverse arcs) before its larger ones (forward arcs), so rows end up
        # sorted without a global sort of 2m keys.
        deg_fwd = np.bincount(a, minlength=n)
        deg_rev = np.bincount(b, minlength=n)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(deg_fwd + deg_rev, out=indptr[1:])
        order = np.argsort(b, kind="stable")
        rb = b[order]
        # Reverse arcs go to the front of each row.
        rev_start = indptr[:-1]
        rev_pos = rev_start[rb] + (np.arange(m) - np.repeat(np.cumsum(deg_rev) - deg_rev, deg_rev))
        indices[rev_pos] = a[order]
        strength[rev_pos] = s[order]
        fwd_pos = (indptr[:-1] + deg_rev)[a] + (
            np.arange(m) - np.repeat(np.cumsum(deg_fwd) - deg_fwd, deg_fwd)
        )
        indices[fwd_pos] = b
        strength[fwd_pos] = s
        indices[arcs:] = 0
        strength[arcs:] = 1.0
        weight = np.empty(capacity, dtype=np.float64)
        np.log(strength, out=weight)
        np.negative(weight, out=weight)
        # -log(1) is -0.0; make it +0.0 so sums compare equal with NetworkX's.
        weight[weight == 0] = 0.0
        pool = _ArcPool(indices, strength, weight, used=arcs)
        start = indptr[:-1].copy()
        end = indptr[1:].copy()
        csr = (_readonly(indptr), _readonly(indices[:arcs]), _readonly(strength[:arcs]),
               _readonly(weight[:arcs]))  # fmt: skip
        return cls(n, start, end, pool, m, csr=csr)

    # ------------------------------------------------------------------ basic access
    @property
    def n(self) -> int:
        return self._n

    @property
    def m(self) -> int:
        return self._m

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"<Graph n={self._n} m={self._m}>"

    def _check(self, node) -> int:
        try:
            i = int(node)
        except (TypeError, ValueError):
            raise NodeNotFound(f"node {node!r} is not an integer id") from None
        if i != node or not 0 <= i < self._n:
            raise NodeNotFound(f"node {node!r} is not in the graph (n={self._n})")
        return i

    def _check_many(self, nodes, name: str = "nodes") -> np.ndarray:
        a = _as_int_array(nodes, name) if not isinstance(nodes, (set, frozenset)) else (
            np.fromiter(nodes, dtype=np.int64, count=len(nodes)))  # fmt: skip
        if a.size and (a.min() < 0 or a.max() >= self._n):
            bad = a[(a < 0) | (a >= self._n)][0]
            raise NodeNotFound(f"node {int(bad)} is not in the graph (n={self._n})")
        return a

    def degree(self, node: int) -> int:
        """Number of neighbours of ``node``."""
        i = self._check(node)
        return int(self._end[i] - self._start[i])

    def degrees(self) -> np.ndarray:
        """Degree of every node as an int64 array."""
        return self._end - self._start

    def neighbors(self, node: int) -> np.ndarray:
        """Sorted neighbour ids of ``node`` (read-only int32 view)."""
        i = self._check(node)
        return _readonly(self._pool.indices[self._start[i] : self._end[i]])

    def neighbor_strengths(self, node: int) -> np.ndarray:
        """Strengths of the arcs to :meth:`neighbors` of ``node``, in the same order."""
        i = self._check(node)
        return _readonly(self._pool.strength[self._start[i] : self._end[i]])

    def has_edge(self, u: int, v: int) -> bool:
        return self._arc(self._check(u), self._check(v)) >= 0

    def edge_strength(self, u: int, v: int) -> float:
        """Strength of edge ``{u, v}``, or 0.0 when there is none."""
        pos = self._arc(self._check(u), self._check(v))
        return float(self._pool.strength[pos]) if pos >= 0 else 0.0

    def _arc(self, u: int, v: int) -> int:
        lo, hi = int(self._start[u]), int(self._end[u])
        pos = lo + int(np.searchsorted(self._pool.indices[lo:hi], v))
        return pos if pos < hi and self._pool.indices[pos] == v else -1

    # ------------------------------------------------------------------ CSR views
    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Contiguous ``(indptr, indices, strength, weight)`` arrays.

        Free for a snapshot built by :meth:`from_edges`; after incremental changes the
        rows are gathered once (O(m)) and cached.
        """
        if self._csr is None:
            lens = self._end - self._start
            indptr = np.zeros(self._n + 1, dtype=np.int64)
            np.cumsum(lens, out=indptr[1:])
            pos = _row_positions(self._start, lens)
            p = self._pool
            self._csr = (
                _readonly(indptr),
                _readonly(p.indices[pos]),
                _readonly(p.strength[pos]),
                _readonly(p.weight[pos]),
            )
        return self._csr

    @property
    def indptr(self) -> np.ndarray:
        return self.csr()[0]

    @property
    def indices(self) -> np.ndarray:
        return self.csr()[1]

    @property
    def strength(self) -> np.ndarray:
        return self.csr()[2]

    @property
    def weight(self) -> np.ndarray:
        return self.csr()[3]

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every undirected edge once as ``(u, v, strength)`` with ``u < v``."""
        indptr, indices, strength, _ = self.csr()
        src = np.repeat(np.arange(self._n, dtype=np.int64), np.diff(indptr))
        keep = src < indices
        return src[keep], indices[keep].astype(np.int64), strength[keep]

    def to_scipy(self, *, weight: str | None = "strength"):
        """The adjacency matrix as ``scipy.sparse.csr_array`` with strength or weight data
        (ones for ``weight=None``)."""
        import scipy.sparse as sp

        indptr, indices, strength, w = self.csr()
        data = {"strength": strength, "weight": w, None: np.ones(len(indices))}[weight]
        return sp.csr_array((data, indices, indptr), shape=(self._n, self._n))

    def to_networkx(self):
        """A ``networkx.Graph`` with ``strength`` and ``weight`` edge attributes (for tests)."""
        import networkx as nx

        G = nx.Graph()
        G.add_nodes_from(range(self._n))
        u, v, s = self.edges()
        for a, b, st in zip(u.tolist(), v.tolist(), s.tolist(), strict=True):
            G.add_edge(a, b, strength=st, weight=-np.log(st) + 0.0)
        return G

    # ------------------------------------------------------------------ kernels' view
    def _arrays(self):
        """``(start, end, indices, strength, weight)`` as the kernels take them."""
        p = self._pool
        return self._start, self._end, p.indices, p.strength, p.weight

    def _workspace(self) -> _Workspace:
        # Shared by all snapshots of the same size in a thread: the kernels leave it
        # clean, and a snapshot derived by with_changes should not pay ~20 ms at 1M
        # nodes to allocate its own on its first query.
        ws = getattr(_LOCAL, "ws", None)
        if ws is None or len(ws.blocked) != self._n:
            ws = _Workspace.allocate(self._n)
            _LOCAL.ws = ws
        return ws

    # ------------------------------------------------------------------ updates
    def with_changes(self, *, upserts=None, deletions=None, n: int | None = None) -> Graph:
        """Return a new snapshot with edges inserted, re-weighted or deleted.

        Parameters
        ----------
        upserts : tuple (u, v, strength) of arrays, optional
            Edges to insert or whose strength to replace. A pair listed twice keeps its
            largest strength.
        deletions : tuple (u, v) of arrays, optional
            Edges to delete; pairs that are not edges are ignored.
        n : int, optional
            New number of nodes, at least the current one: new people get the ids
            ``self.n .. n-1`` (and may appear in ``upserts``).

        Returns
        -------
        Graph
            A new snapshot; ``self`` is unchanged.

        Raises
        ------
        GraphError
            On invalid ids or strengths, or a pair that is both upserted and deleted
            (the caller knows which happened last; the engine does not).

        Notes
        -----
        Only the rows of touched nodes are rewritten, into spare capacity of the shared
        arc pool, so the cost is O(n) for copying two offset arrays plus the size of the
        touched rows: a few milliseconds for hundreds of changes on a 1M-node graph.

        Examples
        --------
        >>> G = Graph.from_edges(3, [0], [1], [0.5])
        >>> H = G.with_changes(upserts=([1], [2], [0.9]), deletions=([0], [1]))
        >>> G.m, H.m, H.edge_strength(2, 1), H.edge_strength(0, 1)
        (1, 1, 0.9, 0.0)
        """
        if n is not None and int(n) != self._n:
            if int(n) < self._n:
                raise GraphError("n can only grow; use remove_nodes to erase people")
            grow = int(n) - self._n
            pad = np.full(grow, self._end[-1] if self._n else 0, dtype=np.int64)
            grown = Graph(
                int(n), np.concatenate([self._start, pad]), np.concatenate([self._end, pad]),
                self._pool, self._m, waste=self._waste,
            )  # fmt: skip
            return grown.with_changes(upserts=upserts, deletions=deletions)
        n = self._n
        if upserts is not None:
            uu = self._check_many(upserts[0], "upserts u")
            uv = self._check_many(upserts[1], "upserts v")
            us = np.asarray(upserts[2], dtype=np.float64).ravel()
            if not (len(uu) == len(uv) == len(us)):
                raise GraphError("upsert arrays must have the same length")
            if np.any(uu == uv):
                raise GraphError("self-loops are not allowed (u == v)")
            if not np.all((us > 0) & (us <= 1)):
                raise GraphError("strength must be in (0, 1]")
        else:
            uu = uv = np.zeros(0, np.int64)
            us = np.zeros(0)
        if deletions is not None:
            du = self._check_many(deletions[0], "deletions u")
            dv = self._check_many(deletions[1], "deletions v")
            if len(du) != len(dv):
                raise GraphError("deletion arrays must have the same length")
        else:
            du = dv = np.zeros(0, np.int64)
        ukey, us = _dedupe_max(np.minimum(uu, uv) * n + np.maximum(uu, uv), us)
        dkey = sorted_unique(np.minimum(du, dv) * n + np.maximum(du, dv))
        if np.intersect1d(ukey, dkey, assume_unique=True).size:
            raise GraphError("a pair is both upserted and deleted")
        if ukey.size + dkey.size == 0:
            return self

        # Arcs of the changes in both directions; deletions carry strength -1.
        ua, ub = ukey // n, ukey % n
        da, db = dkey // n, dkey % n
        ch_src = np.concatenate([ua, ub, da, db])
        ch_dst = np.concatenate([ub, ua, db, da])
        ch_s = np.concatenate([us, us, -np.ones(2 * dkey.size)])
        rows = sorted_unique(ch_src)
        if rows.size > _REBUILD_FRACTION * n:
            return self._rebuilt(ukey, us, dkey)

        lens = self._end[rows] - self._start[rows]
        pos = _row_positions(self._start[rows], lens)
        p = self._pool
        old_src = np.repeat(rows, lens)
        old_dst = p.indices[pos].astype(np.int64)
        old_s = p.strength[pos]
        key = np.concatenate([old_src * n + old_dst, ch_src * n + ch_dst])
        st = np.concatenate([old_s, ch_s])
        # Stable sort: for a pair present in the old row and in the changes, the change
        # comes last and wins.
        order = np.argsort(key, kind="stable")
        key = key[order]
        st = st[order]
        last = np.ones(key.size, dtype=bool)
        last[:-1] = key[1:] != key[:-1]
        keep = last & (st > 0)
        key = key[keep]
        st = st[keep]
        new_src = key // n
        new_dst = key % n
        new_lens = np.bincount(np.searchsorted(rows, new_src), minlength=rows.size)
        total = int(new_lens.sum())
        m = self._m + (total - int(lens.sum())) // 2
        waste = self._waste + int(lens.sum())

        offset = p.claim(total) if waste <= 0.25 * p.capacity else None
        if offset is None:
            return self._rebuilt(ukey, us, dkey)
        sl = slice(offset, offset + total)
        p.indices[sl] = new_dst
        p.strength[sl] = st
        w = -np.log(st)
        w[w == 0] = 0.0
        p.weight[sl] = w
        start = self._start.copy()
        end = self._end.copy()
        row_start = offset + np.cumsum(new_lens) - new_lens
        start[rows] = row_start
        end[rows] = row_start + new_lens
        return Graph(n, start, end, p, m, waste=waste)

    def _rebuilt(self, ukey: np.ndarray, us: np.ndarray, dkey: np.ndarray) -> Graph:
        """Full rebuild applying canonical upserts/deletions (used for large batches)."""
        n = self._n
        a, b, s = self.edges()
        key = a * n + b
        keep = ~np.isin(key, dkey) & ~np.isin(key, ukey)
        key = np.concatenate([key[keep], ukey])
        s = np.concatenate([s[keep], us])
        order = np.argsort(key, kind="stable")
        key = key[order]
        return Graph._from_canonical(n, key // n, key % n, s[order])

    def remove_nodes(self, nodes) -> Graph:
        """Return a snapshot where each of ``nodes`` keeps its id but has no edges.

        This is the engine's half of a GDPR erasure: the node can no longer appear on
        any path, neighbourhood or recommendation, and ids of other nodes stay stable.

        Examples
        --------
        >>> G = Graph.from_edges(3, [0, 1], [1, 2], [0.5, 0.5])
        >>> H = G.remove_nodes([1])
        >>> H.n, H.m, H.degree(1)
        (3, 0, 0)
        """
        nodes = sorted_unique(self._check_many(nodes))
        lens = self._end[nodes] - self._start[nodes]
        if not lens.sum():
            return self
        src = np.repeat(nodes, lens)
        dst = self._pool.indices[_row_positions(self._start[nodes], lens)]
        return self.with_changes(deletions=(src, dst))


def _row_positions(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Pool positions of the concatenated rows with the given starts and lengths."""
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lens) - lens
    return np.repeat(starts - offsets, lens) + np.arange(total, dtype=np.int64)
