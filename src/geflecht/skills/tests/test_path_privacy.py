"""Expert search ranks and shows reach at the strengths the reader may see.

A colleague's stronger private row on a pair that also has a company row must change
neither the order of the experts nor their reach nor the path shown.
"""

from __future__ import annotations

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
