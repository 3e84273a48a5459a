"""Load the compiled kernels before the first user query.

numba compiles each kernel once per machine and caches the machine code on disk, but
every fresh process still loads it on first use: a few hundred milliseconds spread
over the first queries. A web process calls :func:`warm_up` once after loading its
snapshot so that users never wait for it.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["warm_up"]


def warm_up(*, analytics: bool = False) -> float:
    """Run every interactive kernel once on a tiny graph; return the seconds spent.

    Parameters
    ----------
    analytics : bool, default False
        Also load the kernels of the heavy analytics (betweenness, constraint,
        communities), which usually run in background tasks.

    Examples
    --------
    >>> from geflecht.graph import warm_up
    >>> warm_up() >= 0.0
    True
    """
    from .neighbourhood import ego_layers
    from .paths import best_group_paths, best_path, k_best_paths
    from .recommend import link_prediction_scores, recommend
    from .snapshot import Graph

    t0 = time.perf_counter()
    G = Graph.from_edges(4, np.array([0, 1, 2, 0]), np.array([1, 2, 3, 2]), np.full(4, 0.5))
    best_path(G, 0, 3)
    best_path(G, 0, 3, max_hops=None)
    k_best_paths(G, 0, 3, 2)
    best_group_paths(G, [0], [3])
    best_group_paths(G, [0], [3], max_hops=None)
    ego_layers(G, 0, radius=2)
    recommend(G, 0)
    link_prediction_scores(G, ([0], [3]))
    if analytics:
        from .centrality import betweenness, constraint
        from .communities import louvain
        from .components import triangles

        betweenness(G)
        betweenness(G, weighted=True)
        constraint(G)
        louvain(G, seed=0)
        triangles(G)
    return time.perf_counter() - t0
