"""The network view's slices: nodes and edges of one part of the user's view of the graph.

The one service behind the web's network view (``/network/data.json``). Its ego slice is
the question the API's ``neighbourhood`` and ``geflecht network neighbourhood`` answer to
two degrees: the same people, in the same order (by degree, then strength).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext

from geflecht import graph as engine
from geflecht.accounts.models import User
from geflecht.network.communities import communities_of
from geflecht.network.reach import own_company_people
from geflecht.network.snapshot import current_graph
from geflecht.people.models import Person, Position
from geflecht.people.queries import visible_organization

__all__ = ["MAX_GRAPH_NODES", "GraphData", "network_graph"]

MAX_GRAPH_NODES = 2000
PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
]  # fmt: skip


@dataclass
class GraphData:
    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    legend: list[dict] = field(default_factory=list)
    truncated: bool = False

    def as_dict(self) -> dict:
        return {
            "nodes": self.nodes,
            "edges": self.edges,
            "legend": self.legend,
            "truncated": self.truncated,
        }


def network_graph(
    user: User,
    *,
    mode: str = "ego",
    org_id: int | None = None,
    community: int | None = None,
    min_strength: float = 0.0,
    color_by: str = "organization",
    limit: int = MAX_GRAPH_NODES,
) -> GraphData:
    """Nodes and edges for the network view, on the user's view of the graph only.

    ``mode``: "ego" (my network to two degrees), "organization" (an organisation's people
    and our ties into it) or "community" (one Louvain community). At most ``limit`` nodes,
    the strongest-connected first; positions are left to the browser's layout.
    """
    snap = current_graph(user.tenant_pk)
    view = snap.view_for(user.pk)
    visible = snap.visible_nodes(user.pk)
    me = snap.node(user.person_id) if user.person_id else None
    chosen: np.ndarray
    truncated = False
    labels = None
    if mode == "organization" and org_id is not None:
        visible_organization(user, org_id)
        staff = Position.objects.filter(organization_id=org_id, end_date__isnull=True).values_list(
            "person_id", flat=True
        )
        ours = own_company_people(user.tenant_pk)
        staff_nodes = snap.nodes(staff)
        our_nodes = snap.nodes(ours)
        # Our people who have a direct tie into the organisation, and its people.
        inside = np.zeros(snap.n, dtype=bool)
        inside[staff_nodes] = True
        linked = [n for n in our_nodes if inside[view.neighbors(int(n))].any()]
        chosen = np.unique(np.concatenate([staff_nodes, np.array(linked, dtype=np.int64)]))
    elif mode == "community":
        labels = communities_of(snap)
        pick = community if community is not None else (int(labels[me]) if me is not None else 0)
        chosen = np.flatnonzero(labels == pick) if pick >= 0 else np.empty(0, dtype=np.int64)
    else:
        if me is None:
            return GraphData()
        layers = engine.ego_layers(view, me, radius=2, min_strength=min_strength, mask=visible)
        # Strongest first within each degree, ordered as reach.neighbourhood orders
        # them, so the view and the neighbourhood lists name the same people in turn.
        first = layers.layers[0][np.argsort(-layers.strengths[0])]
        second = layers.layers[1][np.argsort(-layers.strengths[1])]
        room = max(0, limit - 1 - len(first))
        if len(second) > room:
            truncated = True
            second = second[:room]
        chosen = np.concatenate([np.array([me]), first[: limit - 1], second])
    chosen = chosen[visible[chosen]]
    if len(chosen) > limit:
        truncated = True
        degree = view.degrees()[chosen]
        chosen = chosen[np.argsort(-degree)[:limit]]
    member = np.zeros(snap.n, dtype=bool)
    member[chosen] = True
    # Only the chosen nodes' rows of the CSR arrays: 2,000 rows, not the whole graph.
    indptr, indices, strength, _w = view.csr()
    rows = np.sort(chosen)
    starts, ends = indptr[rows], indptr[rows + 1]
    lengths = ends - starts
    positions = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    u = np.repeat(rows, lengths)
    v = indices[positions].astype(np.int64)
    s = strength[positions]
    keep = (u < v) & member[v] & (s >= min_strength)
    u, v, s = u[keep], v[keep], s[keep]
    person_ids = [snap.person(int(n)) for n in chosen]
    names = {
        pid: " ".join(x for x in (first, last) if x)
        for pid, first, last in Person.objects.filter(pk__in=person_ids).values_list(
            "pk", "first_name", "last_name"
        )
    }
    employer = {}
    for pid, oid, oname in (
        Position.objects.filter(person_id__in=person_ids, end_date__isnull=True)
        .order_by("start_date")
        .values_list("person_id", "organization_id", "organization__name")
    ):
        employer[pid] = (oid, oname)
    if color_by == "community":
        if labels is None:
            labels = communities_of(snap)
        groups = {
            int(n): (int(labels[n]), gettext("community %(n)s") % {"n": int(labels[n])})
            for n in chosen
        }
    else:
        nowhere = (0, gettext("no organisation"))
        groups = {int(n): employer.get(snap.person(int(n)), nowhere) for n in chosen}
    counts = Counter(g for g in groups.values())
    top = [g for g, _ in counts.most_common(len(PALETTE) - 1)]
    colour = {g: PALETTE[i] for i, g in enumerate(top)}
    data = GraphData(truncated=truncated)
    for n in chosen:
        n = int(n)
        pid = snap.person(n)
        group = groups[n]
        data.nodes.append(
            {
                "id": str(pid),
                "label": names.get(pid, "?"),
                "group": group[1],
                "color": colour.get(group, "#b0b0b0"),
                "me": n == me,
                "url": f"/people/{pid}/",
            }
        )
    data.edges = [
        {"source": str(a), "target": str(b), "strength": st}
        for a, b, st in zip(
            snap.person_ids[u].tolist(),
            snap.person_ids[v].tolist(),
            np.round(s, 3).tolist(),
            strict=True,
        )
    ]
    data.legend = [{"label": g[1], "color": colour[g], "count": counts[g]} for g in top]
    if len(counts) > len(top):
        data.legend.append(
            {
                "label": "…",
                "color": "#b0b0b0",
                "count": sum(counts.values()) - sum(counts[g] for g in top),
            }
        )
    return data
