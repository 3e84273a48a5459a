"""Key-person risk: how much of our access to an account hangs on one colleague.

For each organisation we compute *team reach* -- the strongest path from any of our
people to each of its people -- and, for each colleague that reach depends on, what is
left if that colleague leaves: "of 12 people at org 7 we reach 10; if colleague 3 leaves
we reach 6".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .exceptions import GraphError
from .paths import _check_hops, _group_walks, _node_array
from .snapshot import Graph

__all__ = ["ColleagueImpact", "GroupAccess", "TargetAccess", "key_person_risk"]


@dataclass(frozen=True, slots=True)
class TargetAccess:
    """Our best route to one person of the organisation.

    ``via`` is the colleague the route starts at and ``path`` its nodes; ``strength``
    is 0.0 and ``via`` None when the person is out of reach.
    """

    node: int
    strength: float
    via: int | None
    path: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ColleagueImpact:
    """What the organisation's coverage becomes if ``colleague`` leaves.

    Attributes
    ----------
    colleague : int
    reached_after : int
        People still reachable without the colleague.
    people_lost : tuple of int
        People reachable now but not without the colleague.
    share_remaining : float
        ``reached_after / reached`` (1.0 when nobody is reached now).
    strength_lost : float
        Sum over the organisation's people of the drop in best strength.
    best_entry_for : int
        People for whom this colleague is the start of the best route.
    """

    colleague: int
    reached_after: int
    people_lost: tuple[int, ...]
    share_remaining: float
    strength_lost: float
    best_entry_for: int


@dataclass(frozen=True, slots=True)
class GroupAccess:
    """Our access to one organisation (or any group of people)."""

    group: Any
    people: int
    reached: int
    total_strength: float
    targets: tuple[TargetAccess, ...]
    impacts: tuple[ColleagueImpact, ...]

    @property
    def share_reached(self) -> float:
        return self.reached / self.people if self.people else 0.0

    @property
    def key_person(self) -> ColleagueImpact | None:
        """The colleague whose departure would cost the most reach, if any."""
        return self.impacts[0] if self.impacts else None

    def summary(self) -> str:
        text = f"of {self.people} people at {self.group} we reach {self.reached}"
        if self.key_person is not None:
            k = self.key_person
            text += f"; if colleague {k.colleague} leaves we reach {k.reached_after}"
        return text


def key_person_risk(
    G: Graph,
    colleagues: Iterable[int],
    targets_by_group: Mapping[Any, Iterable[int]],
    *,
    max_hops: int | None = 3,
    min_strength: float = 0.0,
    avoid: Iterable[int] = (),
) -> dict[Any, GroupAccess]:
    """Team reach per organisation and the coverage lost if each colleague leaves.

    Parameters
    ----------
    G : Graph
    colleagues : iterable of int
        Our own people.
    targets_by_group : mapping group id -> iterable of int
        The people of each organisation. Colleagues listed there are skipped.
    max_hops : int or None, default 3
    min_strength : float, default 0.0
    avoid : iterable of int
        Nodes never used on a route.

    Returns
    -------
    dict group id -> GroupAccess
        ``impacts`` lists only colleagues whose departure changes something for that
        group, worst first (people lost, then strength lost).

    Notes
    -----
    One multi-source search over all targets gives the current reach. Removing a
    colleague can only change the targets whose best route passes through them (as
    start or intermediary), so one more multi-source search -- without that colleague,
    restricted to those targets -- is run per colleague on some best route, and none
    for the others.

    Examples
    --------
    >>> from geflecht.graph import Graph, key_person_risk
    >>> G = Graph.from_edges(5, [0, 0, 1, 2], [2, 3, 3, 4], [0.9, 0.9, 0.5, 0.8])
    >>> print(key_person_risk(G, [0, 1], {"org 7": [2, 3, 4]})["org 7"].summary())
    of 3 people at org 7 we reach 3; if colleague 0 leaves we reach 1
    """
    hops = _check_hops(max_hops)
    col = np.unique(_node_array(G, colleagues, "colleagues"))
    blocked = np.unique(_node_array(G, avoid, "avoid"))
    col = col[~np.isin(col, blocked)]
    groups = {g: np.unique(_node_array(G, t, f"targets of {g!r}")) for g, t in
              targets_by_group.items()}  # fmt: skip
    groups = {g: t[~np.isin(t, col)] for g, t in groups.items()}
    all_t = np.unique(np.concatenate([np.zeros(0, np.int64), *groups.values()]))
    allow = np.zeros(0, dtype=bool)
    min_s = float(min_strength)
    if min_s < 0:
        raise GraphError("min_strength must be non-negative")

    w, walks = _group_walks(G, col, all_t, hops, min_s, blocked, allow)
    best = dict(zip(all_t.tolist(), np.exp(-w).tolist(), strict=True))
    walk_of = dict(zip(all_t.tolist(), walks, strict=True))
    # Which targets each colleague's departure could affect.
    affected: dict[int, set[int]] = {}
    col_set = set(col.tolist())
    for t, walk in walk_of.items():
        if walk is None:
            continue
        for x in walk:
            if x in col_set:
                affected.setdefault(x, set()).add(t)

    after: dict[int, dict[int, float]] = {}
    for x, ts in affected.items():
        tt = np.array(sorted(ts), dtype=np.int64)
        others = col[col != x]
        w2, _ = _group_walks(G, others, tt, hops, min_s, np.append(blocked, x), allow)
        after[x] = dict(zip(tt.tolist(), np.exp(-w2).tolist(), strict=True))

    result: dict[Any, GroupAccess] = {}
    for g, t in groups.items():
        tl = t.tolist()
        accesses = []
        for node in tl:
            walk = walk_of[node]
            if walk is None:
                accesses.append(TargetAccess(node, 0.0, None, ()))
            else:
                accesses.append(TargetAccess(node, float(best[node]), walk[0], tuple(walk)))
        reached = {a.node for a in accesses if a.via is not None}
        impacts = []
        for x, changed in after.items():
            hit = [node for node in tl if node in changed]
            if not hit:
                continue
            lost = tuple(node for node in hit if changed[node] == 0.0)
            loss = sum(best[node] - changed[node] for node in hit)
            entry = sum(1 for a in accesses if a.via == x)
            impacts.append(
                ColleagueImpact(
                    colleague=x,
                    reached_after=len(reached) - len(lost),
                    people_lost=lost,
                    share_remaining=(len(reached) - len(lost)) / len(reached) if reached else 1.0,
                    strength_lost=float(loss),
                    best_entry_for=entry,
                )
            )
        impacts.sort(key=lambda c: (-len(c.people_lost), -c.strength_lost, c.colleague))
        result[g] = GroupAccess(
            group=g,
            people=len(tl),
            reached=len(reached),
            total_strength=float(sum(a.strength for a in accesses)),
            targets=tuple(accesses),
            impacts=tuple(impacts),
        )
    return result
