"""Expert search ranks and shows reach at the strengths the reader may see.

A colleague's stronger private row on a pair that also has a company row must change
neither the order of the experts nor their reach nor the path shown.
"""

from __future__ import annotations

from geflecht.network.actions import bump_graph_version
from geflecht.network.tests.test_path_privacy import _seen
from geflecht.skills import queries


def _experts_seen(result) -> list:
    return [
        (h.person, h.score, h.reach, h.reasons, _seen([h.path] if h.path else []))
        for h in result.hits
    ]


def test_experts_are_identical_with_and_without_a_colleagues_private_row(net):
    net.has("weber", "schweissen", level=3)
    net.has("kurz", "schweissen", level=3)
    net.tie("anna", "kurz", 0.8)
    net.tie("anna", "bernd", 0.5)
    net.tie("bernd", "weber", 0.5)
    before = _experts_seen(queries.find_experts(net.anna, "Schweißen"))
    # Jana's own, much stronger private row on a pair Anna sees a company row of.
    net.tie("bernd", "weber", 0.99, owner=net.jana)
    queries.forget_index()
    assert _experts_seen(queries.find_experts(net.anna, "Schweißen")) == before


def test_an_experts_reach_over_a_hidden_stretch_gives_no_strength_away(net):
    # Anna reaches Weber only through Jana's private contact Mayr: "ask Jana". The same
    # world twice, except that Jana's hidden tie to Mayr is stronger the second time.
    net.has("weber", "schweissen", level=3)
    net.tie("anna", "jana", 0.9)
    hidden = net.tie("jana", "mayr", 0.5, owner=net.jana)
    net.tie("mayr", "weber", 0.8, owner=net.jana)
    weak = _experts_seen(queries.find_experts(net.anna, "Schweißen"))
    assert weak and weak[0][0] == net["weber"] and weak[0][4]  # found, with a path
    hidden.strength = 0.95
    hidden.save(update_fields=["strength"])
    bump_graph_version(net.tenant.id, [hidden])
    queries.forget_index()
    assert _experts_seen(queries.find_experts(net.anna, "Schweißen")) == weak
