"""A snapshot that catches up from the change log equals one built fresh from the database."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from geflecht.network import snapshot
from geflecht.network.actions import record_interaction
from geflecht.network.models import GraphChange
from geflecht.people.actions import merge_people
from geflecht.people.models import Person


def ties(tg: snapshot.TenantGraph, which: str = "graph") -> dict[tuple[int, int], float]:
    a, b, s = getattr(tg, which).edges()
    return {
        (min(tg.person(int(x)), tg.person(int(y))), max(tg.person(int(x)), tg.person(int(y)))): (
            round(float(st), 9)
        )
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


def test_a_merged_away_person_keeps_no_ties_in_a_replayed_snapshot(tenant, owner):
    survivor = Person.objects.create(tenant=tenant, last_name="Weber")
    duplicate = Person.objects.create(tenant=tenant, last_name="Weber")
    record_interaction(
        tenant=tenant,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=1),
        participants=[(owner.person_id, "organiser"), (duplicate.pk, "attendee")],
    )
    before = snapshot.current_graph(tenant.id)
    assert before.graph.degree(before.node(duplicate.pk)) == 1
    merge_people(survivor, duplicate)
    after = snapshot.current_graph(tenant.id)
    assert after.person_ids is before.person_ids  # caught up from the log, not rebuilt
    assert ties(after) == ties(snapshot.build_graph(tenant.id))
    assert after.graph.degree(after.node(duplicate.pk)) == 0
