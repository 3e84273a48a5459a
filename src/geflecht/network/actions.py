"""Writes on relationships and interactions, keeping strengths and the graph version in step.

Every write that changes a relationship's strength raises the tenant's graph version
in the same transaction, so the graph snapshots of all processes see it on their next
request.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from geflecht.accounts.models import Tenant, User
from geflecht.lib.bulk import insert_rows, reserve_ids
from geflecht.lib.errors import NotAllowed, NotFound
from geflecht.lib.models import Visibility
from geflecht.lib.visibility import (
    RESTRICTED,
    audience_covers,
    can_see,
    require_writer,
    visible_q,
)
from geflecht.network import snapshot
from geflecht.network.models import (
    GraphChange,
    GraphState,
    Interaction,
    InteractionParticipant,
    Relationship,
    RelationshipKind,
    UpcomingMeeting,
    UpcomingParticipant,
)
from geflecht.network.params import strength_params
from geflecht.network.queries import STARTERS, pair_histories
from geflecht.network.strength import (
    CHANNELS,
    KINDS,
    Evidence,
    InvalidInteraction,
    PairState,
    bulk_decayed_sums,
    days_since_epoch,
    empty_sums,
    state_strength,
    strengths_from_sums,
    update_state,
    validate_interaction,
)
from geflecht.people.models import Person, Position

# A meeting of up to this many people makes its participants acquainted; a 300-person
# trade-fair reception does not (it still strengthens ties that exist already).
TIE_GROUP_LIMIT = 12

ProgressFn = Callable[[int, int], None]


def bump_graph_version(
    tenant_id: int,
    changed: Iterable[Relationship | _Rel] = (),
    *,
    removed: Iterable[tuple[int, int, int | None]] = (),
    full: bool = False,
) -> int:
    """Raise the tenant's graph version and log what changed; return the new version.

    ``changed`` relationships are logged with their new strength, ``removed`` as
    ``(person_a_id, person_b_id, owner_id or None)``; ``full`` asks every snapshot to
    rebuild. The row lock on the tenant's GraphState serialises writers, so versions
    and their logs never interleave.
    """
    state, _created = GraphState.objects.select_for_update().get_or_create(tenant_id=tenant_id)
    version = state.version + 1
    GraphState.objects.filter(pk=state.pk).update(version=version)
    rows: list[tuple[int, int, int | None, int | None, float | None, int | None, bool]] = [
        (
            tenant_id,
            version,
            rel.person_a_id,
            rel.person_b_id,
            rel.strength,
            rel.owner_id if rel.visibility in RESTRICTED else None,
            False,
        )
        for rel in changed
    ]
    rows += [(tenant_id, version, a, b, None, owner, False) for a, b, owner in removed]
    if full:
        rows.append((tenant_id, version, None, None, None, None, True))
    # Plain multi-row inserts: an import logs 100,000 changes per batch.
    insert_rows(
        GraphChange,
        ["tenant", "version", "person_a_id", "person_b_id", "strength", "owner_id", "full"],
        rows,
    )
    # The worker writes a new snapshot file when the newest lags far enough behind.
    transaction.on_commit(lambda: snapshot.request_file(tenant_id))
    return version


def canonical(a: int, b: int) -> tuple[int, int]:
    if a == b:
        raise ValidationError(_("A person cannot have a relationship with themselves."))
    return (a, b) if a < b else (b, a)


@dataclass(frozen=True)
class InteractionInput:
    """One interaction to record: ``participants`` are ``(person_id, role)`` pairs."""

    kind: str
    occurred_at: datetime
    participants: Sequence[tuple[int, str]]
    duration_minutes: int | None = None
    subject: str = ""
    location: str = ""
    site_id: int | None = None
    source: str = "manual"
    external_id: str = ""
    visibility: str = "company"
    #: A mass mailing (mailing list, newsletter): stored as evidence, creates no ties.
    is_bulk: bool = False


def record_interaction(
    *,
    tenant: Tenant,
    recorded_by: User | None = None,
    now: datetime | None = None,
    **fields,
) -> Interaction:
    """Store one interaction and update the strengths of the pairs it touches.

    Invalid input (fewer than two distinct people, a date in the future, an unknown
    channel or role, people the recorder may not see) raises ``ValidationError`` and
    changes nothing. A repeated ``(source, external_id)`` returns the interaction stored
    the first time, so imports are idempotent.
    """
    (result,) = record_interactions(
        tenant=tenant, items=[InteractionInput(**fields)], recorded_by=recorded_by, now=now
    )
    if isinstance(result, ValidationError):
        raise result
    return result


def _participants(
    tenant: Tenant, items: Sequence[InteractionInput], recorded_by: User | None
) -> tuple[list[dict[int, str]], set[int]]:
    """Each item's people with their role (the first role a person is named with wins),
    and which of all of them the recorder may name."""
    roles_of: list[dict[int, str]] = []
    for item in items:
        roles: dict[int, str] = {}
        for person_id, role in item.participants:
            roles.setdefault(int(person_id), role)
        roles_of.append(roles)
    everyone = {pid for roles in roles_of for pid in roles}
    known = set(
        Person.objects.filter(tenant=tenant, id__in=everyone)
        # Without a recorder the interaction is the company's: only company-visible people.
        .filter(visible_q(recorded_by) if recorded_by else Q(visibility=Visibility.COMPANY))
        .values_list("id", flat=True)
    )
    return roles_of, known


@transaction.atomic
def record_interactions(
    *,
    tenant: Tenant,
    items: Sequence[InteractionInput],
    recorded_by: User | None = None,
    now: datetime | None = None,
    new_relationship_ids: list[int] | None = None,
) -> list[Interaction | ValidationError]:
    """Store many interactions in one transaction (imports); one result per item.

    Each result is the stored (or already known) interaction, or the ``ValidationError``
    that explains why that item was refused; refused items change nothing. Strengths of
    all touched pairs are recomputed once at the end, in a constant number of queries.
    A read-only recorder is refused (``PermissionDenied``), whichever door called.
    ``new_relationship_ids``, when given, is extended by the ids of the relationship rows
    this call created (an importer remembers them to forget them again).
    """
    if recorded_by is not None:
        require_writer(recorded_by)
    now = now or timezone.now()
    params = strength_params()
    results: list[Interaction | ValidationError | None] = [None] * len(items)
    roles_of, known = _participants(tenant, items, recorded_by)
    keys = {(it.source, it.external_id) for it in items if it.external_id}
    existing: dict[tuple[str, str], Interaction] = {}
    if keys:
        by_source: dict[str, list[str]] = defaultdict(list)
        for source, external_id in keys:
            by_source[source].append(external_id)
        for source, external_ids in by_source.items():
            for start in range(0, len(external_ids), 500):  # bounded statement size
                for i in Interaction.objects.filter(
                    tenant=tenant, source=source, external_id__in=external_ids[start : start + 500]
                ):
                    existing[(i.source, i.external_id)] = i
    fresh: list[tuple[int, Interaction]] = []
    for n, (item, roles) in enumerate(zip(items, roles_of, strict=True)):
        problem = _problem(item, roles, known, recorded_by, now, params)
        if problem is not None:
            results[n] = problem
        elif item.external_id and (item.source, item.external_id) in existing:
            results[n] = existing[(item.source, item.external_id)]
        else:
            interaction = Interaction(
                tenant=tenant,
                kind=item.kind,
                occurred_at=item.occurred_at,
                duration_minutes=item.duration_minutes,
                subject=item.subject[:300],
                location=item.location[:200],
                site_id=item.site_id,
                source=item.source,
                external_id=item.external_id,
                owner=recorded_by,
                visibility=item.visibility,
                participant_count=len(roles),
            )
            if item.external_id:
                # The same message twice in one batch is stored once, too.
                existing[(item.source, item.external_id)] = interaction
            fresh.append((n, interaction))
            results[n] = interaction
    _insert_interactions(fresh, roles_of)
    touched: dict[tuple[int, int], list[tuple[Evidence, str, int | None]]] = defaultdict(list)
    new_ties: dict[bool, set[tuple[int, int]]] = {False: set(), True: set()}
    owner_id = recorded_by.pk if recorded_by else None
    for n, _interaction in fresh:
        item, roles = items[n], roles_of[n]
        pairs = {canonical(a, b) for a, b in itertools.combinations(sorted(roles), 2)}
        for a, b in pairs:
            role_a, role_b = roles[a], roles[b]
            initiator = "a" if role_a in STARTERS else "b" if role_b in STARTERS else None
            evidence = Evidence(
                occurred_at=item.occurred_at,
                channel=item.kind,
                group_size=len(roles),
                duration_minutes=item.duration_minutes,
                initiator=initiator,
                is_bulk=item.is_bulk,
            )
            touched[(a, b)].append((evidence, item.visibility, owner_id))
        mass_mail = item.is_bulk or (
            item.kind in ("email", "message") and len(roles) > params.bulk_threshold
        )
        if len(roles) <= TIE_GROUP_LIMIT and not mass_mail:
            # A private or team meeting makes a private tie of its recorder: a shared
            # row would tell everyone that the two met.
            new_ties[item.visibility in RESTRICTED] |= pairs
    rels = _relationships_of(tenant.id, touched)
    for private, pairs in new_ties.items():
        if pairs:
            rels += _ensure_relationships(
                tenant,
                pairs,
                recorded_by,
                private=private,
                have=rels,
                created_ids=new_relationship_ids,
            )
    _add_evidence(tenant.id, rels, touched, now=now)
    return results  # type: ignore[return-value]


def _params_key(params) -> str:
    return hashlib.sha1(json.dumps(params.as_dict(), sort_keys=True).encode()).hexdigest()[:16]


def _stored_state(rel: _Rel, key: str) -> PairState | None:
    """The relationship's incremental state, if it was built with the parameters in force."""
    data = rel.evidence or {}
    if data.get("params") != key or "state" not in data:
        return None
    return PairState(**data["state"])


def _set_strength(rel: _Rel, state: PairState, key: str, now: datetime, params) -> None:
    rel.strength = state_strength(state, now=now, rating=rel.rating, kind=rel.kind, params=params)
    rel.evidence = {"params": key, "state": {name: getattr(state, name) for name in _STATE}}
    rel.last_interaction_at = (
        datetime.fromtimestamp(state.last_contact_days * 86400.0, UTC)
        if state.last_contact_days is not None
        else None
    )


def _add_evidence(
    tenant_id: int,
    rels: list[_Rel],
    new: dict[tuple[int, int], list[tuple[Evidence, str, int | None]]],
    *,
    now: datetime,
) -> None:
    """Fold new interactions into the touched relationships' states: O(1) per pair.

    ``rels`` are all relationship rows of the pairs in ``new``. Relationships without a
    current state (new, or after a parameter change) are computed once from their whole
    history instead, which then includes the new rows.
    """
    if not rels:
        return
    params = strength_params()
    key = _params_key(params)
    without_state = []
    for rel in rels:
        state = _stored_state(rel, key)
        if state is None:
            without_state.append(rel)
            continue
        for evidence, visibility, owner in new[(rel.person_a_id, rel.person_b_id)]:
            if not audience_covers(visibility, owner, rel.visibility, rel.owner_id):
                continue
            state = update_state(state, evidence, params, now=now)
        _set_strength(rel, state, key, now, params)
    _from_history(tenant_id, without_state, now=now, params=params, key=key)
    _write_relationship_strengths(rels)
    if rels:
        bump_graph_version(tenant_id, rels)


_STATE = [f.name for f in dataclasses.fields(PairState)]


@dataclass(slots=True, eq=False)
class _Rel:
    """The columns of a relationship row that a strength update reads and writes.

    Plain rows instead of model instances: an import touches 100,000 pairs, and building
    a model instance per row costs more than the whole query.
    """

    id: int
    person_a_id: int
    person_b_id: int
    kind: str
    rating: int | None
    visibility: str
    owner_id: int | None
    evidence: dict
    strength: float
    last_interaction_at: datetime | None = None

    @property
    def pk(self) -> int:
        return self.id


def _relationships_of(tenant_id: int, pairs: Iterable[tuple[int, int]]) -> list[_Rel]:
    """Every relationship row (all owner scopes) of the canonical ``pairs``.

    The pairs are joined as a list (a PostgreSQL array, a JSON array in SQLite), so the
    query reads exactly the wanted rows through the pair index, however many
    relationships the people of the pairs have with others.
    """
    wanted = sorted(set(pairs))
    table = connection.ops.quote_name(Relationship._meta.db_table)
    columns = (
        "r.id, r.person_a_id, r.person_b_id, r.kind, r.rating, r.visibility, r.owner_id, "
        "r.evidence, r.strength"
    )
    found: list[_Rel] = []
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 20_000):
            chunk = wanted[start : start + 20_000]
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT {columns} FROM {table} r "
                    "JOIN unnest(%s::bigint[], %s::bigint[]) AS w(a, b) "
                    "ON r.person_a_id = w.a AND r.person_b_id = w.b WHERE r.tenant_id = %s",
                    [[a for a, _ in chunk], [b for _, b in chunk], tenant_id],
                )
            else:
                # CROSS JOIN keeps the list as the outer loop (one index probe per pair).
                cursor.execute(
                    f"SELECT {columns} FROM json_each(%s) w CROSS JOIN {table} r "
                    "WHERE r.person_a_id = json_extract(w.value, '$[0]') "
                    "AND r.person_b_id = json_extract(w.value, '$[1]') AND r.tenant_id = %s",
                    [json.dumps(chunk), tenant_id],
                )
            found.extend(_rel_rows(cursor))
    return found


def _rel_rows(cursor) -> Iterator[_Rel]:
    for pk, a, b, kind, rating, visibility, owner, evidence, strength in cursor.fetchall():
        if isinstance(evidence, str):  # SQLite hands JSON back as text
            evidence = json.loads(evidence)
        yield _Rel(pk, a, b, kind, rating, visibility, owner, evidence or {}, strength)


def _from_history(tenant_id: int, rels: list[_Rel], *, now, params, key) -> None:
    histories = pair_histories(tenant_id, rels)
    for rel in rels:
        state = PairState()
        for evidence in histories[rel.pk]:
            state = update_state(state, evidence, params, now=now)
        _set_strength(rel, state, key, now, params)


_ROLES = frozenset(InteractionParticipant.Role.values)


def _problem(
    item: InteractionInput,
    roles: dict[int, str],
    known: set[int],
    recorded_by: User | None,
    now: datetime,
    params,
) -> ValidationError | None:
    """Why ``item`` may not be recorded, or None."""
    try:
        validate_interaction(
            occurred_at=item.occurred_at,
            channel=item.kind,
            participants=len(roles),
            now=now,
            params=params,
        )
    except InvalidInteraction as exc:
        return ValidationError(str(exc), code="invalid_interaction")
    if bad := sorted({r for r in roles.values() if r not in _ROLES}):
        return ValidationError(
            _("Unknown participant role %(role)s.") % {"role": ", ".join(bad)}, code="invalid_role"
        )
    if item.visibility == "private" and recorded_by is None:
        return ValidationError(_("A private interaction needs the user who records it."))
    if item.visibility == "team" and recorded_by is None:
        return ValidationError(_("A team interaction needs the user who records it."))
    if missing := sorted(set(roles) - known):
        return ValidationError(
            _("Unknown people: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
            code="unknown_person",
        )
    return None


def _write_relationship_strengths(rels: Sequence[_Rel]) -> None:
    """Store strength, state and last contact of ``rels``: one UPDATE from arrays on
    PostgreSQL, one UPDATE per row in a single executemany on SQLite (bulk_update's CASE
    chains are quadratic there)."""
    if not rels:
        return
    table = connection.ops.quote_name(Relationship._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Row-by-row UPDATEs cost a round trip each: 100,000 of them are minutes.
            cursor.execute(
                f"UPDATE {table} r SET strength = w.s, evidence = w.e, "
                "last_interaction_at = w.l FROM unnest(%s::bigint[], %s::float8[], "
                "%s::text[]::jsonb[], %s::timestamptz[]) AS w(id, s, e, l) WHERE r.id = w.id",
                [
                    [rel.pk for rel in rels],
                    [rel.strength for rel in rels],
                    [json.dumps(rel.evidence) for rel in rels],
                    [rel.last_interaction_at for rel in rels],
                ],
            )
            return
        cursor.executemany(
            f"UPDATE {table} SET strength = %s, evidence = %s, last_interaction_at = %s "
            "WHERE id = %s",
            [
                (
                    rel.strength,
                    json.dumps(rel.evidence),
                    connection.ops.adapt_datetimefield_value(rel.last_interaction_at),
                    rel.pk,
                )
                for rel in rels
            ],
        )


def _ensure_relationships(
    tenant: Tenant,
    pairs: set[tuple[int, int]],
    owner: User | None,
    *,
    private: bool,
    have: list[_Rel],
    created_ids: list[int] | None = None,
) -> list[_Rel]:
    """Create the relationship rows of ``pairs`` missing in ``have``; return the new rows.

    Shared pairs get one company-visible row, private ones a row of ``owner``; the kind
    comes from the current employers (colleagues when they work at the same place).
    ``created_ids`` is extended by the ids of the rows this call inserted (not those a
    concurrent writer inserted first).
    """
    owner_id = owner.pk if owner else None
    present = {
        (rel.person_a_id, rel.person_b_id)
        for rel in have
        if (
            (rel.visibility == "private" and rel.owner_id == owner_id)
            if private
            else rel.visibility != "private"
        )
    }
    missing = sorted(pairs - present)
    if not missing:
        return []
    people = {p for pair in missing for p in pair}
    employer = dict(
        Position.objects.filter(person_id__in=people, end_date__isnull=True).values_list(
            "person_id", "organization_id"
        )
    )
    rows = [
        (
            a,
            b,
            RelationshipKind.COLLEAGUE
            if employer.get(a) is not None and employer.get(a) == employer.get(b)
            else RelationshipKind.BUSINESS,
        )
        for a, b in missing
    ]
    table = connection.ops.quote_name(Relationship._meta.db_table)
    head = (
        f"INSERT INTO {table} (tenant_id, person_a_id, person_b_id, kind, strength, evidence, "
        "owner_id, visibility, created_at, updated_at) "
    )
    # A concurrent writer may create the same pair first: the unique constraints decide,
    # and RETURNING hands back only the rows this call created.
    tail = (
        " ON CONFLICT DO NOTHING RETURNING id, person_a_id, person_b_id, kind, rating, "
        "visibility, owner_id, evidence, strength"
    )
    fixed = [
        "private" if private else "company",
        connection.ops.adapt_datetimefield_value(timezone.now()),
    ]
    created: list[_Rel] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 20_000):
            chunk = rows[start : start + 20_000]
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"{head}SELECT %s, w.a, w.b, w.k, 0.05, '{{}}'::jsonb, %s, %s, %s, %s "
                    "FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS w(a, b, k)" + tail,
                    [tenant.pk, owner_id, *fixed, fixed[1], *map(list, zip(*chunk, strict=True))],
                )
            else:
                # "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT.
                cursor.execute(
                    f"{head}SELECT %s, json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
                    "json_extract(value, '$[2]'), 0.05, '{}', %s, %s, %s, %s "
                    "FROM json_each(%s) WHERE true" + tail,
                    [tenant.pk, owner_id, *fixed, fixed[1], json.dumps(chunk)],
                )
            created.extend(_rel_rows(cursor))
    if created_ids is not None:
        created_ids.extend(rel.id for rel in created)
    if len(created) < len(missing):
        # Rows a concurrent writer created in the meantime: they get the evidence too.
        known = {rel.id for rel in have} | {rel.id for rel in created}
        created += [rel for rel in _relationships_of(tenant.pk, missing) if rel.id not in known]
    return created


def _insert_interactions(
    fresh: list[tuple[int, Interaction]], roles_of: list[dict[int, str]]
) -> None:
    """Insert the new interactions and their participants with plain multi-row writes.

    ``bulk_create`` spends most of an import compiling SQL per value; ids are reserved
    first so the participants can refer to their interaction in the same pass.
    """
    if not fresh:
        return
    stamp = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    db_stamp = adapt(stamp)
    ids = reserve_ids(Interaction, len(fresh))
    rows = []
    for pk, (_n, interaction) in zip(ids, fresh, strict=True):
        interaction.pk = pk
        interaction.created_at = interaction.updated_at = stamp
        interaction._state.adding = False
        interaction._state.db = connection.alias
        rows.append(
            (
                pk,
                interaction.tenant_id,
                interaction.kind,
                adapt(interaction.occurred_at),
                interaction.duration_minutes,
                interaction.location,
                interaction.site_id,
                interaction.subject,
                interaction.source,
                interaction.external_id,
                interaction.participant_count,
                interaction.owner_id,
                interaction.visibility,
                db_stamp,
                db_stamp,
            )
        )
    insert_rows(Interaction, _INTERACTION_FIELDS, rows)
    insert_rows(
        InteractionParticipant,
        ["interaction", "person", "role"],
        (
            (interaction.pk, pid, role)
            for n, interaction in fresh
            for pid, role in roles_of[n].items()
        ),
    )


_INTERACTION_FIELDS = [
    "id", "tenant", "kind", "occurred_at", "duration_minutes", "location", "site", "subject",
    "source", "external_id", "participant_count", "owner", "visibility", "created_at",
    "updated_at",
]  # fmt: skip


def recompute_pairs(
    tenant_id: int, pairs: Iterable[tuple[int, int]], *, now: datetime | None = None
) -> int:
    """Recompute the strength of every relationship row of ``pairs`` from its history.

    For changes other than new interactions: a rating, a merge of two people, erasure.
    Returns how many relationship rows were recomputed.
    """
    now = now or timezone.now()
    rels = _relationships_of(tenant_id, pairs)
    params = strength_params()
    _from_history(tenant_id, rels, now=now, params=params, key=_params_key(params))
    _write_relationship_strengths(rels)
    if rels:
        bump_graph_version(tenant_id, rels)
    return len(rels)


@transaction.atomic
def create_relationship(
    user: User,
    a: Person,
    b: Person,
    *,
    kind: str = RelationshipKind.BUSINESS,
    rating: int | None = None,
    visibility: str = "company",
) -> Relationship:
    """Record that two people know each other (a manual entry, e.g. "family", rating 4/5).

    One shared row per pair and one private row per owner: an existing row of the same
    scope is updated instead of duplicated. The strength is computed from the pair's
    history, the rating and the kind's floor, and the graph learns it at once.
    """
    require_writer(user)
    for person in (a, b):
        if not can_see(user, person):
            raise ValidationError(_("This person does not exist."))
    if kind not in RelationshipKind.values:
        raise ValidationError({"kind": _("Unknown kind %(k)r.") % {"k": kind}})
    if rating is not None and not 1 <= rating <= 5:
        raise ValidationError({"rating": _("The rating must be between 1 and 5.")})
    x, y = canonical(a.pk, b.pk)
    private = visibility == "private"
    scope = Relationship.objects.filter(tenant_id=user.tenant_pk, person_a_id=x, person_b_id=y)
    scope = (
        scope.filter(visibility="private", owner=user)
        if private
        else scope.exclude(visibility="private")
    )
    rel = scope.select_for_update().first()
    if rel is None:
        rel = Relationship(
            tenant_id=user.tenant_pk,
            person_a_id=x,
            person_b_id=y,
            owner=user,
            visibility=visibility,
        )
    rel.kind = kind
    if rating is not None:
        rel.rating = rating
    rel.full_clean()
    rel.save()
    recompute_pairs(user.tenant_pk, [(x, y)])
    rel.refresh_from_db()
    return rel


@transaction.atomic
def set_rating(relationship: Relationship, rating: int | None) -> Relationship:
    """Set (or clear) the manual 1-5 rating and recompute the strength it blends into."""
    if rating is not None and not 1 <= rating <= 5:
        raise ValidationError({"rating": _("The rating must be between 1 and 5.")})
    Relationship.objects.filter(pk=relationship.pk).update(rating=rating)
    recompute_pairs(relationship.tenant_id, [(relationship.person_a_id, relationship.person_b_id)])
    relationship.refresh_from_db()
    return relationship


# -------------------------------------------------------- corrections and deletions
_RELATIONSHIP_EDIT_FIELDS = {"kind", "rating", "visibility"}
_INTERACTION_EDIT_FIELDS = {
    "kind", "occurred_at", "duration_minutes", "location", "site", "subject", "visibility",
}  # fmt: skip


def _graph_key(rel: Relationship) -> tuple[int, int, int | None]:
    """How the graph log names a relationship row: its pair, and its owner if restricted."""
    owner = rel.owner_id if rel.visibility in RESTRICTED else None
    return (rel.person_a_id, rel.person_b_id, owner)


def _require_owner_or_admin(user: User, record, message: str) -> None:
    if not (user.is_tenant_admin or (record.owner_id is not None and record.owner_id == user.pk)):
        raise NotAllowed(message)


def _locked_relationship(user: User, relationship: Relationship) -> Relationship:
    """The row, locked, if ``user`` may see it and both its people (else NotFound)."""
    locked = (
        Relationship.objects.select_for_update()
        .filter(pk=relationship.pk, tenant_id=user.tenant_pk)
        .first()
    )
    if locked is not None and can_see(user, locked):
        people = Person.objects.filter(pk__in=[locked.person_a_id, locked.person_b_id])
        if all(can_see(user, p) for p in people):
            return locked
    raise NotFound(_("This relationship does not exist."))


@transaction.atomic
def update_relationship(user: User, relationship: Relationship, **fields) -> Relationship:
    """Change a relationship's ``kind``, ``rating`` or ``visibility``; the strength is
    recomputed and the graph learns it at once.

    Whoever may write and sees the relationship sets its kind and rating (as rating it
    on its page does); only its owner changes who sees a restricted one, and whoever
    narrows a shared one owns it from then on. A pair keeps one shared row and one
    private row per owner: a change that would make a second is refused.
    """
    require_writer(user)
    locked = _locked_relationship(user, relationship)
    if unknown := set(fields) - _RELATIONSHIP_EDIT_FIELDS:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    if "kind" in fields and fields["kind"] not in RelationshipKind.values:
        raise ValidationError({"kind": _("Unknown kind %(k)r.") % {"k": fields["kind"]}})
    rating = fields.get("rating")
    if rating is not None and not 1 <= rating <= 5:
        raise ValidationError({"rating": _("The rating must be between 1 and 5.")})
    before = _graph_key(locked)
    visibility = fields.get("visibility", locked.visibility)
    if visibility != locked.visibility:
        if locked.visibility != Visibility.COMPANY and locked.owner_id != user.pk:
            raise NotAllowed(_("Only the relationship's owner can change who sees it."))
        if visibility != Visibility.COMPANY:
            locked.owner = user
        others = Relationship.objects.filter(
            tenant_id=locked.tenant_id,
            person_a_id=locked.person_a_id,
            person_b_id=locked.person_b_id,
        ).exclude(pk=locked.pk)
        if visibility == Visibility.PRIVATE:
            others = others.filter(visibility=Visibility.PRIVATE, owner_id=locked.owner_id)
        else:
            others = others.exclude(visibility=Visibility.PRIVATE)
        if others.exists():
            raise ValidationError(
                {"visibility": _("These two already have such a relationship; change that one.")}
            )
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    if _graph_key(locked) != before:
        bump_graph_version(locked.tenant_id, removed=[before])
    recompute_pairs(locked.tenant_id, [(locked.person_a_id, locked.person_b_id)])
    locked.refresh_from_db()
    return locked


@transaction.atomic
def delete_relationship(user: User, relationship: Relationship) -> None:
    """Delete a relationship row; the graph forgets it at once (its interactions stay,
    and recording a new one among the two makes a tie again).

    Its owner or an admin of the company may: a shared tie is in everyone's paths."""
    require_writer(user)
    locked = _locked_relationship(user, relationship)
    _require_owner_or_admin(
        user, locked, _("Only the relationship's owner or an admin may delete it.")
    )
    gone = _graph_key(locked)
    locked.delete()
    bump_graph_version(locked.tenant_id, removed=[gone])


def _locked_interaction(user: User, interaction: Interaction) -> Interaction:
    locked = (
        Interaction.objects.select_for_update()
        .filter(pk=interaction.pk, tenant_id=user.tenant_pk)
        .first()
    )
    if locked is None or not can_see(user, locked):
        raise NotFound(_("This interaction does not exist."))
    return locked


def _pairs_among(tenant_id: int, people: set[int]) -> set[tuple[int, int]]:
    """The relationship pairs whose two people are both in ``people``."""
    return set(
        Relationship.objects.filter(
            tenant_id=tenant_id, person_a_id__in=people, person_b_id__in=people
        ).values_list("person_a_id", "person_b_id")
    )


@transaction.atomic
def update_interaction(
    user: User,
    interaction: Interaction,
    *,
    add: Iterable[tuple[int, str]] = (),
    remove: Iterable[int] = (),
    now: datetime | None = None,
    **fields,
) -> Interaction:
    """Correct an interaction: its kind, time, place, subject or who sees it, and who
    took part (``add`` ``(person_id, role)`` pairs, a person already there changing
    role; ``remove`` person ids). Participants the user may not see stay as they are.

    The recorder or an admin may. The same checks as recording apply; the strengths of
    every pair among the participants before and after are recomputed, a small group
    makes ties as recording does, and the graph learns it at once.
    """
    require_writer(user)
    now = now or timezone.now()
    params = strength_params()
    locked = _locked_interaction(user, interaction)
    _require_owner_or_admin(
        user, locked, _("Only who recorded the interaction or an admin may change it.")
    )
    if unknown := set(fields) - _INTERACTION_EDIT_FIELDS:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    site = fields.get("site")
    if site is not None and (
        site.tenant_id != user.tenant_id or not can_see(user, site.organization)
    ):
        raise ValidationError({"site": _("This site does not exist.")})
    if fields.get("visibility", Visibility.COMPANY) != Visibility.COMPANY and not locked.owner_id:
        locked.owner = user  # a restricted record is someone's
    for name, value in fields.items():
        setattr(locked, name, value)
    add = [(int(pid), role) for pid, role in add]
    remove = {int(pid) for pid in remove}
    asked = {pid for pid, _role in add} | remove
    seen = set(
        Person.objects.filter(tenant_id=user.tenant_pk, pk__in=asked)
        .filter(visible_q(user))
        .values_list("pk", flat=True)
    )
    if missing := sorted(asked - seen):
        raise ValidationError(_("Unknown people: %(ids)s.") % {"ids": ", ".join(map(str, missing))})
    if bad := sorted({role for _pid, role in add if role not in _ROLES}):
        raise ValidationError(_("Unknown participant role %(role)s.") % {"role": ", ".join(bad)})
    roles = dict(
        InteractionParticipant.objects.filter(interaction=locked).values_list("person_id", "role")
    )
    before = set(roles)
    for pid in remove:
        roles.pop(pid, None)
    roles.update(add)
    try:
        validate_interaction(
            occurred_at=locked.occurred_at,
            channel=locked.kind,
            participants=len(roles),
            now=now,
            params=params,
        )
    except InvalidInteraction as exc:
        raise ValidationError(str(exc), code="invalid_interaction") from None
    locked.participant_count = len(roles)
    locked.full_clean()
    locked.save()
    InteractionParticipant.objects.filter(interaction=locked, person_id__in=remove).delete()
    for pid, role in add:
        InteractionParticipant.objects.update_or_create(
            interaction=locked, person_id=pid, defaults={"role": role}
        )
    pairs = {canonical(a, b) for a, b in itertools.combinations(sorted(roles), 2)}
    mass_mail = locked.kind in ("email", "message") and len(roles) > params.bulk_threshold
    if pairs and len(roles) <= TIE_GROUP_LIMIT and not mass_mail:
        tenant = Tenant.objects.get(pk=locked.tenant_id)
        _ensure_relationships(
            tenant,
            pairs,
            locked.owner,
            private=locked.visibility in RESTRICTED,
            have=_relationships_of(locked.tenant_id, pairs),
        )
    recompute_pairs(locked.tenant_id, _pairs_among(locked.tenant_id, before | set(roles)), now=now)
    return locked


@transaction.atomic
def delete_interaction(user: User, interaction: Interaction) -> None:
    """Delete an interaction recorded by mistake; the strengths of the pairs that shared
    it are recomputed without it and the graph learns them (the ties stay).

    The recorder or an admin may."""
    require_writer(user)
    locked = _locked_interaction(user, interaction)
    _require_owner_or_admin(
        user, locked, _("Only who recorded the interaction or an admin may delete it.")
    )
    people = set(
        InteractionParticipant.objects.filter(interaction=locked).values_list(
            "person_id", flat=True
        )
    )
    locked.delete()
    recompute_pairs(locked.tenant_id, _pairs_among(locked.tenant_id, people))


def recompute_all_strengths(
    tenant_id: int,
    *,
    now: datetime | None = None,
    chunk: int = 250_000,
    progress: ProgressFn | None = None,
) -> int:
    """Recompute every relationship of a tenant from its interactions, streaming.

    Reads the relationships once, then the interactions and their participants in id
    ranges of ``chunk`` interactions with two plain range scans (no join in SQL); the
    participant pairs of each interaction are formed and matched to relationship rows
    in numpy, and feed the vectorised model's summaries. Memory: a few numbers per
    relationship plus one range of rows. Progress is reported in interactions read.
    Returns the number of relationships written.
    """
    now = now or timezone.now()
    params = strength_params()
    now_days = days_since_epoch(now)
    rels = _relationship_arrays(tenant_id)
    if rels is None:
        return 0
    n = len(rels.ids)
    sums = empty_sums(n)
    total, first, top = _interaction_span(tenant_id)
    done = 0
    for lo in range(first, top + 1, chunk):
        inter, parts = _interaction_chunk(tenant_id, lo, lo + chunk - 1)
        rows = _pair_rows(inter, parts, rels, params)
        if rows is not None:
            rel_index, days, channel, size, duration, initiator = rows
            bulk_decayed_sums(
                rel_index, days, channel, size, duration, initiator, now_days, n, params, out=sums
            )
        done += len(inter)
        if progress:
            progress(min(done, total), total)
    values = strengths_from_sums(
        sums, params, now_days=now_days, ratings=rels.ratings, kinds=rels.kinds
    )
    with transaction.atomic():
        _write_strengths(rels.ids, values, sums[:, 6])
        bump_graph_version(tenant_id, full=True)
    return n


_VISIBILITY_CODE = "CASE visibility WHEN 'private' THEN 1 WHEN 'team' THEN 2 ELSE 0 END"


@dataclass
class _RelArrays:
    """Every relationship of a tenant as arrays, sorted by canonical pair key."""

    ids: np.ndarray
    keys: np.ndarray  # person_a << 32 | person_b
    visibility: np.ndarray  # _VISIBILITY_CODE: 0 company, 1 private, 2 team
    owner: np.ndarray  # owner id, -1 for none
    ratings: np.ndarray  # 0 = none
    kinds: np.ndarray  # index into KINDS, -1 = none


def _fetch_array(sql: str, params: Sequence, columns: int, batch: int = 100_000) -> np.ndarray:
    """All rows of a numeric query as one float64 array (NULL -> NaN), fetched in batches."""
    parts = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(batch):
            parts.append(np.array(rows, dtype=np.float64))
    if not parts:
        return np.empty((0, columns))
    return np.concatenate(parts)


def _relationship_arrays(tenant_id: int) -> _RelArrays | None:
    kind_case = " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(KINDS))
    table = connection.ops.quote_name(Relationship._meta.db_table)
    data = _fetch_array(
        f"SELECT id, person_a_id, person_b_id, "
        f"{_VISIBILITY_CODE}, COALESCE(owner_id, -1), "
        f"COALESCE(rating, 0), CASE kind {kind_case} ELSE -1 END "
        f"FROM {table} WHERE tenant_id = %s",
        [tenant_id],
        7,
    )
    if not len(data):
        return None
    cols = data.astype(np.int64).T
    keys = (cols[1] << 32) | cols[2]
    order = np.lexsort((cols[0], keys))
    return _RelArrays(
        ids=cols[0][order],
        keys=keys[order],
        visibility=cols[3][order],
        owner=cols[4][order],
        ratings=cols[5][order],
        kinds=cols[6][order],
    )


def _interaction_span(tenant_id: int) -> tuple[int, int, int]:
    """(count, lowest id, highest id) of a tenant's interactions."""
    table = connection.ops.quote_name(Interaction._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), MIN(id), MAX(id) FROM {table} WHERE tenant_id = %s", [tenant_id]
        )
        total, lo, hi = cursor.fetchone()
    return total, lo or 0, hi if hi is not None else -1


def _days_sql() -> str:
    """SQL for an interaction's time as days since 1970-01-01 UTC."""
    if connection.vendor == "postgresql":
        return "CAST(EXTRACT(EPOCH FROM i.occurred_at) AS double precision) / 86400.0"
    return "julianday(i.occurred_at) - 2440587.5"


def _interaction_chunk(tenant_id: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """The interactions with ids in [lo, hi] and their participants, as numeric arrays.

    Interactions: id, days, channel code, participants, duration (NaN unknown), visibility
    code (0 company, 1 private, 2 team), owner (-1 none). Participants: interaction id,
    person id, starter flag (sent, called or organised it), sorted by interaction and
    person.
    """
    channel_case = " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(CHANNELS))
    inter = _fetch_array(
        f"SELECT i.id, {_days_sql()}, CASE i.kind {channel_case} ELSE -1 END, "
        "i.participant_count, i.duration_minutes, "
        f"{_VISIBILITY_CODE.replace('visibility', 'i.visibility')}, COALESCE(i.owner_id, -1) "
        f"FROM {connection.ops.quote_name(Interaction._meta.db_table)} i "
        "WHERE i.tenant_id = %s AND i.id BETWEEN %s AND %s ORDER BY i.id",
        [tenant_id, lo, hi],
        7,
    )
    starters = ", ".join(f"'{r}'" for r in STARTERS)
    parts = _fetch_array(
        f"SELECT interaction_id, person_id, CASE WHEN role IN ({starters}) THEN 1 ELSE 0 END "
        f"FROM {connection.ops.quote_name(InteractionParticipant._meta.db_table)} "
        "WHERE interaction_id BETWEEN %s AND %s",
        [lo, hi],
        3,
    ).astype(np.int64)
    if len(parts):
        parts = parts[np.lexsort((parts[:, 1], parts[:, 0]))]
    return inter, parts


def _pair_rows(inter: np.ndarray, parts: np.ndarray, rels: _RelArrays, params):
    """One row per (interaction, relationship between two of its participants).

    Returns ``(relationship index, days, channel, group size, duration, initiator)`` arrays
    for :func:`bulk_decayed_sums`, or None. Mass mailings are skipped (they add nothing,
    and a 300-recipient mailing would make 44,850 pairs). An interaction counts for a row
    only if everyone who may see the row may see it (``audience_covers``).
    """
    if not len(inter) or not len(parts):
        return None
    iid = inter[:, 0].astype(np.int64)
    channel = inter[:, 2].astype(np.int64)
    size = inter[:, 3].astype(np.int64)
    if channel.min() < 0:
        raise InvalidInteraction(
            f"interaction {int(iid[channel.argmin()])} has an unknown channel; "
            f"expected one of: {', '.join(CHANNELS)}"
        )
    mail = (channel == CHANNELS.index("email")) | (channel == CHANNELS.index("message"))
    # Interactions of this chunk that can count (participants belonging to others are
    # dropped: the range scan on participants is by interaction id only).
    at = np.searchsorted(iid, parts[:, 0])
    at = np.minimum(at, len(iid) - 1)
    keep = iid[at] == parts[:, 0]
    keep &= ~(mail & (size > params.bulk_threshold))[at]
    parts, at = parts[keep], at[keep]
    if not len(parts):
        return None
    # Pairs (j, k), j < k, of participant rows of the same interaction.
    starts = np.flatnonzero(np.r_[True, parts[1:, 0] != parts[:-1, 0]])
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(parts)]))
    ends = np.r_[starts[1:], len(parts)][group]
    later = ends - np.arange(len(parts)) - 1  # partners after each row in its group
    left = np.repeat(np.arange(len(parts)), later)
    offset = np.arange(len(left)) - np.repeat(np.cumsum(later) - later, later) + 1
    right = left + offset
    pa, pb = parts[left, 1], parts[right, 1]  # sorted by person within a group: pa < pb
    key = (pa << 32) | pb
    # Match to relationship rows; a pair may have several (company and private ones).
    lo = np.searchsorted(rels.keys, key, side="left")
    hi = np.searchsorted(rels.keys, key, side="right")
    found = hi > lo
    left, right, lo, hi = left[found], right[found], lo[found], hi[found]
    many = hi - lo
    row = np.repeat(np.arange(len(lo)), many)
    rel = np.repeat(lo, many) + (np.arange(len(row)) - np.repeat(np.cumsum(many) - many, many))
    left, right = left[row], right[row]
    which = at[left]  # the interaction of each pair row
    # audience_covers(interaction, relationship row) on the code arrays.
    iv, rv = inter[which, 5], rels.visibility[rel]
    visible = (iv == 0) | (
        (rels.owner[rel] == inter[which, 6]) & (rv != 0) & ((iv == 2) | (rv == 1))
    )
    rel, left, right, which = rel[visible], left[visible], right[visible], which[visible]
    initiator = np.where(parts[left, 2] == 1, 1, np.where(parts[right, 2] == 1, 2, 0))
    return (
        rel,
        inter[which, 1],
        channel[which],
        np.maximum(size[which], 2),
        inter[which, 4],
        initiator,
    )


def _timestamps_text(days: np.ndarray) -> list[str | None]:
    """Days since epoch -> UTC timestamps as the database stores them (None for -inf).

    Formatted in numpy: a datetime object per row cost half of the write time. SQLite
    gets Django's naive UTC text (no fraction when it is zero), PostgreSQL an offset.
    """
    known = np.isfinite(days)
    micros = np.rint(np.where(known, days, 0.0) * 86_400e6).astype(np.int64)
    text = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us").tolist()
    suffix = "+00:00" if connection.vendor == "postgresql" else ""
    return [
        (t[:-7] if t.endswith(".000000") else t).replace("T", " ") + suffix if ok else None
        for t, ok in zip(text, known.tolist(), strict=True)
    ]


def _write_strengths(ids: np.ndarray, values: np.ndarray, last_days: np.ndarray) -> None:
    """Write strengths and last contacts; the incremental states are cleared (a pair's next
    new interaction rebuilds its state from its history once)."""
    table = connection.ops.quote_name(Relationship._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One UPDATE from a COPY-filled temporary table: row-by-row UPDATEs are ~20x slower.
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS geflecht_strength "
                "(id bigint PRIMARY KEY, strength float8, last timestamptz) ON COMMIT DROP"
            )
        else:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS geflecht_strength "
                "(id INTEGER PRIMARY KEY, strength REAL, last TEXT)"
            )
        for s in range(0, len(ids), 100_000):
            last_seen = _timestamps_text(last_days[s : s + 100_000])
            rows = zip(
                ids[s : s + 100_000].tolist(),
                values[s : s + 100_000].tolist(),
                last_seen,
                strict=True,
            )
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(
                    "COPY geflecht_strength (id, strength, last) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany("INSERT INTO geflecht_strength VALUES (%s, %s, %s)", list(rows))
        # One set-based UPDATE (UPDATE ... FROM: PostgreSQL, SQLite >= 3.33) instead of one
        # statement per row.
        evidence = "'{}'::jsonb" if connection.vendor == "postgresql" else "'{}'"
        cursor.execute(
            f"UPDATE {table} SET strength = t.strength, last_interaction_at = t.last, "
            f"evidence = {evidence} FROM geflecht_strength t WHERE {table}.id = t.id"
        )
        cursor.execute(
            "DELETE FROM geflecht_strength"
            if connection.vendor == "sqlite"
            else "TRUNCATE geflecht_strength"
        )


# ------------------------------------------------------------------ upcoming meetings
#: Meetings of these kinds can lie ahead; mail and messages cannot.
UPCOMING_KINDS = frozenset({"meeting", "video", "phone", "event"})


def _upcoming_problem(
    item: InteractionInput, roles: dict[int, str], known: set[int], recorded_by: User | None
) -> ValidationError | None:
    if item.kind not in UPCOMING_KINDS:
        return ValidationError(_("Unknown meeting kind %(kind)r.") % {"kind": item.kind})
    if item.occurred_at.tzinfo is None:
        return ValidationError(_("The start of a meeting needs a time zone."))
    if len(roles) < 2:
        return ValidationError(_("A meeting needs at least two people."))
    if bad := sorted({r for r in roles.values() if r not in _ROLES}):
        return ValidationError(
            _("Unknown participant role %(role)s.") % {"role": ", ".join(bad)}, code="invalid_role"
        )
    if item.visibility in RESTRICTED and recorded_by is None:
        return ValidationError(_("A private meeting needs the user who records it."))
    if sorted(set(roles) - known):
        return ValidationError(_("This person does not exist."))
    return None


@transaction.atomic
def record_upcoming_meetings(
    *,
    tenant: Tenant,
    items: Sequence[InteractionInput],
    recorded_by: User | None = None,
) -> list[tuple[UpcomingMeeting, bool] | ValidationError]:
    """Store meetings that lie ahead (``occurred_at`` is their start); one result per item.

    A result is ``(meeting, created)`` or the ``ValidationError`` that refused the item.
    Idempotent by ``(source, external_id)``: a known meeting is updated when its time,
    subject, place or people changed (an invitation moved), and left alone otherwise.
    Upcoming meetings are no evidence: strengths change only when
    :func:`promote_due_meetings` turns them into interactions.
    """
    if recorded_by is not None:
        require_writer(recorded_by)
    roles_of, known = _participants(tenant, items, recorded_by)
    existing: dict[tuple[str, str], UpcomingMeeting] = {}
    by_source: dict[str, list[str]] = defaultdict(list)
    for item in items:
        if item.external_id:
            by_source[item.source].append(item.external_id)
    for source, external_ids in by_source.items():
        for start in range(0, len(external_ids), 500):
            for m in UpcomingMeeting.objects.filter(
                tenant=tenant, source=source, external_id__in=external_ids[start : start + 500]
            ).prefetch_related("participations"):
                existing[(m.source, m.external_id)] = m
    results: list[tuple[UpcomingMeeting, bool] | ValidationError] = []
    fresh: list[tuple[UpcomingMeeting, dict[int, str]]] = []
    changed: list[tuple[UpcomingMeeting, dict[int, str]]] = []
    for item, roles in zip(items, roles_of, strict=True):
        problem = _upcoming_problem(item, roles, known, recorded_by)
        if problem is not None:
            results.append(problem)
            continue
        values = {
            "kind": item.kind,
            "starts_at": item.occurred_at,
            "duration_minutes": item.duration_minutes or None,
            "subject": item.subject[:300],
            "location": item.location[:200],
        }
        meeting = existing.get((item.source, item.external_id)) if item.external_id else None
        if meeting is None:
            meeting = UpcomingMeeting(
                tenant=tenant,
                source=item.source,
                external_id=item.external_id,
                owner=recorded_by,
                visibility=item.visibility,
                **values,
            )
            if item.external_id:
                existing[(item.source, item.external_id)] = meeting
            fresh.append((meeting, roles))
            results.append((meeting, True))
            continue
        before = {p.person_id: p.role for p in meeting.participations.all()}
        if any(getattr(meeting, k) != v for k, v in values.items()) or before != roles:
            for k, v in values.items():
                setattr(meeting, k, v)
            changed.append((meeting, roles))
        results.append((meeting, False))
    UpcomingMeeting.objects.bulk_create([m for m, _roles in fresh])
    if changed:
        UpcomingMeeting.objects.bulk_update(
            [m for m, _roles in changed],
            ["kind", "starts_at", "duration_minutes", "subject", "location", "updated_at"],
        )
        UpcomingParticipant.objects.filter(meeting__in=[m for m, _roles in changed]).delete()
    UpcomingParticipant.objects.bulk_create(
        [
            UpcomingParticipant(meeting=m, person_id=pid, role=role)
            for m, roles in (*fresh, *changed)
            for pid, role in roles.items()
        ]
    )
    return results


@transaction.atomic
def cancel_upcoming_meeting(*, tenant: Tenant, source: str, external_id: str) -> bool:
    """Remove the upcoming meeting ``(source, external_id)`` (the invitation was
    cancelled); True if there was one."""
    deleted, _rows = UpcomingMeeting.objects.filter(
        tenant=tenant, source=source, external_id=external_id
    ).delete()
    return deleted > 0


def promote_due_meetings(*, tenant_id: int, now: datetime | None = None) -> int:
    """Turn the tenant's upcoming meetings that are over into interactions; return how many.

    Each becomes an interaction with the same kind, time, people, source and external
    id, recorded by the meeting's owner, and its strengths count from then on. A meeting
    that can no longer be recorded (a participant was deleted, fewer than two people are
    left) is dropped. Meetings are promoted in batches, each one transaction.
    """
    now = now or timezone.now()
    promoted = 0
    while True:
        with transaction.atomic():
            due = list(
                # of="self": the owner join is nullable, and only meetings need the lock.
                UpcomingMeeting.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(tenant_id=tenant_id, starts_at__lte=now)
                .select_related("owner", "tenant")
                .prefetch_related("participations")
                .order_by("starts_at", "pk")[:500]
            )
            due = [
                m for m in due if m.starts_at + timedelta(minutes=m.duration_minutes or 0) <= now
            ]
            if not due:
                return promoted
            by_owner: dict[int | None, list[UpcomingMeeting]] = defaultdict(list)
            for m in due:
                by_owner[m.owner_id].append(m)
            for meetings in by_owner.values():
                owner = meetings[0].owner
                if owner is None and any(m.visibility in RESTRICTED for m in meetings):
                    meetings = [m for m in meetings if m.visibility not in RESTRICTED]
                items = [
                    InteractionInput(
                        kind=m.kind,
                        occurred_at=m.starts_at,
                        participants=[(p.person_id, p.role) for p in m.participations.all()],
                        duration_minutes=m.duration_minutes,
                        subject=m.subject,
                        location=m.location,
                        source=m.source,
                        external_id=m.external_id,
                        visibility=m.visibility,
                    )
                    for m in meetings
                ]
                if items:
                    results = record_interactions(
                        tenant=meetings[0].tenant,
                        items=items,
                        recorded_by=owner if owner is not None and owner.can_write else None,
                        now=now,
                    )
                    promoted += sum(1 for r in results if not isinstance(r, ValidationError))
            UpcomingMeeting.objects.filter(pk__in=[m.pk for m in due]).delete()


@transaction.atomic
def tie_to_contacts(user: User, contacts: Iterable[int], *, private: bool = True) -> list[int]:
    """Give ``user``'s own person a relationship with each of ``contacts`` (the people of
    their own address book); return the ids of the rows created.

    Having someone in one's address book is knowing them, if only a little: the new rows
    have no interactions behind them, so the evidence rules give them the lowest strength
    of their kind (business, or colleague when both work at the same place) until
    interactions say more. Private to the user with ``private`` (like the import), else
    shared; pairs that already have a row of that scope are left alone.
    """
    require_writer(user)
    me = user.person_id
    if me is None:
        return []
    pairs = {canonical(me, c) for c in set(contacts) if c != me}
    if not pairs:
        return []
    have = _relationships_of(user.tenant_pk, pairs)
    created_ids: list[int] = []
    new = _ensure_relationships(
        user.company, pairs, user, private=private, have=have, created_ids=created_ids
    )
    if new:
        params = strength_params()
        _from_history(
            user.tenant_pk, new, now=timezone.now(), params=params, key=_params_key(params)
        )
        # Most contacts of a fresh address book have no history: their row was inserted
        # with the very strength computed, and an empty evidence makes the next
        # interaction compute it from the history anyway; only the others are written.
        inserted = Relationship._meta.get_field("strength").default
        _write_relationship_strengths(
            [rel for rel in new if rel.strength != inserted or rel.last_interaction_at]
        )
        bump_graph_version(user.tenant_pk, new)
    return created_ids
