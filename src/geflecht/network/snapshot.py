"""The only bridge between the database and the graph engine.

Each process keeps, per tenant, a :class:`TenantGraph`: the engine's CSR snapshot of all
relationships plus the mapping between person ids and node ids. It is a cache keyed by
the tenant's graph version. A request first reads the version (one indexed query);
when it moved, the snapshot applies the logged changes since its own version on top of
itself (milliseconds for a few hundred changes, even at a million people), so a write is
visible to the next query. A logged full rebuild, or a long backlog, needs a rebuild
from the database: a process that has a snapshot keeps answering from it and asks the
worker for a new file (building it itself only when no file has come after
:data:`WORKER_WAIT_SECONDS`); one that has none builds at once.

Snapshot files. Building a snapshot from the database takes ~30 s and ~0.4 GB at a
million people, too much for every web process to pay for itself. So snapshots are also
kept on disk, one directory per tenant and graph version under
``settings.GEFLECHT_SNAPSHOT_DIR / <tenant id> / <version>`` (:mod:`geflecht.graph.store`):
a process that needs a snapshot maps the newest complete file of its tenant (the pages
are shared by all processes through the page cache) and replays the change log from that
file's version to the database's, so its answers are as fresh as a build. The worker
writes a new file in a job (:data:`SNAPSHOT_JOB`) once the graph version has moved far
enough from the newest file, or after a logged full rebuild; a process that finds no
usable file (a fresh installation, a worker that is down) builds from the database as
before and writes the file itself for the next one. Superseded files are deleted after
:data:`FILE_GRACE_SECONDS` (a process that mapped one keeps it valid while it uses it).
Each file carries its tenant and a fingerprint of the database it came from; a file of
another tenant, another database or a damaged one is never used (and a damaged one is
deleted).

Private relationships are part of the snapshot, marked with their owner, so that a
path may go through a colleague's private tie; what a user is shown of them is decided
in ``geflecht.network.reach``. A file holds exactly what the snapshot in memory holds
(the owner of every private row included) and is rebuilt into the same
:class:`TenantGraph`, so the same per-user views decide what each user sees; the files
live with the database in the data directory, readable only by the server's account.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from itertools import chain, pairwise
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils.translation import gettext, gettext_lazy

from geflecht.accounts.models import Tenant
from geflecht.graph import Graph, store
from geflecht.jobs.models import Job
from geflecht.jobs.runner import Progress, handler, start_job
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

#: The kind of job that writes a tenant's snapshot file (one per tenant at a time).
SNAPSHOT_JOB = "graph-snapshot"
#: The worker writes a new file once this many changes are logged after the newest one
#: (replaying a thousand changes costs a process milliseconds; writing a file at a
#: million people about a second of disk time), or after a logged full rebuild.
FILE_AFTER_CHANGES = 1000
#: A superseded file is deleted once a newer one has existed this long (seconds).
FILE_GRACE_SECONDS = 600.0
#: A process that asked the worker for a rebuild and still has no usable file after this
#: long (seconds) builds it itself: the worker may be down.
WORKER_WAIT_SECONDS = 120.0


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
    #: The version of the database build this snapshot descends from (by replays and
    #: files); a file is never written from a lineage older than the tenant's floor.
    built_version: int = -1
    #: The snapshot file this one was mapped from (and caught up since), or "" when it
    #: was built in this process.
    from_file: str = ""
    _paths_views: dict[int, Graph] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.built_version < 0:
            self.built_version = self.version

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
        #: One refresh per tenant at a time in a process: at a million people a build
        #: holds ~2 GB while it runs, and N request threads must not each start one.
        #: Re-entrant: with GEFLECHT_TASKS_AT_ONCE the job runs inside a refresh.
        self.refreshing: dict[int, threading.RLock] = {}
        #: tenant -> when this process asked the worker for a rebuilt file (monotonic).
        self.asked: dict[int, float] = {}

    def refresh_lock(self, tenant_id: int) -> threading.RLock:
        with self.lock:
            return self.refreshing.setdefault(tenant_id, threading.RLock())


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
    if snap is not None and snap.version >= version:
        return snap
    with _cache.refresh_lock(tenant_id):
        snap = _cache.graphs.get(tenant_id)  # another thread may have refreshed meanwhile
        if snap is not None and snap.version >= version:
            return snap
        fresh = _refreshed(tenant_id, snap, version)
        _cache.graphs[tenant_id] = fresh
        return fresh


def _refreshed(
    tenant_id: int, snap: TenantGraph | None, version: int, *, wait: bool = False
) -> TenantGraph:
    """``snap`` (None: nothing yet) brought to ``version``, by the cheapest way there is.

    A newer file than ``snap`` is preferred (its pages are shared with the other
    processes), then replaying the log on ``snap``. When neither reaches ``version`` (a
    logged full rebuild, a long backlog), a process that has a snapshot keeps serving it
    and asks the worker for a file (``wait``: builds it now, as the worker itself does);
    one that has none builds from the database and writes the file for the others.
    """
    filed = _open_newest_file(tenant_id, newer_than=snap.version if snap else -1, upto=version)
    if filed is not None and (caught := _caught_up(filed, version)) is not None:
        _cache.asked.pop(tenant_id, None)
        return caught
    if snap is not None and (caught := _caught_up(snap, version)) is not None:
        return caught
    if snap is not None and not wait:
        asked = _cache.asked.get(tenant_id)
        if asked is None:
            _cache.asked[tenant_id] = time.monotonic()
            request_file(tenant_id, due=True)
            # With GEFLECHT_TASKS_AT_ONCE the job has run inside request_file.
            filed = _open_newest_file(tenant_id, newer_than=snap.version, upto=version)
            if filed is not None and (caught := _caught_up(filed, version)) is not None:
                _cache.asked.pop(tenant_id, None)
                return caught
        if asked is None or time.monotonic() - asked < WORKER_WAIT_SECONDS:
            return snap  # the previous answer until the worker's file is there
        log.warning("no snapshot file of tenant %s from the worker: building it here", tenant_id)
    built = build_graph(tenant_id)
    _cache.asked.pop(tenant_id, None)
    write_file(built)
    return built


def _caught_up(snap: TenantGraph, version: int) -> TenantGraph | None:
    """``snap`` with the logged changes up to ``version`` applied, or None when the log
    asks for a rebuild (a full change, or more changes than a rebuild costs)."""
    if snap.version >= version:
        return snap
    changes = list(
        GraphChange.objects.filter(tenant_id=snap.tenant_id, version__gt=snap.version)
        .order_by("version", "id")
        .values_list("version", "person_a_id", "person_b_id", "strength", "owner_id", "full")[
            : MAX_REPLAY + 1
        ]
    )
    if len(changes) > MAX_REPLAY or any(row[5] for row in changes):
        return None
    return apply_changes(snap, changes, version)


def wait_for_rebuilds(timeout: float = 60.0) -> None:
    """Kept for callers of the thread-based rebuilds: rebuilds are jobs now (or run in
    the caller), so there is nothing left to wait for in this process."""


def forget(tenant_id: int | None = None) -> None:
    """Drop cached snapshots (all, or one tenant's).

    For one tenant the snapshot files go as well, and no file older than the tenant's
    graph version now is used again: an erasure calls this, and the files of earlier
    versions hold the erased person's ties.
    """
    if tenant_id is None:
        _cache.graphs.clear()
        _cache.asked.clear()
        return
    _cache.graphs.pop(tenant_id, None)
    _cache.asked.pop(tenant_id, None)
    folder = tenant_dir(tenant_id)
    if folder.is_dir():
        _write_floor(tenant_id, graph_version(tenant_id))
        for entry in folder.iterdir():
            if entry.name != _FLOOR:
                shutil.rmtree(entry, ignore_errors=True)


# -- snapshot files ----------------------------------------------------------------------

_FLOOR = "floor"


def tenant_dir(tenant_id: int) -> Path:
    """The folder of the tenant's snapshot files, one sub-folder per graph version."""
    return Path(settings.GEFLECHT_SNAPSHOT_DIR) / str(int(tenant_id))


def _floor(tenant_id: int) -> int:
    """Files of versions below this are never used (set when a tenant's files are
    discarded, see :func:`forget`)."""
    try:
        return int((tenant_dir(tenant_id) / _FLOOR).read_text())
    except (OSError, ValueError):
        return 0


def _write_floor(tenant_id: int, version: int) -> None:
    folder = tenant_dir(tenant_id)
    tmp = folder / f".{_FLOOR}.{os.getpid()}"
    tmp.write_text(str(version))
    os.replace(tmp, folder / _FLOOR)


def _file_versions(tenant_id: int) -> list[int]:
    """Versions of the tenant's complete file folders, newest first."""
    try:
        names = os.listdir(tenant_dir(tenant_id))
    except OSError:
        return []
    return sorted((int(x) for x in names if x.isdigit()), reverse=True)


def _fingerprint(tenant_id: int, version: int) -> list:
    """What ties a file to this database: the tenant's creation time and the last log
    row of the file's version. A restored backup or a re-created tenant that reuses the
    id and version numbers does not match, so its process builds afresh."""
    created = Tenant.objects.filter(pk=tenant_id).values_list("created_at", flat=True).first()
    last = GraphChange.objects.filter(tenant_id=tenant_id, version=version).aggregate(
        last=Max("id")
    )["last"]
    return [created.isoformat() if created else None, last]


def _open_newest_file(tenant_id: int, *, newer_than: int, upto: int) -> TenantGraph | None:
    """The newest usable file of the tenant with ``newer_than < version <= upto``."""
    floor = _floor(tenant_id)
    for version in _file_versions(tenant_id):
        if version > upto:
            continue  # written for a database that is ahead of ours (or not ours)
        if version <= newer_than or version < floor:
            return None
        path = tenant_dir(tenant_id) / str(version)
        try:
            return _load_file(path, tenant_id, version)
        except store.StoreError as exc:
            # Damaged or foreign: never used; deleted so that no one pays to check it again.
            log.warning("ignoring snapshot file %s: %s", path, exc)
            shutil.rmtree(path, ignore_errors=True)
    return None


def _load_file(path: Path, tenant_id: int, version: int) -> TenantGraph:
    # The header first: a foreign file is refused before its data is read or checked.
    meta = store.read_meta(path)
    if meta.get("tenant_id") != tenant_id or meta.get("version") != version:
        raise store.StoreError(f"written for tenant {meta.get('tenant_id')} v{meta.get('version')}")
    if meta.get("fingerprint") != _fingerprint(tenant_id, version):
        raise store.StoreError("written from another database (restored, or re-created)")
    stored = store.load(path)
    a = stored.arrays
    graph = stored.graphs["graph"]
    shared = stored.graphs.get("shared", graph)
    private: dict[tuple[int, int], dict[int, float]] = {}
    rows = zip(
        a["private_a"].tolist(),
        a["private_b"].tolist(),
        a["private_owner_user"].tolist(),
        a["private_strength"].tolist(),
        strict=True,
    )
    for x, y, o, st in rows:
        private.setdefault((x, y), {})[o] = st
    return TenantGraph(
        tenant_id,
        version,
        a["person_ids"],
        a["private_owner"],
        graph,
        shared,
        private,
        built_version=int(meta["built_version"]),
        from_file=str(path),
    )


def write_file(snap: TenantGraph) -> bool:
    """Write ``snap`` as the tenant's file of its version; return whether it wrote one.

    Never raises for a disk problem (the snapshot in memory is still good): it logs.
    """
    if snap.built_version < _floor(snap.tenant_id):
        return False  # descends from data an erasure removed since
    folder = tenant_dir(snap.tenant_id)
    pairs = list(snap.private.items())
    rows = [(x, y, o, st) for (x, y), owners in pairs for o, st in owners.items()]
    cols = np.array(rows, dtype=np.float64).reshape(-1, 4)
    graphs = {"graph": snap.graph}
    if snap.shared is not snap.graph:
        graphs["shared"] = snap.shared
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return store.save(
            folder / str(snap.version),
            graphs,
            arrays={
                "person_ids": np.asarray(snap.person_ids, dtype=np.int64),
                "private_owner": np.asarray(snap.private_owner, dtype=np.int64),
                "private_a": cols[:, 0].astype(np.int64),
                "private_b": cols[:, 1].astype(np.int64),
                "private_owner_user": cols[:, 2].astype(np.int64),
                "private_strength": cols[:, 3],
            },
            meta={
                "tenant_id": snap.tenant_id,
                "version": snap.version,
                "built_version": snap.built_version,
                "fingerprint": _fingerprint(snap.tenant_id, snap.version),
            },
        )
    except OSError:
        log.exception("writing the snapshot file of tenant %s failed", snap.tenant_id)
        return False


def prune_files(tenant_id: int, *, grace: float | None = None) -> int:
    """Delete the tenant's files superseded for longer than ``grace`` seconds (default
    :data:`FILE_GRACE_SECONDS`), and temporary folders of writers that died; return how
    many folders it deleted. The newest file always stays."""
    grace = FILE_GRACE_SECONDS if grace is None else grace
    folder = tenant_dir(tenant_id)
    now = time.time()
    deleted = 0
    versions = _file_versions(tenant_id)
    for newer, older in pairwise(versions):
        try:
            superseded_at = (folder / str(newer)).stat().st_mtime
        except OSError:
            continue
        if now - superseded_at >= grace:
            shutil.rmtree(folder / str(older), ignore_errors=True)
            deleted += 1
    for entry in folder.glob(".*.tmp-*"):
        try:
            if now - entry.stat().st_mtime >= max(grace, 3600):
                shutil.rmtree(entry, ignore_errors=True)
                deleted += 1
        except OSError:
            continue
    return deleted


def _file_due(tenant_id: int, version: int) -> bool:
    """Whether the newest usable file lags ``version`` enough for a new one."""
    newest = next((v for v in _file_versions(tenant_id) if v <= version), None)
    if newest is None or newest < _floor(tenant_id):
        return True
    if newest >= version:
        return False
    later = GraphChange.objects.filter(tenant_id=tenant_id, version__gt=newest)
    return later.filter(full=True).exists() or (
        later[:FILE_AFTER_CHANGES].count() >= FILE_AFTER_CHANGES
    )


def request_file(tenant_id: int, *, due: bool = False) -> Job | None:
    """Ask the worker for a new file of the tenant when the newest one lags (``due``:
    without checking); one job per tenant at a time. Called after every commit that
    moved the graph version."""
    try:
        if not due and not _file_due(tenant_id, graph_version(tenant_id)):
            return None
        return start_job(
            SNAPSHOT_JOB,
            tenant_id=tenant_id,
            label=gettext("Graph snapshot"),
            unique=True,
        )
    except Exception:  # a file is an optimisation: no write or read may fail for it
        log.exception("asking for a snapshot file of tenant %s failed", tenant_id)
        return None


def write_current_file(tenant_id: int) -> dict[str, Any]:
    """Bring this process's snapshot to the database's version and write it as a file
    unless a recent enough one exists: the worker's job. Returns what it did."""
    written = None
    for _attempt in range(3):
        version = graph_version(tenant_id)
        if not _file_due(tenant_id, version):
            break
        with _cache.refresh_lock(tenant_id):
            snap = _refreshed(tenant_id, _cache.graphs.get(tenant_id), version, wait=True)
            if snap.built_version < _floor(tenant_id):
                snap = build_graph(tenant_id)
            _cache.graphs[tenant_id] = snap
        if write_file(snap):
            written = snap.version
        # A full rebuild logged while this one ran needs another round.
    pruned = prune_files(tenant_id)
    return {"written": written, "pruned": pruned}


@handler(SNAPSHOT_JOB, title=gettext_lazy("Graph snapshot"), max_attempts=2)
def _snapshot_job(job: Job, progress: Progress) -> dict[str, Any]:
    if job.tenant_id is None:
        raise ValueError("a graph snapshot job needs a tenant")
    return write_current_file(job.tenant_id)


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
    return assemble(tenant_id, version, person_ids, private_owner, a, b, rels[:, 2], rels[:, 3])


def assemble(
    tenant_id: int,
    version: int,
    person_ids: np.ndarray,
    private_owner: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    strength: np.ndarray,
    owner: np.ndarray,
) -> TenantGraph:
    """A snapshot from relationship rows as arrays: node ids ``a``, ``b``, their
    ``strength`` and ``owner`` (the owner's user id for a private or team row, else 0).
    The in-memory half of :func:`build_graph` (benchmarks feed it synthetic rows)."""
    owner = owner.astype(np.int64)
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
    return TenantGraph(
        snap.tenant_id,
        version,
        person_ids,
        private_owner,
        graph,
        shared,
        private,
        built_version=snap.built_version,
        from_file=snap.from_file,
    )


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
