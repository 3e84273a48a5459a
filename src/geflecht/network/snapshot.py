"""The only bridge between the database and the graph engine.

Each process keeps, per tenant, a :class:`TenantGraph`: the engine's CSR snapshot of all
relationships plus the mapping between person ids and node ids. It is a cache keyed by
the tenant's graph version. A request first reads the version (one indexed query);
when it moved, the snapshot applies the logged changes since its own version on top of
itself (milliseconds for a few hundred changes, even at a million people), so a write is
visible to the next query. A logged full rebuild, or a long backlog, rebuilds from the
database; once a snapshot exists, that rebuild runs in a background thread while
requests keep using the current snapshot plus the changes.

Private relationships are part of the snapshot, marked with their owner, so that a
path may go through a colleague's private tie; what a user is shown of them is decided
in ``geflecht.network.reach``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
from django.db import connection

from geflecht.graph import Graph
from geflecht.lib.visibility import RESTRICTED
from geflecht.network.models import GraphChange, GraphState, Relationship
from geflecht.people.models import Person

log = logging.getLogger(__name__)

#: The strength a hop the user may not see (a colleague's private tie, or a tie of a
#: colleague's private person: "ask <colleague>") counts at wherever paths are searched,
#: ranked or compared with a threshold for that user. A real tie of the colleague's, of
#: a strength the user may not know: one fixed number, so no answer depends on it.
HIDDEN_STRETCH = 0.5

# Past this many logged changes a rebuild is cheaper than replaying them.
MAX_REPLAY = 50_000
_CHUNK = 200_000


@dataclass
class TenantGraph:
    """A tenant's relationship graph with the person <-> node mapping.

    ``graph`` holds every relationship (shared and private) at its strongest row;
    ``shared`` only the relationships visible to the whole company; ``private`` maps a
    canonical node pair to ``{owner user id: strength}`` of its private (and team) rows.
    What one user may see of a pair is decided per row: :meth:`seen_strength`,
    :meth:`paths_view`.
    """

    tenant_id: int
    version: int
    person_ids: np.ndarray  # node -> person id, ascending
    private_owner: np.ndarray  # node -> owner user id of a private person, else 0
    graph: Graph
    shared: Graph
    private: dict[tuple[int, int], dict[int, float]] = field(default_factory=dict)
    built_at: float = field(default_factory=time.monotonic)
    _paths_views: dict[int, Graph] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def n(self) -> int:
        return len(self.person_ids)

    def node(self, person_id: int) -> int | None:
        i = int(np.searchsorted(self.person_ids, person_id))
        if i < len(self.person_ids) and self.person_ids[i] == person_id:
            return i
        return None

    def nodes(self, person_ids) -> np.ndarray:
        """Node ids of the given people (people unknown to the snapshot are dropped)."""
        ids = np.asarray(list(person_ids), dtype=np.int64)
        if not len(ids) or not len(self.person_ids):
            return np.empty(0, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.person_ids, ids), len(self.person_ids) - 1)
        return pos[self.person_ids[pos] == ids]

    def person(self, node: int) -> int:
        return int(self.person_ids[node])

    def visible_nodes(self, user_id: int) -> np.ndarray:
        """A mask of the nodes ``user_id`` may see: shared people and their own."""
        return (self.private_owner == 0) | (self.private_owner == user_id)

    def view_for(self, user_id: int) -> Graph:
        """What ``user_id`` may traverse: shared ties plus the user's own private ones."""
        mine = [
            (x, y, owners[user_id]) for (x, y), owners in self.private.items() if user_id in owners
        ]
        if not mine:
            return self.shared
        # Where a shared row exists too, the user sees the stronger of the two.
        ups = [
            (x, y, max(st, self.shared.edge_strength(x, y)) if self.shared.has_edge(x, y) else st)
            for x, y, st in mine
        ]
        u, v, s = (np.array(col) for col in zip(*ups, strict=True))
        return self.shared.with_changes(upserts=(u, v, s))

    def seen_strength(self, user_id: int, x: int, y: int) -> float | None:
        """The strength of pair ``(x, y)`` as ``user_id`` may see it: the strongest of its
        shared row and the user's own restricted row, or None when the user sees no row."""
        x, y = min(x, y), max(x, y)
        values = [self.shared.edge_strength(x, y)] if self.shared.has_edge(x, y) else []
        own = self.private.get((x, y), {}).get(user_id)
        if own is not None:
            values.append(own)
        return max(values) if values else None

    def hidden_hop(self, user_id: int, x: int, y: int) -> bool:
        """Whether ``user_id`` may not see hop ``(x, y)``: they see no row of the pair, or
        one of its people is a colleague's private (or team) person. Such a hop is shown
        as "ask <colleague>", without its strength."""
        return (
            self.seen_strength(user_id, x, y) is None
            or int(self.private_owner[x]) not in (0, user_id)
            or int(self.private_owner[y]) not in (0, user_id)
        )

    def paths_view(self, user_id: int) -> Graph:
        """The graph introduction paths of ``user_id`` are searched and ranked on.

        Each pair counts at the strength the user may see of it (:meth:`seen_strength`);
        a hop the user may not see (:meth:`hidden_hop`: no row the user sees, or a
        colleague's private person at one end) counts at :data:`HIDDEN_STRETCH`, whatever
        its real strength. So neither the order of paths, nor which of them are offered,
        nor a threshold a path's strength is compared with can tell a hidden strength.
        Cached per user: the snapshot never changes (a change makes a new one).
        """
        view = self._paths_views.get(user_id)
        if view is not None:
            return view
        visible = self.visible_nodes(user_id)
        ups = []
        for x, y in self.private:
            if not (visible[x] and visible[y]):
                continue  # one of the ties of a hidden person, below
            seen = self.seen_strength(user_id, x, y)
            if seen is None:
                ups.append((x, y, HIDDEN_STRETCH))
            elif seen < self.graph.edge_strength(x, y):
                ups.append((x, y, seen))
        rows = np.array(ups, dtype=np.float64).reshape(-1, 3)
        u, v, st = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), rows[:, 2]
        # Every tie of a colleague's private person, whichever rows it has.
        hidden = np.flatnonzero(~visible)
        if len(hidden):
            indptr, indices = self.graph.indptr, self.graph.indices
            lens = indptr[hidden + 1] - indptr[hidden]
            first = np.repeat(indptr[hidden] - (np.cumsum(lens) - lens), lens)
            hu = np.repeat(hidden, lens)
            hv = indices[first + np.arange(int(lens.sum()))].astype(np.int64)
            n = self.graph.n
            key = np.unique(np.minimum(hu, hv) * n + np.maximum(hu, hv))
            u = np.concatenate([u, key // n])
            v = np.concatenate([v, key % n])
            st = np.concatenate([st, np.full(len(key), HIDDEN_STRETCH)])
        view = self.graph.with_changes(upserts=(u, v, st)) if len(u) else self.graph
        self._paths_views[user_id] = view
        return view


class _Cache:
    def __init__(self) -> None:
        self.graphs: dict[int, TenantGraph] = {}
        self.lock = threading.Lock()
        self.rebuilding: set[int] = set()


_cache = _Cache()


def graph_version(tenant_id: int) -> int:
    """The tenant's graph version in the database (0 before the first change): the key of
    every cached whole-network answer."""
    return (
        GraphState.objects.filter(tenant_id=tenant_id).values_list("version", flat=True).first()
        or 0
    )


def current_graph(tenant_id: int) -> TenantGraph:
    """The tenant's snapshot, brought up to the database's graph version."""
    version = graph_version(tenant_id)
    snap = _cache.graphs.get(tenant_id)
    if snap is None:
        snap = build_graph(tenant_id)
        _cache.graphs[tenant_id] = snap
        return snap
    if snap.version >= version:
        return snap
    changes = list(
        GraphChange.objects.filter(tenant_id=tenant_id, version__gt=snap.version)
        .order_by("version", "id")
        .values_list("version", "person_a_id", "person_b_id", "strength", "owner_id", "full")[
            : MAX_REPLAY + 1
        ]
    )
    if len(changes) > MAX_REPLAY or any(row[5] for row in changes):
        # Serve the snapshot we have (plus nothing) while a fresh one is built.
        _rebuild_in_background(tenant_id)
        return snap
    snap = apply_changes(snap, changes, version)
    _cache.graphs[tenant_id] = snap
    return snap


def _rebuild_in_background(tenant_id: int) -> None:
    with _cache.lock:
        if tenant_id in _cache.rebuilding:
            return
        _cache.rebuilding.add(tenant_id)

    def work() -> None:
        try:
            _cache.graphs[tenant_id] = build_graph(tenant_id)
        except Exception:  # a failed rebuild must not kill the process; the next one retries
            log.exception("rebuilding the graph of tenant %s failed", tenant_id)
        finally:
            connection.close()
            with _cache.lock:
                _cache.rebuilding.discard(tenant_id)

    threading.Thread(target=work, name=f"graph-rebuild-{tenant_id}", daemon=True).start()


def wait_for_rebuilds(timeout: float = 60.0) -> None:
    """Block until background rebuilds are done (tests and benchmarks)."""
    deadline = time.monotonic() + timeout
    while _cache.rebuilding and time.monotonic() < deadline:
        time.sleep(0.01)


def forget(tenant_id: int | None = None) -> None:
    """Drop cached snapshots (all, or one tenant's)."""
    if tenant_id is None:
        _cache.graphs.clear()
    else:
        _cache.graphs.pop(tenant_id, None)


def build_graph(tenant_id: int) -> TenantGraph:
    """Load the tenant's people and relationships in two streamed queries."""
    version = graph_version(tenant_id)
    people = _stream(
        "SELECT id, "
        "CASE WHEN visibility IN ('private', 'team') THEN COALESCE(owner_id, 0) ELSE 0 END "
        f"FROM {Person._meta.db_table} WHERE tenant_id = %s ORDER BY id",
        [tenant_id],
        2,
    )
    person_ids, private_owner = people[:, 0], people[:, 1]
    rels = _stream(
        "SELECT person_a_id, person_b_id, strength, "
        "CASE WHEN visibility IN ('private', 'team') THEN COALESCE(owner_id, 0) ELSE 0 END "
        f"FROM {Relationship._meta.db_table} WHERE tenant_id = %s",
        [tenant_id],
        4,
        dtype=np.float64,
    )
    a = np.searchsorted(person_ids, rels[:, 0].astype(np.int64))
    b = np.searchsorted(person_ids, rels[:, 1].astype(np.int64))
    strength = rels[:, 2]
    owner = rels[:, 3].astype(np.int64)
    n = len(person_ids)
    graph = Graph.from_edges(n, a, b, strength)
    shared_rows = owner == 0
    shared = _shared_view(graph, n, a, b, strength, shared_rows)
    private: dict[tuple[int, int], dict[int, float]] = {}
    rows = zip(
        a[~shared_rows].tolist(),
        b[~shared_rows].tolist(),
        owner[~shared_rows].tolist(),
        strength[~shared_rows].tolist(),
        strict=True,
    )
    for x, y, o, st in rows:
        private.setdefault((min(x, y), max(x, y)), {})[o] = st
    return TenantGraph(tenant_id, version, person_ids, private_owner, graph, shared, private)


def _shared_view(graph: Graph, n: int, a, b, strength, shared_rows) -> Graph:
    """The graph without private rows, derived from the full one by a few changes.

    Derived snapshots share the full graph's arc pool, so this costs memory only for the
    pairs that have private rows, not a second copy of millions of arcs.
    """
    if shared_rows.all():
        return graph
    key = np.minimum(a, b) * n + np.maximum(a, b)
    # The strongest shared row per pair: sort by pair, then strength, keep each pair's last.
    order = np.lexsort((strength[shared_rows], key[shared_rows]))
    shared_key, shared_strength = key[shared_rows][order], strength[shared_rows][order]
    last = np.r_[shared_key[1:] != shared_key[:-1], True] if len(shared_key) else order[:0]
    shared_key, shared_strength = shared_key[last], shared_strength[last]
    private_keys = np.unique(key[~shared_rows])
    pos = np.minimum(np.searchsorted(shared_key, private_keys), max(len(shared_key) - 1, 0))
    has_shared = (
        shared_key[pos] == private_keys if len(shared_key) else np.zeros(len(private_keys), bool)
    )
    keep, drop = private_keys[has_shared], private_keys[~has_shared]
    return graph.with_changes(
        upserts=(keep // n, keep % n, shared_strength[pos[has_shared]]) if len(keep) else None,
        deletions=(drop // n, drop % n) if len(drop) else None,
    )


def _stream(sql: str, params: list, width: int, dtype=np.int64) -> np.ndarray:
    """Rows of a query as one numpy array, fetched in chunks (server-side on PostgreSQL)."""
    parts = []
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_CHUNK):
            # fromiter over the flattened rows is several times faster than np.array(rows).
            flat = np.fromiter(chain.from_iterable(rows), dtype=dtype, count=len(rows) * width)
            parts.append(flat.reshape(-1, width))
    return np.concatenate(parts) if parts else np.empty((0, width), dtype=dtype)


def apply_changes(snap: TenantGraph, changes: list[tuple], version: int) -> TenantGraph:
    """A new snapshot with the logged changes applied (the old one stays valid)."""
    person_ids, private_owner = snap.person_ids, snap.private_owner
    involved = {p for row in changes for p in row[1:3] if p is not None}
    unknown = sorted(p for p in involved if snap.node(p) is None)
    if unknown:
        # New people get the next node ids; ids only grow, so the array stays sorted.
        if person_ids.size and unknown[0] < person_ids[-1]:
            return build_graph(snap.tenant_id)
        owners = {
            pk: (owner or 0) if visibility in RESTRICTED else 0
            for pk, visibility, owner in Person.objects.filter(pk__in=unknown).values_list(
                "pk", "visibility", "owner_id"
            )
        }
        person_ids = np.concatenate([person_ids, np.array(unknown, dtype=np.int64)])
        private_owner = np.concatenate(
            [private_owner, np.array([owners.get(p, 0) for p in unknown], dtype=np.int64)]
        )
    n = len(person_ids)
    # New people take the node ids after the old snapshot's last one.
    node = {int(p): len(snap.person_ids) + i for i, p in enumerate(unknown)}

    def node_of(p: int) -> int:
        got = snap.node(p)
        return got if got is not None else node[p]

    # The last change per (pair, owner) wins.
    final: dict[tuple[int, int, int], float | None] = {}
    for _version, pa, pb, strength, owner, _full in changes:
        x, y = sorted((node_of(pa), node_of(pb)))
        final[(x, y, owner or 0)] = strength
    private: dict[tuple[int, int], dict[int, float]] = {
        pair: dict(owners) for pair, owners in snap.private.items()
    }
    up_shared, del_shared, touched = [], [], set()
    for (x, y, owner), strength in final.items():
        touched.add((x, y))
        if owner:
            rows = private.setdefault((x, y), {})
            if strength is None:
                rows.pop(owner, None)
            else:
                rows[owner] = strength
            if not rows:
                del private[(x, y)]
        elif strength is None:
            del_shared.append((x, y))
        else:
            up_shared.append((x, y, strength))
    shared = _changed(snap.shared, up_shared, del_shared, n)
    # The full graph keeps, per pair, the strongest of its shared and private rows.
    up_all, del_all = [], []
    for x, y in touched:
        values = list(private.get((x, y), {}).values())
        if shared.has_edge(x, y):
            values.append(shared.edge_strength(x, y))
        if values:
            up_all.append((x, y, max(values)))
        elif snap.graph.n > max(x, y) and snap.graph.has_edge(x, y):
            del_all.append((x, y))
    graph = _changed(snap.graph, up_all, del_all, n)
    return TenantGraph(snap.tenant_id, version, person_ids, private_owner, graph, shared, private)


def _changed(g: Graph, ups: list, dels: list, n: int) -> Graph:
    upserts = None
    if ups:
        u, v, s = zip(*ups, strict=True)
        upserts = (np.array(u), np.array(v), np.array(s))
    deletions = None
    if dels:
        u, v = zip(*dels, strict=True)
        deletions = (np.array(u), np.array(v))
    if upserts is None and deletions is None and n == g.n:
        return g
    return g.with_changes(upserts=upserts, deletions=deletions, n=n)
