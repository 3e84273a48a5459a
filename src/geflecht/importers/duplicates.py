"""Duplicate review: pairs of people who may be one, and merging a pair.

The one service behind the web's duplicates page and ``geflecht duplicates`` (the API
has no duplicates endpoint); both list the same pairs in the same order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db.models import Max

from geflecht.accounts.models import User
from geflecht.importers.identity import NAME_THRESHOLD, find_duplicates
from geflecht.lib.remember import PENDING, Pending, rememberable, remembered
from geflecht.network.snapshot import graph_version
from geflecht.people.models import Person
from geflecht.people.queries import visible_people, visible_person

__all__ = ["DuplicatePair", "duplicate_pairs", "merge_duplicate"]


@dataclass(frozen=True)
class DuplicatePair:
    keep: Person
    other: Person
    score: float
    level: str
    reasons: tuple[str, ...]


@rememberable
def _duplicates_of(user_id: int, limit: int, min_score: float) -> list:
    """The candidate pairs among the people this user sees (their private ones included)."""
    return find_duplicates(User.objects.get(pk=user_id), min_score=min_score, limit=limit)


def duplicate_pairs(
    user: User, *, limit: int = 50, min_score: float = NAME_THRESHOLD, wait: bool = False
) -> list[DuplicatePair] | Pending:
    """The review list: pairs of visible people who may be one, best first, or
    ``PENDING`` (unless ``wait``) while the first comparison of everyone runs in the
    background."""
    # Comparing every person takes seconds at 100,000 people: keep the list until a
    # person is added (highest id) or merged (graph version), at most five minutes.
    newest = Person.objects.aggregate(m=Max("id"))["m"]
    found = remembered(
        _duplicates_of,
        {"user_id": user.pk, "limit": limit, "min_score": min_score},
        (newest, graph_version(user.tenant_pk), int(time.time() // 300)),
        wait=wait,
    )
    if isinstance(found, Pending):
        return PENDING
    # An answer from a moment ago may name someone who has become private since.
    people = visible_people(user).in_bulk(
        {c.survivor_id for c in found} | {c.person_id for c in found}
    )
    return [
        DuplicatePair(people[c.survivor_id], people[c.person_id], c.score, c.level, c.reasons)
        for c in found
        if c.survivor_id in people and c.person_id in people
    ]


def merge_duplicate(user: User, keep_id: int, other_id: int) -> Person:
    """Merge ``other_id`` into ``keep_id`` (both must be visible to ``user``; one that is
    not answers exactly like a person that does not exist)."""
    from geflecht.people.actions import merge_people

    keep = visible_person(user, keep_id)
    other = visible_person(user, other_id)
    return merge_people(keep, other, by=user)
