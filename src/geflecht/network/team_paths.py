"""Team paths: how the best-placed colleagues reach one person.

The person page's "how does my team reach this person", and the organisation page's
direct ties of our people into a firm. The API's ``team-reach`` and ``geflecht reach``
ask the related question of paths into an organisation (reach.team_reach).
"""

from __future__ import annotations

from collections import defaultdict

from geflecht import graph as engine
from geflecht.accounts.models import User
from geflecht.network.reach import IntroPath, own_company_people, render_paths
from geflecht.network.snapshot import current_graph
from geflecht.people.models import Person

__all__ = ["direct_coverage", "team_paths"]


def team_paths(user: User, target: Person, *, lang: str = "en", limit: int = 2) -> list[IntroPath]:
    """The strongest path to ``target`` from each of the best-placed colleagues.

    Walks only the user's view of the graph; a colleague's private tie appears as
    "ask <colleague>" (see :func:`render_paths`).
    """
    snap = current_graph(user.tenant_pk)
    goal = snap.node(target.pk)
    if goal is None:
        return []
    colleagues = [p for p in own_company_people(user.tenant_pk) if p != user.person_id]
    out: list[engine.Path] = []
    banned: list[int] = []
    for _ in range(limit):
        sources = [n for n in snap.nodes(colleagues) if n not in banned and n != goal]
        if not sources:
            break
        found = engine.best_group_paths(
            snap.paths_view(user.pk), sources, [goal], max_hops=4, limit=1
        )
        if not found:
            break
        out.append(found[0])
        banned.append(found[0].source)
    return render_paths(user, snap, out, lang=lang)


def direct_coverage(user: User, staff_ids: list[int]) -> list[dict]:
    """Direct ties between our own people and the staff, strongest first, per person."""
    ours = set(own_company_people(user.tenant_pk))
    if not staff_ids or not ours:
        return []
    staff = set(staff_ids)
    # The user's view of the graph holds exactly the ties they may see, with their
    # strengths; reading neighbours there avoids scanning the relationship table.
    snap = current_graph(user.tenant_pk)
    view = snap.view_for(user.pk)
    our_nodes = set(snap.nodes(ours).tolist())
    ties: dict[tuple[int, int], float] = {}
    for node in snap.nodes(staff).tolist():
        theirs = snap.person(node)
        for other, st in zip(
            view.neighbors(node).tolist(), view.neighbor_strengths(node).tolist(), strict=True
        ):
            if other in our_nodes and snap.person(other) not in staff:
                ties[(theirs, snap.person(other))] = st
    people = Person.objects.in_bulk({p for pair in ties for p in pair})
    by_target: dict[int, list[tuple[Person, float]]] = defaultdict(list)
    for (theirs, mine), st in ties.items():
        by_target[theirs].append((people[mine], st))
    best = {t: max(s for _, s in v) for t, v in by_target.items()}
    return [
        {"person": people[t], "ours": sorted(v, key=lambda x: -x[1])[:4], "best": best[t]}
        for t, v in sorted(by_target.items(), key=lambda item: -best[item[0]])
    ]
