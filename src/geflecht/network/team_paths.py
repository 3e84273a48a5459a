"""Team paths: how the best-placed colleagues reach one person.

The person page's "how does my team reach this person". The API's ``team-reach`` and
``geflecht reach`` ask the related question of an organisation (reach.team_reach).
"""

from __future__ import annotations

from geflecht import graph as engine
from geflecht.accounts.models import User
from geflecht.network.reach import IntroPath, _own_company_people, render_paths
from geflecht.network.snapshot import current_graph
from geflecht.people.models import Person

__all__ = ["team_paths"]


def team_paths(user: User, target: Person, *, lang: str = "en", limit: int = 2) -> list[IntroPath]:
    """The strongest path to ``target`` from each of the best-placed colleagues.

    Walks only the user's view of the graph; a colleague's private tie appears as
    "ask <colleague>" (see :func:`render_paths`).
    """
    snap = current_graph(user.tenant_id)
    goal = snap.node(target.pk)
    if goal is None:
        return []
    colleagues = [p for p in _own_company_people(user.tenant_id) if p != user.person_id]
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
