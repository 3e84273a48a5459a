"""Snapshots on disk: a mapped snapshot answers like the saved one, and a damaged
directory is refused with StoreError instead of crashing a kernel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from geflecht.graph import (
    Graph,
    NoPath,
    best_path,
    ego_layers,
    k_best_paths,
    pagerank,
    social_graph,
)
from geflecht.graph.store import StoreError, load, save

from .test_snapshot import assert_consistent, edge_dict


@pytest.fixture(scope="module")
def family():
    """A snapshot and two views derived from it by changes, over one arc pool."""
    G = social_graph(3000, mean_degree=8, seed=7)
    u, v, _s = G.edges()
    H = G.with_changes(upserts=([0, 1], [2999, 2998], [0.9, 0.4]), deletions=(u[:3], v[:3]))
    grown = H.with_changes(upserts=([3000], [5], [0.7]), n=3001)
    return {"full": G, "derived": H, "grown": grown}


def test_a_loaded_family_equals_the_saved_one(family, tmp_path):
    assert save(tmp_path / "v1", family, arrays={"ids": np.arange(5)}, meta={"version": 1})
    stored = load(tmp_path / "v1")
    assert stored.meta == {"version": 1}
    assert stored.arrays["ids"].tolist() == [0, 1, 2, 3, 4]
    for name, G in family.items():
        L = stored.graphs[name]
        assert (L.n, L.m) == (G.n, G.m)
        assert edge_dict(L) == edge_dict(G)
        for t in (2999, 2000, 17):
            assert _paths(L, t) == _paths(G, t)
        mine, theirs = ego_layers(L, 10, radius=2), ego_layers(G, 10, radius=2)
        for got, want in zip(mine.layers, theirs.layers, strict=True):
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(pagerank(L), pagerank(G))
    # Derived views keep sharing one pool after loading, as they did in memory.
    assert stored.graphs["full"]._pool is stored.graphs["derived"]._pool
    assert_consistent(stored.graphs["derived"])


def _paths(G: Graph, target: int):
    try:
        return best_path(G, 3, target), k_best_paths(G, 3, target, k=3)
    except NoPath:
        return None


def test_changes_to_a_loaded_snapshot_stay_in_the_process(family, tmp_path):
    save(tmp_path / "v1", family)
    L = load(tmp_path / "v1").graphs["full"]
    before = edge_dict(L)
    changed = L.with_changes(upserts=([0], [1], [0.55]), deletions=([2], [3]))
    assert changed.edge_strength(0, 1) == 0.55
    assert edge_dict(L) == before, "the snapshot it came from is unchanged"
    again = load(tmp_path / "v1").graphs["full"]
    assert edge_dict(again) == before, "nothing was written back to the file"
    # Shared arrays are read-only; the pool is copy-on-write, the workspace private.
    assert not L.indptr.flags.writeable and not L.neighbors(0).flags.writeable
    with pytest.raises(ValueError):
        L._start[0] = 1
    assert L._workspace().dist_a.flags.writeable


def test_a_mapped_file_stays_valid_after_it_is_deleted(family, tmp_path):
    save(tmp_path / "v1", family)
    L = load(tmp_path / "v1").graphs["full"]
    for f in (tmp_path / "v1").iterdir():
        f.unlink()
    (tmp_path / "v1").rmdir()
    assert _paths(L, 2999) == _paths(family["full"], 2999)


def test_a_second_writer_of_the_same_name_leaves_the_first_in_place(family, tmp_path):
    assert save(tmp_path / "v1", {"g": family["full"]})
    assert not save(tmp_path / "v1", {"g": family["derived"]})
    assert load(tmp_path / "v1").graphs["g"].m == family["full"].m
    assert [p.name for p in tmp_path.iterdir()] == ["v1"], "no temporary folder left"


def _damage(folder: Path, how: str) -> None:
    pool = folder / "pool0.indices.npy"
    if how == "truncated":
        os.truncate(pool, pool.stat().st_size // 2)
    elif how == "flipped":
        data = bytearray(pool.read_bytes())
        data[-100] ^= 0xFF
        pool.write_bytes(bytes(data))
    elif how == "no header":
        (folder / "header.json").unlink()
    elif how == "garbage header":
        (folder / "header.json").write_text("{not json")
    elif how == "other format":
        header = json.loads((folder / "header.json").read_text())
        header["format"] = 99
        (folder / "header.json").write_text(json.dumps(header))
    elif how == "missing file":
        pool.unlink()


@pytest.mark.parametrize(
    "how", ["truncated", "flipped", "no header", "garbage header", "other format", "missing file"]
)
def test_a_damaged_directory_is_refused(family, tmp_path, how):
    save(tmp_path / "v1", family)
    _damage(tmp_path / "v1", how)
    with pytest.raises(StoreError):
        load(tmp_path / "v1")


@pytest.mark.parametrize("bad", ["end", "indptr"])
def test_offsets_or_arcs_outside_the_pool_are_refused_even_unverified(tmp_path, bad):
    H = social_graph(500, seed=3).with_changes(upserts=([2], [3], [0.9]))
    G = social_graph(500, seed=3)
    save(tmp_path / "v1", {"h": H, "g": G})
    if bad == "end":
        end = np.load(tmp_path / "v1" / "graph.h.end.npy")
        end[0] = 10**9
        np.save(tmp_path / "v1" / "graph.h.end.npy", end)
    else:
        indices = np.load(tmp_path / "v1" / "pool1.indices.npy")
        indices[0] = 500
        np.save(tmp_path / "v1" / "pool1.indices.npy", indices)
    with pytest.raises(StoreError):
        load(tmp_path / "v1", verify=False)


def test_another_process_reads_the_same_file(family, tmp_path):
    save(tmp_path / "v1", family)
    script = (
        "import sys; from geflecht.graph.store import load; from geflecht.graph import best_path;"
        "G = load(sys.argv[1]).graphs['derived']; print(G.m, best_path(G, 3, 2000).nodes)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "v1")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    ).stdout.split(" ", 1)
    H = family["derived"]
    assert int(out[0]) == H.m
    assert out[1].strip() == str(best_path(H, 3, 2000).nodes)
