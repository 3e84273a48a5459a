"""Fixtures for the engine's tests: random graphs, NetworkX twins and shared data.

Nothing here touches Django; the engine's tests run without a database.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import strategies as st

from geflecht.graph import Graph, store


def shared_data_dir() -> Path:
    """``../shared/data`` next to the repository root.

    Skips the calling test when the folder is absent, unless
    ``GEFLECHT_REQUIRE_SHARED_DATA=1`` is set (CI), where it fails instead.
    """
    root = Path(__file__).resolve()
    while not (root / "pyproject.toml").exists():
        if root.parent == root:
            break
        root = root.parent
    path = root.parent / "shared" / "data"
    if not path.is_dir():
        reason = f"shared data sets not found at {path}"
        if os.environ.get("GEFLECHT_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(reason + " and GEFLECHT_REQUIRE_SHARED_DATA=1")
        pytest.skip(reason)
    return path


@lru_cache(maxsize=1)
def _email_eu_core() -> tuple[Graph, np.ndarray, np.ndarray]:
    folder = shared_data_dir() / "email-Eu-core"
    raw = np.loadtxt(folder / "email-Eu-core.txt", dtype=np.int64).reshape(-1, 2)
    labels = np.loadtxt(folder / "email-Eu-core-department-labels.txt", dtype=np.int64)
    n = int(max(raw.max(), labels[:, 0].max())) + 1
    raw = raw[raw[:, 0] != raw[:, 1]]
    a = np.minimum(raw[:, 0], raw[:, 1])
    b = np.maximum(raw[:, 0], raw[:, 1])
    key, count = np.unique(a * n + b, return_counts=True)
    # Mail in both directions is a stronger tie than one-way mail.
    dept = np.full(n, -1)
    dept[labels[:, 0]] = labels[:, 1]
    return Graph.from_edges(n, key // n, key % n, np.where(count > 1, 0.8, 0.4)), dept, raw


@pytest.fixture(scope="session")
def email_eu_core():
    """``(Graph, department per node, directed edge array)`` of SNAP's email-Eu-core."""
    return _email_eu_core()


def to_nx(G: Graph) -> nx.Graph:
    return G.to_networkx()


@st.composite
def small_graphs(draw, min_n: int = 2, max_n: int = 9, ties: bool = True, max_strength=1.0):
    """Random small weighted graphs; with ``ties`` strengths come from a few values."""
    n = draw(st.integers(min_n, max_n))
    pairs = [(u, v) for u in range(n) for v in range(u + 1, n)]
    chosen = (
        draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    )
    if ties and draw(st.booleans()):
        values = [0.25, 0.5, 0.8, max_strength]
        strength = st.sampled_from(values)
    else:
        strength = st.floats(0.05, max_strength, allow_nan=False)
    s = [draw(strength) for _ in chosen]
    u = np.array([p[0] for p in chosen], dtype=np.int64)
    v = np.array([p[1] for p in chosen], dtype=np.int64)
    return Graph.from_edges(n, u, v, np.array(s, dtype=np.float64))


# -- every algorithm test runs on in-memory and on memory-mapped snapshots ---------------

#: Test modules whose graphs are also built through a file (save, map, then delete the
#: directory: a mapped file stays valid after unlinking, as a web process relies on).
ON_BOTH_STORAGES = {
    "test_centrality",
    "test_communities",
    "test_neighbourhood",
    "test_paths",
    "test_recommend",
    "test_risk",
    "test_snapshot",
}


def pytest_generate_tests(metafunc):
    if "graph_storage" in metafunc.fixturenames:
        module = metafunc.module.__name__.rpartition(".")[2]
        both = module in ON_BOTH_STORAGES
        metafunc.parametrize(
            "graph_storage", ["memory", "file"] if both else ["memory"], indirect=True
        )


@pytest.fixture(autouse=True)
def graph_storage(request):
    """``"file"``: every snapshot the engine builds from edges is written to disk and
    memory-mapped back before the test sees it; ``"memory"``: as built."""
    storage = getattr(request, "param", "memory")
    if storage == "memory":
        yield storage
        return
    build = Graph.__dict__["_from_canonical"]

    def through_a_file(cls, n, a, b, s):
        G = build.__func__(cls, n, a, b, s)
        folder = Path(tempfile.mkdtemp(prefix="geflecht-graph-"))
        try:
            store.save(folder / "g", {"g": G})
            return store.load(folder / "g").graphs["g"]
        finally:
            shutil.rmtree(folder)

    Graph._from_canonical = classmethod(through_a_file)
    try:
        yield storage
    finally:
        Graph._from_canonical = build
