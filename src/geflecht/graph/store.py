"""Graph snapshots on disk, memory-mapped so that many processes share one copy.

:func:`save` writes one or more :class:`~geflecht.graph.Graph` snapshots (typically a
snapshot and views derived from it, which share its arc pool), plus named side arrays
and a small JSON header, into a directory of ``.npy`` files. The directory appears
atomically: it is written under a temporary name, every file is fsynced, and it is
renamed into place, so a reader sees either the whole snapshot or nothing.

:func:`load` maps the files back with ``numpy.load(mmap_mode=...)``. The pages live in
the operating system's page cache, so N processes that load the same directory hold
one copy between them instead of N. A loaded snapshot behaves exactly like the one that
was saved, including :meth:`Graph.with_changes`:

- the per-node offset arrays and side arrays are mapped read-only (``"r"``);
- the arc pool is mapped copy-on-write (``"c"``). The file carries spare capacity
  behind the used arcs, and ``with_changes`` only ever writes into that spare room, so
  the used arcs stay shared pages and only the few pages of rewritten rows become
  private to the process that changed them. Nothing is ever written back to the file.

Per-thread scratch arrays (``Graph._workspace``) are allocated by each process as
before; they are never part of a file.

Anything wrong with a directory (a torn write, a flipped bit, a file of another format)
raises :class:`StoreError` from :func:`load`, never a crash later in a kernel: the
header lists every file's size and CRC-32, and the offsets are checked against the
pool before a graph is built on them.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .exceptions import GraphError
from .snapshot import _HEADROOM, _MIN_HEADROOM, Graph, _ArcPool, _readonly

__all__ = ["FORMAT", "StoreError", "Stored", "load", "read_meta", "save"]

#: Bumped whenever the layout changes; a directory of another format is refused.
FORMAT = 1
_HEADER = "header.json"
_CHUNK = 16 << 20


class StoreError(GraphError):
    """A snapshot directory is missing, incomplete, corrupt or of another format."""


@dataclass(frozen=True)
class Stored:
    """What :func:`load` returns: the graphs, the side arrays and the caller's metadata."""

    graphs: dict[str, Graph]
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]


def save(
    path: str | os.PathLike,
    graphs: Mapping[str, Graph],
    *,
    arrays: Mapping[str, np.ndarray] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> bool:
    """Write ``graphs`` (and ``arrays``, ``meta``) to the directory ``path``, atomically.

    Parameters
    ----------
    path : path-like
        The directory to create. Its parent must exist.
    graphs : mapping of str to Graph
        Snapshots to store by name. Snapshots that share an arc pool (one derived from
        another by ``with_changes``) are stored over one copy of it.
    arrays : mapping of str to ndarray, optional
        Side arrays (for example the node -> person id map), stored as they are.
    meta : mapping, optional
        JSON-serialisable metadata returned by :func:`load`.

    Returns
    -------
    bool
        True when this call created ``path``; False when a complete directory of that
        name existed already (another writer was first; it is left as it is).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> G = Graph.from_edges(3, [0, 1], [1, 2], [0.9, 0.8])
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "v1"
    >>> save(folder, {"g": G}, meta={"version": 1})
    True
    >>> stored = load(folder)
    >>> stored.graphs["g"].edge_strength(1, 2), stored.meta["version"]
    (0.8, 1)
    """
    path = Path(path)
    names = {**{f"graph:{k}": k for k in graphs}, **{f"array:{k}": k for k in arrays or {}}}
    for key in names.values():
        if not key or not all(c.isalnum() or c in "_-" for c in key):
            raise GraphError(f"snapshot names must be letters, digits, _ or -, got {key!r}")
    if path.exists():
        return False
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir(mode=0o700)
    try:
        files: dict[str, dict[str, int]] = {}
        pools: list[_ArcPool] = []
        pool_head = []
        graph_head = {}
        for name, G in graphs.items():
            pool = G._pool
            k = next((i for i, p in enumerate(pools) if p is pool), None)
            if k is None:
                k = len(pools)
                pools.append(pool)
                used = pool.used
                spare = max(int(used * _HEADROOM), _MIN_HEADROOM)
                # The used arcs as they are, plus fresh spare room for this file's readers.
                for field, fill in (("indices", 0), ("strength", 1.0), ("weight", 0.0)):
                    data = getattr(pool, field)
                    out = np.empty(used + spare, dtype=data.dtype)
                    out[:used] = data[:used]
                    out[used:] = fill
                    files[f"pool{k}.{field}.npy"] = _write(tmp / f"pool{k}.{field}.npy", out)
                pool_head.append({"used": used, "capacity": used + spare})
            start, end = G._start, G._end
            contiguous = G.n == 0 or (start[0] == 0 and np.array_equal(start[1:], end[:-1]))
            if contiguous:
                # A compact snapshot (fresh from from_edges): one indptr serves as both
                # offset arrays and as the CSR view, with no copy after loading.
                indptr = np.zeros(G.n + 1, dtype=np.int64)
                indptr[1:] = end
                files[f"graph.{name}.indptr.npy"] = _write(tmp / f"graph.{name}.indptr.npy", indptr)
            else:
                files[f"graph.{name}.start.npy"] = _write(tmp / f"graph.{name}.start.npy", start)
                files[f"graph.{name}.end.npy"] = _write(tmp / f"graph.{name}.end.npy", end)
            graph_head[name] = {
                "n": G.n,
                "m": G.m,
                "waste": G._waste,
                "pool": k,
                "contiguous": bool(contiguous),
            }
        for name, a in (arrays or {}).items():
            files[f"array.{name}.npy"] = _write(tmp / f"array.{name}.npy", np.asarray(a))
        header = {
            "format": FORMAT,
            "pools": pool_head,
            "graphs": graph_head,
            "arrays": sorted(arrays or {}),
            "files": files,
            "meta": dict(meta or {}),
        }
        _write_bytes(tmp / _HEADER, json.dumps(header, sort_keys=True).encode())
        _fsync_dir(tmp)
        try:
            # rename(2) refuses to replace a non-empty directory: a complete snapshot of
            # the same name written meanwhile by another process wins, ours is dropped.
            os.rename(tmp, path)
        except OSError:
            if path.is_dir():
                return False
            raise
        _fsync_dir(path.parent)
        return True
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def read_meta(path: str | os.PathLike) -> dict[str, Any]:
    """The ``meta`` a directory was saved with, read from its header alone (cheap: to
    decide whether it is worth loading)."""
    return dict(_header(Path(path)).get("meta") or {})


def _header(path: Path) -> dict[str, Any]:
    try:
        header = json.loads((path / _HEADER).read_bytes())
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: no readable snapshot header ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise StoreError(f"{path}: not a snapshot of format {FORMAT}")
    return header


def load(path: str | os.PathLike, *, verify: bool = True) -> Stored:
    """Map a directory written by :func:`save`; the inverse of ``save``.

    Parameters
    ----------
    path : path-like
        A directory written by :func:`save`.
    verify : bool, default True
        Check every file's CRC-32 against the header (reads each file once; the pages
        it reads are the ones the snapshot maps, so the next reader finds them cached).

    Returns
    -------
    Stored

    Raises
    ------
    StoreError
        When the directory is missing, incomplete, corrupt or of another format.
    """
    path = Path(path)
    header = _header(path)
    try:
        files = header["files"]
        for name, info in files.items():
            _check_file(path / name, info, verify)
        pools = []
        for k, p in enumerate(header["pools"]):
            used, capacity = int(p["used"]), int(p["capacity"])
            fields = ("indices", "strength", "weight")
            parts = [_map(path / f"pool{k}.{f}.npy", "c") for f in fields]
            for a, dtype in zip(parts, (np.int32, np.float64, np.float64), strict=True):
                if a.dtype != dtype or a.shape != (capacity,):
                    raise StoreError(f"{path}: arc pool {k} has the wrong shape or type")
            if not 0 <= used <= capacity:
                raise StoreError(f"{path}: arc pool {k} claims {used} of {capacity} arcs")
            pools.append((_ArcPool(parts[0], parts[1], parts[2], used=used), used))
        graphs = {}
        for name, g in header["graphs"].items():
            n = int(g["n"])
            pool, used = pools[int(g["pool"])]
            if g["contiguous"]:
                indptr = _map(path / f"graph.{name}.indptr.npy", "r")
                if indptr.shape != (n + 1,) or indptr.dtype != np.int64:
                    raise StoreError(f"{path}: graph {name!r} has a malformed indptr")
                start, end = indptr[:-1], indptr[1:]
            else:
                start = _map(path / f"graph.{name}.start.npy", "r")
                end = _map(path / f"graph.{name}.end.npy", "r")
            for a in (start, end):
                if a.shape != (n,) or a.dtype != np.int64:
                    raise StoreError(f"{path}: graph {name!r} has malformed offsets")
            if n and (start.min() < 0 or end.max() > used or np.any(end < start)):
                raise StoreError(f"{path}: graph {name!r} has rows outside its arc pool")
            csr = None
            if g["contiguous"]:
                arcs = int(indptr[-1])
                # (Arcs of derived graphs are covered by the checksums only: checking
                # their rows would gather them into private memory.)
                if arcs and (pool.indices[:arcs].min() < 0 or pool.indices[:arcs].max() >= n):
                    raise StoreError(f"{path}: graph {name!r} has arcs to unknown nodes")
                csr = (
                    _readonly(indptr),
                    _readonly(pool.indices[:arcs]),
                    _readonly(pool.strength[:arcs]),
                    _readonly(pool.weight[:arcs]),
                )
            graphs[name] = Graph(n, start, end, pool, int(g["m"]), waste=int(g["waste"]), csr=csr)
        arrays = {name: _map(path / f"array.{name}.npy", "r") for name in header["arrays"]}
    except StoreError:
        raise
    except (KeyError, TypeError, ValueError, OSError, IndexError) as exc:
        raise StoreError(f"{path}: malformed snapshot ({type(exc).__name__}: {exc})") from None
    return Stored(graphs, arrays, dict(header.get("meta") or {}))


# -- files ---------------------------------------------------------------------------------


def _write(path: Path, a: np.ndarray) -> dict[str, int]:
    with open(path, "xb") as f:
        np.save(f, np.ascontiguousarray(a), allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())
    return {"size": path.stat().st_size, "crc32": _crc32(path)}


def _write_bytes(path: Path, data: bytes) -> None:
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def _check_file(path: Path, info: dict, verify: bool) -> None:
    try:
        size = path.stat().st_size
    except OSError:
        raise StoreError(f"{path}: missing") from None
    if size != int(info["size"]):
        raise StoreError(f"{path}: {size} bytes, the header says {info['size']}")
    if verify and _crc32(path) != int(info["crc32"]):
        raise StoreError(f"{path}: checksum mismatch")


def _map(path: Path, mode: Literal["r", "c"]) -> np.ndarray:
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _order, _dtype = read(f)
        # An empty array has no bytes to map.
        a = np.load(path, mmap_mode=mode if np.prod(shape) else None, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: unreadable ({exc})") from None
    # A plain ndarray view of the mapping: numba and the rest of numpy see an ordinary
    # array; the mapping lives as long as any view of it does.
    view = a.view(np.ndarray)
    if mode == "r":
        view.flags.writeable = False
    return view
