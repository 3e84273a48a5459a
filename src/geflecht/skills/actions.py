"""Writes on skills: the taxonomy, person skills, endorsements, capabilities, evidence.

Every function is atomic and raises ``ValidationError``/``NotFound``/``PermissionDenied``
with a message a user understands.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from geflecht.accounts.models import Tenant, User
from geflecht.lib.bulk import insert_rows
from geflecht.lib.errors import NotFound
from geflecht.lib.models import Visibility
from geflecht.lib.visibility import require_writer
from geflecht.network.models import InteractionParticipant
from geflecht.people.models import Person
from geflecht.people.queries import visible_organizations, visible_people
from geflecht.skills import matching
from geflecht.skills.models import Endorsement, OrganizationCapability, PersonSkill, Skill

__all__ = [
    "EVIDENCE_SOURCES",
    "add_capability",
    "change_endorsement",
    "clear_evidence",
    "create_skill",
    "declare_skill",
    "delete_skill",
    "derive_from_interactions",
    "endorse",
    "load_starter_taxonomy",
    "merge_person_skills",
    "record_evidence",
    "remove_endorsement",
    "remove_person_skill",
    "update_skill",
]

#: Where derived evidence comes from; the projects app feeds "project" and "document".
EVIDENCE_SOURCES = ("interaction", "project", "document")
#: The columns of a plain bulk insert of person skills (the demo and the derivation).
PERSON_SKILL_COLUMNS = [
    "tenant", "person", "skill", "level", "self_declared", "note", "derived",
    "derived_weight", "created_at", "updated_at",
]  # fmt: skip
MAX_EXAMPLES = 3

#: Balog et al. (2006), model 2, made explainable: a subject mentioning the skill is a
#: document about it; the person's association with the document is weighted by the
#: channel (meeting > call > e-mail, principle 2) and their role in it.
KIND_WEIGHT = {
    "meeting": 1.0, "video": 0.7, "phone": 0.6, "email": 0.4, "message": 0.2,
    "event": 0.2, "document": 0.8,
}  # fmt: skip
ROLE_WEIGHT = {"organiser": 1.0, "sender": 1.0, "attendee": 0.8, "recipient": 0.6, "cc": 0.2}


def _require_admin(user: User) -> None:
    require_writer(user)
    if not user.is_tenant_admin:
        raise PermissionDenied(_("Only an admin of your company may change the taxonomy."))


# ------------------------------------------------------------------------ taxonomy
@dataclass(frozen=True)
class TaxonomyLoad:
    created: int
    updated: int
    unchanged: int


def starter_taxonomy() -> list[dict]:
    """The shipped starter taxonomy for industrial firms (``data/taxonomy.json``)."""
    text = resources.files("geflecht.skills").joinpath("data/taxonomy.json").read_text("utf-8")
    return json.loads(text)["skills"]


@transaction.atomic
def load_starter_taxonomy(tenant: Tenant) -> TaxonomyLoad:
    """Add the starter taxonomy to ``tenant``; idempotent.

    Entries are found by their key. Missing ones are created; for existing ones, new
    synonyms are added, but names and parents an admin changed stay as they are.
    """
    entries = starter_taxonomy()
    existing = {s.key: s for s in Skill.objects.select_for_update().filter(tenant=tenant)}
    created = updated = unchanged = 0
    for entry in entries:  # parents come before their children in the file
        parent = existing.get(entry["parent"]) if entry["parent"] else None
        skill = existing.get(entry["key"])
        if skill is None:
            skill = Skill.objects.create(
                tenant=tenant,
                key=entry["key"],
                name_de=entry["name_de"],
                name_en=entry["name_en"],
                synonyms=list(entry["synonyms"]),
                parent=parent,
            )
            existing[skill.key] = skill
            created += 1
            continue
        missing = [s for s in entry["synonyms"] if s not in skill.synonyms]
        if missing:
            skill.synonyms = [*skill.synonyms, *missing]
            skill.save(update_fields=["synonyms", "updated_at"])
            updated += 1
        else:
            unchanged += 1
    matching.forget(tenant.pk)
    return TaxonomyLoad(created, updated, unchanged)


def _clean_synonyms(synonyms: Iterable[str] | None) -> list[str]:
    out = []
    for s in synonyms or []:
        s = str(s).strip()
        if s and s not in out:
            out.append(s[:120])
    return out


def _tenant_skill(tenant_id: int, pk: int | None, field: str = "parent") -> Skill | None:
    if pk is None:
        return None
    skill = Skill.objects.filter(tenant_id=tenant_id, pk=pk).first()
    if skill is None:
        raise ValidationError({field: _("No skill with id %(id)s.") % {"id": pk}})
    return skill


@transaction.atomic
def create_skill(
    user: User,
    *,
    name_de: str,
    name_en: str = "",
    synonyms: Iterable[str] | None = None,
    parent_id: int | None = None,
    key: str = "",
) -> Skill:
    """A new taxonomy entry (admins only). The key defaults to the German name."""
    _require_admin(user)
    name_de, name_en = name_de.strip(), (name_en or name_de).strip()
    if not name_de:
        raise ValidationError({"name_de": _("A skill needs a German name.")})
    key = slugify(key or matching.fold(name_de))[:80]
    if not key:
        raise ValidationError({"key": _("The key must contain letters or digits.")})
    if Skill.objects.filter(tenant_id=user.tenant_pk, key=key).exists():
        raise ValidationError({"key": _("A skill with the key “%(key)s” exists.") % {"key": key}})
    skill = Skill(
        tenant_id=user.tenant_pk,
        key=key,
        name_de=name_de,
        name_en=name_en,
        synonyms=_clean_synonyms(synonyms),
        parent=_tenant_skill(user.tenant_pk, parent_id),
    )
    skill.full_clean()
    skill.save()
    return skill


@transaction.atomic
def update_skill(user: User, skill: Skill, **changes) -> Skill:
    """Rename, re-parent or change the synonyms of a skill (admins only)."""
    _require_admin(user)
    skill = Skill.objects.select_for_update().get(pk=skill.pk, tenant_id=user.tenant_pk)
    fields = []
    for name in ("name_de", "name_en"):
        if changes.get(name) is not None:
            value = changes[name].strip()
            if not value:
                raise ValidationError({name: _("The name may not be empty.")})
            setattr(skill, name, value)
            fields.append(name)
    if changes.get("synonyms") is not None:
        skill.synonyms = _clean_synonyms(changes["synonyms"])
        fields.append("synonyms")
    if "parent_id" in changes:
        skill.parent = _tenant_skill(user.tenant_pk, changes["parent_id"])
        fields.append("parent")
    skill.full_clean()
    skill.save(update_fields=[*fields, "updated_at"])
    return skill


@transaction.atomic
def delete_skill(user: User, skill: Skill) -> None:
    """Delete a skill that has no sub-skills (admins only); holders lose it."""
    _require_admin(user)
    if Skill.objects.filter(parent_id=skill.pk).exists():
        raise ValidationError(
            _("“%(name)s” has sub-skills; move or delete them first.") % {"name": skill.name_de}
        )
    Skill.objects.filter(pk=skill.pk, tenant_id=user.tenant_pk).delete()


# -------------------------------------------------------------------- person skills
def _visible_person(user: User, person_id: int) -> Person:
    person = visible_people(user).filter(pk=person_id).first()
    if person is None:
        raise NotFound(_("No person with id %(id)s.") % {"id": person_id})
    return person


def _may_declare_for(user: User, person: Person) -> None:
    """Anyone declares their own skills; admins, and owners of a contact, for others."""
    if person.pk == user.person_id or user.is_tenant_admin or person.owner_id == user.pk:
        return
    raise PermissionDenied(
        _("Only the person, their owner or an admin may declare their skills; endorse instead.")
    )


@transaction.atomic
def declare_skill(
    user: User, person_id: int, skill_id: int, *, level: int = 3, note: str = ""
) -> PersonSkill:
    """Self-declared evidence: ``person`` can do ``skill`` at ``level`` (1-5)."""
    require_writer(user)
    person = _visible_person(user, person_id)
    _may_declare_for(user, person)
    skill = _tenant_skill(user.tenant_pk, skill_id, "skill_id")
    if not 1 <= int(level) <= 5:
        raise ValidationError({"level": _("The level must be between 1 and 5.")})
    row, _created = PersonSkill.objects.select_for_update().get_or_create(
        person=person, skill=skill, defaults={"tenant_id": user.tenant_pk}
    )
    row.level, row.self_declared, row.note = int(level), True, note.strip()[:300]
    row.save(update_fields=["level", "self_declared", "note", "updated_at"])
    return row


@transaction.atomic
def remove_person_skill(user: User, person_id: int, skill_id: int) -> None:
    """Withdraw a declaration with its endorsements (derived evidence is recomputed)."""
    require_writer(user)
    person = _visible_person(user, person_id)
    _may_declare_for(user, person)
    deleted, _rows = PersonSkill.objects.filter(person=person, skill_id=skill_id).delete()
    if not deleted:
        raise NotFound(_("This person has no such skill."))


@transaction.atomic
def endorse(user: User, person_id: int, skill_id: int, *, comment: str = "") -> Endorsement:
    """``user`` confirms that a (visible) colleague or contact has the skill."""
    require_writer(user)
    person = _visible_person(user, person_id)
    if person.pk == user.person_id:
        raise ValidationError(_("You cannot endorse yourself."))
    skill = _tenant_skill(user.tenant_pk, skill_id, "skill_id")
    row, _created = PersonSkill.objects.get_or_create(
        person=person, skill=skill, defaults={"tenant_id": user.tenant_pk}
    )
    endorsement, _created = Endorsement.objects.update_or_create(
        person_skill=row,
        by=user,
        defaults={"tenant_id": user.tenant_pk, "comment": comment.strip()[:300]},
    )
    return endorsement


@transaction.atomic
def withdraw_endorsement(user: User, person_id: int, skill_id: int) -> None:
    require_writer(user)
    person = _visible_person(user, person_id)
    Endorsement.objects.filter(
        person_skill__person=person, person_skill__skill_id=skill_id, by=user
    ).delete()


def _endorsement_of(user: User, endorsement: Endorsement) -> Endorsement:
    """The endorsement, locked, if the user may see the person it is about."""
    row = (
        Endorsement.objects.select_for_update()
        .select_related("person_skill")
        .filter(pk=endorsement.pk, tenant_id=user.tenant_pk)
        .first()
    )
    if row is None:
        raise NotFound(_("No such endorsement."))
    _visible_person(user, row.person_skill.person_id)
    return row


@transaction.atomic
def change_endorsement(user: User, endorsement: Endorsement, *, comment: str) -> Endorsement:
    """Change the comment of one of the user's own endorsements (nobody else's: an
    endorsement is what its author says)."""
    require_writer(user)
    row = _endorsement_of(user, endorsement)
    if row.by_id != user.pk:
        raise PermissionDenied(_("Only who gave an endorsement may change it."))
    row.comment = comment.strip()[:300]
    row.save(update_fields=["comment", "updated_at"])
    return row


@transaction.atomic
def remove_endorsement(user: User, endorsement: Endorsement) -> None:
    """Take an endorsement away: its author withdraws it, an admin of the company may
    remove anyone's."""
    require_writer(user)
    row = _endorsement_of(user, endorsement)
    if row.by_id != user.pk and not user.is_tenant_admin:
        raise PermissionDenied(_("Only who gave an endorsement or an admin may remove it."))
    row.delete()


# --------------------------------------------------------------------- capabilities
@transaction.atomic
def add_capability(
    user: User, organization_id: int, skill_id: int, *, level: int = 3, note: str = ""
) -> OrganizationCapability:
    """Record (or update) what a firm can do."""
    require_writer(user)
    org = visible_organizations(user).filter(pk=organization_id).first()
    if org is None:
        raise NotFound(_("No organisation with id %(id)s.") % {"id": organization_id})
    skill = _tenant_skill(user.tenant_pk, skill_id, "skill_id")
    if not 1 <= int(level) <= 5:
        raise ValidationError({"level": _("The level must be between 1 and 5.")})
    row, _created = OrganizationCapability.objects.update_or_create(
        organization=org,
        skill=skill,
        defaults={"tenant_id": user.tenant_pk, "level": int(level), "note": note.strip()[:300]},
    )
    return row


@transaction.atomic
def remove_capability(user: User, organization_id: int, skill_id: int) -> None:
    require_writer(user)
    OrganizationCapability.objects.filter(
        tenant_id=user.tenant_pk, organization_id=organization_id, skill_id=skill_id
    ).delete()


# ------------------------------------------------------------------ derived evidence
def _level_from(weight: float) -> int:
    """A level for a skill known only from evidence: more evidence, more level, at most 4."""
    return max(1, min(4, 1 + int(math.log2(1 + weight))))


def _add(entry: dict, weight: float, when: str | None, example: str) -> dict:
    entry = dict(entry or {})
    entry["n"] = int(entry.get("n", 0)) + 1
    entry["weight"] = round(float(entry.get("weight", 0.0)) + weight, 4)
    if when and when > entry.get("last", ""):
        entry["last"] = when
    examples = list(entry.get("examples", []))
    if example and example not in examples and len(examples) < MAX_EXAMPLES:
        examples.append(example[:120])
    entry["examples"] = examples
    return entry


def _total(derived: dict) -> float:
    return round(sum(float(v.get("weight", 0.0)) for v in derived.values()), 4)


def _as_text_date(when: date | datetime | str | None) -> str | None:
    if when is None:
        return None
    if isinstance(when, datetime):
        return when.date().isoformat()
    return when.isoformat() if isinstance(when, date) else str(when)[:10]


@transaction.atomic
def record_evidence(
    person_id: int,
    text: str,
    weight: float,
    source: str,
    *,
    when: date | datetime | str | None = None,
) -> dict[int, str]:
    """The hook for derived evidence: ``person`` worked on something described by ``text``.

    The projects app calls it for a project's team members with the project's title and
    description (``source="project"``) and for documents they wrote (``"document"``).
    Skills named in ``text`` (whole names and synonyms) gain ``weight`` of evidence for
    the person; the text is kept as an example. Returns the matched skills (id -> the
    words that matched). Re-feeding a source from scratch: :func:`clear_evidence` first.

    Only feed evidence every user may see: it is shown to all users of the tenant.
    """
    if source not in EVIDENCE_SOURCES:
        raise ValidationError(
            _("Unknown evidence source “%(source)s”; use one of %(all)s.")
            % {"source": source, "all": ", ".join(EVIDENCE_SOURCES)}
        )
    if weight <= 0:
        raise ValidationError(_("Evidence needs a positive weight."))
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise NotFound(_("No person with id %(id)s.") % {"id": person_id})
    found = matching.skills_in_text(matching.taxonomy(person.tenant_id), text)
    when_text = _as_text_date(when)
    for skill_id in found:
        row, _created = PersonSkill.objects.select_for_update().get_or_create(
            person_id=person_id,
            skill_id=skill_id,
            defaults={"tenant_id": person.tenant_id, "level": 1},
        )
        row.derived = {
            **row.derived,
            source: _add(row.derived.get(source), weight, when_text, text),
        }
        row.derived_weight = _total(row.derived)
        fields = ["derived", "derived_weight", "updated_at"]
        if not row.self_declared:
            row.level = _level_from(row.derived_weight)
            fields.append("level")
        row.save(update_fields=fields)
    return found


@transaction.atomic
def clear_evidence(tenant_id: int, source: str) -> int:
    """Forget all derived evidence of one source (before re-feeding it); returns rows touched.

    Rows left with no evidence at all (not declared, not endorsed) are deleted.
    """
    touched = 0
    rows = PersonSkill.objects.filter(tenant_id=tenant_id, derived__has_key=source)
    for row in rows.select_for_update():
        row.derived = {k: v for k, v in row.derived.items() if k != source}
        row.derived_weight = _total(row.derived)
        row.save(update_fields=["derived", "derived_weight", "updated_at"])
        touched += 1
    PersonSkill.objects.filter(
        tenant_id=tenant_id, self_declared=False, derived_weight=0, endorsements__isnull=True
    ).delete()
    return touched


@dataclass(frozen=True)
class DerivedReport:
    interactions: int
    people: int
    person_skills: int


#: A skill known only from interactions needs this much before it is recorded at all:
#: one e-mail about calibration certificates does not make a calibration expert.
MIN_NEW_MENTIONS = 2
MIN_NEW_WEIGHT = 1.0


@transaction.atomic
def derive_from_interactions(tenant_id: int, *, batch: int = 50_000) -> DerivedReport:
    """Recompute the interaction evidence of every person from interaction subjects.

    Only interactions visible to the whole company count: evidence is shown to every
    user, so a private meeting must not turn into a colleague-visible skill.
    Subjects repeat (templates, threads), so each distinct subject is matched once;
    the rows are written with plain batched SQL (this runs over every interaction).
    """
    tax = matching.taxonomy(tenant_id)
    by_subject: dict[str, tuple[int, ...]] = {}
    mentions: dict[tuple[int, int], dict] = {}
    interactions = set()
    rows = (
        InteractionParticipant.objects.filter(
            interaction__tenant_id=tenant_id, interaction__visibility=Visibility.COMPANY
        )
        .exclude(interaction__subject="")
        .values_list(
            "interaction_id",
            "person_id",
            "role",
            "interaction__kind",
            "interaction__subject",
            "interaction__occurred_at",
        )
    )
    for iid, pid, role, kind, subject, occurred in rows.iterator(chunk_size=batch):
        skills = by_subject.get(subject)
        if skills is None:
            skills = by_subject[subject] = tuple(matching.skills_in_text(tax, subject))
        if not skills:
            continue
        interactions.add(iid)
        weight = KIND_WEIGHT.get(kind, 0.3) * ROLE_WEIGHT.get(role, 0.5)
        when = occurred.date().isoformat()
        for sid in skills:
            entry = mentions.get((pid, sid))
            if entry is None:
                entry = mentions[(pid, sid)] = {
                    "n": 0, "weight": 0.0, "last": "", "kinds": {}, "examples": []
                }  # fmt: skip
            entry["n"] += 1
            entry["weight"] += weight
            if when > entry["last"]:
                entry["last"] = when
            entry["kinds"][kind] = entry["kinds"].get(kind, 0) + 1
            if subject not in entry["examples"] and len(entry["examples"]) < MAX_EXAMPLES:
                entry["examples"].append(subject[:120])
    existing = {
        (p, s): (pk, declared, level, derived)
        for pk, p, s, declared, level, derived in PersonSkill.objects.filter(
            tenant_id=tenant_id
        ).values_list("pk", "person_id", "skill_id", "self_declared", "level", "derived")
    }
    updates, inserts = [], []
    for key in set(mentions) | {k for k, v in existing.items() if "interaction" in v[3]}:
        found = mentions.get(key)
        if found is not None:
            found["weight"] = round(found["weight"], 4)
        if key not in existing:
            if (
                found is not None
                and found["n"] >= MIN_NEW_MENTIONS
                and found["weight"] >= MIN_NEW_WEIGHT
            ):
                derived = {"interaction": found}
                inserts.append((key, derived))
            continue
        pk, declared, level, derived = existing[key]
        derived = {k: v for k, v in derived.items() if k != "interaction"}
        if found is not None:
            derived["interaction"] = found
        total = _total(derived)
        updates.append((json.dumps(derived), total, level if declared else _level_from(total), pk))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    insert_rows(
        PersonSkill,
        PERSON_SKILL_COLUMNS,
        (
            (
                tenant_id,
                p,
                s,
                _level_from(_total(d)),
                False,
                "",
                json.dumps(d),
                _total(d),
                now,
                now,
            )
            for (p, s), d in inserts
        ),
    )
    table = PersonSkill._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(updates), 5000):
            cursor.executemany(
                f"UPDATE {table} SET derived = %s, derived_weight = %s, level = %s WHERE id = %s",
                updates[start : start + 5000],
            )
    PersonSkill.objects.filter(
        tenant_id=tenant_id, self_declared=False, derived_weight=0, endorsements__isnull=True
    ).delete()
    people = {p for p, _s in mentions}
    return DerivedReport(len(interactions), len(people), len(inserts) + len(updates))


# ----------------------------------------------------------------------------- merge
def merge_person_skills(keep_id: int, gone_id: int) -> None:
    """Move ``gone``'s skills to ``keep`` (inside the merge's transaction).

    One row per skill remains: the higher level, declared if either was, both notes,
    the derived evidence summed per source, and every endorsement (one per endorser).
    """
    keep_rows = {r.skill_id: r for r in PersonSkill.objects.filter(person_id=keep_id)}
    for row in PersonSkill.objects.filter(person_id=gone_id):
        mine = keep_rows.get(row.skill_id)
        if mine is None:
            PersonSkill.objects.filter(pk=row.pk).update(person_id=keep_id)
            continue
        mine.level = max(mine.level, row.level)
        mine.self_declared = mine.self_declared or row.self_declared
        if row.note and row.note not in mine.note:
            mine.note = f"{mine.note}; {row.note}"[:300] if mine.note else row.note
        for source, entry in row.derived.items():
            have = dict(mine.derived.get(source) or {})
            have["n"] = int(have.get("n", 0)) + int(entry.get("n", 0))
            have["weight"] = round(float(have.get("weight", 0)) + float(entry.get("weight", 0)), 4)
            have["last"] = max(have.get("last", ""), entry.get("last", ""))
            have["examples"] = list(
                dict.fromkeys([*have.get("examples", []), *entry.get("examples", [])])
            )[:MAX_EXAMPLES]
            mine.derived = {**mine.derived, source: have}
        mine.derived_weight = _total(mine.derived)
        mine.save(
            update_fields=[
                "level",
                "self_declared",
                "note",
                "derived",
                "derived_weight",
                "updated_at",
            ]
        )
        endorsers = set(
            Endorsement.objects.filter(person_skill=mine).values_list("by_id", flat=True)
        )
        Endorsement.objects.filter(person_skill=row, by_id__in=endorsers).delete()
        Endorsement.objects.filter(person_skill=row).update(person_skill=mine)
        row.delete()


def erase_person_skills(person_id: int) -> int:
    """Delete a person's skills and endorsements (GDPR erasure); returns the rows deleted."""
    rows = PersonSkill.objects.filter(person_id=person_id)
    n = rows.count() + Endorsement.objects.filter(person_skill__person_id=person_id).count()
    rows.delete()
    return n
