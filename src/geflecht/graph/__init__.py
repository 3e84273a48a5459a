"""Geflecht's graph engine: relationship analytics on numpy arrays, without Django.

The engine sees integer node ids ``0 .. n-1`` and arrays only; the Django side maps
people to ids and back (``geflecht.network.snapshot``). Build a :class:`Graph` snapshot,
then call the algorithms, each of which takes the graph first and options by keyword::

    >>> from geflecht.graph import Graph, best_path
    >>> G = Graph.from_edges(3, [0, 1], [1, 2], [0.9, 0.8])
    >>> best_path(G, 0, 2).nodes
    (0, 1, 2)
"""

from .centrality import Betweenness, betweenness, constraint, pagerank
from .communities import Communities, louvain, modularity
from .components import Components, average_clustering, connected_components, triangles
from .exceptions import GraphError, NodeNotFound, NoPath
from .neighbourhood import EgoLayers, ego_layers
from .paths import Path, best_group_paths, best_path, k_best_paths
from .recommend import Recommendation, link_prediction_scores, recommend
from .risk import ColleagueImpact, GroupAccess, TargetAccess, key_person_risk
from .snapshot import Graph
from .synthetic import social_graph
from .warmup import warm_up

__all__ = [
    "Betweenness",
    "ColleagueImpact",
    "Communities",
    "Components",
    "EgoLayers",
    "Graph",
    "GraphError",
    "GroupAccess",
    "NoPath",
    "NodeNotFound",
    "Path",
    "Recommendation",
    "TargetAccess",
    "average_clustering",
    "best_group_paths",
    "best_path",
    "betweenness",
    "connected_components",
    "constraint",
    "ego_layers",
    "k_best_paths",
    "key_person_risk",
    "link_prediction_scores",
    "louvain",
    "modularity",
    "pagerank",
    "recommend",
    "social_graph",
    "triangles",
    "warm_up",
]
