"""A snapshot that catches up from the change log equals one built fresh from the database."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from geflecht.network import snapshot
from geflecht.network.actions import record_interaction
from geflecht.network.models import GraphChange
from geflecht.people.models import Person


def ties(tg: snapshot.TenantGraph, which: str = "graph") -> dict[tuple[int, int], float]:
    a, b, s = getattr(tg, which).edges()
    return {
        tuple(sorted((tg.person(int(x)), tg.person(int(y))))): round(float(st), 9)
        for x, y, st in zip(a, b, s, strict=True)
    }


def test_people_new_since_the_snapshot_get_their_own_nodes(tenant, owner, colleague):
    old = snapshot.build_graph(tenant.id)
    weber = Person.objects.create(tenant=tenant, last_name="Weber")
    mayr = Person.objects.create(tenant=tenant, last_name="Mayr")
    record_interaction(
        tenant=tenant,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=1),
        participants=[
            (owner.person_id, "organiser"),
            (weber.pk, "attendee"),
            (mayr.pk, "attendee"),
        ],
    )
    changes = list(
        GraphChange.objects.filter(tenant_id=tenant.id, version__gt=old.version)
        .order_by("version", "id")
        .values_list("version", "person_a_id", "person_b_id", "strength", "owner_id", "full")
    )
    fresh = snapshot.build_graph(tenant.id)
    caught_up = snapshot.apply_changes(old, changes, fresh.version)
    assert ties(caught_up) == ties(fresh)
    assert len(ties(fresh)) == 3
    assert caught_up.node(weber.pk) is not None
    assert caught_up.person(caught_up.node(mayr.pk)) == mayr.pk
