"""Writes on people: create, update and merge, each atomic and keeping derived data in step.

Merging is the dangerous one: it moves everything that points at the person who goes
away (addresses, numbers, positions, relationships, interaction participations, the
user account) to the survivor, folds duplicate relationships into one, recomputes the
strengths that changed and raises the graph version, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.lib.errors import Conflict, NotAllowed
from geflecht.lib.models import Visibility
from geflecht.lib.visibility import can_see, covers, require_writer
from geflecht.people.models import (
    ContactEmail,
    ContactPhone,
    Organization,
    Person,
    Position,
    PrivateNote,
    Site,
    normalize_phone,
)

__all__ = [
    "add_position",
    "add_private_note",
    "create_organization",
    "create_person",
    "create_site",
    "delete_organization",
    "delete_position",
    "delete_private_note",
    "delete_site",
    "merge_people",
    "register_merge_step",
    "update_organization",
    "update_person",
    "update_position",
    "update_site",
]

_VISIBILITY_RANK: dict[str, int] = {
    Visibility.PRIVATE: 0,
    Visibility.TEAM: 1,
    Visibility.COMPANY: 2,
}
_PERSON_FIELDS = {"title", "first_name", "last_name", "notes", "tags", "classification"}
_PERSON_FIELDS |= {"importance", "visibility", "owner"}


def _can_see(user: User | None, person: Person) -> bool:
    return user is None or can_see(user, person)


@transaction.atomic
def create_person(
    user: User,
    *,
    last_name: str,
    first_name: str = "",
    title: str = "",
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    notes: str = "",
    tags: Sequence[str] = (),
    owner: User | None = None,
    visibility: str = Visibility.COMPANY,
    importance: str = "",
    classification: str = "business",
) -> Person:
    """Create a person with e-mail addresses and phone numbers (normalised, deduplicated).

    ``user`` is who creates it (a writer of the tenant it joins); ``owner`` is whose it
    is, if anyone's. Raises ``ValidationError`` for a missing last name, a bad address or
    number, or a private person without an owner; nothing is stored then.
    """
    require_writer(user)
    person = Person(
        tenant=user.company,
        title=title.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        notes=notes,
        tags=list(dict.fromkeys(tags)),
        owner=owner,
        visibility=visibility,
        importance=importance,
        classification=classification,
    )
    person.full_clean()
    person.save()
    _add_contacts(person, emails, phones)
    return person


@transaction.atomic
def update_person(
    person: Person, *, by: User | None = None, expected_version: int | None = None, **fields
) -> Person:
    """Change a person's fields (``first_name=…``, ``tags=…``), validated, version raised.

    ``emails=``/``phones=`` add addresses and numbers the person does not have yet.
    With ``expected_version``, an edit based on an older version raises ``Conflict``
    instead of overwriting what someone else saved in between.
    """
    if not _can_see(by, person):
        raise ValidationError(_("This person does not exist."))
    if by is not None:
        require_writer(by)
    emails = fields.pop("emails", ())
    phones = fields.pop("phones", ())
    if unknown := set(fields) - _PERSON_FIELDS:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    # The row lock makes check-and-write one step: two editors holding the same version
    # cannot both pass the check.
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            _(
                "%(name)s was changed by someone else in the meantime (now version %(now)s, "
                "your edit is based on version %(yours)s). Reload and apply your change again."
            )
            % {"name": locked.full_name, "now": locked.version, "yours": expected_version},
            current_version=locked.version,
        )
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.version = F("version") + 1
    locked.save(update_fields=[*fields, "version", "updated_at"])
    locked.refresh_from_db()
    _add_contacts(locked, emails, phones)
    return locked


def _add_contacts(person: Person, emails: Iterable[str], phones: Iterable[str]) -> None:
    have_emails = set(person.emails.values_list("email", flat=True)) if person.pk else set()
    new_emails: list[ContactEmail] = []
    for raw in emails:
        value = raw.strip().lower()
        if value and value not in have_emails:
            row = ContactEmail(
                person=person, email=value, is_primary=not have_emails and not new_emails
            )
            row.full_clean(exclude=["person"])
            new_emails.append(row)
            have_emails.add(value)
    have_phones = set(person.phones.values_list("number", flat=True))
    new_phones = []
    for raw in phones:
        number = normalize_phone(raw)
        if number not in have_phones:
            new_phones.append(ContactPhone(person=person, number=number))
            have_phones.add(number)
    ContactEmail.objects.bulk_create(new_emails)
    ContactPhone.objects.bulk_create(new_phones)


#: What apps above this one keep about a person and move on a merge: each step is
#: ``step(keep_id, gone_id)``, run inside the merge's transaction, before the duplicate
#: is deleted, in the order registered. An app registers its step in its
#: ``AppConfig.ready`` (network: ties and meetings; skills: a person's skills and
#: endorsements), so that people, below them in the layers, never imports them.
_merge_steps: list[Callable[[int, int], None]] = []


def register_merge_step(step: Callable[[int, int], None]) -> None:
    """Have :func:`merge_people` call ``step(keep_id, gone_id)`` (once, however often
    this is called with it)."""
    if step not in _merge_steps:
        _merge_steps.append(step)


@transaction.atomic
def merge_people(survivor: Person, other: Person, *, by: User | None = None) -> Person:
    """Fold ``other`` into ``survivor`` and delete ``other``; return the survivor.

    Moves e-mail addresses and phone numbers (duplicates dropped), positions, relationships
    (re-canonicalised; when both had a relationship to the same third person in the same
    scope, the one with the higher rating, then the more telling kind, is kept; a
    relationship between the two is dropped), interaction participations (one row when
    both took part) and the user account. Tags are joined, notes appended, empty name
    fields filled. Strengths of the touched pairs are recomputed and the graph version
    raised. The survivor keeps the broader visibility of the two. What other apps keep
    about the person moves by their registered steps (:func:`register_merge_step`):
    skills, for one, keep one row per skill, the higher level, both notes, evidence
    summed, every endorsement.

    ``by`` (the acting user) must be able to see both people. Merging two people who
    both have user accounts is refused.
    """
    if by is not None:
        require_writer(by)
    if survivor.pk == other.pk:
        raise ValidationError(_("A person cannot be merged with themselves."))
    if survivor.tenant_id != other.tenant_id:
        raise ValidationError(_("These people do not exist."))
    # Lock both rows (in id order, so two concurrent merges cannot deadlock).
    locked = {
        p.pk: p
        for p in Person.objects.select_for_update()
        .filter(pk__in=[survivor.pk, other.pk])
        .order_by("pk")
    }
    if len(locked) != 2 or not all(_can_see(by, p) for p in locked.values()):
        raise ValidationError(_("These people do not exist."))
    keep, gone = locked[survivor.pk], locked[other.pk]
    users = {u.person_id: u for u in User.objects.filter(person_id__in=[keep.pk, gone.pk])}
    if len(users) == 2:
        raise ValidationError(_("Both people have a user account; they cannot be merged."))

    _merge_fields(keep, gone)
    _move_contacts(keep, gone)
    _move_positions(keep, gone)
    for step in _merge_steps:  # ties, meetings, skills: what apps above keep of a person
        step(keep.pk, gone.pk)
    if gone.pk in users:
        User.objects.filter(pk=users[gone.pk].pk).update(person=keep)
    gone.delete()
    keep.refresh_from_db()
    return keep


def _merge_fields(keep: Person, gone: Person) -> None:
    for name in ("title", "first_name", "importance"):
        if not getattr(keep, name) and getattr(gone, name):
            setattr(keep, name, getattr(gone, name))
    keep.tags = list(dict.fromkeys([*(keep.tags or []), *(gone.tags or [])]))
    if gone.notes and gone.notes not in keep.notes:
        keep.notes = f"{keep.notes}\n\n{gone.notes}" if keep.notes else gone.notes
    if _VISIBILITY_RANK.get(gone.visibility, 2) > _VISIBILITY_RANK.get(keep.visibility, 2):
        keep.visibility = gone.visibility
    if keep.owner_id is None:
        keep.owner_id = gone.owner_id
    keep.version = F("version") + 1
    keep.save(
        update_fields=[
            "title",
            "first_name",
            "importance",
            "tags",
            "notes",
            "visibility",
            "owner",
            "version",
            "updated_at",
        ]
    )


def _move_contacts(keep: Person, gone: Person) -> None:
    have = set(ContactEmail.objects.filter(person=keep).values_list("email", flat=True))
    ContactEmail.objects.filter(person=gone, email__in=have).delete()
    ContactEmail.objects.filter(person=gone).update(
        person=keep, is_primary=not have and F("is_primary")
    )
    numbers = set(ContactPhone.objects.filter(person=keep).values_list("number", flat=True))
    ContactPhone.objects.filter(person=gone, number__in=numbers).delete()
    ContactPhone.objects.filter(person=gone).update(person=keep)


def _move_positions(keep: Person, gone: Person) -> None:
    current = set(
        Position.objects.filter(person=keep).values_list(
            "organization_id", "title", "start_date", "end_date"
        )
    )
    for pos in Position.objects.filter(person=gone):
        if (pos.organization_id, pos.title, pos.start_date, pos.end_date) in current:
            pos.delete()
    Position.objects.filter(person=gone).update(person=keep)
    # The merged person may be seen more widely than ``gone`` was: an employer only
    # ``gone``'s owner could see is shared along with them.
    for org in Organization.objects.filter(positions__person=keep).distinct():
        if not covers(org, keep):
            org.visibility, org.owner_id = keep.visibility, keep.owner_id or org.owner_id
            org.save(update_fields=["visibility", "owner", "updated_at"])


# ------------------------------------------------------------ organisations, sites, jobs
_ORG_FIELDS = {"name", "kind", "industry", "employees", "website", "notes", "visibility"}
_SITE_FIELDS = {"name", "street", "postal_code", "city", "country", "latitude", "longitude"}
_POSITION_FIELDS = {"site", "title", "department", "buying_role", "start_date", "end_date"}


def _check_fields(fields: dict, allowed: set[str]) -> None:
    if unknown := set(fields) - allowed:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})


def require_same_tenant(user: User, *objects) -> None:
    """Each object is in the user's tenant and, for organisations and sites, one the
    user may see (a colleague's private organisation looks like a missing one)."""
    for obj in objects:
        if obj is None:
            continue
        org = obj if isinstance(obj, Organization) else getattr(obj, "organization", None)
        if obj.tenant_id != user.tenant_id or (org is not None and not can_see(user, org)):
            raise ValidationError(_("%(what)s does not exist.") % {"what": type(obj).__name__})


def organization_etag(org: Organization) -> str:
    """The version of an organisation as a client sees it (it changes with every save)."""
    return str(int(org.updated_at.timestamp() * 1_000_000))


@transaction.atomic
def create_organization(user: User, *, name: str, **fields) -> Organization:
    """A new organisation in the user's tenant, shared company-wide unless ``visibility``
    says otherwise (then it stays with ``user``, and their team for ``team``)."""
    require_writer(user)
    _check_fields(fields, _ORG_FIELDS)
    org = Organization(tenant_id=user.tenant_pk, name=name.strip(), owner=user, **fields)
    org.full_clean()
    org.save()
    return org


@transaction.atomic
def update_organization(
    user: User, org: Organization, *, expected: str | None = None, **fields
) -> Organization:
    """Change an organisation; ``expected`` is the etag the edit is based on (409 if stale)."""
    require_writer(user)
    require_same_tenant(user, org)
    _check_fields(fields, _ORG_FIELDS)
    locked = Organization.objects.select_for_update().get(pk=org.pk)
    if expected is not None and organization_etag(locked) != expected:
        raise Conflict(
            _("%(name)s was changed by someone else in the meantime. Reload and try again.")
            % {"name": locked.name},
            current_version=organization_etag(locked),
        )
    if "visibility" in fields and fields["visibility"] != locked.visibility:
        if locked.visibility != Visibility.COMPANY and locked.owner_id != user.pk:
            raise ValidationError(
                {"visibility": _("Only the organisation's owner can change who sees it.")}
            )
        if fields["visibility"] != Visibility.COMPANY:
            locked.owner = user
            fields["owner"] = user
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save(update_fields=[*fields, "updated_at"])
    return locked


@transaction.atomic
def delete_organization(user: User, org: Organization) -> None:
    """Delete an organisation with its sites and the jobs there (the people stay).

    Its owner or an admin of the company may; for everyone else it is shared data."""
    require_writer(user)
    require_same_tenant(user, org)
    if not (user.is_tenant_admin or (org.owner_id is not None and org.owner_id == user.pk)):
        raise NotAllowed(
            _("Only the organisation's owner or an admin may delete %(name)s.") % {"name": org.name}
        )
    Organization.objects.filter(pk=org.pk).delete()


@transaction.atomic
def create_site(user: User, organization: Organization, *, city: str, **fields) -> Site:
    require_writer(user)
    require_same_tenant(user, organization)
    _check_fields(fields, _SITE_FIELDS)
    site = Site(tenant_id=user.tenant_pk, organization=organization, city=city.strip(), **fields)
    site.full_clean()
    site.save()
    return site


@transaction.atomic
def update_site(user: User, site: Site, **fields) -> Site:
    """Change a site's name, address or coordinates (it stays with its organisation)."""
    require_writer(user)
    require_same_tenant(user, site)
    _check_fields(fields, _SITE_FIELDS)
    locked = Site.objects.select_for_update().get(pk=site.pk)
    for name, value in fields.items():
        setattr(locked, name, value.strip() if name == "city" else value)
    locked.full_clean()
    locked.save(update_fields=[*fields, "updated_at"])
    return locked


@transaction.atomic
def delete_site(user: User, site: Site) -> None:
    """Delete a site; jobs, projects and interactions there keep their organisation."""
    require_writer(user)
    require_same_tenant(user, site)
    Site.objects.filter(pk=site.pk).delete()


@transaction.atomic
def add_position(user: User, person: Person, organization: Organization, **fields) -> Position:
    """A job of a visible person at an organisation of the tenant (site must belong to it)."""
    require_writer(user)
    if not _can_see(user, person):
        raise ValidationError({"person": _("This person does not exist.")})
    require_same_tenant(user, organization, fields.get("site"))
    _check_fields(fields, _POSITION_FIELDS)
    site = fields.get("site")
    if site is not None and site.organization_id != organization.pk:
        raise ValidationError({"site": _("The site belongs to another organisation.")})
    position = Position(
        tenant_id=user.tenant_pk, person=person, organization=organization, **fields
    )
    position.full_clean()
    position.save()
    return position


@transaction.atomic
def update_position(user: User, position: Position, **fields) -> Position:
    """Change a job, e.g. set its end date when the person leaves (history is kept), or
    correct the organisation it is at."""
    require_writer(user)
    if not _can_see(user, position.person):
        raise ValidationError({"person": _("This person does not exist.")})
    _check_fields(fields, _POSITION_FIELDS | {"organization"})
    require_same_tenant(user, fields.get("organization"), fields.get("site"))
    for name, value in fields.items():
        setattr(position, name, value)
    position.full_clean()
    position.save(update_fields=[*fields, "updated_at"])
    return position


@transaction.atomic
def delete_position(user: User, position: Position) -> None:
    """Delete a job entered by mistake (one that ended gets an end date instead)."""
    require_writer(user)
    if not _can_see(user, position.person):
        raise ValidationError({"person": _("This person does not exist.")})
    Position.objects.filter(pk=position.pk).delete()


# ------------------------------------------------------------------------ private notes
def add_private_note(user: User, person: Person, text: str) -> PrivateNote:
    """A note on ``person`` that only ``user`` will ever see."""
    require_writer(user)
    if not _can_see(user, person):
        raise ValidationError({"person": _("This person does not exist.")})
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("The note is empty.")})
    return PrivateNote.objects.create(
        tenant_id=user.tenant_pk, person=person, owner=user, text=text
    )


def delete_private_note(user: User, note_id: int) -> None:
    """Delete one of the user's own notes; anyone else's looks like a missing one."""
    require_writer(user)
    deleted, _counts = PrivateNote.objects.filter(pk=note_id, owner=user).delete()
    if not deleted:
        raise PrivateNote.DoesNotExist(_("No note with id %(id)s.") % {"id": note_id})
