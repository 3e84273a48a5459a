"""The company's communities: one Louvain partition per tenant and graph version.

The one service behind the network page (its community picker and colouring), the API's
``communities`` and ``geflecht network communities``: all three show the same groups,
in the same order, with the same top members.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geflecht import graph as engine
from geflecht.accounts.models import User
from geflecht.lib.remember import rememberable, remembered
from geflecht.network.snapshot import TenantGraph, current_graph
from geflecht.people.models import Person

__all__ = ["Community", "communities", "communities_of", "community_choices", "modularity_of"]

#: Communities smaller than this are not listed (a pair is a tie, not a community).
MIN_SIZE = 3


@dataclass(frozen=True)
class Community:
    """One community as the user may see it: its label (stable for the graph version),
    how many people of it the user sees, and its best-connected members."""

    label: int
    size: int
    top: tuple[Person, ...]

    @property
    def names(self) -> str:
        return ", ".join(p.full_name for p in self.top)


@rememberable
def _louvain_of(tenant_id: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Louvain on the tenant's shared network: person ids, their labels, the modularity."""
    snap = current_graph(tenant_id)
    result = engine.louvain(snap.shared, seed=0)
    return snap.person_ids.copy(), np.asarray(result.labels), float(result.modularity)


def _louvain(snap: TenantGraph) -> tuple[np.ndarray, np.ndarray, float]:
    return remembered(_louvain_of, {"tenant_id": snap.tenant_id}, snap.version)


def communities_of(snap: TenantGraph) -> np.ndarray:
    """Louvain labels per node of the company's shared network (-1: not placed yet).

    Communities are the company's, the same for every user: Louvain on 100,000 people
    takes about a second, so they are computed once per tenant and graph version, in
    the background once a first answer exists. Labels travel with person ids, so a
    snapshot that grew since still lines up; people who joined since wait for the
    refresh. Callers show only the nodes the user may see.
    """
    person_ids, found, _modularity = _louvain(snap)
    labels = np.full(snap.n, -1, dtype=np.int64)
    if len(person_ids) and snap.n:
        pos = np.minimum(np.searchsorted(snap.person_ids, person_ids), snap.n - 1)
        same = snap.person_ids[pos] == person_ids
        labels[pos[same]] = found[same]
    return labels


def modularity_of(user: User) -> float:
    """The modularity of the company's partition (how clearly the communities separate)."""
    return _louvain(current_graph(user.tenant_pk))[2]


def communities(user: User, *, limit: int = 30, top: int = 3) -> list[Community]:
    """The largest communities as ``user`` sees them, largest first: only people the
    user may see count and are named, and only those with a tie in the user's view."""
    snap = current_graph(user.tenant_pk)
    view = snap.view_for(user.pk)
    labels = communities_of(snap)
    visible = snap.visible_nodes(user.pk)
    degree = view.degrees()
    found = []
    for label in np.unique(labels[labels >= 0]):
        members = np.flatnonzero((labels == label) & visible & (degree > 0))
        if len(members) < MIN_SIZE:
            continue
        best = members[np.argsort(-degree[members])[:top]]
        found.append((int(label), len(members), [snap.person(int(n)) for n in best]))
    found.sort(key=lambda row: -row[1])
    found = found[:limit]
    people = Person.objects.in_bulk([p for _, _, best in found for p in best])
    return [
        Community(label, size, tuple(people[p] for p in best if p in people))
        for label, size, best in found
    ]


def community_choices(user: User) -> list[tuple[int, int, str]]:
    """The network page's community picker: (label, size, names of top members)."""
    return [(c.label, c.size, c.names) for c in communities(user)]
