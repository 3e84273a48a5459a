"""A fair's target paths are searched at the strengths the reader may see.

A colleague's stronger private row on a pair that also has a company row must change
neither which path is shown for a target nor any number on it.
"""

from __future__ import annotations

from geflecht.events import actions, queries
from geflecht.network.actions import bump_graph_version
from geflecht.network.models import Relationship
from geflecht.network.tests.test_path_privacy import _seen


def _private_row(owner, a, b, strength):
    x, y = sorted([a.pk, b.pk])
    rel = Relationship.objects.create(
        tenant=owner.tenant, person_a_id=x, person_b_id=y, strength=strength,
        visibility="private", owner=owner,
    )  # fmt: skip
    bump_graph_version(owner.tenant_id, [rel])


def _targets_seen(user, fair) -> list:
    return [
        (r.label, [(b.person, b.target, b.strength) for b in r.brokers], _seen([r.path]))
        for r in queries.target_brokers(user, fair)
    ]


def test_target_paths_are_identical_with_and_without_a_colleagues_private_row(
    owner, colleague, fair_world
):
    fair = fair_world["fair"]
    actions.add_target(owner, fair, organization=fair_world["ziel"])
    before = _targets_seen(owner, fair)
    # Jana's own, much stronger private rows on pairs Anna sees a company row of.
    _private_row(colleague, colleague.person, fair_world["bruno"], 0.99)
    _private_row(colleague, fair_world["bruno"], fair_world["tanja"], 0.99)
    assert _targets_seen(owner, fair) == before
