"""What a merge of two persons does to the network: their ties and meetings move to the
one who stays (registered with :func:`geflecht.people.actions.register_merge_step`)."""

from __future__ import annotations

from django.db.models import Count, Q

from geflecht.lib.models import Visibility
from geflecht.network.actions import bump_graph_version, canonical, recompute_pairs
from geflecht.network.models import (
    Interaction,
    InteractionParticipant,
    Relationship,
    RelationshipKind,
)
from geflecht.people.models import Person

#: When two relationships fold into one, the kind that says more about the tie wins.
KIND_PRECEDENCE = (
    RelationshipKind.FAMILY,
    RelationshipKind.FRIEND,
    RelationshipKind.COLLEAGUE,
    RelationshipKind.FORMER_COLLEAGUE,
    RelationshipKind.BUSINESS,
    RelationshipKind.INTRODUCED,
)


def merge_ties(keep_id: int, gone_id: int) -> None:
    """Re-point the ties and meetings of ``gone_id`` at ``keep_id``: when both had a tie
    to the same third person in the same scope, the one with the higher rating, then the
    more telling kind, is kept; a tie between the two is dropped; a meeting both took
    part in keeps one participation. The touched pairs are recomputed and every tie of
    the one who goes leaves the graph (re-pointed or dropped)."""
    keep = Person.objects.get(pk=keep_id)
    gone = Person.objects.get(pk=gone_id)
    removed = [
        (a, b, owner if visibility == Visibility.PRIVATE else None)
        for a, b, visibility, owner in Relationship.objects.filter(
            Q(person_a_id=gone.pk) | Q(person_b_id=gone.pk)
        ).values_list("person_a_id", "person_b_id", "visibility", "owner_id")
    ]
    touched = _move_relationships(keep, gone)
    _move_participations(keep, gone)
    if touched:
        recompute_pairs(keep.tenant_id, touched)
    bump_graph_version(keep.tenant_id, removed=removed)


def _better(a: Relationship, b: Relationship) -> Relationship:
    """Of two relationships of the same pair and scope, the one to keep."""
    rating_a, rating_b = a.rating or 0, b.rating or 0
    if rating_a != rating_b:
        return a if rating_a > rating_b else b
    rank_a = KIND_PRECEDENCE.index(a.kind) if a.kind in KIND_PRECEDENCE else len(KIND_PRECEDENCE)
    rank_b = KIND_PRECEDENCE.index(b.kind) if b.kind in KIND_PRECEDENCE else len(KIND_PRECEDENCE)
    if rank_a != rank_b:
        return a if rank_a < rank_b else b
    return a if a.pk < b.pk else b


def _scope(rel: Relationship) -> tuple[bool, int | None]:
    private = rel.visibility == Visibility.PRIVATE
    return (private, rel.owner_id if private else None)


def _move_relationships(keep: Person, gone: Person) -> set[tuple[int, int]]:
    """Re-point ``gone``'s relationships at ``keep``; return the pairs to recompute."""
    ids = [keep.pk, gone.pk]
    rels = list(Relationship.objects.filter(Q(person_a_id__in=ids) | Q(person_b_id__in=ids)))
    mine: dict[tuple[int, tuple[bool, int | None]], Relationship] = {}
    theirs: list[Relationship] = []
    for rel in rels:
        ends = {rel.person_a_id, rel.person_b_id}
        if ends == {keep.pk, gone.pk}:
            rel.delete()
        elif keep.pk in ends:
            (third,) = ends - {keep.pk}
            mine[(third, _scope(rel))] = rel
        else:
            theirs.append(rel)
    touched: set[tuple[int, int]] = set()
    for rel in theirs:
        (third,) = {rel.person_a_id, rel.person_b_id} - {gone.pk}
        pair = canonical(keep.pk, third)
        touched.add(pair)
        twin = mine.get((third, _scope(rel)))
        if twin is None:
            rel.person_a_id, rel.person_b_id = pair
            rel.save(update_fields=["person_a", "person_b", "updated_at"])
            mine[(third, _scope(rel))] = rel
            continue
        winner = _better(twin, rel)
        loser = rel if winner is twin else twin
        loser.delete()
        if winner is rel:
            rel.person_a_id, rel.person_b_id = pair
            rel.save(update_fields=["person_a", "person_b", "updated_at"])
            mine[(third, _scope(rel))] = rel
    return touched


def _move_participations(keep: Person, gone: Person) -> None:
    both = InteractionParticipant.objects.filter(
        person=gone, interaction__participations__person=keep
    ).values_list("interaction_id", flat=True)
    shared = list(both)
    if shared:
        InteractionParticipant.objects.filter(person=gone, interaction_id__in=shared).delete()
        counts = dict(
            InteractionParticipant.objects.filter(interaction_id__in=shared)
            .values("interaction_id")
            .annotate(n=Count("id"))
            .values_list("interaction_id", "n")
        )
        for interaction_id, n in counts.items():
            Interaction.objects.filter(pk=interaction_id).update(participant_count=n)
    InteractionParticipant.objects.filter(person=gone).update(person=keep)
