"""Writes of the importers beyond loading: forgetting what a load brought in.

A connector ("disconnect and forget") or a user undoing an import hands back the
:attr:`~geflecht.importers.load.ImportReport.created_ids` of its loads; this module
deletes exactly those rows that nothing else needs and lets the graph forget them.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import models, transaction

from geflecht.accounts.models import User
from geflecht.lib.visibility import RESTRICTED, require_writer
from geflecht.network.actions import bump_graph_version, canonical, recompute_pairs
from geflecht.network.models import (
    Interaction,
    InteractionParticipant,
    Relationship,
    UpcomingMeeting,
)
from geflecht.people.models import ContactEmail, ContactPhone, Organization, Person, Position, Site

__all__ = ["ForgetReport", "forget_records"]

#: Ids per query: bounded statements on both databases.
CHUNK = 5000


@dataclass
class ForgetReport:
    """How many rows of each kind were deleted, and how many were kept (still needed)."""

    deleted: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)


def _ids(created_ids: Mapping[str, Iterable[int]], kind: str) -> list[int]:
    return sorted({int(i) for i in created_ids.get(kind, ())})


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


@transaction.atomic
def forget_records(user: User, created_ids: Mapping[str, Iterable[int]]) -> ForgetReport:
    """Delete what loads of ``user`` created (``created_ids`` as in the import report).

    Interactions and upcoming meetings go always; relationships, people and
    organisations only when nothing else needs them: a relationship with a rating or
    with interactions left between its two people stays, a person who was edited since
    (version above 1), is linked to a login, takes part in an interaction, meeting or
    relationship that stays, or is referred to by anything else (a note, a project, a
    later position) stays, and so does an organisation that someone still works at or
    that anything else refers to. Only rows owned by ``user`` in their tenant are
    touched, whatever ids are given. The strengths of the pairs that shared a deleted
    interaction are recomputed, and the graph learns of every change.
    """
    require_writer(user)
    tenant_id = user.tenant_pk
    report = ForgetReport()
    mine = {"tenant_id": tenant_id, "owner_id": user.pk}

    # Interactions: remember the pairs they weighed before they go.
    pairs: set[tuple[int, int]] = set()
    deleted = 0
    for chunk in _chunks(_ids(created_ids, "interactions")):
        ids = list(Interaction.objects.filter(pk__in=chunk, **mine).values_list("pk", flat=True))
        people_of: dict[int, list[int]] = defaultdict(list)
        for iid, pid in InteractionParticipant.objects.filter(interaction_id__in=ids).values_list(
            "interaction_id", "person_id"
        ):
            people_of[iid].append(pid)
        for people in people_of.values():
            pairs.update(canonical(a, b) for a, b in itertools.combinations(sorted(people), 2))
        InteractionParticipant.objects.filter(interaction_id__in=ids).delete()
        Interaction.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
    report.deleted["interactions"] = deleted

    deleted = 0
    for chunk in _chunks(_ids(created_ids, "upcoming_meetings")):
        deleted += (
            UpcomingMeeting.objects.filter(pk__in=chunk, **mine)
            .delete()[1]
            .get(UpcomingMeeting._meta.label, 0)
        )
    report.deleted["upcoming_meetings"] = deleted

    # Relationships without a rating and without interactions left between the pair.
    candidates = []
    for chunk in _chunks(_ids(created_ids, "relationships")):
        candidates += list(
            Relationship.objects.filter(pk__in=chunk, rating__isnull=True, **mine).values_list(
                "pk", "person_a_id", "person_b_id", "visibility", "owner_id"
            )
        )
    evidenced = _pairs_with_interactions(tenant_id, {(a, b) for _pk, a, b, _v, _o in candidates})
    gone = [row for row in candidates if (row[1], row[2]) not in evidenced]
    for chunk in _chunks([row[0] for row in gone]):
        Relationship.objects.filter(pk__in=chunk).delete()
    report.deleted["relationships"] = len(gone)
    report.kept["relationships"] = len(_ids(created_ids, "relationships")) - len(gone)

    people = _unreferenced(
        Person,
        _ids(created_ids, "people"),
        mine,
        own=(ContactEmail, ContactPhone, Position),
        extra=models.Q(version=1),
    )
    people = _without_later_positions(people)
    for chunk in _chunks(people):
        Person.objects.filter(pk__in=chunk).delete()
    report.deleted["people"] = len(people)
    report.kept["people"] = len(_ids(created_ids, "people")) - len(people)

    orgs = _unreferenced(Organization, _ids(created_ids, "organizations"), mine, own=(Site,))
    for chunk in _chunks(orgs):
        Organization.objects.filter(pk__in=chunk).delete()
    report.deleted["organizations"] = len(orgs)
    report.kept["organizations"] = len(_ids(created_ids, "organizations")) - len(orgs)

    removed = [(a, b, owner if vis in RESTRICTED else None) for _pk, a, b, vis, owner in gone]
    if pairs:
        recompute_pairs(tenant_id, pairs)
    if removed:
        bump_graph_version(tenant_id, removed=removed)
    return report


def _pairs_with_interactions(tenant_id: int, pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Those of ``pairs`` whose two people share at least one interaction."""
    if not pairs:
        return set()
    people = sorted({p for pair in pairs for p in pair})
    members: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(people):
        for iid, pid in InteractionParticipant.objects.filter(
            person_id__in=chunk, interaction__tenant_id=tenant_id
        ).values_list("interaction_id", "person_id"):
            members[iid].append(pid)
    found: set[tuple[int, int]] = set()
    for group in members.values():
        if len(group) < 2:
            continue
        for a, b in itertools.combinations(sorted(group), 2):
            if (a, b) in pairs:
                found.add((a, b))
    return found


def _unreferenced(
    model: type[models.Model],
    ids: list[int],
    mine: dict,
    *,
    own: tuple[type[models.Model], ...],
    extra: models.Q | None = None,
) -> list[int]:
    """Those of ``ids`` (rows of ``model`` owned by the user) no other row refers to.

    Rows of the ``own`` models (the e-mail addresses, phones and positions a load writes
    with a person, the sites with an organisation) go with their row; every other
    reverse foreign key, hidden ones included, keeps the row.
    """
    left: set[int] = set()
    for chunk in _chunks(ids):
        rows = model._default_manager.filter(pk__in=chunk, **mine)
        if extra is not None:
            rows = rows.filter(extra)
        left.update(rows.values_list("pk", flat=True))
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete) or rel.many_to_many:
            continue
        related = rel.related_model
        if related is None or related in own or not left:
            continue
        column = rel.field.attname  # type: ignore[union-attr]
        for chunk in _chunks(sorted(left)):
            used = set(
                related._default_manager.filter(**{f"{column}__in": chunk}).values_list(
                    column, flat=True
                )
            )
            left -= used
    return sorted(left)


def _without_later_positions(people: list[int]) -> list[int]:
    """Drop people who got a position after they were created (another import, an edit):
    a load writes a person and their position with one time stamp."""
    if not people:
        return people
    later: set[int] = set()
    for chunk in _chunks(people):
        created = dict(Person.objects.filter(pk__in=chunk).values_list("pk", "created_at"))
        for pid, at in Position.objects.filter(person_id__in=chunk).values_list(
            "person_id", "created_at"
        ):
            if at != created[pid]:
                later.add(pid)
    return [p for p in people if p not in later]
